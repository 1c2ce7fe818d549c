"""The EMS Cooperative public tracker (items.ems.post): one HTML page per EMS item.

What is known and what is not (specs/ems-cooperative.md): the page shape (result wrapper with
the id `table-{number}`, plain table inside, three headers, US dates, plain-English labels) comes
from pages derived from live captures of 2026-09/10, not from any documentation; this code has
never seen the live tracker itself (no internet where it was built). UNCONFIRMED: labels for the
UPU events the captures did not show (held by import customs, ready for pick-up, transit-office
scans), the politeness limits, and how long the shape lasts. So the parser is tolerant (any tag
carries the id, headers by keyword then position, rows of any width, every date form the spec
lists), unknown labels keep their event and are classified by wording, and a page it cannot read
is a typed error naming the missing part, never a wiped history. `emstui doctor` and the `live`
tests check the real page.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from emstui.core import s10
from emstui.core.clock import Clock
from emstui.core.model import ErrorKind, Event, Tracking
from emstui.core.sanitize import DESCRIPTION_LIMIT, LOCATION_LIMIT, clean_line
from emstui.core.statusmap import classify_text, status_from_events
from emstui.core.timeparse import parse_time
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
    LazyClient,
    Reply,
    check_user_agent,
    fetch,
    raise_for_status,
    safe_excerpt,
)
from emstui.providers.ratelimit import RateLimiter

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://items.ems.post/api/publicTracking/track"
NOT_EMS_MARKER = "does not denote an EMS item."
MAX_EVENTS = 100
TIME_LIMIT = 64

PROVIDER_ID = "ems"
BASE_URL_SETTING = "[providers.ems] base_url"
_CELL_BREAKS = frozenset({"br", "div", "p", "li"})  # keep words apart inside a cell
_SKIPPED = frozenset({"script", "style", "template"})

# Header keywords (casefolded substrings) for each column the adapter reads. The live page says
# "Date and time / Status of Item / Location"; older and future layouts may word them otherwise.
_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "time": ("date", "time", "when"),
    "status": ("status", "event", "description", "detail"),
    "location": ("location", "place", "office", "where"),
}


@dataclass(slots=True)
class _Table:
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Reads what the classification needs from one tracker page (ems-cooperative.md §2-3).

    The result for `number` is the element (any tag) whose id is `table-{number}`: live pages put
    the id on a wrapper `div` with the plain event table inside, older ones put it on the table
    itself. Only the first such element is read, so a page holding results for several numbers
    gives only ours. Signals outside every result element (a page-level error list, a
    "no results" cell) are kept apart and only used when the page has no result element at all.
    """

    def __init__(self, number: str) -> None:
        super().__init__(convert_charrefs=True)
        self._wrapper_id = f"table-{number}".casefold()
        self.wrapper_found = False
        self.other_wrappers = 0
        self.table: _Table | None = None
        self.wrapper_text: list[str] = []
        self.page_text: list[str] = []
        self.wrapper_no_results = False
        self.page_no_results = False
        self.wrapper_errors: list[str] = []
        self.page_errors: list[str] = []
        self._wrap_tag: str | None = None
        self._wrap_depth = 0  # >0 while inside our result element
        self._wrap_done = False
        self._table_depth = 0  # nesting depth of tables while inside the target table
        self._table_done = False
        self._error_depth = 0  # >0 while inside ul.error
        self._error_buf: list[str] = []
        self._row: list[str] | None = None
        self._row_has_td = False
        self._cell: list[str] | None = None
        self._skip = 0

    @property
    def _inside(self) -> bool:
        return self._wrap_depth > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        classes = attr.get("class", "").split()
        element_id = attr.get("id", "").strip().casefold()
        if tag in _SKIPPED:
            self._skip += 1
            return
        if self._inside:
            if tag == self._wrap_tag:
                self._wrap_depth += 1
        elif element_id == self._wrapper_id and not self._wrap_done:
            self.wrapper_found = True
            self._wrap_tag, self._wrap_depth = tag, 1
        elif element_id.startswith("table-"):
            self.other_wrappers += 1
        if tag == "td" and "no-results-found" in classes:
            if self._inside:
                self.wrapper_no_results = True
            else:
                self.page_no_results = True
        self._error_start(tag, classes)
        if not self._inside:
            return
        if tag == "table":
            if self._table_depth:
                self._table_depth += 1
            elif not self._table_done:
                self.table = _Table()
                self._table_depth = 1
            return
        if self._table_depth != 1:
            return
        if tag == "tr":
            self._end_row()
            self._row, self._row_has_td = [], False
        elif tag in ("td", "th"):
            if self._row is None:  # a cell outside any <tr>: HTML lets the row start implied
                self._row, self._row_has_td = [], False
            self._end_cell()
            self._cell = []
            self._row_has_td = self._row_has_td or tag == "td"
        elif tag in _CELL_BREAKS and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
            return
        self._error_end(tag)
        if self._inside and self._table_depth:
            if tag == "table":
                if self._table_depth == 1:
                    self._end_row()
                    self._table_done = True
                self._table_depth -= 1
            elif self._table_depth == 1:
                if tag in ("td", "th"):
                    self._end_cell()
                elif tag == "tr":
                    self._end_row()
        if self._inside and tag == self._wrap_tag:
            self._wrap_depth -= 1
            if not self._wrap_depth:
                self._end_row()
                self._table_depth = 0
                self._wrap_done = True

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.page_text.append(data)
        if self._inside:
            self.wrapper_text.append(data)
        if self._error_depth:
            self._error_buf.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def close(self) -> None:
        super().close()
        self._end_row()

    # -- ul.error ---------------------------------------------------------------------------

    def _error_start(self, tag: str, classes: list[str]) -> None:
        if tag == "ul":
            if self._error_depth:
                self._error_depth += 1
            elif "error" in classes:
                self._error_depth = 1
                self._error_buf = []
        elif tag == "li" and self._error_depth:
            self._flush_error()

    def _error_end(self, tag: str) -> None:
        if tag == "ul" and self._error_depth:
            self._error_depth -= 1
            if not self._error_depth:
                self._flush_error()
        elif tag == "li" and self._error_depth:
            self._flush_error()

    def _flush_error(self) -> None:
        message = " ".join("".join(self._error_buf).split())
        if message:
            (self.wrapper_errors if self._inside else self.page_errors).append(message)
        self._error_buf = []

    # -- rows -------------------------------------------------------------------------------

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        row, self._row = self._row, None
        if row is None or self.table is None or not row:
            return
        if not self._row_has_td:
            if not self.table.headers and not self.table.rows:
                self.table.headers = row
        else:
            self.table.rows.append(row)


@dataclass(frozen=True, slots=True)
class _Columns:
    time: int
    status: int
    location: int | None


def _columns(headers: Sequence[str], width: int) -> _Columns:
    """Which cell holds what: headers matched by keyword, the rest by position (date, status,
    location), so a page with extra, missing or reworded columns still reads right."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.casefold()
        for role, words in _HEADER_WORDS.items():
            if role not in found and any(word in key for word in words):
                found[role] = index
                break
    free = iter(i for i in range(max(width, 3)) if i not in found.values())
    for role in ("time", "status", "location"):
        if role not in found:
            found[role] = next(free)
    location: int | None = found["location"]
    if location is not None and location >= width:
        location = None
    return _Columns(found["time"], found["status"], location)


def _event_from_row(time_raw: str, label: str, location: str) -> Event:
    # The tracker's plain labels first, then UPU names, then wording: statusmap knows them all.
    code, status, stage = classify_text(label)
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
        raise _unknown_shape(number, "the page could not be read as HTML", text) from None
    # Only our result element counts; page-level signals only when no result element exists.
    scoped = parser.wrapper_found or parser.other_wrappers == 0
    scope_text = " ".join("".join(
        parser.wrapper_text if parser.wrapper_found else parser.page_text).split())
    errors = parser.wrapper_errors + (parser.page_errors if not parser.wrapper_found else [])
    if scoped and NOT_EMS_MARKER in scope_text:
        return NumberError(ErrorKind.UNSUPPORTED,
                           "the EMS Cooperative tracker says this is not an EMS item (other "
                           "sources may still track it)",
                           retryable=False)
    no_results = parser.wrapper_no_results or (
        not parser.wrapper_found and scoped and parser.page_no_results)
    if no_results:
        return NumberError(ErrorKind.NOT_FOUND,
                           "no records at the EMS Cooperative tracker yet (normal for the first "
                           "24-48 hours after posting)")
    if errors and scoped:
        message = clean_line(" ".join(errors), limit=DESCRIPTION_LIMIT)
        return NumberError(ErrorKind.INVALID, message or "the tracker rejected the number",
                           retryable=False)
    page_text = " ".join("".join(parser.page_text).split())
    if not parser.wrapper_found:
        raise _unknown_shape(number, f"no element with id table-{number}", page_text)
    table = parser.table
    if table is None:
        raise _unknown_shape(number, f"no table inside the element table-{number}", page_text)
    width = max((len(row) for row in table.rows), default=0)
    columns = _columns(table.headers, max(width, len(table.headers)))
    rows = [_cells(row, columns) for row in table.rows if len(row) > columns.status
            and len(row) > columns.time]
    if not any(time or label for time, label, _ in rows):
        raise _unknown_shape(number, "no event rows (date, status, location) in its table",
                             page_text)
    return _tracking(number, rows)


def _cells(row: Sequence[str], columns: _Columns) -> list[str]:
    location = row[columns.location] if columns.location is not None and \
        columns.location < len(row) else ""
    return [row[columns.time], row[columns.status], location]


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
        raise _unknown_shape(number, "no event rows with text in its table",
                             " ".join(" ".join(row) for row in rows))
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


def _unknown_shape(number: str, missing: str, text: str) -> BadResponseError:
    return BadResponseError(PROVIDER_ID, f"unrecognised page for {number}: {missing} (the "
                                         "tracker's page layout may have changed)",
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
    capabilities = Capabilities(max_batch=1, rate_per_second=1.0, concurrency=1,
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
        self._http = LazyClient(base_url=self._url, setting=BASE_URL_SETTING,
                                user_agent=agent, timeout=timeout, concurrency=1,
                                headers={"Accept": "text/html,application/xhtml+xml"},
                                transport=transport, checked=self._url == DEFAULT_BASE_URL)

    def supports(self, number: str) -> bool:
        return _is_ems_item(number)

    async def track(self, numbers: Sequence[str]) -> list[NumberResult]:
        return [await self._track_one(number) for number in numbers]

    async def _track_one(self, number: str) -> NumberResult:
        if not self.supports(number):
            return NumberResult(number, error=NumberError(
                ErrorKind.UNSUPPORTED, "the EMS Cooperative tracker only knows EMS items (E… S10 "
                               "numbers)", retryable=False))
        async with self.limiter.slot():  # one at a time, starts at least 1 s apart
            reply = await fetch(self._http.get(), "GET", self._url, provider=self.id,
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
        await self._http.aclose()
