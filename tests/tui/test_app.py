"""The running monitor against the simulator: cached start-up, live updates, cursor, detail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apphelpers import (
    HOSTILE,
    PHONE,
    TEA,
    World,
    detail_text,
    drain,
    make_world,
    notifications,
    row_text,
    running,
    screen_text,
    spaced,
)
from textual.widgets._toast import Toast

from emstui.core.model import Status
from emstui.tui.app import INFO_TOAST_SECONDS, MAX_TOASTS, EmstuiApp
from emstui.tui.screens import HelpScreen
from emstui.tui.screens import main as main_screen
from emstui.tui.widgets.parcel_table import UNSEEN_MARK

TEN_DAYS = timedelta(days=10).total_seconds()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        yield w


def mark_of(app: EmstuiApp, number: str) -> str:
    """The status cell's unseen mark: the dot, or a space."""
    return app.main.table.get_cell(number, "status").plain[2]  # " →● transit"


async def test_cached_history_fills_the_table_before_any_request(world: World) -> None:
    async with running(world) as (app, _pilot):
        assert world.requests_before_app > 0
        stored = app.store.states()
        assert app.main.table.row_count == len(world.parcels)
        for number, label, _ in world.parcels:
            view = app.main.table.views[number]
            assert view.status is stored[number].status
            assert view.label == label
            last = stored[number].last_event
            assert view.latest_event == (last.description if last else "")
        assert {v.status for v in app.main.table.views.values()} >= {Status.DELIVERED,
                                                                Status.IN_CUSTOMS}
        table = app.main.table
        assert app.main.detail.number == table.highlighted_number == table.order[0]
        assert len(world.sim.requests) == world.requests_before_app  # all from the store


async def test_cursor_stays_on_its_parcel_while_a_refresh_changes_statuses_and_resorts(
        world: World) -> None:
    async with running(world) as (app, pilot):
        table = app.main.table
        while table.highlighted_number != TEA:
            await pilot.press("j")
        before = table.order
        assert app.store.state(TEA).status is Status.IN_CUSTOMS

        world.clock.advance(TEN_DAYS)  # the simulator's journeys move on with the clock
        report = await app.engine.refresh()
        await drain(pilot)

        assert TEA in report.changed and len(report.changed) > 3
        assert app.store.state(TEA).status is Status.DELIVERED
        assert table.order != before
        assert table.order.index(TEA) != before.index(TEA)  # its row moved...
        assert table.highlighted_number == TEA  # ...and the cursor moved with it
        assert app.main.detail.number == TEA
        assert "Delivered" in detail_text(app).splitlines()[0]
        assert "Final delivery" in detail_text(app)


async def test_detail_shows_the_highlighted_parcel_after_each_j_and_k(world: World) -> None:
    async with running(world) as (app, pilot):
        seen = []
        for key in ("j", "j", "k", "j", "k", "k"):
            await pilot.press(key)
            await pilot.pause()
            number = app.main.table.highlighted_number
            assert number is not None
            seen.append(number)
            app.main.settle_detail()  # what the settle timer does once the cursor rests
            assert app.main.detail.number == number
            text = detail_text(app)
            assert spaced(number) in text
            assert world.label(number) in text.splitlines()[0]
        order = app.main.table.order
        assert seen == [order[i] for i in (1, 2, 1, 2, 1, 0)]


async def test_detail_follows_the_cursor_only_once_it_rests(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_screen, "DETAIL_SETTLE_SECONDS", 3600.0)  # never by itself here
    async with running(world) as (app, pilot):
        first = app.main.detail.number
        shown: list[str | None] = []
        original = app.main.detail.show

        def spy(view: Any, *args: Any, **kwargs: Any) -> None:
            shown.append(view.number if view else None)
            original(view, *args, **kwargs)

        app.main.detail.show = spy  # type: ignore[method-assign]
        await pilot.press("j", "j", "j", "k")
        await pilot.pause()
        assert app.main.detail.number == first and shown == []  # not rebuilt per key
        app.main.settle_detail()  # the timer firing
        app.main.settle_detail()  # again: same parcel, nothing rebuilt
        assert shown == [app.main.table.order[2]] == [app.main.detail.number]


async def test_unseen_events_are_marked_until_the_parcel_is_viewed(world: World) -> None:
    async with running(world) as (app, pilot):
        table = app.main.table
        first, third = table.order[0], table.order[2]
        assert mark_of(app, first) == " "  # highlighted at start-up, so seen
        assert app.store.state(third).unseen_count > 0
        assert mark_of(app, third) == UNSEEN_MARK

        await pilot.press("j", "j")
        await drain(pilot)
        assert table.highlighted_number == third
        assert app.store.state(third).unseen_count == 0
        assert mark_of(app, third) == " "
        await pilot.press("j")
        await drain(pilot)
        assert mark_of(app, third) == " "  # stays cleared after moving on

        # New events on a parcel that is not highlighted mark it again.
        assert table.highlighted_number != TEA
        world.clock.advance(TEN_DAYS)
        await app.engine.refresh([TEA], force=True)
        await drain(pilot)
        assert app.store.state(TEA).unseen_count > 0
        assert mark_of(app, TEA) == UNSEEN_MARK
        assert UNSEEN_MARK in row_text(app, TEA)


async def test_hostile_carrier_text_is_shown_literally_and_stays_inert(world: World) -> None:
    async with running(world) as (app, pilot):
        while app.main.table.highlighted_number != HOSTILE:
            await pilot.press("j")
        await drain(pilot)
        text = detail_text(app)
        assert "[bold]x[/] GUANGZHOU" in text
        assert "[@click=app.quit]Click me[/]" in text
        assert "<script>alert(1)</script>" in text
        assert not any(ch in text for ch in "\x1b\x00\x7f\u202e")
        # What 17TRACK says about the shipment is carrier text too.
        assert "[@click=app.quit]Click me[/] RED" in text  # its sub-status description
        assert "Last mile  [bold]x[/] EDISREVER · same number" in text
        assert "· estimate by NULDELEND" in text

        await pilot.press("enter")  # focus the detail panel and scroll its events into view
        await pilot.press("end")
        await pilot.pause()
        shown = screen_text(app)
        lines = shown.splitlines()
        y = next(i for i, line in enumerate(lines) if "[@click=app.quit]Click me[/]" in line)
        x = lines[y].index("Click me")
        assert await pilot.click(offset=(x, y))  # were it markup, this would quit the app
        await pilot.pause()
        assert "[bold]x[/] GUANGZHOU" in screen_text(app)
        assert app.is_running and app.return_code is None


async def test_header_shows_each_provider_backing_off_then_offline(world: World) -> None:
    async with running(world) as (app, pilot):
        assert "17track ok" in app.main.header.build().plain

        world.sim.faults.set_error_rate(1.0, statuses=(503,))
        world.clock.advance(2 * 3600)
        report = await app.engine.refresh()
        await drain(pilot)
        assert report.failed
        header = app.main.header.build().plain
        assert "17track backing off until" in header
        assert "ems backing off until" in header

        world.sim.faults.clear()
        world.sim.faults.set_down(True)
        world.clock.advance(4 * 3600)
        await app.engine.refresh()
        await drain(pilot)
        header = app.main.header.build().plain
        assert "17track offline" in header and "ems offline" in header
        assert "17track offline" in screen_text(app).splitlines()[0]


async def test_status_changes_are_announced_by_name_or_summed_up_when_many(
        world: World) -> None:
    async with running(world) as (app, pilot):
        assert not [n for n in notifications(app) if n.startswith("Status changed")]
        world.clock.advance(TEN_DAYS)
        await app.engine.refresh([TEA], force=True)
        await drain(pilot)
        announced = [n for n in notifications(app) if n.startswith("Status changed")]
        assert announced == ["Status changed: Tea from Hangzhou: in customs → delivered"]

        # More than two at once make one summary instead of a flood of toasts.
        before = {n: s.status for n, s in app.store.states().items()}
        await app.engine.refresh()
        await drain(pilot)
        after = {n: s.status for n, s in app.store.states().items()}
        moved = [n for n in after if after[n] is not before[n]]
        delivered = sum(1 for n in moved if after[n] is Status.DELIVERED)
        assert len(moved) > 3 and delivered and TEA not in moved and PHONE not in moved
        announced = [n for n in notifications(app) if n.startswith("Status changed")]
        assert announced[1:] == [f"Status changed: {len(moved)} parcels changed status "
                                 f"({delivered} delivered)"]


async def test_q_quits_with_exit_code_zero(world: World) -> None:
    async with running(world) as (app, pilot):
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


# ---- toasts and the demo note ------------------------------------------------------------------


def shown_toasts(app: EmstuiApp) -> list[Toast]:
    return list(app.screen.query(Toast))


async def test_informational_toasts_are_short_lived_and_at_most_two_stay(world: World) -> None:
    async with running(world, toasts=True) as (app, pilot):
        app.notify("Config file changed", title="Config", severity="warning", timeout=10)
        for i in range(4):
            app.notify(f"note {i}", timeout=30)
        await pilot.pause()
        kept = {n.message: n for n in app._notifications}
        # The warning stays; of the notes only the newest makes room for itself.
        assert sorted(kept) == ["Config file changed", "note 3"]
        assert len(kept) == MAX_TOASTS
        assert kept["note 3"].timeout == INFO_TOAST_SECONDS
        assert kept["Config file changed"].timeout == 10
        assert len(shown_toasts(app)) == MAX_TOASTS


async def test_a_modal_is_never_covered_by_a_toast(world: World) -> None:
    async with running(world, toasts=True) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        app.notify("Tea from Hangzhou: in transit → in customs", title="Status changed")
        await pilot.pause()
        await pilot.pause()
        toasts = shown_toasts(app)
        assert toasts and all(not t.visible for t in toasts)
        assert "in transit → in customs" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert [t.visible for t in shown_toasts(app)] == [True]
        assert "in transit → in customs" in screen_text(app)


async def test_demo_note_is_a_header_badge_and_a_help_section_not_a_toast(world: World) -> None:
    note = "Demo: 12 parcels on the built-in simulator, one simulated day per minute."
    async with running(world, banner=note, badge="DEMO") as (app, pilot):
        assert not [n for n in notifications(app) if "simulator" in n]
        assert screen_text(app).splitlines()[0].startswith(" emstui  DEMO  17track ")
        await pilot.press("question_mark")
        await pilot.pause()
        assert note in app.screen.query_one("#session").render().plain  # type: ignore[attr-defined]


def test_the_monitor_closes_its_http_clients_and_store_when_it_exits(world: World) -> None:
    from textual.pilot import Pilot

    from emstui.tui.run import run_app

    services = world.services()
    app = world.app(services)
    # Clients are made on first use (providers/http.LazyClient): use them, as a pass would.
    clients = [p._http.get() for p in services.providers.values()]  # type: ignore[attr-defined]

    async def leave(pilot: Pilot[object]) -> None:
        await pilot.press("q")

    assert run_app(app, services, headless=True, size=(120, 35), auto_pilot=leave) == 0
    assert services.closed
    assert clients and all(client.is_closed for client in clients)


async def test_the_minute_tick_rewrites_changed_ages_and_leaves_other_rows_untouched(
        world: World) -> None:
    async with running(world) as (app, pilot):
        table = app.main.table
        await pilot.press("j")
        cursor, order = table.highlighted_number, table.order
        views_before = table.views
        rows_before = {number: row_text(app, number) for number in order}
        cells_before = {number: table.get_row(number) for number in order}

        world.clock.advance(60)
        app.main._tick()
        await pilot.pause()

        views_after = table.views
        changed = {n for n in order if row_text(app, n) != rows_before[n]}
        assert any(views_after[n].age != views_before[n].age for n in changed)
        assert any(table.get_cell(n, "age").plain.strip() == views_after[n].age_text
                   for n in changed)
        unchanged = set(order) - changed
        assert unchanged  # ages counted in days and hours do not move in a minute
        for number in unchanged:  # no cell written (the view may differ: the detail's text)
            assert all(a is b for a, b in zip(table.get_row(number), cells_before[number],
                                              strict=True))
        assert any(views_after[n] is views_before[n] for n in unchanged)  # nor even rebuilt
        assert table.order == order
        assert table.highlighted_number == cursor

        rows_after = {number: row_text(app, number) for number in order}
        app.main.show_changes(rebuild_all=True)  # every view made afresh at the same time
        await pilot.pause()
        assert {number: row_text(app, number) for number in order} == rows_after
