"""Which parcels `[refresh] archive_delivered_after` archives, and the one line that says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emstui.config import Parcel
from emstui.core.model import Event, ParcelState, Status
from emstui.present.autoarchive import announcement, due_for_archive

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = 86_400


def finished(number: str, status: Status, *, days_ago: float | None,
             changed_days_ago: float | None = None) -> ParcelState:
    event = None
    if days_ago is not None:
        when = NOW - timedelta(days=days_ago)
        event = Event(when.isoformat(), "Delivered", provider="ems", time_utc=when,
                      time_local=when)
    changed = NOW - timedelta(days=changed_days_ago) if changed_days_ago is not None else None
    return ParcelState(number, status=status, last_event=event, last_changed=changed)


def test_delivered_and_returned_parcels_past_the_delay_are_due_others_are_not() -> None:
    states = {"A": finished("A", Status.DELIVERED, days_ago=15),
              "B": finished("B", Status.RETURNED, days_ago=20),
              "C": finished("C", Status.DELIVERED, days_ago=13),
              "D": finished("D", Status.IN_TRANSIT, days_ago=30),
              "E": finished("E", Status.DELIVERED, days_ago=None, changed_days_ago=16),
              "F": finished("F", Status.DELIVERED, days_ago=None),
              "G": finished("G", Status.DELIVERED, days_ago=40)}
    parcels = [Parcel(n) for n in "ABCDEFGH"]
    parcels[6].archived = True
    assert due_for_archive(parcels, states, 14 * DAY, NOW) == ["A", "B", "E"]
    assert due_for_archive(parcels, states, None, NOW) == []


def test_the_announcement_names_a_few_cleaned_labels_and_counts_the_rest() -> None:
    labels = {"A": "Tea\x1b[31m", "B": ""}
    assert announcement(["A"], labels, "14d") == \
        "archived 1 parcel delivered or returned more than 14d ago: Tea"
    assert announcement(["A", "B", "C", "D", "E"], labels, "2d") == \
        "archived 5 parcels delivered or returned more than 2d ago: Tea, B, C and 2 more"
