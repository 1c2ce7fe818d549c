"""Arrival estimates: the source's delivery window, else a window from the user's own history.

Pure functions of the stored timelines (`Store.stage_times`: one query, one row a parcel);
`from_store` is the one place that reads them.

From history: for the delivered parcels of the same route (origin country from the S10 number,
destination country a source reported) and service (the S10 service indicator's kind), the
transit times to delivery give a window from their 25th to their 75th percentile, when at least
HISTORY_MINIMUM such parcels exist; otherwise there is no estimate, never a made-up one. The
transit time is counted from posting, or, once the parcel is past departure from the origin,
from when it reached its current stage (when enough earlier parcels passed that stage too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from emstui.core import s10
from emstui.core.model import ShipmentFacts, Stage, Status
from emstui.store import StageTime

HISTORY_MINIMUM = 3
LOW_QUANTILE = 0.25
HIGH_QUANTILE = 0.75
# Longer than any real transit: a timeline this long is broken data, not a slow parcel.
MAX_TRANSIT = timedelta(days=365)
SOURCE_HISTORY = "history"

# Short words for the service in the basis ("from your 7 earlier CN→DE EMS parcels").
_SERVICE_WORDS: dict[s10.ServiceKind, str] = {
    s10.ServiceKind.EMS: "EMS",
    s10.ServiceKind.PARCEL: "parcel-post",
    s10.ServiceKind.REGISTERED: "registered",
    s10.ServiceKind.ECOMMERCE: "e-commerce",
}


@dataclass(frozen=True, slots=True)
class Timeline:
    """When one stored parcel first reached each stage that counts, and where it is going.

    Times are Julian days (`julian_day`; cheap to read and subtract in bulk). `posted` is the
    first scan of the item itself (its first event with a journey stage), else its first event,
    else when the store first heard of it. `delivered` is its first delivery scan.
    """

    number: str
    status: Status
    stage: Stage
    destination: str | None
    posted: float | None
    reached: Mapping[Stage, float]  # stages from departure on
    delivered: float | None = None


@dataclass(frozen=True, slots=True)
class Route:
    origin: str
    destination: str
    service: s10.ServiceKind

    @property
    def text(self) -> str:
        word = _SERVICE_WORDS.get(self.service)
        route = f"{self.origin}→{self.destination}"
        return f"{route} {word}" if word else route


@dataclass(frozen=True, slots=True)
class Estimate:
    """An arrival window and what it is based on.

    A source's bounds are wall times of the destination as the source wrote them (naive when it
    gave no offset); a history window's are aware UTC instants. `basis` says where it comes
    from in words ("17TRACK", "from your 7 earlier CN→DE EMS parcels").
    """

    start: datetime | None
    end: datetime | None
    source: str  # the source's name (as it wrote it), or SOURCE_HISTORY
    basis: str
    samples: int = 0  # earlier parcels the window was computed from (history only)

    @property
    def from_history(self) -> bool:
        return self.source == SOURCE_HISTORY

    def overdue(self, now: datetime) -> bool:
        """Past the window's end: a source's last day is over, history's end has passed."""
        last = self.end or self.start
        if last is None:
            return False
        if self.from_history:
            return _utc(now) > _utc(last)
        return last.date() < _utc(now).date()


@lru_cache(maxsize=32768)
def route_of(number: str, destination: str | None) -> Route | None:
    """The route of a parcel: None without an S10 origin or a reported destination."""
    if not destination or len(destination) != 2 or not destination.isascii() \
            or not destination.isalpha():
        return None  # only a two-letter country code makes a route
    try:
        parsed = s10.parse(number)
    except s10.InvalidNumber:
        return None
    if not parsed.is_s10 or not parsed.country_code:
        return None
    return Route(parsed.country_code, destination.upper(), parsed.service)


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default 'linear')."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def julian_day(when: datetime) -> float:
    return (_utc(when) - _UNIX_EPOCH).total_seconds() / 86400 + _UNIX_EPOCH_JULIAN_DAY


def _from_julian(day: float) -> datetime:
    return _UNIX_EPOCH + timedelta(days=day - _UNIX_EPOCH_JULIAN_DAY)


_UNIX_EPOCH_JULIAN_DAY = 2440587.5
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TRANSIT_DAYS = MAX_TRANSIT / timedelta(days=1)
_STAGES: dict[str, Stage] = {stage.value: stage for stage in Stage}
_STATUSES: dict[str, Status] = {status.value: status for status in Status}


def _anchor(timeline: Timeline) -> tuple[Stage, float | None]:
    """(stage counted from, when the parcel reached it): its current stage once it is past
    departure from the origin, else posting (Stage.POSTED stands for 'from posting')."""
    reached = timeline.reached.get(timeline.stage)
    if reached is not None:
        return timeline.stage, reached
    return Stage.POSTED, timeline.posted


class History:
    """Transit times of the delivered parcels, by route and by the stage they are counted from."""

    def __init__(self, timelines: Iterable[Timeline]) -> None:
        days: dict[tuple[Route, Stage], list[float]] = defaultdict(list)
        for timeline in timelines:
            delivered = timeline.delivered
            if timeline.status is not Status.DELIVERED or delivered is None:
                continue
            route = route_of(timeline.number, timeline.destination)
            if route is None:
                continue
            starts = list(timeline.reached.items())
            if timeline.posted is not None:
                starts.append((Stage.POSTED, timeline.posted))
            for stage, when in starts:
                transit = delivered - when
                if 0 <= transit <= _MAX_TRANSIT_DAYS:
                    days[(route, stage)].append(transit)
        self._windows: dict[tuple[Route, Stage], tuple[float, float, int]] = {}
        for key, values in days.items():
            if len(values) >= HISTORY_MINIMUM:
                values.sort()
                self._windows[key] = (_quantile(values, LOW_QUANTILE),
                                      _quantile(values, HIGH_QUANTILE), len(values))

    def estimate(self, timeline: Timeline) -> Estimate | None:
        """A window for a parcel still on its way, or None when history is too thin."""
        if timeline.status.is_final or timeline.stage is Stage.DELIVERED:
            return None
        route = route_of(timeline.number, timeline.destination)
        if route is None:
            return None
        stage, since = _anchor(timeline)
        window = self._windows.get((route, stage))
        if (window is None or since is None) and stage is not Stage.POSTED:
            stage, since = Stage.POSTED, timeline.posted
            window = self._windows.get((route, stage))
        if window is None or since is None:
            return None
        low, high, count = window
        counted = "" if stage is Stage.POSTED else f", counted from '{stage.label}'"
        return Estimate(_from_julian(since + low), _from_julian(since + high), SOURCE_HISTORY,
                        f"from your {count} earlier {route.text} parcels{counted}",
                        samples=count)


def timelines(rows: Iterable[StageTime]) -> list[Timeline]:
    """Timelines from `Store.stage_times` rows."""
    found = []
    for row in rows:
        stage = _STAGES.get(row.stage or "", Stage.NONE)  # unknown: written by a newer emstui
        reached = {s: when for s, when in (
            (Stage.DEPARTED, row.departed), (Stage.ARRIVED, row.arrived),
            (Stage.CUSTOMS, row.customs), (Stage.DELIVERY_OFFICE, row.delivery_office),
            (Stage.OUT_FOR_DELIVERY, row.out_for_delivery)) if when is not None}
        posted = row.posted if row.posted is not None else row.first_event
        if posted is None and row.first_seen:
            try:
                posted = julian_day(datetime.fromisoformat(row.first_seen))
            except ValueError:
                posted = None
        found.append(Timeline(row.number, _STATUSES.get(row.status, Status.UNKNOWN), stage,
                              row.destination or None, posted, reached, row.delivered))
    return found


def source_estimate(facts: ShipmentFacts | None) -> Estimate | None:
    """The source's own window (17TRACK's estimated delivery), overdue after its last day."""
    if facts is None or not facts.has_eta:
        return None
    name = facts.eta_source or ""
    return Estimate(facts.eta_from, facts.eta_to, name, name or "the source")


def estimates(timelines: Iterable[Timeline], facts: Mapping[str, ShipmentFacts | None]
              ) -> dict[str, Estimate]:
    """An estimate for each parcel in `facts` (the watched ones, with what a source reported)
    that is on its way and has one: the source's window first, else history's."""
    timelines = list(timelines)
    history = History(timelines)
    found: dict[str, Estimate] = {}
    for timeline in timelines:
        if timeline.status.is_final or timeline.number not in facts:
            continue
        estimate = source_estimate(facts.get(timeline.number)) or history.estimate(timeline)
        if estimate is not None:
            found[timeline.number] = estimate
    return found


class HasStageTimes(Protocol):
    def stage_times(self) -> list[StageTime]: ...


def from_store(store: HasStageTimes, facts: Mapping[str, ShipmentFacts | None]
               ) -> dict[str, Estimate]:
    """`estimates` for the parcels in `facts`, with the history read in one query."""
    return estimates(timelines(store.stage_times()), facts)


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


__all__ = ["HISTORY_MINIMUM", "SOURCE_HISTORY", "Estimate", "History", "Route", "Timeline",
           "estimates", "from_store", "julian_day", "route_of", "source_estimate",
           "timelines"]
