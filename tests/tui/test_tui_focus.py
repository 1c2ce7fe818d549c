"""Focus changes: the footer shows the focused widget's keys; the table's colours follow focus.

Both are done without Textual's full rebuild (the footer shows and hides the keys it composed,
the table recolours cells it rendered once), so these check that what is shown is still what the
stock widgets would show.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apphelpers import World, drain, make_world, running
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Footer
from textual.widgets._footer import FooterKey

from emstui.tui.widgets import footer as footer_module
from emstui.tui.widgets.footer import KeySpec, MarksFooter, embed, merge
from emstui.tui.widgets.parcel_table import ParcelTable


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        yield w


def shown(footer: Footer) -> list[KeySpec]:
    return [KeySpec.of(key) for key in footer.query(FooterKey) if key.display]


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await drain(pilot)
    await pilot.pause()  # the footer updates after the refresh that follows the focus change


@pytest.mark.parametrize("fast", [True, False], ids=["pooled", "stock-recompose"])
async def test_the_footer_shows_the_focused_widgets_keys_as_the_stock_footer_does(
        world: World, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # An unchecked Textual release (fast False) takes the stock Footer's recompose.
    monkeypatch.setattr(footer_module, "supported", lambda: fast)
    async with running(world) as (app, pilot):
        main = app.main
        stock = Footer(id="stock")  # Textual's own, beside ours, fed the same bindings
        await main.mount(stock)
        main.refresh_bindings()
        await press(pilot)
        footer = main.footer
        seen = []
        for keys, focused in ((), "parcels"), (("tab",), "detail"), (("shift+tab",), "parcels"), \
                (("slash",), "filter-input"), (("escape",), "parcels"), (("enter",), "detail"):
            await press(pilot, *keys)
            assert app.focused is not None and app.focused.id == focused
            ours = shown(footer)
            assert ours == shown(stock), f"after {keys} on {focused}"
            seen.append([spec.description for spec in ours])
            assert (footer._pool is not None) == fast
        table_keys, detail_keys, _, filter_keys, _, after_enter = seen
        assert "Details" in table_keys and "Mark" in table_keys
        assert "Details" not in detail_keys and "Mark" not in detail_keys
        assert after_enter == detail_keys
        assert "Clear filter" in filter_keys and "Clear filter" not in table_keys


async def test_moving_focus_back_and_forth_reuses_the_footer_keys(world: World) -> None:
    async with running(world) as (app, pilot):
        footer = app.main.footer
        await press(pilot, "tab")
        await press(pilot, "shift+tab")
        keys = {id(key) for key in footer.query(FooterKey)}
        await press(pilot, "tab")
        assert "Details" not in [spec.description for spec in shown(footer)]
        await press(pilot, "shift+tab")
        assert "Details" in [spec.description for spec in shown(footer)]
        assert {id(key) for key in footer.query(FooterKey)} == keys  # shown and hidden only


async def test_the_marked_count_survives_a_footer_recompose(world: World) -> None:
    async with running(world) as (app, pilot):
        await press(pilot, "space")
        footer: MarksFooter = app.main.footer
        assert footer.marks_text == "1 marked"
        await press(pilot, "slash")  # keys the footer has not composed yet: it recomposes
        assert "Clear filter" in [spec.description for spec in shown(footer)]
        assert footer.query_one("#marks").has_class("-shown")
        assert footer.marks_text == "1 marked"


def test_embed_and_merge_keep_each_sequence_in_order() -> None:
    def spec(name: str) -> KeySpec:
        return KeySpec(name, name, name, name, False, "")

    table = [spec(k) for k in "dmhaq"]
    detail = [spec(k) for k in "haq"]
    filtering = [spec(k) for k in "xfq"]
    assert embed(table, detail) == [False, False, True, True, True]
    assert embed(detail, table) is None
    both = merge(table, filtering)
    assert len(both) == len(table) + len(filtering) - 1  # "q" is shared
    for wanted in (table, detail, filtering):
        flags = embed(both, wanted)
        assert flags is not None
        assert [s for s, show in zip(both, flags, strict=True) if show] == wanted


def cursor_line(table: ParcelTable) -> int:
    return table.cursor_row + 1 - round(table.scroll_y)  # below the header


def backgrounds(table: ParcelTable, y: int) -> set[str]:
    return {seg.style.bgcolor.name for seg in table.render_line(y)
            if seg.text.strip() and seg.style is not None and seg.style.bgcolor is not None}


async def test_the_cursor_row_takes_the_focused_colours_and_gives_them_back(
        world: World) -> None:
    async with running(world) as (app, pilot):
        table = app.main.table
        await press(pilot, "down")
        assert app.focused is table
        y = cursor_line(table)
        other = y + 1

        def cursor_colour() -> str:
            colour = table.get_component_rich_style("datatable--cursor").bgcolor
            assert colour is not None
            return colour.name

        focused = cursor_colour()
        assert backgrounds(table, y) == {focused}
        focused_other = backgrounds(table, other)
        assert focused not in focused_other

        await press(pilot, "tab")
        assert app.focused is not table
        blurred = cursor_colour()
        assert blurred != focused
        assert backgrounds(table, y) == {blurred}
        assert backgrounds(table, other) != focused_other  # the :focus tint left every row

        await press(pilot, "shift+tab")
        assert backgrounds(table, y) == {focused}
        assert backgrounds(table, other) == focused_other


@pytest.mark.parametrize("focus", [True, False], ids=["focused", "blurred"])
async def test_recoloured_cells_are_what_datatable_renders(world: World, focus: bool) -> None:
    async with running(world) as (app, pilot):
        table = app.main.table
        assert table.fast_paths
        if not focus:
            await press(pilot, "tab")
        hidden = [c for c in table.ordered_columns if not c.get_render_width(table)]
        assert hidden  # 120 columns wide: some columns are 0 wide, rendered all the same
        base = table.rich_style + Style(bgcolor="#203040")
        for row in range(table.row_count):
            for col, column in enumerate(table.ordered_columns):
                width = column.get_render_width(table)
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    ours = table._render_cell(row, col, base, width, cursor, hover)
                    table._cell_render_cache.clear()
                    theirs = DataTable._render_cell(table, row, col, base, width, cursor, hover)
                    table._cell_render_cache.clear()
                    assert ours == theirs, (row, column.key, cursor, hover)
        # A cell written since is rendered again, not taken from the plain cache (rows the
        # table itself would re-render when drawn are left out of this).
        table.stale_rows.clear()
        width = table.ordered_columns[0].get_render_width(table)
        row_key, column_key = table.coordinate_to_cell_key(Coordinate(0, 0))
        table._render_cell(0, 0, base, width)
        before = table._plain_cells.get((row_key, column_key, width))
        assert before is not None and before[0] is table.get_cell_at(Coordinate(0, 0))
        table.update_cell_at(Coordinate(0, 0), Text(" X new", style="bold"))
        ours = table._render_cell(0, 0, base, width)
        after = table._plain_cells.get((row_key, column_key, width))
        assert after is not None and after[0] is table.get_cell_at(Coordinate(0, 0))
        assert "X new" in "".join(seg.text for seg in ours[0])
        table._cell_render_cache.clear()
        assert ours == DataTable._render_cell(table, 0, 0, base, width)


async def test_screen_lines_map_to_rows_without_the_offset_list(world: World) -> None:
    async with running(world) as (app, _pilot):
        table = app.main.table
        assert table.fast_paths and table._one_line_rows
        for y in range(table.row_count + 1):
            assert table._get_offsets(y) == DataTable._get_offsets(table, y)
        with pytest.raises(LookupError):
            table._get_offsets(table.row_count + 1)


def test_keyspec_builds_the_key_it_describes() -> None:
    spec = KeySpec("ctrl+p", "^p", "Palette", "command_palette", True, "Commands", palette=True)
    assert KeySpec.of(spec.build()) == spec

