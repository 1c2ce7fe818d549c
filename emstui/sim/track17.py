"""The 17TRACK v2.2 API as the simulator speaks it: auth, rate limit, quota, registrations."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from emstui.sim.geo import CARRIERS, Carrier, detect_carrier
from emstui.sim.journeys import Journeys
from emstui.sim.numbers import is_valid_s10
from emstui.sim.ratelimit import SlidingWindowLimiter
from emstui.sim.trackinfo import track_item

ENDPOINTS = ("register", "gettrackinfo", "getquota", "stoptrack", "retrack", "deletetrack")
MAX_ITEMS = 40
_FORMAT = re.compile(r"^[A-Z0-9]{5,50}$")

INVALID_KEY = -18010002
INVALID_DATA = -18010013
TOO_MANY_NUMBERS = -18010014
MISSING_DATA = -18010010
BAD_FORMAT = -18010012
ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902
CARRIER_UNDETECTED = -18019903
RETRACK_NOT_STOPPED = -18019904
RETRACK_ONCE = -18019905
STOP_NOT_TRACKING = -18019906
QUOTA_EXHAUSTED = -18019908
BAD_CARRIER = -18019910


@dataclass(frozen=True, slots=True)
class Reply:
    """A protocol answer, before any fault is applied to how it is sent."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    numbers: tuple[str, ...] = ()


@dataclass(slots=True)
class _Registration:
    carrier: Carrier
    tag: str | None
    stopped: bool = False
    retracked: bool = False
    sync_failed_since: datetime | None = None


@dataclass(slots=True)
class _Account:
    quota_total: int
    quota_used: int = 0
    today: date | None = None
    today_used: int = 0
    registered: dict[str, _Registration] = field(default_factory=dict)
    accepted_registrations: dict[str, int] = field(default_factory=dict)


def _json(status: int, payload: Any, *, numbers: tuple[str, ...] = (),
          headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Reply(status, body, "application/json", headers, numbers)


def request_error(code: int, message: str, *, status: int = 200,
                  numbers: tuple[str, ...] = ()) -> Reply:
    """A whole-request failure: non-zero `code` with `data.errors[]`."""
    return _json(status, {"code": code, "data": {"errors": [{"code": code, "message": message}]}},
                 numbers=numbers)


def _rejected(number: str, code: int, message: str) -> dict[str, Any]:
    return {"number": number, "error": {"code": code, "message": message}}


class Track17:
    """One simulated 17TRACK account. `handle` runs on the server loop; reads are thread-safe."""

    def __init__(self, journeys: Journeys, *, api_key: str, quota: int,
                 sim_now: Callable[[], datetime], real_now: Callable[[], datetime],
                 limiter: SlidingWindowLimiter, retry_after_on_429: bool = True) -> None:
        self._journeys = journeys
        self._key = api_key.encode()
        self._sim_now = sim_now
        self._real_now = real_now
        self.limiter = limiter
        self.retry_after_on_429 = retry_after_on_429
        self._account = _Account(quota_total=quota)
        self._lock = threading.Lock()

    # -- inspection (any thread) --------------------------------------------------------------

    def registrations(self) -> dict[str, int]:
        with self._lock:
            return dict(self._account.accepted_registrations)

    def registered_numbers(self) -> dict[str, int]:
        """Currently registered numbers and their carrier codes."""
        with self._lock:
            return {n: r.carrier.key for n, r in self._account.registered.items()}

    @property
    def quota_used(self) -> int:
        with self._lock:
            return self._account.quota_used

    def set_quota(self, total: int) -> None:
        with self._lock:
            self._account.quota_total = total

    def fail_sync(self, number: str, since: datetime | None) -> None:
        """17TRACK's own syncs of a registered `number` with its carriers fail from `since`
        (simulated time) on: answers show no newer events and say the sync failed.
        None makes them work again."""
        with self._lock:
            reg = self._account.registered.get(number)
            if reg is None:
                raise KeyError(f"{number} is not registered")
            reg.sync_failed_since = since

    # -- protocol ------------------------------------------------------------------------------

    def handle(self, endpoint: str, token: str | None, body: bytes) -> Reply:
        numbers = numbers_in(body)
        if token is None or not hmac.compare_digest(token.encode(), self._key):
            return request_error(INVALID_KEY, "Invalid security key.", status=401,
                                 numbers=numbers)
        wait = self.limiter.acquire(hashlib.sha256(token.encode()).hexdigest())
        if wait is not None:
            headers = (("Retry-After", str(max(1, round(wait + 0.499)))),) \
                if self.retry_after_on_429 else ()
            return Reply(429, b"Too Many Requests", "text/plain; charset=utf-8", headers, numbers)
        if endpoint == "getquota":
            return self._getquota()
        try:
            items = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, ValueError):
            items = None
        if not isinstance(items, list):
            return request_error(INVALID_DATA, "Invalid submitted data.", numbers=numbers)
        if len(items) > MAX_ITEMS:
            return request_error(TOO_MANY_NUMBERS, "Tracking numbers exceed the 40 limit.",
                                 numbers=numbers)
        accepted: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        action = getattr(self, f"_{endpoint}")
        with self._lock:
            for item in items:
                number = item.get("number") if isinstance(item, dict) else None
                if not isinstance(number, str) or not number.strip():
                    rejected.append(_rejected(str(number or ""), MISSING_DATA,
                                              "Please provide the data number."))
                    continue
                number = number.strip().upper()
                if not _FORMAT.match(number):
                    rejected.append(_rejected(number, BAD_FORMAT,
                                              f"The format of '{number}' is invalid."))
                    continue
                result = action(number, item)
                (accepted if "error" not in result else rejected).append(result)
        return _json(200, {"code": 0, "data": {"accepted": accepted, "rejected": rejected}},
                     numbers=numbers)

    def _getquota(self) -> Reply:
        with self._lock:
            acct = self._account
            self._roll_day()
            data = {
                "quota_total": acct.quota_total,
                "quota_used": acct.quota_used,
                "quota_remain": max(0, acct.quota_total - acct.quota_used),
                "today_used": acct.today_used,
                "max_track_daily": 10000000,
                "free_email_quota": 300,
                "free_email_quotaused": 0,
            }
        return _json(200, {"code": 0, "data": data})

    def _roll_day(self) -> None:
        today = self._real_now().date()
        if self._account.today != today:
            self._account.today = today
            self._account.today_used = 0

    def _register(self, number: str, item: dict[str, Any]) -> dict[str, Any]:
        acct = self._account
        if number in acct.registered:
            return _rejected(number, ALREADY_REGISTERED,
                             f"Tracking number {number} is already registered.")
        detected = detect_carrier(number, s10_valid=is_valid_s10(number))
        wanted = item.get("carrier")
        if wanted not in (None, 0):
            if not isinstance(wanted, int) or isinstance(wanted, bool):
                return _rejected(number, BAD_CARRIER, f"Incorrect carrier code {wanted}.")
            carrier = CARRIERS.get(wanted) or _unknown_carrier(wanted)
            origin = 2
        elif detected is not None:
            carrier, origin = detected, 1
        else:
            return _rejected(number, CARRIER_UNDETECTED, "Carrier cannot be detected. Visit "
                             "carrier info for carrier code and send as a parameter.")
        if acct.quota_used >= acct.quota_total:
            return _rejected(number, QUOTA_EXHAUSTED, "Quota exhausted.")
        self._roll_day()
        acct.quota_used += 1
        acct.today_used += 1
        tag = item.get("tag") if isinstance(item.get("tag"), str) else None
        acct.registered[number] = _Registration(carrier, tag)
        acct.accepted_registrations[number] = acct.accepted_registrations.get(number, 0) + 1
        result: dict[str, Any] = {"origin": origin, "number": number, "carrier": carrier.key}
        if tag is not None:
            result["tag"] = tag
        return result

    def _lookup(self, number: str, item: dict[str, Any]) -> _Registration | dict[str, Any]:
        reg = self._account.registered.get(number)
        wanted = item.get("carrier")
        if reg is None or (isinstance(wanted, int) and wanted not in (0, reg.carrier.key)):
            return _rejected(number, NOT_REGISTERED,
                             f"Tracking number {number} is not registered yet. Register first.")
        return reg

    def _gettrackinfo(self, number: str, item: dict[str, Any]) -> dict[str, Any]:
        reg = self._lookup(number, item)
        if isinstance(reg, dict):
            return reg
        now = self._sim_now()
        journey = self._journeys.journey(number)
        failed = reg.sync_failed_since
        seen_until = now if failed is None else min(now, failed)
        return track_item(journey, reg.carrier, journey.visible(seen_until), now, tag=reg.tag,
                          sync_failed_since=failed)

    def _stoptrack(self, number: str, item: dict[str, Any]) -> dict[str, Any]:
        reg = self._lookup(number, item)
        if isinstance(reg, dict):
            return reg
        if reg.stopped:
            return _rejected(number, STOP_NOT_TRACKING,
                             "Only numbers being tracked can be stopped.")
        reg.stopped = True
        return {"number": number, "carrier": reg.carrier.key}

    def _retrack(self, number: str, item: dict[str, Any]) -> dict[str, Any]:
        reg = self._lookup(number, item)
        if isinstance(reg, dict):
            return reg
        if not reg.stopped:
            return _rejected(number, RETRACK_NOT_STOPPED, "Only stopped numbers can be retracked.")
        if reg.retracked:
            return _rejected(number, RETRACK_ONCE, "Retrack allowed only once.")
        reg.stopped, reg.retracked = False, True
        return {"number": number, "carrier": reg.carrier.key}

    def _deletetrack(self, number: str, item: dict[str, Any]) -> dict[str, Any]:
        reg = self._lookup(number, item)
        if isinstance(reg, dict):
            return reg
        del self._account.registered[number]
        return {"number": number, "carrier": reg.carrier.key}


def _unknown_carrier(key: int) -> Carrier:
    return Carrier(key, f"Carrier {key}", "", "")


def numbers_in(body: bytes) -> tuple[str, ...]:
    """Tracking numbers named in a request body, for the request log."""
    try:
        items = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(str(i["number"]).strip().upper() for i in items
                 if isinstance(i, dict) and isinstance(i.get("number"), str))
