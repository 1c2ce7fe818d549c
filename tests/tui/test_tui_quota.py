"""The 17TRACK quota in the monitor's header: remembered across processes, asked at most hourly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apphelpers import World, drain, make_world, running, screen_text

from emstui.present import quota
from emstui.providers.seventeentrack import SeventeenTrackProvider
from emstui.store import Store


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        yield w


def quota_calls(world: World) -> int:
    return sum(1 for r in world.sim.requests if r.path.endswith("/getquota"))


async def ask_from_another_process(world: World) -> None:
    """What cron's `--once` leaves behind: a quota answer in the shared store."""
    services = world.services()
    try:
        source = quota.source_of(services.providers)
        assert isinstance(source, SeventeenTrackProvider)
        with Store(world.store_path, clock=world.clock) as cron_store:
            await quota.refresh_if_due(cron_store, source, world.clock.now())
    finally:
        await services.aclose()


async def test_header_shows_the_quota_another_process_asked_for_without_asking_again(
        world: World) -> None:
    await ask_from_another_process(world)
    assert quota_calls(world) == 1
    async with running(world) as (app, _pilot):
        header = app.main.header.build().plain
        assert "quota 10000" in header  # asked before this pass registered anything
        app.main.check_quota()  # within the hour: the remembered answer stands
        await app.workers.wait_for_complete()
        assert quota_calls(world) == 1


async def test_header_warns_when_the_quota_runs_low(world: World) -> None:
    world.sim.track17.set_quota(len(world.parcels) + 8)
    async with running(world) as (app, pilot):  # the first pass registers every parcel
        assert "quota" not in app.main.header.build().plain
        app.main.check_quota()
        await app.workers.wait_for_complete()
        await drain(pilot)
        assert quota_calls(world) == 1
        assert "quota 8 left!" in screen_text(app).splitlines()[0]


async def test_header_says_when_the_quota_is_used_up(world: World) -> None:
    world.sim.track17.set_quota(len(world.parcels))
    async with running(world) as (app, pilot):
        app.main.check_quota()
        await app.workers.wait_for_complete()
        await drain(pilot)
        assert "quota used up" in screen_text(app).splitlines()[0]
