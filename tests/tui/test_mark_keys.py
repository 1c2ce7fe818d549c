"""The mark keys: `*` marks every row shown, `u` unmarks every parcel (hidden ones too), and the
footer counts the marked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apphelpers import KYOTO, TEA, World, drain, make_world, notifications, row_text, running

from emstui.tui.app import EmstuiApp


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        yield w


def marks_shown(app: EmstuiApp) -> str:
    return app.main.footer.marks_text


async def test_u_unmarks_every_parcel_hidden_ones_too_and_says_how_many(world: World) -> None:
    async with running(world) as (app, pilot):
        await pilot.press("u")  # nothing marked: nothing to say
        await drain(pilot)
        assert not [n for n in notifications(app) if n.startswith("Unmarked")]

        for number in (TEA, KYOTO):
            assert app.main.table.highlight(number)
            await pilot.press("space")
        await pilot.press("slash", "K", "y", "o", "t", "o", "enter")  # Tea is filtered out
        await drain(pilot)
        assert marks_shown(app) == "2 marked (1 hidden)"
        await pilot.press("u")
        await drain(pilot)
        assert not app.main.marks and marks_shown(app) == ""
        assert not row_text(app, KYOTO).startswith("*")
        assert notifications(app)[-1] == "Unmarked 2 parcels"


async def test_star_marks_the_rows_shown_and_says_how_many(world: World) -> None:
    async with running(world) as (app, pilot):
        assert app.main.table.highlight(TEA)
        await pilot.press("space")  # one marked already: the toast counts the newly marked
        await pilot.press("asterisk")
        await drain(pilot)
        shown = app.main.table.order
        assert set(app.main.marks) == set(shown)
        assert notifications(app)[-1] == f"Marked {len(shown) - 1} parcels"
        assert marks_shown(app) == f"{len(shown)} marked"
        await pilot.press("asterisk")
        await drain(pilot)
        assert notifications(app)[-1] == f"Unmarked {len(shown)} parcels"
        assert marks_shown(app) == ""
