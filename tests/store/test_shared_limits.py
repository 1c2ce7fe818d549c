"""Limits kept across processes: real `emstui --once` processes against the simulator on loopback.

Each test starts separate Python processes sharing one history store, as cron and a user (or two
overlapping cron runs) would.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emstui.config import paths
from emstui.core.clock import FakeClock
from emstui.core.s10 import make_number
from emstui.sim.server import SimServer
from emstui.store import ProviderPause, Store
from emstui.store.shared_limits import SharedLimits, settings_token
from tests.cli.test_once import shell_env, write_config

ONCE_PROC = Path(__file__).resolve().parents[1] / "once_proc.py"
PARCELS = [make_number("EE", f"{n:08d}", "CN") for n in range(40, 44)]


def start_once(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "emstui", "--once", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=shell_env(home))


def start_together(home: Path, count: int, *args: str) -> list[subprocess.Popen[str]]:
    """`count` processes of `emstui --once ARGS`, released at the same moment."""
    procs = [subprocess.Popen([sys.executable, str(ONCE_PROC), "--once", *args],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=shell_env(home))
             for _ in range(count)]
    for proc in procs:  # each is ready once it reads: both lines go out back to back
        assert proc.stdin is not None
        proc.stdin.write("go\n")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.flush()
    return procs


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=60)  # closes stdin too
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


def gap_seconds(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def ems_requests(server: SimServer) -> list[datetime]:
    return [r.time for r in server.requests if r.protocol == "ems"]


def test_a_retry_after_of_an_hour_is_kept_by_the_next_runs_which_say_when(tmp_path: Path) -> None:
    with SimServer(rate_limit=0) as server:
        server.journeys.assign(PARCELS[0], "normal",
                               posted_at=server.sim_now() - timedelta(days=3))
        write_config(tmp_path / "config.toml", server, [PARCELS[0]])
        server.faults.burst_429(5, retry_after=3600, protocol="ems")
        runs = [finish(start_once(tmp_path)) for _ in range(3)]
        asked = ems_requests(server)
    assert len(asked) == 1  # one request in total: the second and third runs waited
    retry_times = set()
    for code, out, err in runs:
        assert code == 1, err
        assert PARCELS[0] in out
        (line,) = [ln for ln in err.splitlines() if ln.startswith("emstui: ems:")]
        assert "rate limited (HTTP 429)" in line
        when = datetime.fromisoformat(line.rsplit("next attempt at ", 1)[1])
        retry_times.add(when)
        assert "Traceback" not in err
    (when,) = retry_times  # every run names the same moment, an hour after the 429
    assert timedelta(minutes=59) < when - asked[0] <= timedelta(hours=1, seconds=5)


def test_two_once_all_started_together_share_the_ems_politeness_and_split_the_parcels(
        tmp_path: Path) -> None:
    with SimServer(rate_limit=0) as server:
        for number in PARCELS:
            server.journeys.assign(number, "normal",
                                   posted_at=server.sim_now() - timedelta(days=20))
        write_config(tmp_path / "config.toml", server, PARCELS)
        procs = start_together(tmp_path, 2, "--all", "--json")
        results = [finish(proc) for proc in procs]
        records = [r for r in server.requests if r.protocol == "ems"]
    with Store(tmp_path / "data" / paths.STORE_FILENAME) as store:
        starts = store.request_starts("ems")
    for code, out, err in results:
        assert code == 0, err
        statuses = {p["number"]: p["status"] for p in json.loads(out)["parcels"]}
        assert statuses == dict.fromkeys(PARCELS, "delivered")  # both print fresh data
    asked = sorted(n for r in records for n in r.numbers)
    assert asked == sorted(PARCELS)  # each parcel refreshed once, by one of the two
    # Never more than one request per second between them, as the server saw them (each
    # starts a second after the previous one ended) ...
    assert min(gap_seconds(sorted(r.time for r in records))) >= 1.0
    # ... and both processes did share the work, through one request log.
    assert len(starts) == len(PARCELS) and len({owner for _, owner in starts}) == 2


def test_a_pause_for_a_rejected_key_ends_when_the_key_changes(tmp_path: Path) -> None:
    clock = FakeClock()
    with Store(tmp_path / "h.sqlite3", clock=clock) as store:
        old = SharedLimits(store, owner="a", tokens={"17track": settings_token("17track", "k1")},
                           timeout=20)
        old.pause("17track", kind="auth", message="key rejected", until=None, failures=0,
                  now=clock.now())
        assert set(old.pauses(clock.now())) == {"17track"}
        new = SharedLimits(store, owner="b", tokens={"17track": settings_token("17track", "k2")},
                           timeout=20)
        assert new.pauses(clock.now()) == {}
        clock.advance(25 * 3600)  # and a stale one lapses after a day whatever happens
        assert old.pauses(clock.now()) == {}


def test_a_longer_pause_stored_by_another_process_is_not_shortened(tmp_path: Path) -> None:
    clock = FakeClock()
    with Store(tmp_path / "h.sqlite3", clock=clock) as store:
        limits = SharedLimits(store, owner="a", tokens={}, timeout=20)
        now = clock.now()
        limits.pause("ems", kind="backoff", message="429", until=now + timedelta(hours=1),
                     failures=1, now=now)
        limits.pause("ems", kind="backoff", message="503", until=now + timedelta(minutes=1),
                     failures=2, now=now)
        (pause,) = limits.pauses(now).values()
        assert pause.until == now + timedelta(hours=1) and pause.message == "429"


def test_claims_give_each_parcel_to_one_process_and_fresh_ones_to_nobody(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 12, tzinfo=UTC))
    with Store(tmp_path / "h.sqlite3", clock=clock) as store:
        a = SharedLimits(store, owner="a", tokens={}, timeout=20)
        b = SharedLimits(store, owner="b", tokens={}, timeout=20)
        start = clock.now()
        assert a.claim(["X1", "X2"], fresh_since=start).claimed == ("X1", "X2")
        got = b.claim(["X1", "X3"], fresh_since=start)
        assert got.claimed == ("X3",) and got.busy == ("X1",)
        assert b.busy_elsewhere(["X1", "X2", "X3"]) == {"X1", "X2"}
        clock.advance(1)
        a.release(["X1", "X2"])
        assert b.busy_elsewhere(["X1", "X2"]) == set()
        # b started its pass 5 s after a finished X1: still a's work, not b's to repeat.
        clock.advance(5)
        assert b.claim(["X1"], fresh_since=clock.now()).fresh == ("X1",)
        # A parcel anyone checked after the pass began is fresh too.
        store.record_error("X2", kind="temporary", message="m", checked_at=clock.now(),
                           next_due=None, backoff_level=1)
        assert b.claim(["X2"], fresh_since=start).fresh == ("X2",)
        clock.advance(20)  # a refresh finished well before the pass does not stop a new one
        assert b.claim(["X1", "X3"], fresh_since=clock.now()).claimed == ("X1", "X3")
        # b "crashes" holding X1 and X3: its claims run out with the lease (timeout + 30 s).
        assert a.claim(["X1", "X3"], fresh_since=clock.now()).busy == ("X1", "X3")
        clock.advance(51)
        assert a.claim(["X1", "X3"], fresh_since=clock.now()).claimed == ("X1", "X3")


def test_a_new_engine_on_the_store_starts_with_the_stored_pause_and_asks_nothing(
        tmp_path: Path) -> None:
    from emstui.config import load_config
    from emstui.services import build_services

    clock = FakeClock()
    with SimServer(rate_limit=0, clock=clock) as server:
        server.journeys.assign(PARCELS[0], "normal",
                               posted_at=server.sim_now() - timedelta(days=3))
        write_config(tmp_path / "config.toml", server, [PARCELS[0]])
        server.faults.burst_429(5, retry_after=3600, protocol="ems")

        def services() -> Any:
            return build_services(config=load_config(tmp_path / "config.toml"),
                                  store_path=tmp_path / "h.sqlite3", clock=clock)

        async def one_pass() -> tuple[Any, Any]:
            built = services()
            try:
                return built.engine.health()["ems"], await built.engine.refresh()
            finally:
                await built.aclose()

        _, first = asyncio.run(one_pass())
        clock.advance(60)
        health, second = asyncio.run(one_pass())  # the monitor starting a minute later
        asked = ems_requests(server)
    assert first.requests == 1 and second.requests == 0 and len(asked) == 1
    assert health.state == "backoff" and "429" in health.message
    assert health.until == clock.now() - timedelta(seconds=60) + timedelta(hours=1)
    assert "next attempt at" in second.failed[PARCELS[0]]


def test_records_from_before_the_clock_was_set_back_do_not_hold_anything(tmp_path: Path) -> None:
    """A request, pause or check stamped a year ahead (the clock was set back since, or another
    process ran on another clock) must not block requests or pass for fresh until then."""
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    ahead, behind = FakeClock(now + timedelta(days=365)), FakeClock(now)
    number = make_number("EE", "00000042", "CN")
    path = tmp_path / "history.sqlite3"
    with Store(path, clock=ahead) as store:
        store.take_request_slot("ems", owner="a", limit=1, window=1.0, min_interval=1.0,
                                concurrency=1, lease=30.0, margin=0.1)
        store.set_provider_pause(ProviderPause("ems", "backoff", "slow down",
                                               until=ahead.now() + timedelta(hours=1)))
        store.record_error(number, kind="offline", message="x", checked_at=ahead.now(),
                           next_due=None, backoff_level=0)
    with Store(path, clock=behind) as store:
        wait, slot = store.take_request_slot("ems", owner="b", limit=1, window=1.0,
                                             min_interval=1.0, concurrency=1, lease=30.0,
                                             margin=0.1)
        assert (wait, slot is not None) == (0.0, True)
        assert store.provider_pauses() == {}
        claims = store.claim_parcels([number], owner="b", lease=30.0,
                                     fresh_since=behind.now() - timedelta(seconds=1),
                                     others_since=behind.now() - timedelta(seconds=10))
        assert claims.claimed == (number,)
