"""Arrival estimates from the source's window or the user's own history, from a real store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emstui.core.clock import FakeClock
from emstui.core.model import Event, ParcelState, ShipmentFacts, Stage, Status, Tracking
from emstui.core.s10 import make_number
from emstui.present import eta
from emstui.present.advice import Level, advise, facts_for
from emstui.present.views import make_view
from emstui.store import Store

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
D = timedelta(days=1)
TO_DE = ShipmentFacts(origin_country="CN", destination_country="DE")



@dataclass
class Parcel:
    number: str
    label: str = ""
    note: str = ""
    provider: str | None = None
    archived: bool = False


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3", clock=FakeClock(NOW)) as opened:
        yield opened


def ev(when: datetime, description: str, stage: Stage, status: Status) -> Event:
    return Event(time_raw=when.isoformat(), description=description, location="X",
                 provider="17track", time_utc=when, stage=stage, status=status)


def journey(posted: datetime, *, departed_after: timedelta | None = None,
            delivered_after: timedelta | None = None) -> tuple[Event, ...]:
    events = [ev(posted, "Posting/Collection", Stage.POSTED, Status.IN_TRANSIT)]
    if departed_after is not None:
        events.append(ev(posted + departed_after, "Departure from outward office of exchange",
                         Stage.DEPARTED, Status.IN_TRANSIT))
    if delivered_after is not None:
        events.append(ev(posted + delivered_after, "Final delivery", Stage.DELIVERED,
                         Status.DELIVERED))
    return tuple(reversed(events))  # newest first


def put(store: Store, serial: int, events: tuple[Event, ...], *, status: Status, stage: Stage,
        facts: ShipmentFacts | None = TO_DE, service: str = "EE", origin: str = "CN") -> str:
    number = make_number(service, f"{serial:08d}", origin)
    store.apply_tracking(Tracking(number, "17track", status, stage, events, facts=facts),
                         checked_at=NOW, next_due=None)
    return number


def delivered(store: Store, serial: int, days: float, *, facts: ShipmentFacts = TO_DE,
              departed_after: timedelta | None = None) -> str:
    posted = NOW - 60 * D + serial * D
    return put(store, serial, journey(posted, departed_after=departed_after,
                                      delivered_after=days * D),
               status=Status.DELIVERED, stage=Stage.DELIVERED, facts=facts)


def estimates(store: Store) -> dict[str, eta.Estimate]:
    states = store.states()
    return eta.from_store(store, {n: s.facts for n, s in states.items()})


def test_three_delivered_cn_de_parcels_give_a_new_one_a_window_from_history(
        store: Store) -> None:
    for serial, days in ((1, 8), (2, 10), (3, 12)):
        delivered(store, serial, days)
    posted = NOW - 2 * D
    new = put(store, 50, journey(posted), status=Status.IN_TRANSIT, stage=Stage.POSTED)

    found = estimates(store)[new]

    assert found.from_history and found.source == "history"
    assert found.basis == "from your 3 earlier CN→DE EMS parcels"
    assert found.samples == 3
    # 25th and 75th percentiles of 8, 10 and 12 days, counted from posting.
    assert found.start == posted + 9 * D
    assert found.end == posted + 11 * D
    assert not found.overdue(NOW)


def test_two_similar_parcels_are_too_few_for_an_estimate(store: Store) -> None:
    delivered(store, 1, 8)
    delivered(store, 2, 10)
    new = put(store, 50, journey(NOW - D), status=Status.IN_TRANSIT, stage=Stage.POSTED)
    assert new not in estimates(store)


def test_other_routes_services_and_unknown_destinations_do_not_count(store: Store) -> None:
    delivered(store, 1, 8)
    delivered(store, 2, 10)
    delivered(store, 3, 9, facts=ShipmentFacts(destination_country="FR"))
    put(store, 4, journey(NOW - 30 * D, delivered_after=9 * D), status=Status.DELIVERED,
        stage=Stage.DELIVERED, service="RR")  # registered letter post, not EMS
    new = put(store, 50, journey(NOW - D), status=Status.IN_TRANSIT, stage=Stage.POSTED)
    no_destination = put(store, 51, journey(NOW - D), status=Status.IN_TRANSIT,
                         stage=Stage.POSTED, facts=None)
    found = estimates(store)
    assert new not in found and no_destination not in found


def test_the_sources_window_comes_first(store: Store) -> None:
    for serial, days in ((1, 8), (2, 10), (3, 12)):
        delivered(store, serial, days)
    window = ShipmentFacts(eta_from=datetime(2026, 11, 27), eta_to=datetime(2026, 11, 30),
                           eta_source="17TRACK", destination_country="DE")
    new = put(store, 50, journey(NOW - D), status=Status.IN_TRANSIT, stage=Stage.POSTED,
              facts=window)
    found = estimates(store)[new]
    assert (found.source, found.basis, found.from_history) == ("17TRACK", "17TRACK", False)
    assert (found.start, found.end) == (datetime(2026, 11, 27), datetime(2026, 11, 30))


def test_past_departure_the_window_counts_from_the_current_stage(store: Store) -> None:
    # Departure after 2, 3 and 6 days; delivery 6, 7 and 8 days after departure.
    for serial, (dep, total) in enumerate(((2, 8), (3, 10), (6, 14)), start=1):
        delivered(store, serial, total, departed_after=dep * D)
    departed = NOW - D
    new = put(store, 50, journey(NOW - 5 * D, departed_after=4 * D), status=Status.IN_TRANSIT,
              stage=Stage.DEPARTED)
    found = estimates(store)[new]
    assert found.start == departed + 6.5 * D
    assert found.end == departed + 7.5 * D
    assert found.basis == ("from your 3 earlier CN→DE EMS parcels, counted from "
                           "'departed'")


def test_a_parcel_past_the_windows_end_is_overdue(store: Store) -> None:
    for serial, days in ((1, 8), (2, 10), (3, 12)):
        delivered(store, serial, days)
    new = put(store, 50, journey(NOW - 20 * D), status=Status.IN_TRANSIT, stage=Stage.POSTED)
    assert estimates(store)[new].overdue(NOW)


def test_delivered_parcels_get_no_estimate(store: Store) -> None:
    numbers = [delivered(store, serial, days) for serial, days in ((1, 8), (2, 10), (3, 12))]
    assert not set(numbers) & set(estimates(store))


def test_quantiles_interpolate_between_ranks() -> None:
    timelines = []
    posted = eta.julian_day(NOW - 200 * D)
    for serial, days in enumerate((1, 2, 3, 4, 100), start=1):
        timelines.append(eta.Timeline(
            make_number("EE", f"{serial:08d}", "CN"), Status.DELIVERED, Stage.DELIVERED, "DE",
            posted, {}, delivered=posted + days))
    new = eta.Timeline(make_number("EE", "00000050", "CN"), Status.IN_TRANSIT, Stage.POSTED,
                       "DE", eta.julian_day(NOW), {})
    found = eta.History(timelines).estimate(new)
    assert found is not None
    assert (found.start, found.end) == (NOW + 2 * D, NOW + 4 * D)  # the outlier stays out


def test_the_view_shows_the_window_its_basis_and_the_overdue_mark() -> None:
    number = make_number("EE", "00000050", "CN")
    state = ParcelState(number, status=Status.IN_TRANSIT, stage=Stage.POSTED, facts=TO_DE)
    window = eta.Estimate(NOW + 2 * D, NOW + 5 * D, eta.SOURCE_HISTORY,
                          "from your 7 earlier CN→DE EMS parcels", samples=7)
    view = make_view(Parcel(number), state, NOW, UTC, estimate=window)
    assert view.eta == "Thu 26 Nov – Sun 29 Nov"
    assert view.eta_note == "from your 7 earlier CN→DE EMS parcels"
    assert view.eta_short == "26–29 Nov" and not view.eta_overdue
    late = make_view(Parcel(number), state, NOW + 9 * D, UTC, estimate=window)
    assert late.eta_short == "overdue 29 Nov" and late.eta_overdue
    assert late.eta_note == "from your 7 earlier CN→DE EMS parcels · overdue"
    done = make_view(Parcel(number), replace(state, status=Status.DELIVERED), NOW, UTC,
                     estimate=window)
    assert (done.eta, done.eta_short) == ("", "")


def test_an_overdue_parcel_gets_advice_on_who_to_ask() -> None:
    number = make_number("EE", "00000050", "CN")
    event = ev(NOW - 12 * D, "Arrival at inward office of exchange", Stage.ARRIVED,
               Status.IN_TRANSIT)
    window = eta.Estimate(NOW - 6 * D, NOW - 3 * D, eta.SOURCE_HISTORY,
                          "from your 7 earlier CN→DE EMS parcels", samples=7)
    facts = facts_for(number, status=Status.IN_TRANSIT, stage=Stage.ARRIVED, events=[event],
                      added=None, eta=window)
    late = next(a for a in advise(facts, NOW) if a.title == "Later than expected")
    assert late.level is Level.WARNING
    assert "destination post" in late.body
    assert late.trigger == ("expected by Sat 21 Nov, 3d ago (from your 7 earlier CN→DE EMS "
                            "parcels)")
    assert all(a.title != "Later than expected" for a in advise(facts, NOW - 4 * D))
