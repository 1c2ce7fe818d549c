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
- column widths are set during layout (`_size_updated`), before the frame renders the rows,
  instead of after it in `on_resize`, which would draw the frame twice.

Guard: the internals are used only with the Textual versions this was written and measured
against (`SUPPORTED`) and only when they have the expected shape; otherwise `FastPathTable`
says `fast_paths` is False and its subclass takes the public API path it keeps beside each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import textual
from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

if TYPE_CHECKING:
    from textual.widgets._data_table import RowRenderables

# DataTable's caches of rendered rows, cells and lines. Dropping them re-renders what is drawn
# next; bumping `_update_count` (which keys them) would too, but it also keys the row order and
# line offsets, whose rebuild walks every row (~12 ms at 5000 rows, on every focus change).
_RENDER_CACHES = ("_row_renderable_cache", "_cell_render_cache", "_row_render_cache",
                  "_line_cache")

# [from, to): the Textual releases whose DataTable internals this module was checked against.
SUPPORTED = ((8, 2), (8, 3))


def version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def supported(version: str | None = None) -> bool:
    """Whether this Textual release (the one running, unless given) is in `SUPPORTED`."""
    return SUPPORTED[0] <= version_tuple(version or textual.__version__) < SUPPORTED[1]


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

    def _has_expected_internals(self) -> bool:
        from textual._two_way_dict import TwoWayDict

        return (isinstance(getattr(self, "_data", None), dict)
                and isinstance(getattr(self, "_new_rows", None), set)
                and isinstance(getattr(self, "_updated_cells", None), set)
                and isinstance(getattr(self, "_row_locations", None), TwoWayDict)
                and hasattr(self, "_require_update_dimensions")
                and all(hasattr(getattr(self, cache, None), "clear") for cache in _RENDER_CACHES)
                and isinstance(getattr(self, "_update_count", None), int))

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
            if cell != row[column]:  # type: ignore[index]
                row[column] = cell  # type: ignore[index]
                changed += 1
        return changed

    def fast_cells_written(self) -> None:
        """One refresh for every cell `fast_write_row` wrote."""
        self._drop_rendered()
        self.refresh()

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
        self.stale_rows.update(numbers)
        self._drop_rendered()
        self.refresh()

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

    def _get_row_renderables(self, row_index: int) -> RowRenderables:
        if self.stale_rows and row_index >= 0:
            key = self._row_locations.get_key(row_index)
            number = key.value if key is not None else None
            if number in self.stale_rows:
                self.stale_rows.discard(number)
                self.render_stale_row(number)
        return super()._get_row_renderables(row_index)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if changed and self.fast_paths:
            self.layout_resized()
        return changed
