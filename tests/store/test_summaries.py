"""Many parcels' events read in chunks, in the caller's order, the same as `Store.events`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emstui.core.clock import FakeClock
from emstui.core.model import Event, Stage, Status, Tracking
from emstui.core.s10 import make_number
from emstui.store import Store
from emstui.store.summaries import events_by_parcel

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NUMBERS = [make_number("EE", f"{i:08d}", "CN") for i in range(7)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3", clock=FakeClock(T0)) as opened:
        for i, number in enumerate(NUMBERS[:-1]):  # the last one has no history
            events = tuple(
                Event(time_raw=f"2026-11-{10 + j:02d} 09:00", description=f"scan {i}.{j}",
                      location="Shanghai", provider="ems",
                      time_utc=T0 - timedelta(days=20 - j), code=f"E{j}")
                for j in range(i + 1))
            opened.apply_tracking(Tracking(number=number, provider="ems",
                                           status=Status.IN_TRANSIT, stage=Stage.DEPARTED,
                                           events=events), checked_at=T0, next_due=None)
        yield opened


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_each_parcel_gets_its_own_events_in_the_callers_order(store: Store, chunk: int) -> None:
    order = [NUMBERS[5], NUMBERS[0], NUMBERS[6], NUMBERS[3], NUMBERS[1], NUMBERS[4],
             NUMBERS[2]]
    got = list(events_by_parcel(store, order, chunk=chunk))
    assert [number for number, _ in got] == order
    for number, events in got:
        assert events == store.events(number)
    assert dict(got)[NUMBERS[6]] == []
    assert [e.description for e in dict(got)[NUMBERS[2]]] == ["scan 2.2", "scan 2.1",
                                                              "scan 2.0"]


def test_nothing_is_read_before_it_is_asked_for(store: Store) -> None:
    reader = events_by_parcel(store, iter(NUMBERS), chunk=2)
    assert next(reader)[0] == NUMBERS[0]
    store.purge(NUMBERS[4])  # not read yet: the reader sees it gone
    rest = dict(reader)
    assert rest[NUMBERS[4]] == [] and len(rest[NUMBERS[5]]) == 6

