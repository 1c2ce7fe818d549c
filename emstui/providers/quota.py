"""The 17TRACK account quota as `getquota` reports it (specs/17track.md §9), typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emstui.providers.base import BadResponseError


@dataclass(frozen=True, slots=True)
class Quota:
    """Registrations left on the 17TRACK account. Only `remain` is sure to be known.

    `total`/`used`/`remain` count registrations (1 per new number); `today_used` and
    `daily_limit` (`max_track_daily`) are the per-day cap.
    """

    remain: int
    total: int | None = None
    used: int | None = None
    today_used: int | None = None
    daily_limit: int | None = None


def _count(value: Any) -> int | None:
    """A non-negative count; 17TRACK may send numbers as strings (as it does elsewhere)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, float) and value.is_integer():
        return max(0, int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_quota(data: Any, *, provider: str = "17track") -> Quota:
    """The `data` object of a getquota answer; BadResponseError when no remaining count."""
    if not isinstance(data, dict):
        raise BadResponseError(provider, "the quota answer has no 'data' object")
    total = _count(data.get("quota_total"))
    used = _count(data.get("quota_used"))
    remain = _count(data.get("quota_remain"))
    if remain is None and total is not None and used is not None:
        remain = max(0, total - used)
    if remain is None:
        raise BadResponseError(provider, "the quota answer has no 'quota_remain' count")
    return Quota(remain=remain, total=total, used=used,
                 today_used=_count(data.get("today_used")),
                 daily_limit=_count(data.get("max_track_daily")))
