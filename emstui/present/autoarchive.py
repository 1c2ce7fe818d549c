"""`[refresh] archive_delivered_after`: which parcels are due to be archived by themselves.

A parcel qualifies when it is delivered or returned, not archived, and its last scan (or, with
no scan time, its last status change) is at least that long ago. A parcel emstui archived once
is never archived again by itself: when the user unarchives it, it stays where they put it
(the store keeps the mark, shared by the monitor and every `--once`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from emstui.config import Parcel
from emstui.core.model import ParcelState, Status
from emstui.core.sanitize import clean_line
from emstui.present.timefmt import to_utc, when_it_happened
from emstui.store import parcel_mark_key

FINISHED = frozenset({Status.DELIVERED, Status.RETURNED})
MARK_NAME = "auto_archived"


def finished_at(state: ParcelState) -> datetime | None:
    """When the parcel reached its final status: its last scan, else its last change."""
    when = when_it_happened(state.last_event)[0] if state.last_event else None
    if when is None and state.last_changed is not None:
        when = to_utc(state.last_changed)
    return when


def due_for_archive(parcels: Sequence[Parcel], states: Mapping[str, ParcelState],
                    after: int | None, now: datetime) -> list[str]:
    """Numbers of the watched parcels finished at least `after` seconds ago (None: off)."""
    if after is None:
        return []
    cutoff = to_utc(now) - timedelta(seconds=after)
    due = []
    for parcel in parcels:
        state = states.get(parcel.number)
        if parcel.archived or state is None or state.status not in FINISHED:
            continue
        when = finished_at(state)
        if when is not None and when <= cutoff:
            due.append(parcel.number)
    return due


def mark_key(number: str) -> str:
    return parcel_mark_key(MARK_NAME, number)


class HasMeta(Protocol):
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


def not_yet_archived_by_us(store: HasMeta, numbers: Iterable[str]) -> list[str]:
    """The numbers emstui has never archived by itself (the user may unarchive them)."""
    return [n for n in numbers if store.get_meta(mark_key(n)) is None]


def remember_archived(store: HasMeta, numbers: Iterable[str], now: datetime) -> None:
    for number in numbers:
        store.set_meta(mark_key(number), now.isoformat())


def announcement(numbers: Sequence[str], labels: Mapping[str, str], after_text: str) -> str:
    """One line: how many, which (a few), and why."""
    names = [clean_line(labels.get(n), limit=40) or n for n in numbers]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    noun = "parcel" if len(numbers) == 1 else "parcels"
    return (f"archived {len(numbers)} {noun} delivered or returned more than {after_text} "
            f"ago: {shown}")


__all__ = ["FINISHED", "announcement", "due_for_archive", "finished_at",
           "not_yet_archived_by_us", "remember_archived"]
