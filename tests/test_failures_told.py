"""Every failure told once, specifically: a recovered history, a key no header can carry, a full
disk under the store, and the retry time of a provider that is backing off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clihelpers import cli

from emstui.cli.exitcodes import ExitCode
from emstui.config import paths
from emstui.core.clock import FakeClock
from emstui.core.model import Event, Stage, Status, Tracking
from emstui.engine.engine import RefreshEngine
from emstui.sim.server import SimServer
from emstui.store import Store, StoreFullError
from tests.cli.test_once import DELIVERED, once, write_config

# ---- a damaged history ------------------------------------------------------------------------


def test_list_on_a_damaged_history_says_where_it_went_and_the_next_once_says_it_once(
        isolated_home: Path) -> None:
    config = paths.config_path(None)
    config.parent.mkdir(parents=True, exist_ok=True)
    with SimServer(rate_limit=0, clock=FakeClock()) as sim:
        sim.journeys.assign(DELIVERED, "normal", posted_at=sim.sim_now() - timedelta(days=20))
        write_config(config, sim, [DELIVERED])
        store_file = paths.store_path()
        store_file.parent.mkdir(parents=True, exist_ok=True)
        store_file.write_bytes(b"garbage, not a database")

        code, out, err = cli("list")
        assert code == 0 and out.startswith(DELIVERED)
        (line,) = err.splitlines()
        moved = next(store_file.parent.glob(store_file.name + ".corrupt-*"))
        assert str(store_file) in line and f"moved to {moved}" in line
        assert cli("list")[2] == ""  # told once to the command line

        clock = FakeClock()
        first = once(config, clock)
        assert first.code == 0 and f"moved to {moved}" in first.err
        again = once(config, clock)
        assert f"moved to {moved}" not in again.err  # told once to --once too


def test_the_monitor_is_told_of_a_recovered_history_once(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    db.write_bytes(b"not a database")
    with Store(db) as store:
        notice = store.take_recovery_notice("cli")
        assert notice and "moved to" in notice
    with Store(db) as store:
        assert store.take_recovery_notice("cli") is None
        assert store.take_recovery_notice("monitor") == notice
        assert store.take_recovery_notice("monitor") is None
        assert store.take_recovery_notice("once") == notice


# ---- API keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "what"), [("abc\ndef", "a line break"),
                                            ("abc\x01def", "a space or control character"),
                                            ("clé-123", "a non-ASCII character")])
def test_a_key_from_the_environment_no_header_can_carry_is_a_config_error_naming_it(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch, key: str, what: str) -> None:
    config = paths.config_path(None)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[providers.17track]\napi_key_env = "MY_KEY"\n', encoding="utf-8")
    monkeypatch.setenv("MY_KEY", key)
    for argv in (["--once"], ["list"]):
        code, _out, err = cli(*argv)
        assert code == ExitCode.USAGE
        (line,) = err.splitlines()
        assert "providers.17track.api_key_env" in line and "MY_KEY" in line and what in line
        assert key not in line and "network" not in line


def test_a_key_in_the_file_with_a_nul_is_a_config_error_without_the_key(
        isolated_home: Path) -> None:
    config = paths.config_path(None)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[providers.17track]\napi_key = "sec\\u0000ret"\n', encoding="utf-8")
    code, _out, err = cli("--once")
    assert code == ExitCode.USAGE
    assert "providers.17track.api_key" in err and "a NUL character" in err
    assert "sec" not in err.replace("second", "")


def test_a_bad_key_in_the_environment_without_a_config_file_is_still_named(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMSTUI_17TRACK_KEY", "ключ")
    code, _out, err = cli("list")
    assert code == ExitCode.USAGE
    assert "EMSTUI_17TRACK_KEY" in err and "non-ASCII" in err


# ---- a full disk --------------------------------------------------------------------------------


def tracking(number: str, n: int) -> Tracking:
    events = tuple(Event(time_raw=f"t{i}", description="x" * 1500, location="L", provider="ems",
                         time_utc=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=i))
                   for i in range(n))
    return Tracking(number, "ems", Status.IN_TRANSIT, Stage.DEPARTED, events=events)


def test_a_full_disk_is_a_store_full_error_and_loses_nothing_stored(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    clock = FakeClock()
    with Store(db, clock=clock) as store:
        store.apply_tracking(tracking("EE000000001CN", 3), checked_at=clock.now(), next_due=None)
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLite: "disk is full"
        with pytest.raises(StoreFullError) as caught:
            store.apply_tracking(tracking("EE000000002CN", 50), checked_at=clock.now(),
                                 next_due=None)
        assert "is full" in str(caught.value) and "nothing already stored was lost" in \
            str(caught.value)
    with Store(db, clock=clock) as store:
        assert store.state("EE000000001CN") is not None
        assert len(store.events("EE000000001CN")) == 3
        assert store.state("EE000000002CN") is None  # the failed write left nothing half-done


def test_disk_full_has_its_own_documented_exit_code() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"| {int(ExitCode.DISK_FULL)} | the disk holding the history database is full" \
        in readme


# ---- the retry time ------------------------------------------------------------------------------


def test_a_long_provider_message_never_cuts_off_the_retry_time(tmp_path: Path) -> None:
    from emstui.providers.base import RateLimitedError
    from emstui.providers.ems import EmsProvider

    clock = FakeClock()
    with Store(tmp_path / "h.sqlite3", clock=clock) as store:
        provider = EmsProvider(clock=clock, base_url="http://127.0.0.1:9/x")
        engine = RefreshEngine(store=store, providers={"ems": provider}, clock=clock)
        slot = engine._slots["ems"]
        engine._provider_failed(slot, RateLimitedError("ems", "rate limited " + "y" * 900,
                                                       retry_after=3600))
        reason = engine._why_waiting(["ems"])
    until = (clock.now() + timedelta(hours=1)).isoformat(timespec="seconds")
    assert reason.endswith(f"; next attempt at {until}")
    assert len(reason) < 300
