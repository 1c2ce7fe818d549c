"""Pasting a block of several numbers into the add dialog: preview first, then one config write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apphelpers import (
    CAMERA,
    KYOTO,
    RADIO,
    SEOUL,
    TEA,
    World,
    make_world,
    notifications,
    parcels_in_file,
    running,
    settle,
    static_text,
)
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input

from emstui.config.importer import NearMiss, scan_text
from emstui.tui.app import EmstuiApp
from emstui.tui.screens import ParcelFormScreen
from emstui.tui.screens.paste_preview import (
    ParcelBatch,
    PastePreviewScreen,
    preview_content,
    toast_text,
)
from emstui.tui.widgets.number_field import INLINE_SCAN_CHARS

NEAR_MISS = "EE12345678SCN"  # an S where the check digit 5 should be
BLOCK = f"""Dear customer, your order left in three parcels:
  1) {TEA}
  2) {KYOTO[:2]} {KYOTO[2:5]} {KYOTO[5:8]} {KYOTO[8:11]} {KYOTO[11:]}
  3) {SEOUL.lower()[:2]}-{SEOUL.lower()[2:11]}-{SEOUL.lower()[11:]}
The receipt says {NEAR_MISS}; your earlier parcel {RADIO} is on its way back.
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, (RADIO, CAMERA)) as w:
        yield w


def count_config_edits(app: EmstuiApp) -> list[int]:
    """How many atomic edits the app's config keeper makes (the real edit still runs)."""
    calls: list[int] = []
    real = app.keeper.edit

    def spy(change: Any) -> Any:
        calls.append(1)
        return real(change)

    app.keeper.edit = spy  # type: ignore[method-assign]
    return calls


async def paste(pilot: Pilot[Any], text: str) -> None:
    """A bracketed paste into the focused field, as the terminal driver delivers it."""
    focused = pilot.app.focused
    assert focused is not None
    focused.post_message(events.Paste(text))
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_pasted_block_is_previewed_then_its_new_numbers_added_in_one_write(
        world: World) -> None:
    original = world.config_file.read_bytes()
    async with running(world) as (app, pilot):
        edits = count_config_edits(app)
        await pilot.press("a")
        await paste(pilot, BLOCK)

        assert isinstance(app.screen, PastePreviewScreen)
        shown = static_text(app, "#found-list")
        assert "New, will be added (3)" in shown
        assert "EE 123 456 785 CN" in shown and "EM 314 159 268 JP" in shown
        assert "Already watched, left as they are (1)" in shown and "ED 141 421 354 CN" in shown
        assert f"line 5: {NEAR_MISS}" in shown and "Did you mean EE123456785CN?" in shown
        assert static_text(app, "#summary").startswith("3 new, 1 already watched, 1 near miss")
        assert app.screen.query_one("#add", Button).label.plain == "Add 3"

        # Back: nothing is written; the dialog keeps the block and Save shows it again.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ParcelFormScreen)
        assert "5 numbers pasted, not added yet" in static_text(app, "#number-status")
        assert edits == [] and world.config_file.read_bytes() == original
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PastePreviewScreen)

        await pilot.press(*"Shop order 17")  # the label field has the focus
        await pilot.press("ctrl+s")
        await settle(pilot)

        saved = parcels_in_file(world.config_file)
        assert saved.keys() == {RADIO, CAMERA, TEA, KYOTO, SEOUL}
        assert {saved[n]["label"] for n in (TEA, KYOTO, SEOUL)} == {"Shop order 17"}
        assert NEAR_MISS not in saved and "EE123456785CN" in saved  # the miss is not "fixed"
        assert edits == [1]
        assert world.config_file.with_name(world.config_file.name + ".bak").read_bytes() \
            == original
        assert notifications(app)[-1] == (
            "Added 3 parcels; 1 already watched; 1 near miss not added: "
            f"{NEAR_MISS} (did you mean EE123456785CN?)")
        assert {TEA, KYOTO, SEOUL} <= set(app.main.table.views)
        assert app.main.table.highlighted_number == TEA


# ---- the dialog alone (no monitor needed) ------------------------------------------------------


class FormHost(App[None]):
    """The add dialog on a bare app, recording what it dismisses with."""

    def __init__(self, existing: dict[str, str]) -> None:
        super().__init__()
        self.existing = existing
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(ParcelFormScreen(self.existing), self.results.append)


async def test_one_pasted_number_fills_the_field_as_before() -> None:
    app = FormHost({})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await paste(pilot, f"{KYOTO}\n")
        assert isinstance(app.screen, ParcelFormScreen)
        assert app.screen.query_one("#number", Input).value == KYOTO
        assert "check digit 8 is right" in static_text(app, "#number-status")  # type: ignore[arg-type]


async def test_cancelling_after_a_paste_returns_nothing() -> None:
    app = FormHost({})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await paste(pilot, BLOCK)
        assert isinstance(app.screen, PastePreviewScreen)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.results == [None]


async def test_typed_numbers_and_a_long_paste_are_previewed_too() -> None:
    app = FormHost({})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*f"{TEA} {KYOTO}")
        assert "2 numbers here" in static_text(app, "#number-status")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PastePreviewScreen)
        assert "2 new" in static_text(app, "#summary")  # type: ignore[arg-type]
        await pilot.press("escape")
        app.screen.query_one("#number", Input).value = ""

        # Longer than what is scanned at once: scanned in a thread, then previewed.
        long = "no number on this line\n" * (INLINE_SCAN_CHARS // 20) + f"{SEOUL} {TEA}\n"
        await paste(pilot, long)
        assert isinstance(app.screen, PastePreviewScreen)
        assert "2 new" in static_text(app, "#summary")  # type: ignore[arg-type]
        await pilot.press("escape")

        # A long paste with one number is pasted as Input pastes: its first line.
        await paste(pilot, f"{SEOUL}\n" + "filler\n" * INLINE_SCAN_CHARS)
        assert isinstance(app.screen, ParcelFormScreen)
        assert app.screen.query_one("#number", Input).value == SEOUL


async def test_the_preview_buttons_go_back_and_add() -> None:
    app = FormHost({})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await paste(pilot, f"{TEA}\n{KYOTO}\n")
        await pilot.click("#back")
        await pilot.pause()
        assert isinstance(app.screen, ParcelFormScreen)
        await pilot.press("ctrl+s")  # Save shows the block kept again
        await pilot.pause()
        assert isinstance(app.screen, PastePreviewScreen)
        await pilot.click("#add")
        await pilot.pause()
    [batch] = app.results
    assert isinstance(batch, ParcelBatch)
    assert [f.number for f in batch.found] == [TEA, KYOTO]


async def test_a_block_of_only_watched_numbers_offers_nothing_to_add() -> None:
    app = FormHost({RADIO: "Vintage radio", CAMERA: ""})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await paste(pilot, f"{RADIO}\n{CAMERA}")
        assert isinstance(app.screen, PastePreviewScreen)
        assert app.screen.query_one("#add", Button).disabled
        assert "Nothing new to add" in static_text(app, "#applies")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")  # refused: nothing happens
        assert isinstance(app.screen, PastePreviewScreen)


# ---- the preview's text (no app needed) ------------------------------------------------------


def test_the_preview_lists_a_bounded_number_of_rows_and_counts_the_rest() -> None:
    from emstui.core.s10 import make_number
    text = "\n".join(make_number("EE", f"{i:08d}", "CN") for i in range(450))
    content = preview_content(scan_text(text), {}, limit=200).plain
    assert "New, will be added (450)" in content
    assert content.count(" CN  line ") == 200
    assert "… and 250 more" in content


def test_labels_and_pasted_text_are_shown_sanitised() -> None:
    hostile = "\x1b]52;c;aGk=\x07[bold]Tea[/]\u202e"
    content = preview_content(scan_text(f"{TEA} {KYOTO}"), {TEA: hostile}).plain
    assert "\x1b" not in content and "\u202e" not in content and "\x07" not in content
    assert "[bold]Tea[/]" in content  # shown as typed, never read as markup


def test_the_toast_names_a_few_near_misses_and_counts_the_rest() -> None:
    misses = tuple(NearMiss(f"EE1234567{i}XCN", i, "bad", (f"EE12345678{i}CN",))
                   for i in range(5))
    assert toast_text(1, 0, ()) == "Added 1 parcel"
    text = toast_text(0, 2, misses)
    assert text.startswith("Added 0 parcels; 2 already watched; 5 near misses not added: ")
    assert text.endswith("and 2 more")
