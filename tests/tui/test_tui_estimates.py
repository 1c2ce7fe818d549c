"""Changes for many parcels at once (new arrival estimates, a pass marking them "checking…")
reach the table a chunk at a time, the cursor's parcel first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apphelpers import World, detail_text, drain, make_world, running

from emstui.engine.events import RefreshStarted
from emstui.present.eta import SOURCE_HISTORY, Estimate
from emstui.tui.messages import EngineChange
from emstui.tui.screens import main as main_screen


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        yield w


def with_basis(app: object, basis: str) -> set[str]:
    views = app.main.rows.views  # type: ignore[attr-defined]
    return {n for n, v in views.items() if basis in v.eta_note}


async def test_new_estimates_are_retimed_in_chunks_cursor_first(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_screen, "CATCH_UP_CHUNK", 2)
    async with running(world) as (app, pilot):
        await app.workers.wait_for_complete()  # the start-up estimates
        await drain(pilot)
        main = app.main
        moving = [n for n, v in main.rows.views.items() if not v.status.is_final]
        assert len(moving) > 3
        start = world.clock.now() + timedelta(days=3)
        basis = "from your 9 earlier test parcels"
        fresh = {n: Estimate(start, start + timedelta(days=2), SOURCE_HISTORY, basis, samples=9)
                 for n in moving}
        cursor = moving[-1]
        main.table.highlight(cursor)
        main.settle_detail()

        main._estimates_ready(main.rows.estimate_generation, fresh)

        first = with_basis(app, basis)
        assert cursor in first and len(first) == 2  # one chunk: the cursor's parcel in it
        assert basis in " ".join(detail_text(app).split())
        main.settle_views()
        assert with_basis(app, basis) == set(moving)
        await drain(pilot)
        assert basis in main.table.views[moving[0]].eta_note


async def test_a_pass_marks_its_parcels_checking_in_chunks_and_skips_answered_ones(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_screen, "CATCH_UP_CHUNK", 2)
    async with running(world) as (app, pilot):
        await app.workers.wait_for_complete()
        await drain(pilot)
        main = app.main
        main.settle_views()
        numbers = list(main.table.order)
        cursor = numbers[-1]
        main.table.highlight(cursor)
        main.settle_detail()

        main.on_engine_change(EngineChange(RefreshStarted(tuple(numbers))))

        marked = {n for n, v in main.rows.views.items() if v.refreshing}
        assert marked == {cursor, numbers[0]}  # one chunk: the cursor's row, then the top one
        answered = numbers[1]
        main.rows.refreshing.discard(answered)  # answered before its chunk came
        main.settle_views()
        marked = {n for n, v in main.rows.views.items() if v.refreshing}
        assert marked == set(numbers) - {answered}
