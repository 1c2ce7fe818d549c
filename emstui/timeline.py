"""Merge event timelines from several providers or legs into one de-duplicated, newest-first one.

Ordering rule. Each leg's own order is the truth for events of that leg (a carrier knows the order
of its own scans even when its clock is offset-less). Legs are interleaved like the merge step of a
merge sort: at every step the newest of the legs' next events is taken, where "newest" compares

1. `time_utc` when both events have an instant (UTC, or an aware local time);
2. otherwise local wall times (naive `time_local`, or the wall time of an aware one) as a best
   effort, since wall times from different zones cannot be compared exactly;
3. otherwise (an event without any time) it counts as a tie.

An event without a time borrows the time of its nearest newer neighbour in the same leg (or the
nearest older one when it is the newest), so it stays next to the scans it was reported with.
Ties go to the leg passed first. The result is deterministic for the same input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from emstui.model import Event


@dataclass(frozen=True, slots=True)
class _Key:
    utc: datetime | None
    wall: datetime | None

    @property
    def empty(self) -> bool:
        return self.utc is None and self.wall is None


_NO_KEY = _Key(None, None)


def _own_key(event: Event) -> _Key:
    utc = event.time_utc
    local = event.time_local
    if utc is not None:
        utc = utc.astimezone(UTC) if utc.tzinfo is not None else utc.replace(tzinfo=UTC)
    elif local is not None and local.tzinfo is not None:
        utc = local.astimezone(UTC)
    if local is not None:
        wall = local.replace(tzinfo=None)
    elif utc is not None:
        wall = utc.replace(tzinfo=None)
    else:
        wall = None
    return _Key(utc, wall)


def _leg_keys(leg: Sequence[Event]) -> list[_Key]:
    """Sort keys for one newest-first leg; untimed events borrow a neighbour's key."""
    keys = [_own_key(e) for e in leg]
    newer: _Key = _NO_KEY
    for i, key in enumerate(keys):
        if key.empty:
            keys[i] = newer
        else:
            newer = key
    older: _Key = _NO_KEY
    for i in range(len(keys) - 1, -1, -1):
        if keys[i].empty:
            keys[i] = older
        else:
            older = keys[i]
    return keys


def _is_newer(a: _Key, b: _Key) -> bool:
    if a.utc is not None and b.utc is not None:
        return a.utc > b.utc
    if a.wall is not None and b.wall is not None:
        return a.wall > b.wall
    return False


def merge_timelines(*legs: Sequence[Event]) -> tuple[Event, ...]:
    """One newest-first timeline from newest-first legs; duplicates keep the first leg's copy."""
    seen: set[tuple[str, str, str]] = set()
    deduped: list[list[Event]] = []
    for leg in legs:
        kept: list[Event] = []
        for event in leg:
            identity = event.identity()
            if identity not in seen:
                seen.add(identity)
                kept.append(event)
        deduped.append(kept)

    keyed = [(leg, _leg_keys(leg)) for leg in deduped if leg]
    positions = [0] * len(keyed)
    merged: list[Event] = []
    total = sum(len(leg) for leg, _ in keyed)
    while len(merged) < total:
        best = -1
        for i, (leg, keys) in enumerate(keyed):
            if positions[i] >= len(leg):
                continue
            if best < 0 or _is_newer(keys[positions[i]], keyed[best][1][positions[best]]):
                best = i
        merged.append(keyed[best][0][positions[best]])
        positions[best] += 1
    return tuple(merged)


def newest_first(events_oldest_first: Iterable[Event]) -> tuple[Event, ...]:
    """Reverse an oldest-first list (e.g. the EMS Cooperative table) without re-sorting it."""
    return tuple(reversed(tuple(events_oldest_first)))
