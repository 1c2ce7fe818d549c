"""Tests for the SQLite history store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from emstui.core.clock import FakeClock
from emstui.core.model import Event, ParcelState, ShipmentFacts, Stage, Status, Tracking
from emstui.store import (
    INTEGRITY_CHECK_KEY,
    MAX_DESCRIPTION,
    SCHEMA_VERSION,
    Store,
    StoreError,
    outbox,
    parcel_mark_key,
    parcel_writes,
)
from emstui.store import connection as store_module

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NUMBER = "EE123456785CN"


def ev(time_raw: str, description: str, location: str = "Shanghai", *,
       utc: datetime | None = None, local: datetime | None = None, **kw: object) -> Event:
    return Event(time_raw=time_raw, description=description, location=location,
                 provider="ems", time_utc=utc, time_local=local, **kw)  # type: ignore[arg-type]


def trk(events: tuple[Event, ...] | list[Event], status: Status = Status.IN_TRANSIT,
        stage: Stage = Stage.DEPARTED, number: str = NUMBER, **kw: object) -> Tracking:
    return Tracking(number=number, provider="ems", status=status, stage=stage,
                    events=tuple(events), **kw)  # type: ignore[arg-type]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(db: Path, clock: FakeClock) -> Iterator[Store]:
    with Store(db, clock=clock) as opened:
        yield opened


POSTED = ev("2026-11-20 09:00", "Posting/Collection", utc=at(-99))
DEPARTED = ev("2026-11-21 10:00", "Departure from outward office of exchange", utc=at(-74))
ARRIVED = ev("2026-11-22 08:00", "Arrival at inward office of exchange", "Los Angeles",
             utc=at(-40))


# -- merging -------------------------------------------------------------------------------


def test_repeated_apply_stores_each_event_once_and_reports_only_new_ones(store: Store) -> None:
    first = store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(0), next_due=None)
    assert [e.description for e in first.new_events] == [DEPARTED.description,
                                                         POSTED.description]
    again = store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(1), next_due=None)
    assert again.new_events == ()
    # Identity ignores case and surrounding blanks, as timeline.event_identity says.
    reworded = ev(" 2026-11-21 10:00 ", "DEPARTURE FROM OUTWARD OFFICE OF EXCHANGE ", " shanghai")
    third = store.apply_tracking(trk([ARRIVED, reworded, POSTED]), checked_at=at(2),
                                 next_due=None)
    assert [e.description for e in third.new_events] == [ARRIVED.description]
    assert third.new_events[0].first_seen == at(2)
    assert [e.description for e in store.events(NUMBER)] == [
        ARRIVED.description, DEPARTED.description, POSTED.description]
    assert store.state(NUMBER).event_count == 3  # type: ignore[union-attr]


def test_duplicate_events_within_one_answer_are_stored_once(store: Store) -> None:
    result = store.apply_tracking(trk([DEPARTED, DEPARTED, POSTED]), checked_at=at(0),
                                  next_due=None)
    assert len(result.new_events) == 2
    assert len(store.events(NUMBER)) == 2


def test_events_are_ordered_by_utc_time_when_known(store: Store) -> None:
    # The provider lists them out of order; UTC times decide.
    store.apply_tracking(trk([POSTED, ARRIVED, DEPARTED]), checked_at=at(0), next_due=None)
    assert [e.description for e in store.events(NUMBER)] == [
        ARRIVED.description, DEPARTED.description, POSTED.description]
    assert store.state(NUMBER).last_event.description == ARRIVED.description  # type: ignore


def test_events_without_utc_keep_provider_order_and_late_ones_slot_in(store: Store) -> None:
    # Local times of different zones: the later event shows an earlier wall time.
    departed = ev("2026-11-21 23:00", "Departed Beijing", "Beijing")
    arrived = ev("2026-11-21 20:00", "Arrived Los Angeles", "Los Angeles")
    posted = ev("2026-11-20 09:00", "Posted", "Hangzhou")
    store.apply_tracking(trk([arrived, posted]), checked_at=at(0), next_due=None)
    late = store.apply_tracking(trk([arrived, departed, posted]), checked_at=at(1),
                                next_due=None)
    assert [e.description for e in late.new_events] == ["Departed Beijing"]
    assert [e.description for e in store.events(NUMBER)] == [
        "Arrived Los Angeles", "Departed Beijing", "Posted"]
    assert store.state(NUMBER).last_event.description == "Arrived Los Angeles"  # type: ignore
    newer = ev("2026-11-22 08:00", "Customs", "Los Angeles")
    store.apply_tracking(trk([newer, arrived]), checked_at=at(2), next_due=None)
    assert [e.description for e in store.events(NUMBER, limit=2)] == [
        "Customs", "Arrived Los Angeles"]


def test_events_limit_returns_the_newest(store: Store) -> None:
    store.apply_tracking(trk([ARRIVED, DEPARTED, POSTED]), checked_at=at(0), next_due=None)
    assert [e.description for e in store.events(NUMBER, limit=1)] == [ARRIVED.description]
    assert store.events("RR000000000XX") == []


# -- status --------------------------------------------------------------------------------


def test_first_result_reports_no_old_status_and_counts_as_change(store: Store) -> None:
    result = store.apply_tracking(trk([POSTED], Status.INFO_RECEIVED, Stage.POSTED),
                                  checked_at=at(0), next_due=at(1))
    assert result.old_status is None
    assert result.new_status is Status.INFO_RECEIVED
    assert result.status_changed and result.stage_changed and result.changed


def test_status_change_is_detected_and_same_answer_is_not_a_change(store: Store) -> None:
    store.apply_tracking(trk([POSTED], Status.INFO_RECEIVED, Stage.POSTED), checked_at=at(0),
                         next_due=None)
    moved = store.apply_tracking(trk([POSTED], Status.IN_TRANSIT, Stage.POSTED),
                                 checked_at=at(1), next_due=None)
    assert moved.old_status is Status.INFO_RECEIVED
    assert moved.status_changed and not moved.stage_changed and moved.changed
    same = store.apply_tracking(trk([POSTED], Status.IN_TRANSIT, Stage.POSTED),
                                checked_at=at(2), next_due=at(3))
    assert not same.status_changed and not same.changed
    state = store.state(NUMBER)
    assert state is not None
    assert state.last_changed == at(1) and state.last_checked == at(2)
    assert state.next_due == at(3)
    restaged = store.apply_tracking(trk([POSTED], Status.IN_TRANSIT, Stage.EXPORT),
                                    checked_at=at(4), next_due=None)
    assert restaged.stage_changed and not restaged.status_changed


def test_apply_stores_provider_raw_status_and_extra(store: Store) -> None:
    store.apply_tracking(trk([POSTED], raw_status="InTransit", raw_sub_status="InTransit_Other",
                             carriers=("3013", "21051"), fingerprint="abc"),
                         checked_at=at(0), next_due=None)
    state = store.state(NUMBER)
    assert state is not None
    assert (state.provider, state.raw_status, state.raw_sub_status) == (
        "ems", "InTransit", "InTransit_Other")
    assert state.extra == {"fingerprint": "abc", "carriers": "3013,21051"}
    assert (state.status, state.stage) == (Status.IN_TRANSIT, Stage.DEPARTED)


def test_record_error_keeps_events_and_status_until_next_success(store: Store) -> None:
    store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(0), next_due=None)
    store.record_error(NUMBER, kind="temporary", message="timed out", checked_at=at(1),
                       next_due=at(1.5), backoff_level=2)
    state = store.state(NUMBER)
    assert state is not None
    assert (state.last_error, state.error_kind, state.backoff_level) == ("timed out",
                                                                         "temporary", 2)
    assert state.status is Status.IN_TRANSIT and state.event_count == 2
    assert state.last_checked == at(1) and state.next_due == at(1.5)
    assert len(store.events(NUMBER)) == 2
    result = store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(2), next_due=None)
    assert not result.changed
    state = store.state(NUMBER)
    assert state is not None
    assert (state.last_error, state.error_kind, state.backoff_level) == (None, None, 0)


def test_apply_returns_the_stored_state_and_takes_the_due_time_from_it(store: Store) -> None:
    seen: list[tuple[Status, int]] = []

    def due(state: ParcelState) -> datetime:
        seen.append((state.status, state.event_count))
        return at(1 + state.event_count)

    store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
    result = store.apply_tracking(trk([DEPARTED]), checked_at=at(1), next_due=due)
    # The count is the store's (both events kept), not the length of this answer.
    assert seen == [(Status.IN_TRANSIT, 2)]
    assert result.state == store.state(NUMBER)
    assert result.state.next_due == at(3) and result.state.event_count == 2
    assert result.state.last_event is not None
    assert result.state.last_event.description == DEPARTED.description


def test_record_error_raises_or_keeps_the_stored_backoff_level_and_returns_the_state(
        store: Store) -> None:
    levels: list[int] = []

    def due(state: ParcelState) -> datetime:
        levels.append(state.backoff_level)
        return at(state.backoff_level)

    first = store.record_error(NUMBER, kind="temporary", message="a", checked_at=at(0),
                               next_due=due, bump_backoff=True)
    second = store.record_error(NUMBER, kind="temporary", message="b", checked_at=at(1),
                                next_due=due, bump_backoff=True)
    kept = store.record_error(NUMBER, kind="not_found", message="c", checked_at=at(2),
                              next_due=due)
    assert levels == [1, 2, 2]
    assert (first.backoff_level, second.backoff_level, kept.backoff_level) == (1, 2, 2)
    assert kept == store.state(NUMBER) and kept.next_due == at(2)
    assert kept.last_error == "c"


def test_error_before_any_result_leaves_status_unset(store: Store) -> None:
    store.record_error(NUMBER, kind="temporary", message="offline", checked_at=at(0),
                       next_due=None, backoff_level=1)
    state = store.state(NUMBER)
    assert state is not None and state.status is Status.UNKNOWN and state.first_seen == T0
    result = store.apply_tracking(trk([POSTED]), checked_at=at(1), next_due=None)
    assert result.old_status is None


def test_interrupted_apply_leaves_no_half_result(store: Store,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store.apply_tracking(trk([POSTED], Status.INFO_RECEIVED), checked_at=at(0), next_due=None)

    def interrupt(value: str) -> Status:
        raise KeyboardInterrupt

    # _status runs after the new events were inserted, inside the same transaction.
    monkeypatch.setattr(parcel_writes, "_status", interrupt)
    with pytest.raises(KeyboardInterrupt):
        store.apply_tracking(trk([ARRIVED, DEPARTED, POSTED]), checked_at=at(1), next_due=None)
    monkeypatch.undo()
    assert [e.description for e in store.events(NUMBER)] == [POSTED.description]
    state = store.state(NUMBER)
    assert state is not None and state.status is Status.INFO_RECEIVED
    assert state.last_checked == at(0) and state.event_count == 1


def test_set_next_due_creates_or_updates_the_parcel(store: Store) -> None:
    store.set_next_due(NUMBER, at(5))
    assert store.state(NUMBER).next_due == at(5)  # type: ignore[union-attr]
    store.set_next_due(NUMBER, None)
    assert store.state(NUMBER).next_due is None  # type: ignore[union-attr]


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.apply_tracking(trk([POSTED]), checked_at=datetime(2026, 11, 24), next_due=None)


# -- reading many --------------------------------------------------------------------------


def test_states_returns_requested_parcels_with_last_event(store: Store) -> None:
    store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(0), next_due=None)
    other = "RR123456785CN"
    store.apply_tracking(trk([], Status.NOT_FOUND, Stage.NONE, number=other),
                         checked_at=at(0), next_due=None)
    everything = store.states()
    assert set(everything) == {NUMBER, other}
    assert everything[NUMBER].last_event.description == DEPARTED.description  # type: ignore
    assert everything[other].last_event is None and everything[other].event_count == 0
    assert set(store.states([other, "CP000000000XX"])) == {other}
    assert store.states([]) == {}
    assert store.state("CP000000000XX") is None


def test_changed_since_lists_parcels_whose_status_or_events_changed(store: Store) -> None:
    a, b, c = "EA000000001CN", "EA000000002CN", "EA000000003CN"
    for number in (a, b, c):
        store.apply_tracking(trk([POSTED], number=number), checked_at=at(0), next_due=None)
    assert store.changed_since(None) == {a, b, c}
    store.apply_tracking(trk([DEPARTED, POSTED], number=a), checked_at=at(2), next_due=None)
    store.apply_tracking(trk([POSTED], Status.IN_CUSTOMS, number=b), checked_at=at(2),
                         next_due=None)
    store.apply_tracking(trk([POSTED], number=c), checked_at=at(2), next_due=None)  # same
    store.record_error(c, kind="temporary", message="x", checked_at=at(2), next_due=None,
                       backoff_level=1)
    assert store.changed_since(at(1)) == {a, b}
    assert store.changed_since(at(2)) == set()


# -- seen markers --------------------------------------------------------------------------


def test_unseen_counts_events_first_seen_after_the_user_looked(store: Store,
                                                               clock: FakeClock) -> None:
    store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(0), next_due=None)
    assert store.state(NUMBER).unseen_count == 2  # type: ignore[union-attr]  # never viewed
    clock.set(at(1))
    store.mark_seen(NUMBER)
    assert store.state(NUMBER).unseen_count == 0  # type: ignore[union-attr]
    store.apply_tracking(trk([ARRIVED, DEPARTED, POSTED]), checked_at=at(2), next_due=None)
    states = store.states()
    assert states[NUMBER].unseen_count == 1
    assert states[NUMBER].event_count == 3
    store.mark_seen(NUMBER, at=at(3))
    assert store.state(NUMBER).unseen_count == 0  # type: ignore[union-attr]


# -- registrations, meta, purge ------------------------------------------------------------


def test_registration_persists_across_reopen(db: Path, clock: FakeClock) -> None:
    with Store(db, clock=clock) as store:
        assert not store.is_registered(NUMBER, "17track")
        store.mark_registered(NUMBER, "17track", at=T0)
    with Store(db, clock=clock) as store:
        assert store.is_registered(NUMBER, "17track")
        assert not store.is_registered(NUMBER, "ems")
        assert not store.is_registered("RR123456785CN", "17track")


def test_meta_round_trips_and_overwrites(store: Store) -> None:
    assert store.get_meta("last_cycle") is None
    store.set_meta("last_cycle", "a")
    store.set_meta("last_cycle", "b")
    assert store.get_meta("last_cycle") == "b"


def test_purge_deletes_history_but_keeps_provider_registration(store: Store) -> None:
    store.apply_tracking(trk([DEPARTED, POSTED]), checked_at=at(0), next_due=None)
    store.mark_registered(NUMBER, "17track", at=T0)
    store.purge(NUMBER)
    assert store.state(NUMBER) is None and store.events(NUMBER) == []
    assert store.is_registered(NUMBER, "17track")
    again = store.apply_tracking(trk([POSTED]), checked_at=at(1), next_due=None)
    assert again.old_status is None and len(again.new_events) == 1


def test_purge_leaves_no_trace_of_the_number_but_keeps_other_parcels(store: Store) -> None:
    other = "EE000000001CN"
    for number in (NUMBER, other):
        store.apply_tracking(trk([POSTED], number=number), checked_at=at(0), next_due=None)
        store.set_meta(parcel_mark_key("auto_archived", number), "2026-11-24")
        outbox.record(store, f"{number}:delivered:x", ("command",), number, {}, now=at(0))
    store.claim_parcels([NUMBER, other], owner="me", lease=60, fresh_since=at(1),
                        others_since=at(1))
    store.set_meta("integrity.quick_check_at", "kept")
    store.purge(NUMBER)
    with store._read() as conn:
        for table, column in (("parcels", "number"), ("events", "number"),
                              ("parcel_claims", "number"), ("notifications", "number"),
                              ("meta", "key")):
            rows = conn.execute(f"SELECT {column} FROM {table}").fetchall()
            assert not [row for row in rows if NUMBER in row[0]], table
            assert [row for row in rows if other in row[0]], table
    assert store.get_meta("integrity.quick_check_at") == "kept"


# -- stored values -------------------------------------------------------------------------


def test_naive_and_aware_times_round_trip_faithfully(store: Store) -> None:
    naive = datetime(2026, 11, 21, 10, 0, 5)
    aware = datetime(2026, 11, 21, 18, 30, tzinfo=timezone(timedelta(hours=8)))
    store.apply_tracking(trk([
        ev("2026-11-21 18:30 +08:00", "Aware", local=aware, utc=aware.astimezone(UTC),
           code="EMD", status=Status.IN_TRANSIT, stage=Stage.DEPARTED),
        ev("2026-11-21 10:00:05", "Naive", local=naive),
    ]), checked_at=at(0), next_due=None)
    by_desc = {e.description: e for e in store.events(NUMBER)}
    assert by_desc["Naive"].time_local == naive and by_desc["Naive"].time_local.tzinfo is None
    assert by_desc["Naive"].time_utc is None
    restored = by_desc["Aware"]
    assert restored.time_local == aware
    assert restored.time_local.utcoffset() == timedelta(hours=8)  # type: ignore[union-attr]
    assert restored.time_utc == aware and restored.time_utc.tzinfo is UTC  # type: ignore
    assert (restored.code, restored.status, restored.stage, restored.provider) == (
        "EMD", Status.IN_TRANSIT, Stage.DEPARTED, "ems")
    assert restored.time_raw == "2026-11-21 18:30 +08:00"


def test_timestamps_are_stored_as_iso_utc_text(db: Path, clock: FakeClock) -> None:
    with Store(db, clock=clock) as store:
        local_noon = datetime(2026, 11, 24, 20, 0, tzinfo=timezone(timedelta(hours=8)))
        store.apply_tracking(trk([POSTED]), checked_at=local_noon, next_due=None)
    with sqlite3.connect(db) as raw:
        (checked,) = raw.execute("SELECT last_checked FROM parcels").fetchone()
    assert checked == "2026-11-24T12:00:00.000000+00:00"


def test_unknown_stored_enum_values_load_as_unknown(db: Path, clock: FakeClock) -> None:
    with Store(db, clock=clock) as store:
        store.apply_tracking(trk([ev("t", "d", status=Status.IN_TRANSIT, stage=Stage.EXPORT)]),
                             checked_at=at(0), next_due=None)
    with sqlite3.connect(db) as raw:  # as a newer emstui might have written them
        raw.execute("UPDATE parcels SET status = 'teleported', stage = 'orbit'")
        raw.execute("UPDATE events SET status = 'teleported', stage = 'orbit'")
    with Store(db, clock=clock) as store:
        state = store.state(NUMBER)
        assert state is not None
        assert (state.status, state.stage) == (Status.UNKNOWN, Stage.NONE)
        assert (state.last_event.status, state.last_event.stage) == (  # type: ignore
            Status.UNKNOWN, Stage.NONE)


def test_oversized_text_is_capped(store: Store) -> None:
    store.apply_tracking(trk([ev("t", "x" * 50_000, "y" * 50_000)]), checked_at=at(0),
                         next_due=None)
    store.record_error(NUMBER, kind="k" * 500, message="m" * 50_000, checked_at=at(1),
                       next_due=None, backoff_level=1)
    (event,) = store.events(NUMBER)
    assert len(event.description) == MAX_DESCRIPTION
    assert len(event.location) < 1000
    state = store.state(NUMBER)
    assert state is not None
    assert len(state.last_error) <= 2000 and len(state.error_kind) <= 64  # type: ignore


# -- files, schema, recovery ---------------------------------------------------------------


def test_opening_sets_user_version_and_wal_and_reopening_keeps_data(db: Path,
                                                                    clock: FakeClock) -> None:
    with Store(db, clock=clock) as store:
        store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
        assert store.recovered_from is None and store.recovery_message is None
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store(db, clock=clock) as store:
        assert len(store.events(NUMBER)) == 1
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_pending_migration_runs_once_on_open_and_keeps_data(
        db: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(db, clock=clock) as store:
        store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
    runs: list[int] = []

    def add_column(conn: sqlite3.Connection) -> None:
        runs.append(1)
        conn.execute("ALTER TABLE parcels ADD COLUMN colour TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, add_column])
    with Store(db, clock=clock) as store:
        assert len(store.events(NUMBER)) == 1
    with Store(db, clock=clock):
        pass
    assert runs == [1]
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert "colour" in [row[1] for row in raw.execute("PRAGMA table_info(parcels)")]


def test_failing_migration_leaves_the_file_as_it_was(
        db: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(db, clock=clock) as store:
        store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE parcels ADD COLUMN colour TEXT")
        conn.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, half_done])
    with pytest.raises(StoreError, match="no_such_table"):
        Store(db, clock=clock)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "colour" not in [row[1] for row in raw.execute("PRAGMA table_info(parcels)")]
    assert not list(db.parent.glob("*.corrupt-*"))


def test_file_from_a_newer_version_is_refused_and_untouched(db: Path, clock: FakeClock) -> None:
    with Store(db, clock=clock):
        pass
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="newer emstui"):
        Store(db, clock=clock)
    assert db.exists() and not list(db.parent.glob("*.corrupt-*"))


def test_unrelated_sqlite_file_is_refused_and_untouched(db: Path, clock: FakeClock) -> None:
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="not an emstui history file"):
        Store(db, clock=clock)
    with sqlite3.connect(db) as raw:
        assert [r[0] for r in raw.execute("SELECT name FROM sqlite_master")] == ["recipes"]


def test_garbage_file_is_moved_aside_and_a_new_store_built(db: Path, clock: FakeClock) -> None:
    db.parent.mkdir(parents=True)
    garbage = b"\x00\xffnot a database at all\x13\x37" * 200
    db.write_bytes(garbage)
    Path(f"{db}-wal").write_bytes(b"stale wal")
    with Store(db, clock=clock) as store:
        expected = db.with_name("history.sqlite3.corrupt-20261124T120000Z")
        assert store.recovered_from == expected
        assert expected.read_bytes() == garbage
        assert Path(f"{expected}-wal").read_bytes() == b"stale wal"
        assert store.recovery_message is not None
        assert str(db) in store.recovery_message and str(expected) in store.recovery_message
        assert "not a database" in store.recovery_message
        store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
    with Store(db, clock=clock) as store:
        assert store.recovered_from is None and len(store.events(NUMBER)) == 1


def test_damaged_pages_are_detected_and_moved_aside(db: Path, clock: FakeClock) -> None:
    with Store(db, clock=clock) as store:
        for i in range(60):
            store.apply_tracking(trk([ev(f"t{i}", "d" * 500)], number=f"EA{i:09d}CN"),
                                 checked_at=at(0), next_due=None)
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    data[4096:4096 * 6] = b"\xa5" * (4096 * 5)  # keep the header, scramble b-tree pages
    db.write_bytes(bytes(data))
    clock.advance(86400 + 1)  # the page check runs on open at most daily
    with Store(db, clock=clock) as store:
        assert store.recovered_from == db.with_name("history.sqlite3.corrupt-20261125T120001Z")
        assert store.states() == {}
    assert store.recovered_from.read_bytes() == bytes(data)  # type: ignore[union-attr]


def test_the_page_check_runs_on_open_at_most_daily_and_doctor_runs_the_full_one(
        db: Path, clock: FakeClock) -> None:
    with Store(db, clock=clock) as store:
        store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
        assert store.get_meta(INTEGRITY_CHECK_KEY) is not None
    first = Store(db, clock=clock)
    recorded = first.get_meta(INTEGRITY_CHECK_KEY)
    first.close()
    clock.advance(3600)
    with Store(db, clock=clock) as store:  # within the day: not checked again
        assert store.get_meta(INTEGRITY_CHECK_KEY) == recorded
        assert store.integrity_problems() == []
    clock.advance(86400)
    with Store(db, clock=clock) as store:
        assert store.get_meta(INTEGRITY_CHECK_KEY) != recorded


def test_two_processes_writing_at_once_lose_nothing(db: Path) -> None:
    script = Path(__file__).resolve().parents[1] / "store_writer_proc.py"
    count = 200
    procs = [subprocess.Popen([sys.executable, str(script), str(db), tag, str(count)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for tag in ("EA", "EB")]
    for proc in procs:  # release both writers together onto the same fresh file
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == f"done {count}"
    with Store(db) as store:
        states = store.states()
        assert {n for n in states if n != "SHARED0000"} == (
            {f"EA{i:05d}" for i in range(count)} | {f"EB{i:05d}" for i in range(count)})
        assert all(s.event_count == 1 for n, s in states.items() if n != "SHARED0000")
        assert states["SHARED0000"].event_count == 2 * count
        assert len(store.events("SHARED0000")) == 2 * count
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_memory_store_works_without_a_file(tmp_path: Path, clock: FakeClock) -> None:
    with Store.open_memory(clock=clock) as store:
        result = store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
        assert result.changed and store.state(NUMBER) is not None
    assert not list(tmp_path.rglob("*.sqlite3"))


# -- one timeline across sources ---------------------------------------------------------------

CET = timezone(timedelta(hours=1))
ARRIVAL_17 = Event(time_raw="2026-11-14T07:15:00+01:00",
                   description="Arrival at inward office of exchange", location="FRANKFURT, DE",
                   provider="17track:Deutsche Post",
                   time_local=datetime(2026, 11, 14, 7, 15, tzinfo=CET),
                   time_utc=datetime(2026, 11, 14, 6, 15, tzinfo=UTC), code="EMD")
ARRIVAL_EMS = Event(time_raw="Nov 14, 2026, 7:15 AM",
                    description="Arrived at destination import office", location="FRANKFURT",
                    provider="ems", time_local=datetime(2026, 11, 14, 7, 15), code="EMD")
DEPARTURE_EMS = Event(time_raw="Nov 14, 2026, 2:10 PM",
                      description="Departed from destination import office", location="FRANKFURT",
                      provider="ems", time_local=datetime(2026, 11, 14, 14, 10), code="EMF")


def test_a_scan_seen_through_17track_then_the_ems_tracker_is_stored_once_with_both_sources(
        store: Store) -> None:
    store.apply_tracking(Tracking(NUMBER, "17track", Status.IN_TRANSIT, Stage.ARRIVED,
                                  (ARRIVAL_17,)), checked_at=at(0), next_due=None)
    result = store.apply_tracking(Tracking(NUMBER, "ems", Status.IN_TRANSIT, Stage.CUSTOMS,
                                           (DEPARTURE_EMS, ARRIVAL_EMS)),
                                  checked_at=at(1), next_due=None)
    assert [e.description for e in result.new_events] == [DEPARTURE_EMS.description]
    events = store.events(NUMBER)
    assert [e.description for e in events] == [DEPARTURE_EMS.description,
                                               ARRIVAL_17.description]
    assert events[1].reported_by == ("17track:Deutsche Post", "ems")
    assert events[0].reported_by == ("ems",)
    assert store.state(NUMBER).event_count == 2  # type: ignore[union-attr]
    # Asking again changes nothing: the source is not added twice.
    again = store.apply_tracking(Tracking(NUMBER, "ems", Status.IN_TRANSIT, Stage.CUSTOMS,
                                          (DEPARTURE_EMS, ARRIVAL_EMS)),
                                 checked_at=at(2), next_due=None)
    assert again.new_events == ()
    assert store.events(NUMBER)[1].reported_by == ("17track:Deutsche Post", "ems")


def _v1_file(path: Path, rows: list[tuple[str, int, int, str, str, str, str, str]]) -> None:
    """A history file as emstui wrote it before v2: one row per (source, scan) pair."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    store_module.MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO parcels (number, status, stage, first_seen, event_count) "
                 "VALUES (?, 'in_transit', 'customs', '2026-11-14T00:00:00.000000+00:00', ?)",
                 (NUMBER, len(rows)))
    for i, (first_seen, seq, pos, time_raw, time_local, description, location, provider) \
            in enumerate(rows):
        conn.execute(
            "INSERT INTO events (number, ident, seq, pos, time_raw, time_local, location, "
            "description, provider, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (NUMBER, bytes([i]) * 16, seq, pos, time_raw, time_local, location, description,
             provider, first_seen))
    conn.close()


def test_migration_merges_scans_stored_twice_by_two_sources_and_keeps_order(
        db: Path, clock: FakeClock) -> None:
    _v1_file(db, [
        # first seen, seq, pos, time, wall time, description, location, provider
        ("2026-11-14T08:00:00.000000+00:00", 1, 3, "2026-11-14T07:15:00+01:00",
         "2026-11-14T07:15:00+01:00", "Arrival at inward office of exchange", "FRANKFURT, DE",
         "17track:Deutsche Post"),
        ("2026-11-14T09:00:00.000000+00:00", 2, 2, "Nov 14, 2026, 7:15 AM",
         "2026-11-14T07:15:00", "Arrived at destination import office", "FRANKFURT", "ems"),
        ("2026-11-14T16:00:00.000000+00:00", 3, 1, "Nov 14, 2026, 2:10 PM",
         "2026-11-14T14:10:00", "Departed from destination import office", "FRANKFURT", "ems"),
        ("2026-11-14T16:00:00.000000+00:00", 4, 0, "Nov 15, 2026, 8:00 AM",
         "2026-11-15T08:00:00", "Arrived at post office", "BERLIN", "ems"),
    ])
    with Store(db, clock=clock) as opened:
        events = opened.events(NUMBER)
        assert [e.description for e in events] == [
            "Arrived at post office", "Departed from destination import office",
            "Arrival at inward office of exchange"]
        assert events[2].reported_by == ("17track:Deutsche Post", "ems")
        assert events[0].reported_by == ("ems",)
        state = opened.state(NUMBER)
        assert state is not None and state.event_count == 3
        assert state.last_event is not None and state.last_event.description == (
            "Arrived at post office")
        # The merged keys are the current ones: the same scans applied again are not new.
        result = opened.apply_tracking(
            Tracking(NUMBER, "ems", Status.IN_TRANSIT, Stage.CUSTOMS,
                     (DEPARTURE_EMS, ARRIVAL_EMS)), checked_at=at(1), next_due=None)
        assert result.new_events == ()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = conn.execute("SELECT seq, pos FROM events ORDER BY pos").fetchall()
        assert rows == [(3, 0), (2, 1), (1, 2)]
    finally:
        conn.close()
FACTS = ShipmentFacts(
    eta_from=datetime(2026, 11, 27, tzinfo=timezone(timedelta(hours=1))),
    eta_to=datetime(2026, 11, 30), eta_source="17TRACK", origin_country="CN",
    destination_country="DE", local_number=NUMBER, local_provider="DHL Paket",
    sub_status_text="Arrived", sync_status="Success", sync_time=at(-3), sync_carrier="DHL Paket")


def test_shipment_facts_round_trip_and_a_source_without_facts_keeps_them(store: Store) -> None:
    assert store.state(NUMBER) is None
    store.apply_tracking(trk([POSTED]), checked_at=at(0), next_due=None)
    state = store.state(NUMBER)
    assert state is not None and state.facts is None  # no source ever reported facts
    store.apply_tracking(trk([POSTED], facts=FACTS), checked_at=at(1), next_due=None)
    assert store.state(NUMBER).facts == FACTS  # type: ignore[union-attr]
    store.apply_tracking(trk([POSTED, DEPARTED]), checked_at=at(2), next_due=None)
    assert store.state(NUMBER).facts == FACTS  # type: ignore[union-attr]
    store.record_error(NUMBER, kind="temporary", message="down", checked_at=at(3),
                       next_due=None, backoff_level=1)
    assert store.state(NUMBER).facts == FACTS  # type: ignore[union-attr]
    withdrawn = ShipmentFacts(destination_country="DE")  # e.g. the window was withdrawn
    store.apply_tracking(trk([POSTED, DEPARTED], facts=withdrawn), checked_at=at(4),
                         next_due=None)
    state = store.state(NUMBER)
    assert state is not None and state.facts == withdrawn
    assert state.last_event is not None and state.last_event.description == DEPARTED.description


def test_a_naive_sync_time_is_stored_as_utc_and_oversized_facts_are_capped(
        store: Store) -> None:
    huge = "x" * 10_000
    facts = ShipmentFacts(sync_time=datetime(2026, 11, 24, 9), local_provider=huge,
                          sub_status_text=huge, origin_country=huge)
    store.apply_tracking(trk([POSTED], facts=facts), checked_at=at(0), next_due=None)
    stored = store.state(NUMBER).facts  # type: ignore[union-attr]
    assert stored is not None
    assert stored.sync_time == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert len(stored.local_provider or "") == len(stored.sub_status_text or "") == 200
    assert len(stored.origin_country or "") == 64


def test_a_file_from_before_the_facts_step_gains_them_and_keeps_its_data(
        db: Path, clock: FakeClock) -> None:
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as raw:
        store_module.MIGRATIONS[0](raw)
        raw.execute("INSERT INTO parcels (number, status, stage, first_seen) "
                    "VALUES (?, 'in_transit', 'departed', ?)", (NUMBER, at(0).isoformat()))
        raw.execute("PRAGMA user_version = 1")
    with Store(db, clock=clock) as store:
        state = store.state(NUMBER)
        assert state is not None and state.status is Status.IN_TRANSIT and state.facts is None
        store.apply_tracking(trk([POSTED], facts=FACTS), checked_at=at(1), next_due=None)
    with Store(db, clock=clock) as store:
        assert store.state(NUMBER).facts == FACTS  # type: ignore[union-attr]


def test_stage_times_read_on_a_connection_of_their_own(db: Path, clock: FakeClock) -> None:
    """The monitor reads them from a thread while its loop writes: they must not wait for (or
    hold) the store's lock, so a thread holding it blocks nothing here."""
    store = Store(db, clock=clock)
    store.apply_tracking(trk([ev("2026-11-20 10:00", "Posting")]), checked_at=at(1),
                         next_due=None)
    held, release, found = threading.Event(), threading.Event(), []

    def hold() -> None:
        with store._read():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    reader = threading.Thread(target=lambda: found.extend(store.stage_times()))
    reader.start()
    reader.join(5)
    done = not reader.is_alive()
    release.set()
    holder.join()
    reader.join()
    store.close()
    assert done, "stage_times waited for the store's lock"
    assert [row.number for row in found] == [NUMBER]
