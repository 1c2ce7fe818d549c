"""`emstui --demo` wiring: the simulator's parcels, its compressed clock, a throwaway config."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emstui.config import load_config
from emstui.core.model import Status
from emstui.services import build_services
from emstui.sim import SimServer
from emstui.tui.app import EmstuiApp
from emstui.tui.run import DEMO_KEY, DEMO_TIME_SCALE, SimulatedClock, demo_config_text


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(api_key=DEMO_KEY, quota=1000, time_scale=DEMO_TIME_SCALE,
                   rate_limit=0) as server:
        yield server


def test_simulated_clock_tells_the_simulators_time_not_the_machines() -> None:
    epoch = datetime(2020, 1, 1, tzinfo=UTC)
    with SimServer(api_key=DEMO_KEY, time_scale=DEMO_TIME_SCALE, epoch=epoch,
                   rate_limit=0) as server:
        now = SimulatedClock(server).now()
    assert epoch <= now < epoch + timedelta(days=1)


async def test_demo_sleep_is_compressed(sim: SimServer) -> None:


    clock = SimulatedClock(sim)
    started = time.monotonic()
    await clock.sleep(60.0)  # one simulated minute: about 42 real milliseconds
    assert time.monotonic() - started < 1.0


async def test_demo_config_tracks_every_demo_parcel_on_the_simulator(sim: SimServer,
                                                                     tmp_path: Path) -> None:
    demo = sim.load_demo()
    config_file = tmp_path / "config.toml"
    config_file.write_text(demo_config_text(sim, demo), encoding="utf-8")
    config = load_config(config_file)
    assert [p.number for p in config.parcels] == [number for number, _, _ in demo]
    assert not [w for w in config.warnings if "API key" not in w]
    services = build_services(config=config, clock=SimulatedClock(sim),
                              store_path=tmp_path / "history.sqlite3")
    try:
        report = await services.engine.refresh()
    finally:
        for provider in services.providers.values():
            await provider.aclose()
    assert report.refreshed == {number for number, _, _ in demo}
    states = services.store.states()
    statuses = {states[number].status for number, _, _ in demo}
    assert {Status.DELIVERED, Status.IN_CUSTOMS}.issubset(statuses)

    app = EmstuiApp(services, config_file=config_file, start_engine=False,
                    watch_config=False)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        assert app.main.table.row_count == len(demo)
    services.store.close()
