"""The 17TRACK API v2.2 adapter: register each number once, then poll `gettrackinfo` in batches.

Body-level decisions: a body cut short against its Content-Length surfaces as an incomplete read
(TemporaryError, retry); a body that simply ends early (no length, connection closed) is invalid
JSON (BadResponseError). Both keep the parcel's stored events untouched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from emstui.core import s10
from emstui.core.clock import Clock
from emstui.core.model import ErrorKind, Event, Stage, Status, Tracking
from emstui.core.sanitize import DESCRIPTION_LIMIT, LOCATION_LIMIT, clean_line
from emstui.core.statusmap import classify_text, status_from_events
from emstui.core.timeline import event_identity, merge_timelines
from emstui.core.timeparse import parse_time
from emstui.providers.base import (
    AuthenticationError,
    BadResponseError,
    Capabilities,
    NumberError,
    NumberResult,
    ProviderError,
    QuotaExhaustedError,
    Registrations,
    TemporaryError,
)
from emstui.providers.http import (
    DEFAULT_TIMEOUT,
    HONEST_USER_AGENT,
    JSON_BODY_CAP,
    LazyClient,
    Reply,
    check_user_agent,
    fetch,
    raise_for_status,
    safe_excerpt,
)
from emstui.providers.quota import Quota, parse_quota
from emstui.providers.ratelimit import RateLimiter
from emstui.providers.seventeentrack_facts import parse_facts
from emstui.providers.seventeentrack_status import from_17track, stage_from_17track

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.17track.net/track/v2.2"
PROVIDER_ID = "17track"
MAX_BATCH = 40
MAX_EVENTS = 200
CHINA_EMS_CARRIER = 3013
Items = list[dict[str, Any]]
KEY_SETTING = "[providers.17track] api_key / api_key_env"
BASE_URL_SETTING = "[providers.17track] base_url"
WHITELIST_HINT = "the IP whitelist in the 17TRACK dashboard (Settings > Security)"

ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902

# Codes that concern the whole account, wherever they appear.
_AUTH_CODES: dict[int, str] = {
    -18010001: f"17TRACK refused this machine's IP address: add it to {WHITELIST_HINT} "
               "or turn the whitelist off",
    -18010002: f"17TRACK rejected the API key: check {KEY_SETTING}",
    -18010004: f"the 17TRACK account is disabled: contact 17TRACK or set another key in "
               f"{KEY_SETTING}",
    -18010005: f"17TRACK refused access (unauthorized): check {KEY_SETTING} and {WHITELIST_HINT}",
}
_QUOTA_CODES: dict[int, str] = {
    -18019907: "17TRACK daily tracking limit reached: it resets tomorrow",
    -18019908: "17TRACK quota used up: add quota in the 17TRACK dashboard or wait for the reset",
}

# Per-number rejections: (kind, message, retryable).
_K = ErrorKind  # short, so each code stays on its line
_NUMBER_CODES: dict[int, tuple[ErrorKind, str, bool]] = {
    -18019903: (_K.UNSUPPORTED, "17TRACK cannot detect the carrier for this number", False),
    -18019910: (_K.UNSUPPORTED, "17TRACK rejected the carrier code for this number", False),
    -18019911: (_K.UNSUPPORTED, "17TRACK cannot register numbers of this carrier", False),
    -18010016: (_K.UNSUPPORTED, "17TRACK cannot set a last-mile carrier for this number", False),
    -18010018: (_K.UNSUPPORTED, "17TRACK needs a destination country and postal code for this "
                               "carrier, which emstui does not send", False),
    -18010019: (_K.UNSUPPORTED, "17TRACK needs a postal code for this carrier, which emstui "
                               "does not send", False),
    -18010020: (_K.UNSUPPORTED, "17TRACK needs a phone number for this carrier, which emstui "
                               "does not send", False),
    -18010022: (_K.UNSUPPORTED, "17TRACK needs additional details for this carrier", False),
    -18010010: (_K.INVALID, "17TRACK says data for this number is missing", False),
    -18010011: (_K.INVALID, "17TRACK says this number is invalid", False),
    -18010012: (_K.INVALID, "17TRACK says the format of this number is invalid", False),
    -18010013: (_K.INVALID, "17TRACK rejected the submitted data for this number", False),
    -18010015: (_K.INVALID, "17TRACK rejected a field for this number", False),
    -18019909: (_K.NOT_FOUND, "17TRACK has no tracking information for this number yet", True),
    -18019907: (_K.QUOTA, _QUOTA_CODES[-18019907], True),
    -18019908: (_K.QUOTA, _QUOTA_CODES[-18019908], True),
    -18010003: (_K.TEMPORARY, "17TRACK had an internal error; will retry", True),
    NOT_REGISTERED: (_K.NOT_REGISTERED, "17TRACK lost the registration of this number", True),
}


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str | None:
    """A non-empty string field, or None (17TRACK sends null, "" and numbers interchangeably)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _norm(number: Any) -> str | None:
    return number.strip().upper() if isinstance(number, str) and number.strip() else None


def _parse_time(raw: str | None) -> tuple[Any, Any]:
    if not raw:
        return None, None
    try:
        return parse_time(raw)
    except (ValueError, OverflowError):
        return None, None


def _number_error(code: int | None, server_message: Any = None,
                  secrets: Sequence[str] = ()) -> NumberError:
    kind, message, retryable = _NUMBER_CODES.get(
        code if code is not None else 0,
        (ErrorKind.REJECTED, "17TRACK rejected this number", True))
    if kind == ErrorKind.REJECTED:
        said = safe_excerpt(_s(server_message) or "", secrets, limit=120)
        if said:
            message = f"{message}: {said}"
    return NumberError(kind, f"{message} ({code})" if code is not None else message, retryable)


def _event(raw: dict[str, Any], provider_label: str) -> Event | None:
    description = _s(raw.get("description")) or _s(
        _d(raw.get("description_translation")).get("description")) or ""
    description = clean_line(description, limit=DESCRIPTION_LIMIT)
    time_iso = _s(raw.get("time_iso"))
    time_utc_text = _s(raw.get("time_utc"))
    time_raw_block = _d(raw.get("time_raw"))
    raw_parts = [_s(time_raw_block.get(k)) for k in ("date", "time", "timezone")]
    from_raw = " ".join(p for p in raw_parts if p)
    time_text = clean_line(time_iso or from_raw or time_utc_text or "", limit=64)
    if not description and not time_text:
        return None
    local, utc = _parse_time(time_text)
    if local is None and not time_iso and raw_parts[2]:
        # A zone spelling the parser does not know: keep the wall time, drop the zone.
        local, utc = _parse_time(clean_line(" ".join(p for p in raw_parts[:2] if p), limit=64))
    if time_utc_text:
        utc = _parse_time(clean_line(time_utc_text, limit=64))[1] or utc
    location = _s(raw.get("location"))
    if location is None:
        address = _d(raw.get("address"))
        location = ", ".join(p for p in (_s(address.get(k)) for k in ("city", "state", "country"))
                             if p)
    location = clean_line(location, limit=LOCATION_LIMIT)
    sub_status = _s(raw.get("sub_status"))
    key_stage = _s(raw.get("stage"))
    code, status, stage = classify_text(description)
    if sub_status:
        status = from_17track(sub_status.split("_")[0], sub_status)
    stage = stage_from_17track(sub_status, key_stage) or stage
    return Event(time_raw=time_text, description=description, location=location,
                 provider=provider_label, time_local=local, time_utc=utc, code=code,
                 status=status, stage=stage)


def _max_stage(stages: Iterable[Stage | None]) -> Stage | None:
    reached = [s for s in stages if s is not None]
    return max(reached, key=lambda s: s.index) if reached else None


def parse_item(number: str, item: dict[str, Any]) -> Tracking | NumberError:
    """One `data.accepted[i]` of gettrackinfo (or a TRACKING_UPDATED webhook's `data`)."""
    track_info = item.get("track_info")
    if not isinstance(track_info, dict):
        return NumberError(ErrorKind.NOT_FOUND,
                           "17TRACK has no tracking information for this number yet",
                           retryable=True)
    latest = _d(track_info.get("latest_status"))
    raw_status = _s(latest.get("status"))
    raw_sub = _s(latest.get("sub_status"))
    raw_status = clean_line(raw_status, limit=64) if raw_status else None
    raw_sub = clean_line(raw_sub, limit=64) if raw_sub else None

    tracking = _d(track_info.get("tracking"))
    facts = parse_facts(item, track_info, _l(tracking.get("providers")))
    legs: list[tuple[Event, ...]] = []
    carriers: list[str] = []
    event_hashes: list[str] = []
    for leg in _l(tracking.get("providers")):
        leg = _d(leg)
        about = _d(leg.get("provider"))
        name = clean_line(_s(about.get("name")) or _s(about.get("alias")) or "", limit=60)
        if name and name not in carriers:
            carriers.append(name)
        label = f"{PROVIDER_ID}:{name}" if name else PROVIDER_ID
        events = (_event(_d(e), label) for e in _l(leg.get("events"))[:MAX_EVENTS])
        legs.append(tuple(e for e in events if e is not None))
        event_hashes.append(str(_code(leg.get("events_hash"))))
    if not any(legs):
        latest_event = _event(_d(track_info.get("latest_event")), PROVIDER_ID) \
            if isinstance(track_info.get("latest_event"), dict) else None
        legs = [(latest_event,)] if latest_event else []
    merged = tuple(merge_timelines(*legs))[:MAX_EVENTS] if legs else ()

    if raw_status:
        status = from_17track(raw_status, raw_sub)
    elif merged:
        status = status_from_events(merged)[0]
    else:
        status = Status.UNKNOWN
    milestone_stages = (
        stage_from_17track(None, _s(m.get("key_stage")))
        for m in map(_d, _l(track_info.get("milestone")))
        if _s(m.get("time_utc")) or _s(m.get("time_iso")) or _d(m.get("time_raw")))
    stage = _max_stage([stage_from_17track(raw_sub, None), *milestone_stages,
                        *(e.stage for e in merged)])
    if stage is None:
        stage = status_from_events(merged)[1] if merged else Stage.NONE

    providers_hash = _code(tracking.get("providers_hash"))
    if providers_hash is not None:
        fingerprint = f"p{providers_hash}/e{','.join(event_hashes)}/{raw_status}/{raw_sub}"
    else:
        digest = hashlib.sha256(f"{raw_status}/{raw_sub}".encode())
        for event in merged:
            digest.update("\x1f".join(event_identity(event)).encode("utf-8") + b"\x1e")
        fingerprint = digest.hexdigest()[:32]
    return Tracking(number=number, provider=PROVIDER_ID, status=status, stage=stage,
                    events=merged, raw_status=raw_status, raw_sub_status=raw_sub,
                    carriers=tuple(carriers), fingerprint=fingerprint, facts=facts)


class SeventeenTrackProvider:
    """17TRACK: any S10 and most carrier numbers, origin and destination legs in one record."""

    id = PROVIDER_ID
    name = "17TRACK"

    def __init__(self, *, api_key: str, registrations: Registrations, clock: Clock,
                 base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 concurrency: int = 4, user_agent: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not api_key or not api_key.strip():
            raise ValueError(f"17TRACK needs an API key: set {KEY_SETTING}")
        self._key = api_key.strip()
        self._registrations = registrations
        self._clock = clock
        self._timeout = timeout
        self._register_lock = asyncio.Lock()
        self.capabilities = Capabilities(max_batch=MAX_BATCH, rate_per_second=3.0,
                                         concurrency=max(1, concurrency))
        # Every HTTP request (register and gettrackinfo alike) takes a slot, so the 3/s limit
        # holds however many batches run at once.
        self.limiter = RateLimiter.per_second(clock, self.capabilities.rate_per_second,
                                              concurrency=self.capabilities.concurrency)
        agent = check_user_agent(user_agent, setting="[providers.17track] user_agent") \
            if user_agent else HONEST_USER_AGENT
        base = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/"
        self._http = LazyClient(
            base_url=base, setting=BASE_URL_SETTING, user_agent=agent,
            timeout=timeout, concurrency=self.capabilities.concurrency,
            headers={"17token": self._key, "Accept": "application/json"}, transport=transport,
            checked=base == DEFAULT_BASE_URL + "/")

    def __repr__(self) -> str:
        return f"SeventeenTrackProvider(base_url={self._http.base_url!r})"

    def supports(self, number: str) -> bool:
        return 5 <= len(number) <= 50 and number.isascii() and number.isalnum()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the batch -------------------------------------------------------------------------

    async def track(self, numbers: Sequence[str]) -> list[NumberResult]:
        wanted = list(dict.fromkeys(numbers))
        if len(wanted) > MAX_BATCH:
            raise ValueError(f"17TRACK takes at most {MAX_BATCH} numbers per request")
        errors: dict[str, NumberError] = {}
        found: dict[str, Tracking] = {}
        for number in wanted:
            if not self.supports(number):
                errors[number] = NumberError(ErrorKind.INVALID, "17TRACK takes 5 to 50 letters and "
                                                        "digits", retryable=False)
        async with self._register_lock:
            fresh = [n for n in wanted if n not in errors
                     and not self._registrations.is_registered(n, self.id)]
            if fresh:
                errors.update(await self._register(fresh))
        query = [n for n in wanted if n not in errors]
        if query:
            unregistered = await self._gettrackinfo(query, found, errors)
            if unregistered:
                # Our record says registered but 17TRACK disagrees (deleted, other account):
                # register again and retry once.
                async with self._register_lock:
                    errors.update(await self._register(unregistered))
                retry = [n for n in unregistered if n not in errors]
                if retry:
                    for number in await self._gettrackinfo(retry, found, errors):
                        errors[number] = _number_error(NOT_REGISTERED)
        results = []
        for number in numbers:
            if number in found:
                results.append(NumberResult(number, tracking=found[number]))
            else:
                results.append(NumberResult(number, error=errors.get(number) or NumberError(
                    ErrorKind.BAD_RESPONSE, "17TRACK did not return this number")))
        return results

    async def _register(self, numbers: list[str]) -> dict[str, NumberError]:
        """Register numbers; remember the accepted (and already registered) ones."""
        body = [self._register_item(n) for n in numbers]
        accepted, rejected = await self._call("register", body)
        by_norm = {n.upper(): n for n in numbers}
        errors: dict[str, NumberError] = {}
        now = self._clock.now()
        for item in accepted:
            number = by_norm.get(_norm(item.get("number")) or "")
            if number:
                self._registrations.mark_registered(number, self.id, at=now)
        for item in rejected:
            number = by_norm.get(_norm(item.get("number")) or "")
            if number is None:
                continue
            error = _d(item.get("error"))
            code = _code(error.get("code"))
            if code == ALREADY_REGISTERED:
                self._registrations.mark_registered(number, self.id, at=now)
            else:
                errors[number] = _number_error(code, error.get("message"), (self._key,))
        for number in numbers:
            if number not in errors and not self._registrations.is_registered(number, self.id):
                errors[number] = NumberError(ErrorKind.BAD_RESPONSE,
                                             "17TRACK did not confirm the registration")
        return errors

    @staticmethod
    def _register_item(number: str) -> dict[str, Any]:
        try:
            parsed = s10.parse(number)
        except ValueError:
            return {"number": number}
        if parsed.is_s10 and parsed.is_ems and parsed.country_code == "CN":
            return {"number": number, "carrier": CHINA_EMS_CARRIER}
        return {"number": number}  # let 17TRACK detect the carrier

    async def _gettrackinfo(self, numbers: list[str], found: dict[str, Tracking],
                            errors: dict[str, NumberError]) -> list[str]:
        """Fill `found`/`errors`; return the numbers 17TRACK says are not registered."""
        accepted, rejected = await self._call("gettrackinfo", [{"number": n} for n in numbers])
        by_norm = {n.upper(): n for n in numbers}
        unregistered: list[str] = []
        for item in accepted:
            number = by_norm.get(_norm(item.get("number")) or "")
            if number is None or number in found:
                continue
            outcome = parse_item(number, item)
            if isinstance(outcome, NumberError):
                errors[number] = outcome
            else:
                found[number] = outcome
                errors.pop(number, None)
        for item in rejected:
            number = by_norm.get(_norm(item.get("number")) or "")
            if number is None or number in found:
                continue
            error = _d(item.get("error"))
            code = _code(error.get("code"))
            if code == NOT_REGISTERED:
                unregistered.append(number)
            else:
                errors[number] = _number_error(code, error.get("message"), (self._key,))
        return unregistered

    # -- the account -----------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        """Tells accounts apart (key and endpoint) without revealing the key."""
        base = self._http.base_url
        if base != DEFAULT_BASE_URL + "/":  # the default is in httpx's normal form already
            import httpx

            base = str(httpx.URL(base))  # as the client sends it, so the id never changes
        seed = f"{base}\0{self._key}".encode()
        return hashlib.sha256(seed).hexdigest()[:16]

    async def quota(self) -> Quota:
        """`getquota`: registrations left. Free; callers ask at most hourly (emstui.present.quota).

        Raises the same typed ProviderErrors as tracking (a rejected key is AuthenticationError).
        """
        data, _reply = await self._post("getquota", [])
        return parse_quota(data, provider=self.id)

    # -- the wire --------------------------------------------------------------------------

    async def _call(self, endpoint: str, body: list[dict[str, Any]]) -> tuple[Items, Items]:
        """POST one endpoint; return (accepted, rejected) or raise a typed ProviderError."""
        if len(body) > MAX_BATCH:
            raise ValueError(f"17TRACK takes at most {MAX_BATCH} numbers per request")
        data, reply = await self._post(endpoint, body)
        accepted, rejected = data.get("accepted", []), data.get("rejected", [])
        if not isinstance(accepted, list) or not isinstance(rejected, list):
            raise self._bad("'accepted' and 'rejected' are not lists", reply)
        rejected = [_d(r) for r in rejected]
        for item in rejected:  # an account problem can surface per item, too
            code = _code(_d(item.get("error")).get("code"))
            if code in _AUTH_CODES:
                raise AuthenticationError(self.id, _AUTH_CODES[code])
        return [_d(a) for a in accepted], rejected

    async def _post(self, endpoint: str, body: list[dict[str, Any]]
                    ) -> tuple[dict[str, Any], Reply]:
        """POST one endpoint; return the envelope's `data` object or raise a ProviderError."""
        secrets = (self._key,)
        async with self.limiter.slot():
            reply = await fetch(self._http.get(), "POST", endpoint, provider=self.id,
                                cap=JSON_BODY_CAP, deadline=self._timeout, secrets=secrets,
                                json=body)
        if reply.status in (401, 403):
            envelope = self._json_or_none(reply)
            specific = self._envelope_error(envelope) if envelope is not None else None
            if isinstance(specific, AuthenticationError):
                raise specific
            raise AuthenticationError(self.id, f"17TRACK refused the request (HTTP "
                                               f"{reply.status}): check {KEY_SETTING} and "
                                               f"{WHITELIST_HINT}")
        raise_for_status(reply, provider=self.id, now=self._clock.now(),
                         setting=BASE_URL_SETTING, secrets=secrets)
        envelope = self._decode(reply)
        code = _code(envelope.get("code"))
        if code is None:
            raise self._bad("the reply has no numeric 'code'", reply)
        if code != 0:
            error = self._envelope_error(envelope)
            if error is None:
                message = self._envelope_message(envelope)
                error = BadResponseError(self.id, f"17TRACK error {code}",
                                         detail=message or safe_excerpt(reply.body, secrets))
            raise error
        data = envelope.get("data")
        if not isinstance(data, dict):
            raise self._bad("the reply has no 'data' object", reply)
        return data, reply

    def _decode(self, reply: Reply) -> dict[str, Any]:
        head = reply.body.lstrip()[:1]
        if "html" in reply.content_type or head == b"<":
            raise self._bad("17TRACK sent HTML instead of JSON (a proxy, captive portal or "
                            "outage page?)", reply)
        try:
            envelope = json.loads(reply.body)
        except (ValueError, RecursionError):
            raise self._bad("17TRACK sent invalid or incomplete JSON", reply) from None
        if not isinstance(envelope, dict):
            raise self._bad("the reply is not a JSON object", reply)
        return envelope

    @staticmethod
    def _json_or_none(reply: Reply) -> dict[str, Any] | None:
        try:
            envelope = json.loads(reply.body)
        except (ValueError, RecursionError):
            return None
        return envelope if isinstance(envelope, dict) else None

    def _envelope_codes(self, envelope: dict[str, Any]) -> list[int]:
        codes = [_code(envelope.get("code"))]
        data = _d(envelope.get("data"))
        codes += [_code(_d(e).get("code")) for e in _l(data.get("errors"))]
        return [c for c in codes if c is not None and c != 0]

    def _envelope_error(self, envelope: dict[str, Any]) -> ProviderError | None:
        for code in self._envelope_codes(envelope):
            if code in _AUTH_CODES:
                return AuthenticationError(self.id, _AUTH_CODES[code])
            if code in _QUOTA_CODES:
                return QuotaExhaustedError(self.id, _QUOTA_CODES[code])
            if code == -18010014:
                return BadResponseError(self.id, "17TRACK says more than 40 numbers were sent "
                                                 "(a bug in emstui: please report it)")
            if code == -18010003:
                return TemporaryError(self.id, "17TRACK had an internal error (-18010003)")
        return None

    def _envelope_message(self, envelope: dict[str, Any]) -> str | None:
        for error in _l(_d(envelope.get("data")).get("errors")):
            message = _s(_d(error).get("message"))
            if message:
                return safe_excerpt(message, (self._key,))
        return None

    def _bad(self, message: str, reply: Reply) -> BadResponseError:
        return BadResponseError(self.id, message,
                                detail=safe_excerpt(reply.body, (self._key,)) or None)
