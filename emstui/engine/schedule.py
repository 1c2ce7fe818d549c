"""When a parcel should next be checked: its interval, adapted to where the parcel is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from emstui.core.model import ParcelState, Status
from emstui.core.politeness import MIN_INTERVAL

NO_RECORDS_GRACE = timedelta(hours=48)  # EMS: first scan usually appears 24-48 h after dispatch
ERROR_BASE = 5 * 60  # first retry of a parcel whose own result was bad


@dataclass(frozen=True, slots=True)
class Policy:
    interval: int  # seconds, `refresh.interval`
    delivered_interval: int | None  # None = stop polling delivered/returned parcels
    max_backoff: int
    min_interval: int = MIN_INTERVAL  # the demo lowers it: its simulated days last a minute


def interval_for(state: ParcelState | None, *, base: int, policy: Policy,
                 now: datetime) -> int | None:
    """Seconds until the next automatic check, or None when the parcel should not be polled.

    - delivered / returned: `delivered_interval`, or never when it is "off";
    - nothing found yet within the first 48 h: three times less often (records appear late);
    - out for delivery / awaiting pickup: four times more often (things change within hours);
    - never below `policy.min_interval` (15 min), so a small interval cannot hammer a provider.
    """
    status = state.status if state else Status.UNKNOWN
    if status.is_final:
        return policy.delivered_interval
    seconds = base
    has_events = bool(state and state.event_count)
    first_seen = state.first_seen if state else None
    young = first_seen is None or now - first_seen < NO_RECORDS_GRACE
    if not has_events and young and status in (Status.NOT_FOUND, Status.UNKNOWN):
        seconds = base * 3
    elif status in (Status.OUT_FOR_DELIVERY, Status.AVAILABLE_FOR_PICKUP):
        seconds = base // 4
    return max(policy.min_interval, seconds)


def error_delay(backoff_level: int, *, max_backoff: int) -> int:
    """Delay after the n-th consecutive failure of one parcel: 5 min doubling, capped."""
    return min(max(max_backoff, ERROR_BASE), ERROR_BASE * 2 ** min(backoff_level, 20))


def next_due(state: ParcelState | None, *, base: int, policy: Policy,
             now: datetime) -> datetime | None:
    seconds = interval_for(state, base=base, policy=policy, now=now)
    return None if seconds is None else now + timedelta(seconds=seconds)
