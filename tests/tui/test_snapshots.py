"""Screenshots of the monitor with the demo's twelve parcels, compared with stored SVGs.

Everything shown is fixed: the simulator's journeys are posted at fixed times before a fixed
epoch, the store is filled by one engine pass at that epoch, and the app's clock is a FakeClock
five minutes later. Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update` and look
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
from textual import events
from textual.pilot import Pilot

from emstui.core.clock import FakeClock
from emstui.services import Services
from emstui.tui.app import EmstuiApp
from emstui.tui.screens import main as main_screen

SnapCompare = Callable[..., bool]
WIDE = (160, 50)  # wide enough for the detail panel beside the table


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, numbers=None) as w:
        prefill_store(w)
        yield w


DEMO_NOTE = ("Demo: 12 parcels on the built-in simulator, one simulated day per minute. "
             "Temporary files only; your own config and history are not touched.")
AppFactory = Callable[..., EmstuiApp]


@pytest.fixture
def make_app(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """Apps on their own services (each snapshot runs its app on a loop of its own).

    `theme` picks a registered theme before the first frame; `no_color` runs it as under
    NO_COLOR=1 (Textual reads and removes the variable when the app is made); `demo` adds the
    demo's header badge and help note.
    """
    made: list[Services] = []

    def factory(*, theme: str | None = None, no_color: bool = False,
                demo: bool = False) -> EmstuiApp:
        services = world.services(FakeClock(EPOCH + timedelta(minutes=5)))
        made.append(services)
        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        app = world.app(services, banner=DEMO_NOTE if demo else None,
                        badge="DEMO" if demo else None)
        app.animation_level = "none"
        if theme is not None:
            app.theme = theme
        return app

    yield factory
    for services in made:
        asyncio.run(services.aclose())


@pytest.fixture
def app(make_app: AppFactory) -> EmstuiApp:
    return make_app()


def showing(number: str, *keys: str) -> Callable[[Pilot[Any]], Any]:
    """A run_before that puts the cursor on `number`, then presses `keys`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app: EmstuiApp = pilot.app  # type: ignore[assignment]
        # Only settle_detail() below settles: on a loaded machine the settle timer could fire
        # between two key presses and mark a row passed over as seen.
        monkeypatch = pytest.MonkeyPatch()
        monkeypatch.setattr(main_screen, "DETAIL_SETTLE_SECONDS", 3600.0)
        await pilot.pause()  # the main screen composes after the app has started
        assert app.main.table.highlight(number)
        await pilot.pause()
        await pilot.press(*keys)
        app.main.settle_detail()  # the detail follows a moved cursor on a timer: not racing it
        monkeypatch.undo()
        await pilot.pause()

    return run_before


# Every main-screen snapshot shows each row's status word and the start of its latest event
# (test_table_rows_show_status_words_and_latest_events checks that in text, at these sizes).


def test_main_screen_at_120x35(snap_compare: SnapCompare, app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=(120, 35))


def test_main_screen_at_80x24(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(demo=True), terminal_size=(80, 24))


def test_main_screen_at_100x30_light(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(theme="emstui-light"), terminal_size=(100, 30))


def test_main_screen_at_80x24_in_16_colours(snap_compare: SnapCompare,
                                            make_app: AppFactory) -> None:
    assert snap_compare(make_app(theme="ansi-dark"), terminal_size=(80, 24))


def test_main_screen_at_100x30_without_colour(snap_compare: SnapCompare,
                                              make_app: AppFactory) -> None:
    assert snap_compare(make_app(no_color=True), terminal_size=(100, 30))


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
def test_filter_line_shows_above_the_footer(snap_compare: SnapCompare, app: EmstuiApp,
                                            size: tuple[int, int]) -> None:
    # The filter line once docked under the Footer and was never seen while typing.
    assert snap_compare(app, terminal_size=size, press=["slash", "c", "a"])


def test_marked_rows_at_80x24_without_colour(snap_compare: SnapCompare,
                                             make_app: AppFactory) -> None:
    """Three parcels marked with space: the mark is a glyph, the count is in the footer."""
    assert snap_compare(make_app(no_color=True), terminal_size=(80, 24),
                        run_before=showing(CAMERA, "space", "space", "space"))


def test_help_opens_with_the_legend_at_80x24(snap_compare: SnapCompare,
                                             make_app: AppFactory) -> None:
    assert snap_compare(make_app(demo=True), terminal_size=(80, 24), press=["question_mark"])


def test_help_legend_at_120x35_light(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(theme="emstui-light"), terminal_size=(120, 35),
                        press=["question_mark"])


def test_detail_of_a_parcel_held_by_customs(snap_compare: SnapCompare, app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=WIDE, run_before=showing(CAMERA, "enter"))


def test_detail_of_a_parcel_with_hostile_carrier_text(snap_compare: SnapCompare,
                                                      app: EmstuiApp) -> None:
    assert snap_compare(app, terminal_size=WIDE, run_before=showing(HOSTILE, "enter", "end"))


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 35)])
async def test_every_row_shows_its_status_word_and_the_start_of_its_latest_event(
        make_app: AppFactory, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.main.table
        rows = [table.render_line(y).text for y in range(1, table.row_count + 1)]
        shown = [table.views[number] for number in table.order]
        assert len(shown) == 12 and all(len(row.rstrip()) <= size[0] for row in rows)
        for row, view in zip(rows, shown, strict=True):
            assert f"{view.glyph}" in row and f" {view.status_word} " in row, row
            # The event's wording is the source's; whatever it is, its start is on screen.
            start = view.latest_event[:20] or "—"
            assert start in row, row


PASTED_EMAIL = """Your order left in three parcels:
  1) RR 473 124 829 GB
  2) cp-123456785-de
  3) LX123456785US
The receipt says EE12345678SCN; the tea (EE123456785CN) was sent before.
"""


def test_paste_preview_of_a_block_at_80x24(snap_compare: SnapCompare,
                                           make_app: AppFactory) -> None:
    """3 new numbers, 1 already watched, 1 near miss with its fix, before anything is added."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()  # the main screen composes after the app has started
        await pilot.press("a")
        focused = pilot.app.focused
        assert focused is not None
        focused.post_message(events.Paste(PASTED_EMAIL))
        await pilot.pause()

    assert snap_compare(make_app(demo=True), terminal_size=(80, 24), run_before=run_before)
