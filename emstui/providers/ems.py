"""The EMS Cooperative public tracker (items.ems.post): one HTML page per EMS item."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

from emstui import s10
from emstui.clock import Clock
from emstui.model import Event, Tracking
from emstui.providers.base import (
    BadResponseError,
    Capabilities,
    NumberError,
    NumberResult,
    TemporaryError,
)
from emstui.providers.http import (
    BROWSER_USER_AGENT,
    DEFAULT_TIMEOUT,
    HTML_BODY_CAP,
    Reply,
    build_client,
    check_user_agent,
    fetch,
    raise_for_status,
    safe_excerpt,
)
from emstui.ratelimit import RateLimiter
from emstui.sanitize import DESCRIPTION_LIMIT, LOCATION_LIMIT, clean_line
from emstui.statusmap import classify_text, status_from_events
from emstui.timeparse import parse_time

DEFAULT_BASE_URL = "https://items.ems.post/api/publicTracking/track"
NOT_EMS_MARKER = "does not denote an EMS item."
MAX_EVENTS = 100
TIME_LIMIT = 64

PROVIDER_ID = "ems"
BASE_URL_SETTING = "[providers.ems] base_url"
_CELL_BREAKS = frozenset({"br", "div", "p", "li"})  # keep words apart inside a cell


@dataclass(slots=True)
class _Table:
    headers: int = 0
    rows: list[list[str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Collects exactly what the classification needs: the page text, the "no results" cell,
    `ul.error` texts and the rows of `table#table-{number}`. Everything else is ignored."""

    def __init__(self, number: str) -> None:
        super().__init__(convert_charrefs=True)
        self._table_id = f"table-{number}".casefold()
        self.text: list[str] = []
        self.no_results = False
        self.errors: list[str] = []
        self.table: _Table | None = None
        self._in_target = 0  # nesting depth of tables while inside the target table
        self._error_depth = 0  # >0 while inside ul.error
        self._error_buf: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        classes = attr.get("class", "").split()
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "td" and "no-results-found" in classes:
            self.no_results = True
        if tag == "ul":
            if self._error_depth:
                self._error_depth += 1
            elif "error" in classes:
                self._error_depth = 1
                self._error_buf = []
        elif tag == "li" and self._error_depth:
            self._flush_error()
        if tag == "table":
            if self._in_target:
                self._in_target += 1
            elif self.table is None and attr.get("id", "").strip().casefold() == self._table_id:
                self.table = _Table()
                self._in_target = 1
            return
        if self._in_target != 1:
            return
        if tag == "th":
            self.table.headers += 1  # type: ignore[union-attr]
        elif tag == "tr":
            self._end_row()
            self._row = [] if "result-table-row" in classes else None
        elif tag == "td" and self._row is not None:
            self._end_cell()
            self._cell = []
        elif tag in _CELL_BREAKS and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "ul" and self._error_depth:
            self._error_depth -= 1
            if not self._error_depth:
                self._flush_error()
        elif tag == "li" and self._error_depth:
            self._flush_error()
        if tag == "table" and self._in_target:
            if self._in_target == 1:
                self._end_row()
            self._in_target -= 1
        elif self._in_target == 1:
            if tag == "td":
                self._end_cell()
            elif tag == "tr":
                self._end_row()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._error_depth:
            self._error_buf.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def _flush_error(self) -> None:
        message = " ".join("".join(self._error_buf).split())
        if message:
            self.errors.append(message)
        self._error_buf = []

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None and self.table is not None:
            self.table.rows.append(self._row)
        self._row = None


def _event_from_row(time_raw: str, label: str, location: str) -> Event:
    code, status, stage = classify_text(label)  # UPU names first, then wording
    time_local, time_utc = parse_time(time_raw)
    return Event(time_raw=time_raw, description=label, location=location, provider=PROVIDER_ID,
                 time_local=time_local, time_utc=time_utc, code=code, status=status, stage=stage)


def parse_page(number: str, reply: Reply) -> Tracking | NumberError:
    """Classify a 200 page (ems-cooperative.md §3, in that order). Raises BadResponseError."""
    text = reply.text()
    parser = _PageParser(number)
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser can still choke on pathological input
        raise _unknown_shape(number, text) from None
    page_text = " ".join("".join(parser.text).split())
    if NOT_EMS_MARKER in page_text:
        return NumberError("unsupported", "the EMS Cooperative tracker says this is not an EMS "
                                          "item (other sources may still track it)",
                           retryable=False)
    if parser.no_results:
        return NumberError("not_found", "no records at the EMS Cooperative tracker yet (normal "
                                        "for the first 24-48 hours after posting)")
    if parser.errors:
        message = clean_line(" ".join(parser.errors), limit=DESCRIPTION_LIMIT)
        return NumberError("invalid", message or "the tracker rejected the number",
                           retryable=False)
    table = parser.table
    rows = []
    if table is not None and table.headers == 3:
        rows = [row[:3] for row in table.rows if len(row) >= 3]
    if not rows:
        raise _unknown_shape(number, page_text)
    return _tracking(number, rows)


def _tracking(number: str, rows: list[list[str]]) -> Tracking:
    cleaned: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for raw_time, raw_label, raw_location in rows:
        row = (clean_line(raw_time, limit=TIME_LIMIT),
               clean_line(raw_label, limit=DESCRIPTION_LIMIT),
               clean_line(raw_location, limit=LOCATION_LIMIT))
        if row in seen or not (row[0] or row[1]):
            continue
        seen.add(row)
        cleaned.append(row)
    if not cleaned:
        raise _unknown_shape(number, " ".join(" ".join(row) for row in rows))
    cleaned = cleaned[-MAX_EVENTS:]  # page is oldest first: keep the newest
    # Page order is the truth for ordering: wall times from different legs are not comparable.
    events = tuple(_event_from_row(*row) for row in reversed(cleaned))
    status, stage = status_from_events(events)
    digest = hashlib.sha256()
    for row in cleaned:
        digest.update("\x1f".join(row).encode("utf-8") + b"\x1e")
    return Tracking(number=number, provider=PROVIDER_ID, status=status, stage=stage,
                    events=events, raw_status=events[0].description,
                    fingerprint=digest.hexdigest()[:32])


def _unknown_shape(number: str, text: str) -> BadResponseError:
    return BadResponseError(PROVIDER_ID, f"unrecognised page for {number} (the tracker's page "
                                         "layout may have changed)",
                            detail=safe_excerpt(text) or None)


@functools.lru_cache(maxsize=65536)
def _is_ems_item(number: str) -> bool:
    """Cached: the engine asks for every watched parcel each time it plans a pass."""
    try:
        parsed = s10.parse(number)
    except ValueError:
        return False
    return bool(parsed.is_s10 and parsed.is_ems)


class EmsProvider:
    """Keyless fallback for EMS items. Polite: one request at a time, at least 1 s apart."""

    id = PROVIDER_ID
    name = "EMS Cooperative"
    capabilities = Capabilities(max_batch=1, rate_per_second=1.0, burst=1, concurrency=1,
                                min_interval=1.0)

    def __init__(self, *, clock: Clock, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, user_agent: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._clock = clock
        self._timeout = timeout
        self._url = base_url or DEFAULT_BASE_URL
        self.limiter = RateLimiter(clock, limit=1, window=1.0, margin=0.0, concurrency=1,
                                   min_interval=self.capabilities.min_interval)
        agent = check_user_agent(user_agent, setting="[providers.ems] user_agent") \
            if user_agent else BROWSER_USER_AGENT
        self._client = build_client(base_url=self._url, setting=BASE_URL_SETTING,
                                    user_agent=agent, timeout=timeout, concurrency=1,
                                    headers={"Accept": "text/html,application/xhtml+xml"},
                                    transport=transport)

    def supports(self, number: str) -> bool:
        return _is_ems_item(number)

    async def track(self, numbers: Sequence[str]) -> list[NumberResult]:
        return [await self._track_one(number) for number in numbers]

    async def _track_one(self, number: str) -> NumberResult:
        if not self.supports(number):
            return NumberResult(number, error=NumberError(
                "unsupported", "the EMS Cooperative tracker only knows EMS items (E… S10 "
                               "numbers)", retryable=False))
        async with self.limiter.slot():  # one at a time, starts at least 1 s apart
            reply = await fetch(self._client, "GET", self._url, provider=self.id,
                                cap=HTML_BODY_CAP, deadline=self._timeout,
                                params={"language": "EN", "itemId": number})
        if reply.status in (401, 403):
            raise TemporaryError(
                self.id, f"blocked by the tracker (HTTP {reply.status}), most likely because "
                         "of the User-Agent: try another [providers.ems] user_agent",
                detail=safe_excerpt(reply.body) or None)
        raise_for_status(reply, provider=self.id, now=self._clock.now(), setting=BASE_URL_SETTING)
        outcome = parse_page(number, reply)
        if isinstance(outcome, NumberError):
            return NumberResult(number, error=outcome)
        return NumberResult(number, tracking=outcome)

    async def aclose(self) -> None:
        await self._client.aclose()
