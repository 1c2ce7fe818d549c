"""The 17TRACK API v2.2 client: register each number once, then poll `gettrackinfo` in batches,
and turn the API's envelopes and error codes into results and typed errors. Reading a tracking
item into a `Tracking` is `emstui.providers.seventeentrack_item`'s job.

Body-level decisions: a body cut short against its Content-Length surfaces as an incomplete read
(TemporaryError, retry); a body that simply ends early (no length, connection closed) is invalid
JSON (BadResponseError). Both keep the parcel's stored events untouched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from emstui.core import s10
from emstui.core.clock import Clock
from emstui.core.model import ErrorKind, Tracking
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
from emstui.providers.seventeentrack_item import (
    PROVIDER_ID,
    as_code,
    as_dict,
    as_list,
    as_text,
    parse_item,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.17track.net/track/v2.2"
MAX_BATCH = 40
PARSE_CHUNK = 8  # items of a gettrackinfo answer parsed between turns of the event loop (~5 ms)
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


def _norm(number: Any) -> str | None:
    return number.strip().upper() if isinstance(number, str) and number.strip() else None


def _number_error(code: int | None, server_message: Any = None,
                  secrets: Sequence[str] = ()) -> NumberError:
    kind, message, retryable = _NUMBER_CODES.get(
        code if code is not None else 0,
        (ErrorKind.REJECTED, "17TRACK rejected this number", True))
    if kind == ErrorKind.REJECTED:
        said = safe_excerpt(as_text(server_message) or "", secrets, limit=120)
        if said:
            message = f"{message}: {said}"
    return NumberError(kind, f"{message} ({code})" if code is not None else message, retryable)


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
            error = as_dict(item.get("error"))
            code = as_code(error.get("code"))
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
        for index, item in enumerate(accepted):
            if index and not index % PARSE_CHUNK:
                await asyncio.sleep(0)  # a long answer is parsed with the event loop running
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
            error = as_dict(item.get("error"))
            code = as_code(error.get("code"))
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
        rejected = [as_dict(r) for r in rejected]
        for item in rejected:  # an account problem can surface per item, too
            code = as_code(as_dict(item.get("error")).get("code"))
            if code in _AUTH_CODES:
                raise AuthenticationError(self.id, _AUTH_CODES[code])
        return [as_dict(a) for a in accepted], rejected

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
        code = as_code(envelope.get("code"))
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
        codes = [as_code(envelope.get("code"))]
        data = as_dict(envelope.get("data"))
        codes += [as_code(as_dict(e).get("code")) for e in as_list(data.get("errors"))]
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
        for error in as_list(as_dict(envelope.get("data")).get("errors")):
            message = as_text(as_dict(error).get("message"))
            if message:
                return safe_excerpt(message, (self._key,))
        return None

    def _bad(self, message: str, reply: Reply) -> BadResponseError:
        return BadResponseError(self.id, message,
                                detail=safe_excerpt(reply.body, (self._key,)) or None)
