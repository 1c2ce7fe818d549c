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

Identity rule (`event_identity`): two reports are the same scan when they name the same UPU event
(by its code, or by either vocabulary: the UPU name 17TRACK and national posts send, or the EMS
tracker's plain label), happened in the same wall-clock minute, and at a compatible location
(case, punctuation and a trailing country name or code ignored). So 17TRACK's
"Arrival at inward office of exchange / FRANKFURT, DE / 2026-11-14T07:15:00+01:00" and the EMS
tracker's "Arrived at destination import office / FRANKFURT / Nov 14, 2026, 7:15 AM" are one event.
Reports without a known UPU event compare by their wording. Different scans never merge: another
minute, another event or another place keeps them apart.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from emstui.core.countries import COUNTRIES, HISTORIC
from emstui.core.model import Event
from emstui.core.statusmap import code_for_upu_name

_PUNCTUATION = re.compile(r"[^\w]+")


def _words(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


_COUNTRY_NAMES = frozenset(_words(name) for name in (*COUNTRIES.values(), *HISTORIC.values()))
_COUNTRY_CODES = frozenset(code.casefold() for code in (*COUNTRIES, *HISTORIC))


@functools.lru_cache(maxsize=4096)
def location_key(location: str) -> str:
    """A location as compared between sources: case and punctuation ignored, and a trailing
    country name ("FRANKFURT GERMANY") or, after a comma, a country code ("FRANKFURT, DE") dropped
    when something else is left. A lone "DE" stays, so does "LOS ANGELES CA" (no comma)."""
    head, comma, tail = location.rpartition(",")
    if comma and _words(head):
        tail_key = _words(tail)
        if tail_key in _COUNTRY_CODES or tail_key in _COUNTRY_NAMES:
            return _words(head)
    words = _words(location)
    for name in _COUNTRY_NAMES:
        if words.endswith(" " + name):
            return words[: -len(name) - 1]
    return words


def event_identity(event: Event) -> tuple[str, str, str]:
    """What makes two reports the same scan (see the module docstring). Stable across versions:
    the store keeps a hash of it, and a change needs a store migration."""
    when = (event.time_local.replace(tzinfo=None).isoformat(timespec="minutes")
            if event.time_local is not None else " ".join(event.time_raw.split()))
    code = event.code or code_for_upu_name(event.description)
    what = f"upu:{code}" if code else "text:" + " ".join(event.description.split()).casefold()
    return when, what, location_key(event.location)


def with_source(event: Event, other: Event) -> Event:
    """`event` also attributed to the sources that reported `other` (the same scan)."""
    sources = tuple(dict.fromkeys((*event.reported_by, *other.reported_by)))
    return event if sources == event.reported_by else dataclasses.replace(event, sources=sources)


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
    """One newest-first timeline from newest-first legs; duplicates keep the first leg's copy,
    attributed to every leg that reported it."""
    where: dict[tuple[str, str, str], tuple[int, int]] = {}
    deduped: list[list[Event]] = []
    for leg in legs:
        kept: list[Event] = []
        for event in leg:
            identity = event_identity(event)
            found = where.get(identity)
            if found is None:
                where[identity] = (len(deduped), len(kept))
                kept.append(event)
            else:
                owner = kept if found[0] == len(deduped) else deduped[found[0]]
                owner[found[1]] = with_source(owner[found[1]], event)
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
