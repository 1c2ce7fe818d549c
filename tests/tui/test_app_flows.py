"""Working the monitor from the keyboard: each flow checked in the config file and the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from apphelpers import (
    CAMERA,
    EPOCH,
    HOSTILE,
    KYOTO,
    PHONE,
    RADIO,
    SEOUL,
    TEA,
    World,
    detail_text,
    drain,
    make_world,
    notifications,
    parcels_in_file,
    running,
    screen_text,
    settle,
    static_text,
)
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList

from emstui.config import add_parcel, edit_parcel, update_config
from emstui.present.views import format_clock
from emstui.tui.app import EmstuiApp
from emstui.tui.screens import ConfirmRemoveScreen, HelpScreen, ParcelFormScreen

# TEA (EE123456785CN) is left out so that it can be added, as a typo's correction.
FLOW = (RADIO, CAMERA, HOSTILE, KYOTO, SEOUL, PHONE)
BOOTS = "EC161803397CN"  # a demo parcel the config does not hold: "added in an editor"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, FLOW) as w:
        yield w


def backup(world: World) -> Path:
    return world.config_file.with_name(world.config_file.name + ".bak")


async def go_to(pilot: Pilot[Any], number: str) -> None:
    """Put the cursor on a parcel (moving with j and k is tested in test_app.py)."""
    app: EmstuiApp = pilot.app  # type: ignore[assignment]
    assert app.main.table.highlight(number), f"{number} is not in the table"
    app.main.settle_detail()  # what the settle timer does once the cursor rests
    await drain(pilot)
    assert app.main.detail.number == number


async def fill(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Replace a form field's text as if typed over (Input.Changed fires the same way)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    await pilot.pause()


def spy_refresh_requests(app: EmstuiApp) -> list[tuple[str, ...]]:
    """Record every "refresh now" the app asks of the engine (the real method still runs)."""
    calls: list[tuple[str, ...]] = []
    real = app.engine.request_refresh

    def spy(numbers: Any = None) -> Any:
        calls.append(tuple(numbers) if numbers is not None else ("*",))
        return real(numbers)

    app.engine.request_refresh = spy  # type: ignore[method-assign]
    return calls


# ---- add, edit, archive, remove ----------------------------------------------------------------


async def test_adding_a_typo_offers_the_right_number_and_saves_it_with_its_label(
        world: World) -> None:
    original = world.config_file.read_bytes()
    async with running(world) as (app, pilot):
        asked = spy_refresh_requests(app)
        await pilot.press("a")
        assert isinstance(app.screen, ParcelFormScreen)
        await pilot.press(*"EE123456786CN")  # the check digit is wrong
        await pilot.pause()
        suggestions = app.screen.query_one("#suggestions", OptionList)
        assert suggestions.display
        assert suggestions.options[0].id == TEA
        assert "Did you mean" in static_text(app, "#number-status")
        await pilot.press("tab")  # to the suggestions
        await pilot.press("enter")  # use EE123456785CN; the focus moves to the label
        assert app.screen.query_one("#number", Input).value == TEA
        await pilot.press(*"Tea")
        await pilot.press("ctrl+s")
        await settle(pilot)

        saved = parcels_in_file(world.config_file)
        assert saved[TEA]["label"] == "Tea"
        assert str(saved[TEA]["added"]) == EPOCH.date().isoformat()  # the app's clock's day
        assert "EE123456786CN" not in saved
        assert backup(world).read_bytes() == original
        assert asked == [(TEA,)]
        assert app.main.table.highlighted_number == TEA
        assert "Added Tea" in notifications(app)

        # The engine watches it now: its next pass fetches it into the store.
        assert app.store.state(TEA) is None
        report = await app.engine.refresh()
        await drain(pilot)
        assert report.refreshed == {TEA}
        assert app.store.events(TEA)
        assert app.main.table.views[TEA].status is app.store.state(TEA).status


async def test_editing_saves_the_label_and_note_to_the_file(world: World) -> None:
    async with running(world) as (app, pilot):
        await go_to(pilot, CAMERA)
        await pilot.press("e")
        assert isinstance(app.screen, ParcelFormScreen)
        await fill(pilot, "#label", "Lens for Dad")
        await fill(pilot, "#note", "Customs wants an invoice")
        await pilot.press("ctrl+s")
        await settle(pilot)

        saved = parcels_in_file(world.config_file)
        assert saved[CAMERA]["label"] == "Lens for Dad"
        assert saved[CAMERA]["note"] == "Customs wants an invoice"
        assert saved[KYOTO]["label"] == world.label(KYOTO)  # the others are untouched
        assert backup(world).exists()
        assert app.main.table.views[CAMERA].label == "Lens for Dad"
        assert "Customs wants an invoice" in detail_text(app)
        assert app.store.events(CAMERA)  # history is keyed by number and stays
        app._poll_config()  # our own save is not mistaken for someone else's
        await drain(pilot)
        assert not [n for n in notifications(app) if "on disk" in n]


async def test_archive_hides_a_parcel_A_shows_it_and_unarchive_restores_it(
        world: World) -> None:
    async with running(world) as (app, pilot):
        await go_to(pilot, KYOTO)
        below = app.main.table.order[app.main.table.order.index(KYOTO) + 1]
        await pilot.press("x")
        await settle(pilot)
        assert parcels_in_file(world.config_file)[KYOTO]["archived"] is True
        assert KYOTO not in app.main.table.order
        assert app.main.table.highlighted_number == below  # the cursor went to its neighbour
        assert app.main.detail.number == below
        assert ("Archived Ceramics from Kyoto (A shows archived parcels)"
                in notifications(app))
        assert app.store.events(KYOTO)  # archiving keeps the history

        await pilot.press("A")
        await drain(pilot)
        assert KYOTO in app.main.table.order
        await go_to(pilot, KYOTO)
        await pilot.press("r")
        assert notifications(app)[-1].startswith("Archived parcels are not refreshed")
        await pilot.press("x")
        await settle(pilot)
        assert not parcels_in_file(world.config_file)[KYOTO].get("archived", False)
        assert "Unarchived Ceramics from Kyoto" in notifications(app)

        await pilot.press("A")  # hide archived again: nothing is archived now
        await drain(pilot)
        assert KYOTO in app.main.table.order


async def test_remove_asks_first_then_keeps_or_purges_the_history(world: World) -> None:
    original = world.config_file.read_bytes()
    async with running(world) as (app, pilot):
        await go_to(pilot, SEOUL)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmRemoveScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmRemoveScreen)
        assert world.config_file.read_bytes() == original  # cancelled: nothing written
        assert not backup(world).exists()
        assert SEOUL in app.main.table.order

        await pilot.press("d")
        await pilot.press("y")
        await settle(pilot)
        assert SEOUL not in parcels_in_file(world.config_file)
        assert KYOTO in parcels_in_file(world.config_file)
        assert SEOUL not in app.main.table.order
        assert app.main.detail.number == app.main.table.highlighted_number  # on the neighbour now
        assert app.store.events(SEOUL)  # history kept
        assert "Removed Skincare from Seoul (history kept)" in notifications(app)

        await go_to(pilot, KYOTO)
        await pilot.press("d")
        app.screen.query_one("#purge", Checkbox).focus()
        await pilot.press("space")  # also delete its tracking history
        await pilot.press("y")
        await settle(pilot)
        assert KYOTO not in parcels_in_file(world.config_file)
        assert app.store.events(KYOTO) == []
        assert app.store.state(KYOTO) is None
        assert app.store.events(SEOUL) and app.store.events(CAMERA)  # only its history went
        assert "Removed Ceramics from Kyoto" in notifications(app)


# ---- filter, sort, refresh, copy, help -----------------------------------------------------


async def test_filter_by_label_then_sort_keeps_the_cursor_and_escape_clears(
        world: World) -> None:
    original = world.config_file.read_bytes()
    async with running(world) as (app, pilot):
        table = app.main.table
        await pilot.press("slash")
        await pilot.press("c", "a")  # typed into the filter, not taken as "copy"
        await drain(pilot)
        # Labels with "ca": Camera lens, Hostile carrier text, Skincare from Seoul, Phone case.
        assert table.order == [CAMERA, HOSTILE, SEOUL, PHONE]  # by status
        await pilot.press("enter")  # keep the filter, back to the table
        assert app.focused is table
        assert table.highlighted_number == CAMERA
        assert app.clipboard == ""

        await pilot.press("s")  # next sort column: age, newest event first
        await drain(pilot)
        assert table.sort_column == "age"
        assert notifications(app)[-1] == "Sorted by last scan"  # as the column header says
        assert table.order == [HOSTILE, SEOUL, CAMERA, PHONE]
        assert table.highlighted_number == CAMERA and app.main.detail.number == CAMERA

        await pilot.press("S")  # reversed
        await drain(pilot)
        assert table.order == [PHONE, CAMERA, SEOUL, HOSTILE]
        assert table.highlighted_number == CAMERA and app.main.detail.number == CAMERA

        await pilot.press("escape")
        await drain(pilot)
        assert app.main.filter_text == "" and not app.main.filter_bar.display
        assert set(table.order) == set(FLOW)
        assert table.highlighted_number == CAMERA
    assert world.config_file.read_bytes() == original  # viewing changes are not saved


async def test_refresh_while_the_source_backs_off_says_when_the_next_attempt_is(
        world: World) -> None:
    async with running(world) as (app, pilot):
        number = app.main.table.highlighted_number
        assert number is not None
        known = app.store.state(number)
        world.sim.faults.set_error_rate(1.0, statuses=(503,))
        world.clock.advance(2 * 3600)
        await app.engine.refresh()
        await drain(pilot)
        now = app.clock.now()
        retry = min(h.until for h in app.engine.health().values() if h.until)
        assert retry > now

        await pilot.press("r")
        await pilot.pause()
        expected = (f"Refreshing {app.config.parcel(number).title}; the source is backing off: "
                    f"next attempt at {format_clock(retry, now, UTC)}")
        assert notifications(app)[-1] == expected
        severities = [n.severity for n in app._notifications]
        assert severities[-1] == "warning"
        # The failed pass did not touch what the store knew.
        assert app.store.state(number).status is known.status
        assert len(app.store.events(number)) == known.event_count


async def test_copy_puts_the_number_on_the_clipboard_and_says_so(world: World) -> None:
    async with running(world) as (app, pilot):
        await go_to(pilot, HOSTILE)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == HOSTILE
        assert notifications(app)[-1].startswith(f"Copied {HOSTILE} to the clipboard")


async def test_question_mark_opens_help_listing_the_bindings(world: World) -> None:
    async with running(world) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        # The first thing help shows is the legend, colours named for the theme in force.
        visible = screen_text(app)
        assert "Status, as the table shows it" in visible and "◈ customs     yellow" in visible
        text = static_text(app, "#context-global")
        assert "  r          refresh  " in text  # each binding's id beside its keys
        for line in ("Refresh the highlighted or the marked now",
                     "Watch a number; paste several to add all", "Filter by label",
                     "Quit emstui"):
            assert line in text
        assert "Next parcel" in static_text(app, "#context-table")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.is_running


# ---- the config file changed by someone else --------------------------------------------------


async def test_a_config_changed_on_disk_is_reloaded_and_announced(world: World) -> None:
    async with running(world) as (app, pilot):
        # Another program (an editor, `emstui add`) adds a parcel to the file.
        update_config(world.config_file,
                      lambda c: add_parcel(c, BOOTS, label="Boots (added in vim)"), expected=None)
        app._poll_config()
        await drain(pilot)
        assert BOOTS in app.main.table.order
        assert app.main.table.views[BOOTS].label == "Boots (added in vim)"
        assert any(n.startswith("Config changed on disk: Reloaded config.toml: 1 added")
                   for n in notifications(app))
        # The engine watches the new parcel too: its next pass stores it.
        report = await app.engine.refresh()
        await drain(pilot)
        assert report.refreshed == {BOOTS}
        assert app.store.events(BOOTS)


async def test_an_in_app_edit_after_a_change_on_disk_is_applied_on_top(world: World) -> None:
    async with running(world) as (app, pilot):
        await go_to(pilot, CAMERA)
        await pilot.press("e")  # the form shows the parcel as the app read it (no note)
        # Meanwhile an editor adds a parcel and writes a note on this one; not polled yet.
        update_config(world.config_file,
                      lambda c: (add_parcel(c, BOOTS, label="Boots (added in vim)"),
                                 edit_parcel(c, CAMERA, note="Invoice sent on Monday")),
                      expected=None)
        await fill(pilot, "#label", "Lens for Dad")
        await pilot.press("ctrl+s")
        await settle(pilot)

        saved = parcels_in_file(world.config_file)
        assert saved[BOOTS]["label"] == "Boots (added in vim)"  # their changes survived
        assert saved[CAMERA]["note"] == "Invoice sent on Monday"
        assert saved[CAMERA]["label"] == "Lens for Dad"  # and ours is on top
        assert "Boots (added in vim)" in backup(world).read_text()
        assert BOOTS in app.main.table.order
        assert "Invoice sent on Monday" in detail_text(app)
        assert any("had changed on disk (1 added, 1 edited); your edit was applied on top" in n
                   for n in notifications(app))


async def test_parcels_delivered_long_ago_are_archived_after_a_pass_with_one_toast(
        tmp_path: Path) -> None:
    with make_world(tmp_path, (TEA, CAMERA)) as world:
        text = world.config_file.read_text(encoding="utf-8")
        world.config_file.write_text(
            text.replace("[refresh]\n", '[refresh]\narchive_delivered_after = "2d"\n', 1),
            encoding="utf-8")
        async with running(world) as (app, pilot):
            assert not parcels_in_file(world.config_file)[TEA].get("archived")
            world.clock.advance(6 * 86_400)  # Tea was delivered 3 days ago, Camera is not yet
            await app.engine.refresh(force=True)
            await settle(pilot)
            await settle(pilot)
            saved = parcels_in_file(world.config_file)
            assert saved[TEA]["archived"] is True
            assert not saved[CAMERA].get("archived")
            assert backup(world).exists()
            assert TEA not in app.main.table.order
            toasts = [n for n in notifications(app) if n.startswith("Archived")]
            assert toasts == ["Archived 1 parcel delivered or returned more than 2d ago: "
                              f"{world.label(TEA)} (A shows archived parcels)"]

            await app.engine.refresh(force=True)  # the next pass says nothing more
            await settle(pilot)
            assert len([n for n in notifications(app) if n.startswith("Archived")]) == 1
