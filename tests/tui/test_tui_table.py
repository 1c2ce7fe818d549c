"""Main-screen widgets: keyed diff, cursor stability, literal text, theme colours, narrow layout."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.containers import Container
from textual.theme import Theme
from textual.widgets import Footer, Static

from emstui.core import s10
from emstui.core.model import Event, ParcelState, Stage, Status
from emstui.engine.health import ProviderHealth
from emstui.present.views import ParcelView, make_view
from emstui.tui.widgets import (
    HORIZONTAL_BREAKPOINTS,
    AppHeader,
    DetailPanel,
    ParcelTable,
)
from emstui.tui.widgets.column_widths import compute_widths
from emstui.tui.widgets.parcel_table import COLUMN_KEYS
from emstui.tui.widgets.textual_versions import supported

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))
TCSS = Path(__file__).resolve().parents[2] / "emstui" / "tui" / "app.tcss"
TONES = ("delivered", "transit", "customs", "attention", "exception", "unknown")
PALETTE_A = dict(zip(TONES, ("#00ff00", "#00ffff", "#ffff00", "#ff8800", "#ff0000", "#888888"),
                     strict=True))


class FixedClock:
    def now(self) -> datetime:
        return NOW

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - never called
        raise AssertionError("the header must not sleep")


@dataclass
class Parcel:
    number: str
    label: str = ""
    note: str = ""
    provider: str | None = None
    archived: bool = False


class TableApp(App[None]):
    """The main screen's widgets with the real stylesheet, fed by hand."""

    CSS_PATH = str(TCSS)
    HORIZONTAL_BREAKPOINTS = HORIZONTAL_BREAKPOINTS

    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[str | None] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(),
                **{f"status-{tone}": colour for tone, colour in PALETTE_A.items()}}

    def compose(self) -> ComposeResult:
        yield AppHeader(tz=CET, clock=FixedClock())
        with Container(id="main"):
            yield ParcelTable(id="parcels")
            yield DetailPanel(id="detail", tz=CET)
        yield Footer()

    def on_parcel_table_parcel_highlighted(self, message: ParcelTable.ParcelHighlighted) -> None:
        self.highlighted.append(message.number)


def number(i: int, country: str = "CN") -> str:
    return s10.make_number("EE", f"{i:08d}", country)


def view(i: int, *, status: Status = Status.IN_TRANSIT, label: str | None = None,
         description: str = "Departure from outward office of exchange",
         location: str = "SHANGHAI", hours: float = 5, unseen: int = 0) -> ParcelView:
    n = number(i)
    last = Event(time_raw="", description=description, location=location, provider="ems",
                 time_utc=NOW - timedelta(hours=hours))
    state = ParcelState(n, status=status, stage=Stage.DEPARTED, provider="ems", last_event=last,
                        event_count=4, unseen_count=unseen, last_checked=NOW,
                        next_due=NOW + timedelta(hours=1))
    return make_view(Parcel(n, label=f"Parcel {i:03d}" if label is None else label), state,
                     NOW, CET)


def views(count: int) -> list[ParcelView]:
    # Same status, increasing age: sorted by status the display order is 0, 1, 2, ...
    return [view(i, hours=i + 1) for i in range(count)]


def spy_updates(table: ParcelTable) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    original = table.update_cell

    def spy(row_key: Any, column_key: Any, value: Any, **kw: Any) -> None:
        calls.append((str(row_key), str(column_key)))
        original(row_key, column_key, value, **kw)

    table.update_cell = spy  # type: ignore[method-assign]
    return calls


def table_lines(table: ParcelTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def screen_text(app: App[Any]) -> str:
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in line) for line in update.strips)


def region_text(app: App[Any], widget: Any) -> str:
    """The screen text inside a widget (inside its border; all our glyphs are one cell wide)."""
    region = widget.content_region
    lines = screen_text(app).splitlines()[region.y:region.bottom]
    return "\n".join(line[region.x:region.right] for line in lines)


def cell_colour(table: ParcelTable, row: str, column: str) -> str:
    style = table.get_cell(row, column).get_style_at_offset(table.app.console, 1)
    assert style.color is not None
    return style.color.triplet.hex  # type: ignore[union-attr]


async def started(pilot: Any, items: Iterable[ParcelView]) -> ParcelTable:
    table = pilot.app.query_one(ParcelTable)
    table.apply(list(items))
    await pilot.pause()
    return table


# ---- keyed diff -------------------------------------------------------------------------------


async def test_apply_adds_one_row_per_parcel_keyed_by_number() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, views(30))
        assert table.row_count == 30
        assert table.order == [number(i) for i in range(30)]
        assert table.get_cell(number(7), "label").plain.strip() == "Parcel 007"
        assert table.highlighted_number == number(0)
        assert app.highlighted == [number(0)]


async def test_reapply_with_ten_percent_changed_updates_only_changed_cells() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        first = views(100)
        table = await started(pilot, first)
        table.move_cursor(row=37)
        await pilot.pause()
        before = {(n, c): table.get_cell(n, c) for n in table.order for c in COLUMN_KEYS}
        changed = list(first)
        for i in range(0, 100, 10):
            changed[i] = replace(changed[i], latest_event=f"Arrival at office {i}")
        stats = table.apply(changed)
        await pilot.pause()
        # Only the changed cells hold new objects; every other cell was left untouched.
        rewritten = [key for key, cell in before.items() if table.get_cell(*key) is not cell]
        assert sorted(rewritten) == sorted((number(i), "event") for i in range(0, 100, 10))
        assert (stats.added, stats.removed, stats.updated_cells, stats.sorted) == (0, 0, 10, False)
        assert table.highlighted_number == number(37) and table.cursor_row == 37
        assert table.get_cell(number(30), "event").plain.strip() == "Arrival at office 30"


async def test_reapply_of_identical_views_touches_nothing() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, views(20))
        calls = spy_updates(table)
        stats = table.apply(views(20))
        assert calls == [] and stats.updated_cells == 0 and not stats.sorted


@pytest.mark.parametrize("fast_paths", [True, False], ids=["bulk", "remove_row"])
async def test_removing_rows_above_the_cursor_keeps_it_on_its_parcel(fast_paths: bool) -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(40)
        table = await started(pilot, items)
        table.fast_paths = fast_paths
        table.move_cursor(row=20)
        await pilot.pause()
        stats = table.apply([v for i, v in enumerate(items) if i not in (2, 5, 9, 11, 17)])
        await pilot.pause()
        assert stats.removed == 5
        assert table.highlighted_number == number(20)
        assert table.cursor_row == 15
        assert app.highlighted[-1] == number(20)


@pytest.mark.parametrize("fast_paths", [True, False], ids=["bulk", "update_cell"])
async def test_a_mark_redraws_one_cell_and_stays_through_updates_and_sorting(
        fast_paths: bool) -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(30)
        table = await started(pilot, items)
        table.fast_paths = fast_paths
        marks = {number(3)}
        table.marks = marks
        rendered: list[tuple[str, str]] = []
        real = table._render

        def spy(column: str, view: ParcelView) -> Any:
            rendered.append((view.number, column))
            return real(column, view)

        table._render = spy  # type: ignore[method-assign]
        assert table.redraw_marks([number(3), "EE999999999CN"]) == 1  # not shown: skipped
        assert rendered == [(number(3), "status")]

        def status_cell(i: int) -> str:
            return table.get_cell(number(i), "status").plain

        assert status_cell(3).startswith("*") and status_cell(4).startswith(" ")
        table.apply([*items[:3], view(3, hours=4, label="Moved"), *items[4:]])  # updated
        table.set_sort("label", reverse=True)
        await pilot.pause()
        assert status_cell(3).startswith("*") and not status_cell(2).startswith("*")
        marks.clear()
        table.redraw_marks([number(3)])
        assert status_cell(3).startswith(" ")


def test_fast_paths_are_for_the_textual_releases_they_were_measured_on() -> None:
    assert supported("8.2.8") and supported("8.2.0")
    assert not supported("8.3.0") and not supported("8.1.9") and not supported("9.0.0a1")


async def test_another_textual_release_gets_the_public_api_path(monkeypatch: Any) -> None:
    monkeypatch.setattr("textual.__version__", "9.0.0")
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(30)
        table = await started(pilot, items)
        assert not table.fast_paths
        table.move_cursor(row=10)
        kept = [v for i, v in enumerate(items) if i % 2 == 0]
        table.apply([*kept[:-1], replace(kept[-1], label="Renamed")])
        await pilot.pause()
        assert table.order == [v.number for v in kept]
        assert "Renamed" in table.get_cell(kept[-1].number, "label").plain
        assert table.highlighted_number == number(10)


@pytest.mark.parametrize("fast_paths", [True, False], ids=["bulk", "remove_row"])
async def test_removing_many_rows_leaves_a_consistent_table(fast_paths: bool) -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(300)
        table = await started(pilot, items)
        table.fast_paths = fast_paths
        assert table.virtual_size.height == 301  # header + rows
        kept = [v for i, v in enumerate(items) if i % 3 == 0]
        table.apply(kept)
        await pilot.pause()
        assert table.row_count == 100
        assert table.order == [v.number for v in kept]
        assert all(table.get_row_index(v.number) == i for i, v in enumerate(kept))
        assert table.virtual_size.height == 101
        lines = table_lines(table)
        assert "Parcel 000" in lines[1] and "Parcel 003" in lines[2] and "Parcel 006" in lines[3]
        table.apply([*kept, view(1, hours=2)])  # a removed parcel can come back
        await pilot.pause()
        assert table.order[:3] == [number(0), number(1), number(3)]
        assert "Parcel 001" in table_lines(table)[2]


async def test_removing_the_highlighted_parcel_moves_to_its_next_neighbour() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(10)
        table = await started(pilot, items)
        table.move_cursor(row=4)
        await pilot.pause()
        table.apply([v for i, v in enumerate(items) if i not in (1, 2, 4, 5)])
        await pilot.pause()
        assert table.highlighted_number == number(6)  # not number(8), now at index 4
        assert app.highlighted[-1] == number(6)
        # The highlighted parcel and everything after it went away; 1 and 2 come back but were
        # not on screen before, so the nearest surviving row above (0) takes the cursor.
        table.apply(items[:3])
        await pilot.pause()
        assert table.highlighted_number == number(0)


async def test_added_parcels_are_sorted_in_and_the_cursor_stays() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(10)
        table = await started(pilot, items)
        table.move_cursor(row=5)
        await pilot.pause()
        newest = view(50, hours=0.5)  # newest event: sorts first within its status
        stats = table.apply([*items, newest])
        await pilot.pause()
        assert stats.added == 1 and stats.sorted
        assert table.order[0] == number(50)
        assert table.highlighted_number == number(5) and table.cursor_row == 6


async def test_sorting_keeps_the_cursor_on_its_parcel() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, views(30))
        table.move_cursor(row=3)
        await pilot.pause()
        table.set_sort("label", reverse=True)
        await pilot.pause()
        assert table.order == [number(i) for i in reversed(range(30))]
        assert table.highlighted_number == number(3)
        assert table.cursor_row == 26
        assert "Label ▼" in table_lines(table)[0]


async def test_status_change_that_reorders_rows_keeps_the_cursor_on_its_parcel() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(10)
        table = await started(pilot, items)
        table.move_cursor(row=7)
        await pilot.pause()
        items[7] = view(7, status=Status.EXCEPTION, hours=8)  # problems sort first
        stats = table.apply(items)
        await pilot.pause()
        assert stats.sorted
        assert table.order[0] == number(7)
        assert table.highlighted_number == number(7) and table.cursor_row == 0


async def test_cursor_stays_on_the_first_row_until_the_user_moves_it() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(5)
        table = await started(pilot, items[:1])  # the first parcel in, as at start-up
        items[0] = view(0, hours=30)  # ... which then sorts last as the others arrive
        table.apply(items)
        await pilot.pause()
        assert table.order[-1] == number(0)
        assert table.cursor_row == 0 and table.highlighted_number == number(1)
        table.focus()
        await pilot.press("down")
        items[2] = view(2, hours=40)  # once the user has moved it, it follows its parcel
        table.apply(items)
        await pilot.pause()
        assert table.highlighted_number == number(2) and table.cursor_row == 4


async def test_cursor_moves_post_parcel_highlighted() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, views(5))
        table.focus()
        await pilot.press("down", "j")
        await pilot.pause()
        assert app.highlighted == [number(0), number(1), number(2)]
        await pilot.press("G")
        await pilot.pause()
        assert table.highlighted_number == number(4) and app.highlighted[-1] == number(4)
        await pilot.press("k", "g")
        await pilot.pause()
        assert app.highlighted[-2:] == [number(3), number(0)]


# ---- what is shown ----------------------------------------------------------------------------


async def test_hostile_text_renders_literally_without_crashing() -> None:
    app = TableApp()
    async with app.run_test(size=(160, 35)) as pilot:
        hostile = view(1, label="[bold]x[/]", description="[@click=app.quit] now",
                       location="[/]")
        table = await started(pilot, [hostile, view(2, label="[/")])
        app.query_one(DetailPanel).show(hostile, [
            Event(time_raw="", description="[red]customs[/red] [@click=app.quit]",
                  location="[b", time_utc=NOW),
        ], [])
        await pilot.pause()
        text = screen_text(app)
        for literal in ("[bold]x[/]", "[@click=app.quit] now", " [/] ", "[/ ",
                        "[red]customs[/red] [@click=app.quit]"):
            assert literal in text, literal
        assert app.is_running and table.row_count == 2


@pytest.mark.parametrize("fast_paths", [True, False], ids=["bulk", "update_cell"])
async def test_unseen_rows_are_marked_until_viewed(fast_paths: bool) -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, [view(1, unseen=2), view(2)])
        table.fast_paths = fast_paths
        assert table.get_cell(number(1), "status").plain == " →● transit"
        assert table.get_cell(number(1), "label").style.bold  # type: ignore[union-attr]
        assert table.get_cell(number(2), "status").plain == " →  transit"
        table.apply([view(1, unseen=0), view(2)])
        await pilot.pause()
        assert table.get_cell(number(1), "status").plain == " →  transit"
        # Same text, only its style changed: the cell is written all the same.
        assert not table.get_cell(number(1), "label").style  # type: ignore[union-attr]
        table.move_cursor(row=table.get_row_index(number(2)))  # the cursor's row is bold
        await pilot.pause()
        line = table.render_line(table.get_row_index(number(1)) + 1)  # under the header
        label = [seg for seg in line if "Parcel 001" in seg.text]
        assert label and not any(seg.style and seg.style.bold for seg in label)


async def test_theme_switch_recolours_status_cells() -> None:
    app = TableApp()
    app.register_theme(Theme("test-b", primary="#336699", dark=True,
                             variables={"status-delivered": "#abcdef"}))
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, [view(1), view(2, status=Status.DELIVERED)])
        delivered = number(2)
        assert cell_colour(table, delivered, "status") == "#00ff00"
        assert cell_colour(table, delivered, "stage") == "#00ff00"
        app.theme = "test-b"
        await pilot.pause()
        await pilot.pause()
        assert cell_colour(table, delivered, "status") == "#abcdef"
        row = table_lines(table).index(next(line for line in table_lines(table) if "✓" in line))
        glyph = next(s for s in table.render_line(row) if "✓" in s.text)
        assert glyph.style is not None and glyph.style.color is not None
        assert glyph.style.color.triplet.hex == "#abcdef"  # type: ignore[union-attr]


async def test_lazy_row_updates_render_rows_when_they_are_drawn() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(300)
        table = await started(pilot, items)
        renamed = [replace(v, label=f"Renamed {i:03d}") for i, v in enumerate(items)]
        stats = table.update_rows(renamed, lazily=True)  # what a pass start does with 5000
        await pilot.pause()
        assert stats.updated_cells == 300 and not stats.sorted
        assert "Renamed 000" in table_lines(table)[1]  # on screen: drawn with its new text
        assert number(299) in table.stale_rows  # off screen: not rendered yet
        assert table.views[number(299)].label == "Renamed 299"
        table.scroll_end(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert number(299) not in table.stale_rows
        assert any("Renamed 299" in line for line in table_lines(table))


@pytest.mark.parametrize("lazily", [False, True], ids=["now", "lazily"])
async def test_a_few_changed_rows_redraw_only_their_own_lines(lazily: bool) -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        items = views(100)
        table = await started(pilot, items)
        table.scroll_end(animate=False)  # row 90's line gets rendered (and cached) too
        await pilot.pause()
        table.scroll_home(animate=False)
        await pilot.pause()
        before = [table.render_line(y) for y in range(table.size.height)]
        changed = [replace(items[i], label=f"Changed{i:03d}") for i in (3, 90)]
        table.update_rows(changed, lazily=lazily)
        await pilot.pause()
        assert "Changed003" in region_text(app, table)  # its line was repainted
        after = [table.render_line(y) for y in range(table.size.height)]
        row3 = next(y for y, strip in enumerate(after) if "Changed003" in strip.text)
        # Every other line on screen is the strip rendered before, not drawn again.
        assert [y for y in range(len(after)) if after[y] is not before[y]] == [row3]
        table.scroll_end(animate=False)
        await pilot.pause()
        assert any("Changed090" in line for line in table_lines(table))


async def test_new_colours_reach_rows_off_screen_when_they_are_drawn() -> None:
    app = TableApp()
    app.register_theme(Theme("test-b", primary="#336699", dark=True,
                             variables={"status-delivered": "#abcdef"}))
    async with app.run_test(size=(120, 35)) as pilot:
        items = [view(i, status=Status.DELIVERED, hours=i + 1) for i in range(300)]
        table = await started(pilot, items)
        last = number(299)
        app.theme = "test-b"
        await pilot.pause()
        await pilot.pause()
        # Only the rows on screen were re-rendered (a focus change restyles too: 5000 rows
        # each time would stall every tab); the rest wait until they are drawn.
        assert cell_colour(table, number(0), "status") == "#abcdef"
        assert last in table.stale_rows
        table.scroll_end(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert last not in table.stale_rows
        assert cell_colour(table, last, "status") == "#abcdef"
        line = next(line for line in table_lines(table) if last in line)
        glyph = next(s for s in table.render_line(table_lines(table).index(line))
                     if "✓" in s.text)
        assert glyph.style is not None and glyph.style.color is not None
        assert glyph.style.color.triplet.hex == "#abcdef"  # type: ignore[union-attr]


async def test_narrow_terminal_keeps_status_label_event_and_last_scan() -> None:
    app = TableApp()
    async with app.run_test(size=(139, 35)) as pilot:
        items = [view(i, label=f"Tea from Hangzhou, {i:03d}") for i in range(20)]
        table = await started(pilot, items)
        # The widest terminal before the detail moves beside the table: all but the first
        # column to go (the next check).
        assert table.visible_columns == tuple(k for k in COLUMN_KEYS if k != "next")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert table.visible_columns == ("status", "label", "event", "age")
        lines = table_lines(table)
        for title in ("Status", "Label", "Latest event", "Last scan"):
            assert title in lines[0]
        for title in ("Number", "From", "Location", "Stage", "Next check"):
            assert title not in lines[0]
        for line, item in zip(lines[1:], items, strict=False):
            assert f"→  {item.status_word} " in line and item.latest_event[:20] in line
        assert max(len(line.rstrip()) for line in lines) <= 80
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert table.visible_columns == ("status", "label", "event", "age")
        assert "transit" in table_lines(table)[1] and "Departure" in table_lines(table)[1]


def test_columns_drop_in_priority_order_as_width_shrinks() -> None:
    natural = {"status": 12, "label": 20, "number": 13, "event": 40, "location": 15, "age": 6,
               "next": 10}
    seen: list[tuple[str, ...]] = []
    for width in range(200, 25, -1):
        widths = compute_widths(width, natural)
        visible = tuple(k for k in COLUMN_KEYS if widths[k])
        if not seen or seen[-1] != visible:
            seen.append(visible)
        assert sum(widths.values()) <= width
        assert widths["status"] == 13  # the status word is never cut
        if set(visible) - {"status", "label", "event", "age"}:
            # Less important columns go before the latest event is squeezed.
            assert widths["event"] >= 31 and widths["label"] == 21
    dropped = [next(k for k in a if k not in b) for a, b in pairwise(seen)]
    assert seen[0] == COLUMN_KEYS
    assert dropped == ["next", "stage", "eta", "destination", "origin", "location", "number", "age",
                       "event"]
    assert seen[-1] == ("status", "label")


def test_spare_width_goes_to_the_latest_event_up_to_its_text() -> None:
    natural = {"status": 12, "label": 20, "event": 40, "age": 6}
    widths = compute_widths(200, natural)
    assert widths["event"] == 41 and widths["label"] == 21
    squeezed = compute_widths(60, natural)  # core columns only: label first, then the event
    assert [k for k in COLUMN_KEYS if squeezed[k]] == ["status", "label", "event", "age"]
    assert squeezed["label"] == 21 and squeezed["event"] == 60 - 13 - 21 - 12


async def test_detail_panel_shows_number_facts_events_and_advice() -> None:
    @dataclass
    class Tip:
        level: str
        title: str
        body: str
        trigger: str

    app = TableApp()
    async with app.run_test(size=(160, 40)) as pilot:
        v = view(3)
        events = [
            Event(time_raw="", description="Arrival at inward office of exchange",
                  location="FRANKFURT", time_utc=datetime(2026, 11, 24, 1, 30, tzinfo=UTC)),
            Event(time_raw="", description="Posting/collection", location="HANGZHOU",
                  time_local=datetime(2026, 11, 20, 9, 12)),
        ]
        app.query_one(DetailPanel).show(v, events, [
            Tip("warning", "Customs may need documents", "Contact the destination post.",
                "in customs for 6 days")])
        await pilot.pause()
        text = region_text(app, app.query_one(DetailPanel))
        words = " ".join(text.split())  # long lines wrap in the panel
        assert v.spaced_number in text and v.spaced_number.startswith("EE 000 000 03")
        assert "China (CN)" in text and "the issuing post, not the destination" in words
        assert "2026-11-24 02:30" in text  # UTC event shown in the user's zone (CET)
        assert "2026-11-20 09:12 site time" in text  # wall time labelled as the site's clock
        assert text.index("FRANKFURT") < text.index("HANGZHOU")  # newest first
        assert "Customs may need documents" in text and "because in customs for 6 days" in words


async def test_detail_redraws_only_what_changed_and_lays_out_only_when_it_can_grow() -> None:
    app = TableApp()
    async with app.run_test(size=(160, 40)) as pilot:
        detail = app.query_one(DetailPanel)
        detail.show(view(3), [], [])
        await pilot.pause()
        updates: list[tuple[str | None, bool]] = []
        for box in detail.query(Static):
            original = box.update

            def spy(content: Any, *, layout: bool = True, box: Any = box,
                    original: Any = original) -> None:
                updates.append((box.id, layout))
                original(content, layout=layout)

            box.update = spy  # type: ignore[method-assign]
        detail.show(view(3), [], [])  # the minute tick with nothing moved: nothing redrawn
        assert updates == []
        detail.show(view(3, label="Parcel 999"), [], [])  # one fact changed, same height
        assert updates == [("detail-facts", False)]
        detail.show(view(3, label="X" * 400), [], [])  # a line that wraps: laid out again
        assert updates[-1] == ("detail-facts", True)


async def test_header_shows_provider_health_and_refresh_times() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        header = app.query_one(AppHeader)
        header.set_health([ProviderHealth("ems", "ok"),
                           ProviderHealth("17track", "backoff", until=NOW + timedelta(hours=1))])
        header.set_refresh(NOW - timedelta(minutes=2), NOW + timedelta(minutes=58))
        await pilot.pause()
        line = screen_text(app).splitlines()[0]
        assert "emstui" in line
        assert "17track backing off until 14:00" in line and "ems ok" in line
        assert "last 12:58 · next 13:58" in line


async def test_widgets_fed_before_mounting_show_their_data_once_mounted() -> None:
    class EarlyApp(TableApp):
        def compose(self) -> ComposeResult:
            table = ParcelTable(id="parcels")
            table.apply([view(1), view(2)])
            detail = DetailPanel(id="detail", tz=CET)
            detail.show(view(2), [], [])
            yield AppHeader(tz=CET, clock=FixedClock())
            with Container(id="main"):
                yield table
                yield detail

    app = EarlyApp()
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        assert app.query_one(ParcelTable).order == [number(1), number(2)]
        assert "Parcel 002" in region_text(app, app.query_one(DetailPanel))
        assert "emstui" in screen_text(app).splitlines()[0]
        assert "last never" in screen_text(app).splitlines()[0]


async def test_rows_brought_up_to_date_while_drawn_queue_no_repaint() -> None:
    # Otherwise the next small write (a mark, one result) would redraw every row drawn since.
    app = TableApp()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(pilot, views(100))
        table.update_rows([replace(v, label=f"Lazy {i}") for i, v in enumerate(views(100))],
                          lazily=True)
        await pilot.pause()
        assert any("Lazy 0" in line for line in table_lines(table))  # drawn, so written
        assert table._written_rows == set()
