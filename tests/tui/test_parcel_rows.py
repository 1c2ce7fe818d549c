"""The main screen's row bookkeeping, without an app: which views are stale, which rows show,
what the clock, a pass and new estimates change, and in what order the waiting views catch up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emstui.config import Parcel
from emstui.core.model import Event, ParcelState, Stage, Status
from emstui.engine.events import CycleFinished, ParcelUpdated
from emstui.present.eta import SOURCE_HISTORY, Estimate
from emstui.tui.parcel_rows import ParcelRows

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TEA, BOOKS, SHOES = "EE123456785CN", "EE223456788CN", "EE323456785CN"


def event(description: str, minutes_ago: float) -> Event:
    return Event(time_raw="raw time", description=description, location="SHANGHAI",
                 provider="ems", time_utc=NOW - timedelta(minutes=minutes_ago))


def moving(number: str, description: str = "Departed", minutes_ago: float = 10) -> ParcelState:
    return ParcelState(number, status=Status.IN_TRANSIT, stage=Stage.DEPARTED, provider="ems",
                       last_event=event(description, minutes_ago), event_count=2,
                       last_checked=NOW - timedelta(minutes=minutes_ago))


def rows_at_now() -> ParcelRows:
    """Tea moving, Books delivered and archived, Shoes never checked; every view made at NOW."""
    rows = ParcelRows(UTC, [Parcel(TEA, label="Tea"), Parcel(BOOKS, label="Books", archived=True),
                            Parcel(SHOES, label="Shoes")])
    rows.load_states({
        TEA: moving(TEA),
        BOOKS: ParcelState(BOOKS, status=Status.DELIVERED, stage=Stage.DELIVERED,
                           last_checked=NOW - timedelta(days=3)),
    })
    assert rows.update(NOW) == (True, set())
    return rows


def test_start_up_takes_the_newest_check_as_the_last_pass() -> None:
    rows = rows_at_now()
    assert rows.last_cycle == NOW - timedelta(minutes=10)
    assert ParcelRows(UTC).last_cycle is None


def test_visible_honours_archived_and_the_filter() -> None:
    rows = rows_at_now()
    assert {v.number for v in rows.visible("", False)} == {TEA, SHOES}
    assert {v.number for v in rows.visible("", True)} == {TEA, BOOKS, SHOES}
    assert {v.number for v in rows.visible("books", False)} == set()
    assert {v.number for v in rows.visible("books", True)} == {BOOKS}
    assert {v.number for v in rows.visible("tea", True)} == {TEA}


def test_rows_stay_only_while_each_parcel_is_in_the_table_exactly_when_it_shows() -> None:
    rows = rows_at_now()
    table = {TEA, SHOES}
    assert rows.rows_stay({TEA, BOOKS}, "", False, table.__contains__)
    assert not rows.rows_stay({BOOKS}, "", True, table.__contains__)  # must enter
    assert not rows.rows_stay({SHOES}, "tea", False, table.__contains__)  # must leave
    assert not rows.rows_stay({"EE999999995CN"}, "", False, {"EE999999995CN"}.__contains__)


def test_the_tick_retimes_only_the_views_whose_table_text_is_due() -> None:
    rows = rows_at_now()
    until = rows.text_until[TEA]
    assert until is not None and until > NOW
    assert rows.text_until[SHOES] is None  # "never checked" reads the same at any time
    before = dict(rows.views)

    assert rows.tick(until - timedelta(seconds=1)) == []
    changed = rows.tick(until)

    assert [v.number for v in changed] == [TEA]
    assert rows.views[TEA] is changed[0] and changed[0].age != before[TEA].age
    assert rows.views[SHOES] is before[SHOES] and rows.views[BOOKS] is before[BOOKS]
    assert rows.text_until[TEA] is not None and rows.text_until[TEA] > until


def test_a_parcel_answered_while_its_checking_mark_waits_keeps_its_fresh_view() -> None:
    rows = rows_at_now()
    rows.refresh_started((TEA, SHOES))
    assert rows.checking_due == {TEA, SHOES} and not rows.views[TEA].refreshing

    rows.parcel_updated(ParcelUpdated(TEA, moving(TEA, "Arrived", minutes_ago=1)))
    assert rows.update(NOW) == (False, {TEA})
    rows.catch_up(rows.waiting(), NOW)

    assert rows.views[SHOES].refreshing
    assert not rows.views[TEA].refreshing and rows.views[TEA].latest_event == "Arrived"
    assert not rows.catching_up


def test_a_pass_marks_a_parcel_with_no_view_when_its_view_is_made() -> None:
    rows = ParcelRows(UTC, [Parcel(TEA)])
    rows.refresh_started((TEA,))
    assert rows.checking_due == set() and rows.dirty == {TEA}
    rows.update(NOW)
    assert rows.views[TEA].refreshing


def test_the_end_of_a_pass_clears_checking_only_for_parcels_no_longer_in_flight() -> None:
    rows = rows_at_now()
    rows.refresh_started((TEA, SHOES))
    rows.catch_up(rows.waiting(), NOW)
    rows.take_estimates_due()

    done = rows.cycle_finished(CycleFinished(NOW, NOW + timedelta(seconds=5), 1, 0, None),
                               in_flight={SHOES})
    rows.update(NOW)

    assert done == {TEA} and rows.refreshing == {SHOES}
    assert not rows.views[TEA].refreshing and rows.views[SHOES].refreshing
    assert rows.last_cycle == NOW + timedelta(seconds=5)
    assert rows.take_estimates_due() and not rows.take_estimates_due()


def test_status_changes_are_kept_until_taken_and_only_real_changes() -> None:
    rows = rows_at_now()
    delivered = ParcelState(TEA, status=Status.DELIVERED, stage=Stage.DELIVERED)
    rows.parcel_updated(ParcelUpdated(TEA, delivered, old_status=Status.IN_TRANSIT,
                                      status_changed=True))
    rows.parcel_updated(ParcelUpdated(SHOES, moving(SHOES), old_status=None,
                                      status_changed=True))  # its first answer: no news
    rows.parcel_updated(ParcelUpdated(TEA, delivered, old_status=Status.DELIVERED))
    assert rows.take_status_changes() == [(TEA, Status.IN_TRANSIT, Status.DELIVERED)]
    assert rows.take_status_changes() == []


def test_the_next_chunk_takes_the_cursor_and_the_rows_on_screen_first() -> None:
    rows = rows_at_now()
    rows.refresh_started((TEA, BOOKS, SHOES))
    assert rows.next_chunk([SHOES, None, BOOKS, "EE999999995CN"], 2) == [SHOES, BOOKS]
    assert rows.next_chunk([None], 2)[0] in {TEA, BOOKS, SHOES}
    chunk = rows.next_chunk([BOOKS], 3)
    assert chunk[0] == BOOKS and set(chunk) == {TEA, BOOKS, SHOES}
    rows.catch_up(chunk[:1], NOW)
    assert rows.next_chunk([BOOKS], 3)[0] != BOOKS and rows.catching_up


def estimate(days: int) -> Estimate:
    start = NOW + timedelta(days=days)
    return Estimate(start, start + timedelta(days=2), SOURCE_HISTORY, f"in {days} days",
                    samples=9)


def test_only_the_newest_estimates_are_taken_and_the_changed_views_wait_for_them() -> None:
    rows = rows_at_now()
    older, _ = rows.estimate_request()
    newest, facts = rows.estimate_request()
    assert set(facts) == {TEA, BOOKS}  # the parcels with a state

    assert not rows.take_estimates(older, {TEA: estimate(1)})
    assert rows.estimates == {}
    assert rows.take_estimates(newest, {TEA: estimate(2), SHOES: estimate(3)})
    assert rows.retime_due == {TEA, SHOES}
    assert not rows.take_estimates(newest, dict(rows.estimates))  # nothing moved

    rows.catch_up([TEA], NOW)
    assert rows.views[TEA].eta_note and rows.retime_due == {SHOES}


def test_estimates_arriving_before_a_full_rebuild_leave_it_to_the_rebuild() -> None:
    rows = rows_at_now()
    generation, _ = rows.estimate_request()
    rows.all_dirty = True
    rows.refresh_started((TEA,))
    assert rows.take_estimates(generation, {TEA: estimate(2)})
    assert rows.retime_due == set()
    assert rows.update(NOW) == (True, set())
    assert rows.views[TEA].eta_note and not rows.catching_up  # made with them and the mark
    assert rows.views[TEA].refreshing


def test_a_new_watch_list_forgets_removed_parcels_and_names_those_without_a_state() -> None:
    rows = rows_at_now()
    rows.take_estimates_due()
    missing = rows.set_parcels([Parcel(TEA), Parcel("EE999999995CN")])
    assert missing == ["EE999999995CN"]
    assert set(rows.states) == {TEA} and set(rows.views) == {TEA}
    assert rows.all_dirty and rows.take_estimates_due()


def test_seeing_a_parcel_rebuilds_its_view_from_the_seen_state() -> None:
    rows = rows_at_now()
    unseen = ParcelState(TEA, status=Status.IN_TRANSIT, unseen_count=2)
    rows.parcel_updated(ParcelUpdated(TEA, unseen))
    rows.update(NOW)
    assert rows.views[TEA].unseen == 2
    view = rows.seen(TEA, ParcelState(TEA, status=Status.IN_TRANSIT), NOW)
    assert rows.views[TEA] is view and view.unseen == 0
