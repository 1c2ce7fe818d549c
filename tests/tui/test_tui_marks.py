"""Several parcels at once: Space marks rows; archive, refresh and remove act on the marked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apphelpers import (
    CAMERA,
    KYOTO,
    PHONE,
    SEOUL,
    TEA,
    World,
    drain,
    make_world,
    notifications,
    parcels_in_file,
    row_text,
    running,
    settle,
    static_text,
)
from textual.pilot import Pilot
from textual.widgets import Checkbox

from emstui.config.keeper import ConfigKeeper
from emstui.tui.app import EmstuiApp
from emstui.tui.screens import ConfirmRemoveMarkedScreen


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        yield w


def count_edits(app: EmstuiApp) -> list[int]:
    """Record each config edit the app makes (the real edit still runs)."""
    edits: list[int] = []
    keeper: ConfigKeeper = app.keeper
    real = keeper.edit

    def spy(change: Any) -> Any:
        edits.append(1)
        return real(change)

    keeper.edit = spy  # type: ignore[method-assign]
    return edits


async def mark_three_from(pilot: Pilot[Any], number: str) -> list[str]:
    """Space three times from `number`: the cursor moves down after each mark."""
    app: EmstuiApp = pilot.app  # type: ignore[assignment]
    table = app.main.table
    assert table.highlight(number)
    await drain(pilot)
    at = table.order.index(number)
    await pilot.press("space", "space", "space")
    await drain(pilot)
    marked = table.order[at:at + 3]
    assert list(app.main.marks) == marked
    assert table.highlighted_number == table.order[at + 3]
    return marked


def footer_count(app: EmstuiApp) -> str:
    return static_text(app, "#marks")


async def test_space_marks_three_and_archive_writes_them_once_then_clears_the_marks(
        world: World) -> None:
    original = world.config_file.read_bytes()
    async with running(world) as (app, pilot):
        edits = count_edits(app)
        marked = await mark_three_from(pilot, app.main.table.order[0])
        assert all(row_text(app, n).startswith("*") for n in marked)  # the mark, in plain text
        assert not row_text(app, app.main.table.order[3]).startswith("*")
        assert footer_count(app) == "3 marked"

        await pilot.press("x")
        await settle(pilot)
        assert len(edits) == 1  # one config edit for the three
        saved = parcels_in_file(world.config_file)
        assert [n for n, p in saved.items() if p.get("archived")] == [
            n for n in saved if n in marked]
        backup = world.config_file.with_name(world.config_file.name + ".bak")
        assert backup.read_bytes() == original  # one write: the backup is the file before it
        assert not app.main.marks and not app.main.footer.marks_text
        assert not set(marked) & set(app.main.table.order)  # archived: hidden
        assert "Archived 3 parcels (A shows archived parcels)" in notifications(app)

        await pilot.press("A")  # show them, mark them again: x now unarchives all three
        await drain(pilot)
        for number in marked:
            assert app.main.table.highlight(number)
            await pilot.press("space")
        await pilot.press("x")
        await settle(pilot)
        assert len(edits) == 2
        assert not any(p.get("archived") for p in parcels_in_file(world.config_file).values())
        assert "Unarchived 3 parcels" in notifications(app)


async def test_refresh_asks_for_the_marked_at_once_and_marks_survive_a_filter(
        world: World) -> None:
    async with running(world) as (app, pilot):
        calls: list[tuple[str, ...]] = []
        real = app.engine.request_refresh

        def spy(numbers: Any = None) -> Any:
            calls.append(tuple(numbers) if numbers is not None else ("*",))
            return real(numbers)

        app.engine.request_refresh = spy  # type: ignore[method-assign]
        for number in (TEA, KYOTO, PHONE):
            assert app.main.table.highlight(number)
            await pilot.press("space")
        await drain(pilot)
        await pilot.press("r")
        assert calls == [(TEA, KYOTO, PHONE)]  # one request for all of them
        assert notifications(app)[-1].startswith("Refreshing 3 parcels")
        assert list(app.main.marks) == [TEA, KYOTO, PHONE]  # refresh keeps the marks

        await pilot.press("slash", "K", "y", "o", "t", "o", "enter")  # only Kyoto shown
        await drain(pilot)
        assert app.main.table.order == [KYOTO]
        assert footer_count(app) == "3 marked (2 hidden)"
        assert row_text(app, KYOTO).startswith("*")
        await pilot.press("escape")  # clears the filter first, the marks stay
        await drain(pilot)
        assert footer_count(app) == "3 marked"
        assert all(row_text(app, n).startswith("*") for n in (TEA, KYOTO, PHONE))
        await pilot.press("escape")  # nothing else to go back from: clears the marks
        await drain(pilot)
        assert not app.main.marks and not row_text(app, TEA).startswith("*")
        assert not app.main.query_one("#marks").display

        await pilot.press("asterisk")  # every row shown
        await drain(pilot)
        assert set(app.main.marks) == set(app.main.table.order)
        await pilot.press("asterisk")  # again: unmarks them
        await drain(pilot)
        assert not app.main.marks


async def test_remove_asks_once_naming_the_count_then_removes_all_in_one_edit(
        world: World) -> None:
    async with running(world) as (app, pilot):
        edits = count_edits(app)
        for number in (SEOUL, CAMERA):
            assert app.main.table.highlight(number)
            await pilot.press("space")
        await pilot.press("d")
        await drain(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmRemoveMarkedScreen)
        assert static_text(app, "#title") == "Remove 2 parcels"
        body = static_text(app, "#body")
        assert "Stop watching the 2 parcels marked?" in body
        assert "'Skincare from Seoul' (EL 555 123 453 KR)" in body
        assert "'Camera lens' (EB 271 828 189 CN)" in body
        app.screen.query_one("#purge", Checkbox).focus()
        await pilot.press("space")  # also delete their history
        await pilot.press("y")
        await settle(pilot)
        assert len(edits) == 1
        saved = parcels_in_file(world.config_file)
        assert SEOUL not in saved and CAMERA not in saved and KYOTO in saved
        assert app.store.events(SEOUL) == [] and app.store.events(CAMERA) == []
        assert app.store.events(KYOTO)
        assert not app.main.marks and not app.main.footer.marks_text
        assert notifications(app)[-1] == "Removed 2 parcels"
