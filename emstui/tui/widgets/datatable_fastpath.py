"""Every use of Textual's DataTable internals, in one place: bulk paths DataTable lacks.

Why: DataTable's public calls cost per row or per cell what emstui does per table update, and
at thousands of parcels that is seconds. Measured with Textual 8.2.8 (`bench/tui.py`: apply a
refresh changing 500 of 5000 parcels, first paint of 1000; `bench/tui_scale.py`: keys, the
minute tick and a theme or focus change at 5000):
- `remove_row` re-indexes every row on each call: removing 500 of 5000 rows took ~6 s;
- `update_cell` refreshes per cell; a refresh writes hundreds of cells, refreshed once here;
- `add_row` queues every new row to be measured cell by cell on idle to size auto-width
  columns (~1.5 s for 5000 rows); the parcel table's columns have set widths;
- `sort` sorts again an order the caller already knows;
- a restyle (every focus change: the table's colours follow :focus) would rewrite every cell;
  here only the rows on screen are re-rendered, the others when they are next drawn;
- a focus change re-renders every visible cell through Rich (~0.1 ms each) because the tint
  and cursor colours are applied in the same pass; here a one-line cell's text is rendered
  once, and colours are applied to its segments (`_render_cell`), which is what DataTable's
  `Styled` wrapper does;
- finding the row of a screen line rebuilt an offset list by walking every row whenever the
  table was resized (the filter line opening and closing); rows here are one line high, so the
  row is the line (`_get_offsets`);
- column widths are set during layout (`_size_updated`), before the frame renders the rows,
  instead of after it in `on_resize`, which would draw the frame twice.

Guard: the internals are used only with the Textual versions this was written and measured
against (`textual_versions.SUPPORTED`) and only when they have the expected shape; otherwise
`FastPathTable` says `fast_paths` is False and its subclass takes the public API path it keeps
beside each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from emstui.tui.widgets.textual_versions import supported

if TYPE_CHECKING:
    from textual._types import SegmentLines
    from textual.widgets._data_table import RowRenderables

# DataTable's caches of rendered rows, cells and lines. Dropping them re-renders what is drawn
# next; bumping `_update_count` (which keys them) would too, but it also keys the row order and
# line offsets, whose rebuild walks every row (~12 ms at 5000 rows, on every focus change).
_RENDER_CACHES = ("_row_renderable_cache", "_cell_render_cache", "_row_render_cache",
                  "_line_cache")

# A write to at most this many rows drops and repaints only those rows' rendered lines; more,
# and every rendered row is dropped (one walk of the caches either way).
ROWS_DROPPED_ONE_BY_ONE = 64

# Plain cells kept (`FastPathTable._render_cell`): a few screens of rows at every width.
PLAIN_CELLS = 4000


def same_cell(cell: Text, other: object) -> bool:
    """Whether `other` draws as `cell`. Rich's `Text ==` compares the text and spans only,
    not the style a cell is made with (a label losing its bold, a theme's new muted colour)."""
    return isinstance(other, Text) and cell == other and cell.style == other.style


class FastPathTable(DataTable[Text]):
    """A DataTable with bulk operations over its internals; `fast_paths` says they are usable.

    Subclasses call the `fast_*` methods only when `fast_paths` is True, and implement
    `render_stale_row` and `layout_resized`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fast_paths = supported() and self._has_expected_internals()
        # Rows rendered with colours that have changed since (focus, theme): re-rendered when
        # next drawn (`render_stale_row`), so a restyle costs the visible rows, not all of them.
        self.stale_rows: set[str] = set()
        # One-line cells rendered without colours, by (row, column, width): (cell, lines).
        # Valid while the row holds that very cell object (a written cell is a new one). A
        # dict, emptied when full: Textual's LRUCache keeps the first value set for a key.
        self._plain_cells: dict[tuple[RowKey, ColumnKey, int], tuple[object, SegmentLines]] = {}
        # Every row added so far is one line high (`_get_offsets` relies on it).
        self._one_line_rows = True
        # Rows `fast_write_row` changed since the last `fast_cells_written`.
        self._written_rows: set[str] = set()

    def _has_expected_internals(self) -> bool:
        from textual._two_way_dict import TwoWayDict

        return (isinstance(getattr(self, "_data", None), dict)
                and isinstance(getattr(self, "_new_rows", None), set)
                and isinstance(getattr(self, "_updated_cells", None), set)
                and isinstance(getattr(self, "_row_locations", None), TwoWayDict)
                and hasattr(self, "_require_update_dimensions")
                and all(hasattr(getattr(self, cache, None), method) for cache in _RENDER_CACHES
                        for method in ("clear", "keys", "discard"))
                and isinstance(getattr(self, "_update_count", None), int)
                and isinstance(getattr(self, "_column_locations", None), TwoWayDict)
                and hasattr(self, "_get_styles_to_render_cell")
                and isinstance(getattr(self, "_show_hover_cursor", None), bool)
                and hasattr(self, "_pseudo_class_state")
                and hasattr(self, "_header_row_key"))

    # ---- hooks for the subclass ----------------------------------------------------------------

    def render_stale_row(self, number: str) -> None:
        """Bring a row marked stale up to date; called just before it is drawn."""

    def layout_resized(self) -> None:
        """The table's size changed during layout, before this frame renders its rows."""

    # ---- bulk operations ----------------------------------------------------------------------

    def fast_write_row(self, number: str, cells: Iterable[tuple[str, Text]]) -> int:
        """Set a row's changed cells without a refresh each (`fast_cells_written` after);
        returns how many changed."""
        row = self._data[RowKey(number)]
        changed = 0
        for column, cell in cells:
            if not same_cell(cell, row[column]):  # type: ignore[index]
                row[column] = cell  # type: ignore[index]
                changed += 1
        if changed:
            self._written_rows.add(number)
        return changed

    def fast_cells_written(self) -> None:
        """One refresh for every cell `fast_write_row` wrote: a few rows drop and repaint only
        their own lines (a pass writes rows mostly off screen, and redrawing every visible
        line for them cost 30-60 ms a frame), many rows drop everything."""
        written, self._written_rows = self._written_rows, set()
        self._drop_rows(written)

    def _drop_rows(self, numbers: set[str]) -> None:
        if not (self._one_line_rows and len(numbers) <= ROWS_DROPPED_ONE_BY_ONE):
            self._drop_rendered()
            self.refresh()
            return
        keys = {RowKey(n) for n in numbers}
        indexes = {i for i in (self._row_locations.get(k) for k in keys) if i is not None}
        header = self.header_height if self.show_header else 0
        lines = {i + header for i in indexes}  # one-line rows: the row's index is its line
        for cache, drop in ((self._line_cache, lambda k: k[0] in lines),
                            (self._row_render_cache, lambda k: k[0] in keys),
                            (self._cell_render_cache, lambda k: k[0] in keys),
                            (self._row_renderable_cache, lambda k: k[1] in indexes)):
            for key in [k for k in cache.keys() if drop(k)]:  # noqa: SIM118 (no __iter__)
                cache.discard(key)
        width = self.virtual_size.width
        for line in lines:
            self._refresh_region(Region(0, line, width, 1))

    def fast_rows_added(self) -> None:
        """Skip measuring the rows just added (columns have set widths)."""
        self._new_rows.clear()

    def fast_remove_rows(self, numbers: Sequence[str], order_after: Sequence[str],
                         key_column: str) -> None:
        """Remove many rows in one pass, leaving the others in `order_after`, as `remove_row`
        would have left them."""
        dropped = set(numbers)
        for number in numbers:
            row_key = RowKey(number)
            del self.rows[row_key]
            del self._data[row_key]
            self._new_rows.discard(row_key)
        self._updated_cells = {c for c in self._updated_cells if c.row_key.value not in dropped}
        self._require_update_dimensions = True
        rank = {id(self._data[RowKey(n)][key_column]): i  # type: ignore[index]
                for i, n in enumerate(order_after)}
        self.sort(key_column, key=lambda cell: rank[id(cell)])
        self.cursor_coordinate = self.cursor_coordinate  # clamp, as remove_row does
        self.hover_coordinate = self.hover_coordinate
        self.refresh(layout=True)
        self.check_idle()

    def fast_set_order(self, numbers: Sequence[str]) -> None:
        """Show the rows in this order, as `sort` would leave them, without sorting again."""
        from textual._two_way_dict import TwoWayDict

        self._row_locations = TwoWayDict({RowKey(n): i for i, n in enumerate(numbers)})
        self._update_count += 1
        self.refresh()

    def fast_mark_stale(self, numbers: Iterable[str]) -> None:
        """These rows' content changed: re-render each when next drawn (costs the visible)."""
        numbers = set(numbers)
        self.stale_rows.update(numbers)
        self._drop_rows(numbers)

    def fast_restyle(self, numbers: Iterable[str]) -> None:
        """Colours changed: drop the rendered rows and re-render each when next drawn."""
        self.stale_rows = set(numbers)
        self._drop_rendered()
        self.refresh()

    def _drop_rendered(self) -> None:
        """Forget rendered rows, cells and lines; the row order and offsets stay."""
        for cache in _RENDER_CACHES:
            getattr(self, cache).clear()

    # ---- overridden internals ----------------------------------------------------------------

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None,
                label: Any = None) -> RowKey:
        if height != 1:
            self._one_line_rows = False
        return super().add_row(*cells, height=height, key=key, label=label)

    def _get_offsets(self, y: int) -> tuple[RowKey, int]:
        if not (self.fast_paths and self._one_line_rows):
            return super()._get_offsets(y)
        if self.show_header:
            if y < self.header_height:
                return self._header_row_key, y
            y -= self.header_height
        row_key = self._row_locations.get_key(y) if y >= 0 else None
        if row_key is None:
            raise LookupError(f"Y coord {y!r} is greater than total height")
        return row_key, 0

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> SegmentLines:
        """DataTable's `_render_cell` for body cells of one-line rows, in two steps: the cell
        rendered plain (cached while the cell is unchanged), then its colours applied to the
        segments as DataTable's `Styled(Padding(cell), pre_style, post_style)` applies them.
        Header and label cells, and taller rows, take DataTable's own."""
        if not self.fast_paths or row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        # DataTable's cell cache key, so its invalidation (focus, style, updates) holds here.
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        row = self.rows.get(row_key) if row_key is not None else None
        if row is None or row.height != 1 or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        cell = self._get_row_renderables(row_index).cells[column_index]
        plain_key = (row_key, column_key, width)
        plain = self._plain_cells.get(plain_key)
        if plain is None or plain[0] is not cell:
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            lines = list(Segment.split_and_crop_lines(
                self.app.console.render(Padding(cell, (0, self.cell_padding)), options), width,
                pad=False, include_new_lines=False))
            if len(lines) != 1 or Segment.get_line_length(lines[0]) != width:
                # DataTable would crop or pad this after colouring (a column 0 wide, say):
                # colouring first is the same only for one line of the exact width.
                return super()._render_cell(row_index, column_index, base_style, width,
                                            cursor, hover)
            plain = (cell, lines)
            if len(self._plain_cells) >= PLAIN_CELLS:
                self._plain_cells.clear()
            self._plain_cells[plain_key] = plain
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre_style = (base_style + Style.from_meta({"row": row_index, "column": column_index})
                     + component_style)
        lines = [list(Segment.apply_style(line, pre_style, post_style)) for line in plain[1]]
        self._cell_render_cache[cache_key] = lines
        return lines

    def _get_row_renderables(self, row_index: int) -> RowRenderables:
        if self.stale_rows and row_index >= 0:
            key = self._row_locations.get_key(row_index)
            number = key.value if key is not None else None
            if number in self.stale_rows:
                self.stale_rows.discard(number)
                self.render_stale_row(number)
                # Written while being drawn: its caches went when it was marked stale, and
                # asking for a repaint would make the next small write redraw it again.
                self._written_rows.discard(number)
        return super()._get_row_renderables(row_index)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if changed and self.fast_paths:
            self.layout_resized()
        return changed
