"""Screenshots of the monitor with the demo's twelve parcels, compared with stored SVGs.

Everything shown is fixed: the simulator's journeys are posted at fixed times before a fixed
epoch, the store is filled by one engine pass at that epoch, and the app's clock is a FakeClock
five minutes later. Regenerate with `pytest tests/test_snapshots.py --snapshot-update` and look
at the SVGs before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apphelpers import CAMERA, EPOCH, HOSTILE, World, make_world, prefill_store
from textual.pilot import Pilot

from emstui.clock import FakeClock
from emstui.tui.app import EmstuiApp

SnapCompare = Callable[..., bool]
WIDE = (160, 50)  # wide enough for the detail panel beside the table


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, numbers=None) as w:
        prefill_store(w)
        yield w


@pytest.fixture
def app(world: World) -> Iterator[EmstuiApp]:
    """The app on its own services (the snapshot runs it on a loop of its own)."""
    services = world.services(FakeClock(EPOCH + timedelta(minutes=5)))
    app = world.app(services)
    app.animation_level = "none"
    yield app
    asyncio.run(services.aclose())


def showing(number: str, *keys: str) -> Callable[[Pilot[Any]], Any]:
    """A run_before that puts the cursor on `number`, then presses `keys`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app: EmstuiApp = pilot.app  # type: ignore[assignment]
        assert app.table.highlight(number)
        await pilot.pause()
        await pilot.press(*keys)

    return run_before


def test_main_screen_at_120x35(snap_compare: SnapCompare, app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=(120, 35))


def test_main_screen_at_80x24(snap_compare: SnapCompare, app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24))


def test_detail_of_a_parcel_held_by_customs(snap_compare: SnapCompare, app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=WIDE, run_before=showing(CAMERA, "enter"))


def test_detail_of_a_parcel_with_hostile_carrier_text(snap_compare: SnapCompare,
                                                      app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=WIDE, run_before=showing(HOSTILE, "enter", "end"))
