"""The refresh engine with the real providers over loopback against emstui.sim."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from emstui.core.clock import SystemClock
from emstui.core.model import Status
from emstui.core.s10 import make_number
from emstui.engine.engine import EngineSettings, RefreshEngine, WatchItem
from emstui.providers import make_provider
from emstui.sim import SimServer
from emstui.store import Store

KEY = "test-key-1234567890"


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(api_key=KEY, quota=10_000) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "history.sqlite3")
    yield s
    s.close()


def numbers(n: int) -> list[str]:
    return [make_number("EE", f"{40_000_000 + i:08d}", "CN") for i in range(n)]


def engine_for(sim: SimServer, store: Store, watch: list[str], *, order=("17track", "ems"),
               key: str | None = KEY) -> RefreshEngine:
    clock = SystemClock()
    providers = {}
    for pid in order:
        base = sim.url_17track if pid == "17track" else sim.url_ems
        provider = make_provider(pid, clock=clock, registrations=store, api_key=key,
                                 base_url=base, timeout=5.0)
        if provider is not None:
            providers[pid] = provider
    return RefreshEngine(store=store, providers=providers, clock=clock,
                         settings=EngineSettings(order=tuple(order)),
                         watch=[WatchItem(n) for n in watch])


async def test_engine_never_causes_a_429_from_17track(sim: SimServer, store: Store) -> None:
    watch = numbers(90)  # three batches: register + gettrackinfo each, six requests at 3/s
    engine = engine_for(sim, store, watch)
    try:
        report = await engine.refresh()
    finally:
        for p in engine.providers.values():
            await p.aclose()
    statuses = [r.status for r in sim.requests]
    assert 429 not in statuses
    assert len(statuses) == 6
    assert report.refreshed == set(watch)
    states = store.states(watch)
    assert all(s.provider == "17track" for s in states.values())


async def test_parcels_get_the_status_the_simulator_journey_implies(sim: SimServer,
                                                                    store: Store) -> None:
    delivered, customs = numbers(2)
    now = sim.sim_now()

    sim.journeys.assign(delivered, "normal", posted_at=now - timedelta(days=20))
    sim.journeys.assign(customs, "customs_hold", posted_at=now - timedelta(days=6))
    engine = engine_for(sim, store, [delivered, customs])
    try:
        await engine.refresh()
    finally:
        for p in engine.providers.values():
            await p.aclose()
    assert store.state(delivered).status is Status.DELIVERED
    assert store.state(customs).status is Status.IN_CUSTOMS
    assert store.events(delivered)[0].description


async def test_17track_outage_falls_back_to_the_ems_tracker(sim: SimServer,
                                                            store: Store) -> None:
    watch = numbers(2)
    sim.faults.set_error_rate(1.0, statuses=(503,), protocol="17track")
    engine = engine_for(sim, store, watch)
    try:
        report = await engine.refresh()
    finally:
        for p in engine.providers.values():
            await p.aclose()
    assert report.refreshed == set(watch)
    assert {s.provider for s in store.states(watch).values()} == {"ems"}
    assert engine.health()["17track"].state == "backoff"
    assert engine.health()["ems"].state == "ok"


@pytest.mark.parametrize("http_date", [False, True])
async def test_429_retry_after_in_either_form_sets_the_next_attempt(sim: SimServer, store: Store,
                                                                    http_date: bool) -> None:
    watch = numbers(1)
    sim.faults.burst_429(1, retry_after=120, http_date=http_date, protocol="17track")
    engine = engine_for(sim, store, watch, order=("17track",))
    try:
        before = engine.clock.now()
        report = await engine.refresh()
    finally:
        for p in engine.providers.values():
            await p.aclose()
    assert watch[0] in report.failed
    until = engine.health()["17track"].until
    assert until is not None
    waited = (until - before).total_seconds()
    assert 118 <= waited <= 122  # an HTTP date has one-second resolution
    request = engine.request_refresh(watch)
    assert request.waiting[watch[0]] == until
