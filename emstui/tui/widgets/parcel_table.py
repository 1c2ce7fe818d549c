"""The live parcel table: one row per parcel, updated by keyed diff so the cursor never jumps."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from emstui.present.views import (
    DEFAULT_SORT,
    SORT_KEYS,
    TABLE_COLUMNS,
    TONE_NAMES,
    UNSEEN_MARK,
    Column,
    ParcelView,
)
from emstui.tui import keymap
from emstui.tui.widgets.column_widths import CELL_PAD, COLUMN_KEYS, WidthCounts, compute_widths
from emstui.tui.widgets.datatable_fastpath import FastPathTable, same_cell
from emstui.tui.widgets.parcel_cells import render_cell

__all__ = ["COLUMNS", "COLUMN_KEYS", "UNSEEN_MARK", "ApplyStats", "ParcelTable"]

# Columns are declared in `emstui.present.views.TABLE_COLUMNS` (display order, priority, widths).
COLUMNS: tuple[Column, ...] = TABLE_COLUMNS
NUMBER_COLUMN = "number"


@dataclass(frozen=True, slots=True)
class ApplyStats:
    """What one `apply` did (for tests and benchmarks)."""

    added: int = 0
    removed: int = 0
    updated_cells: int = 0
    sorted: bool = False
    relaid: bool = False


class ParcelTable(FastPathTable):
    """Parcels as rows keyed by tracking number; feed it `ParcelView`s with `apply`.

    Where `fast_paths` is True the bulk operations of `FastPathTable` are used (Textual
    internals, measured and version-guarded there); otherwise DataTable's public API.
    """

    # j/k, g/G, page keys and enter (focus the detail), with ids the user can remap in [keys].
    BINDINGS: ClassVar[list[BindingType]] = list(keymap.build_bindings("table"))
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"parcel-table--status-{tone}" for tone in TONE_NAMES),
        "parcel-table--unseen",
        "parcel-table--muted",
        "parcel-table--marked",
    }
    DEFAULT_CSS = """
    ParcelTable {
        height: 1fr;
        & > .parcel-table--status-delivered { color: $status-delivered; }
        & > .parcel-table--status-transit { color: $status-transit; }
        & > .parcel-table--status-customs { color: $status-customs; }
        & > .parcel-table--status-attention { color: $status-attention; }
        & > .parcel-table--status-exception { color: $status-exception; }
        & > .parcel-table--status-unknown { color: $status-unknown; }
        & > .parcel-table--unseen { color: $accent; text-style: bold; }
        & > .parcel-table--muted { color: $text-muted; }
        & > .parcel-table--marked { color: $accent; text-style: bold; }
    }
    """

    class ParcelHighlighted(Message):
        """The highlighted parcel changed (None: the table is empty)."""

        def __init__(self, table: ParcelTable, number: str | None) -> None:
            super().__init__()
            self.table = table
            self.number = number

        @property
        def control(self) -> ParcelTable:
            return self.table

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(cursor_type="row", cell_padding=0, show_row_labels=False,
                         name=name, id=id, classes=classes)
        self._views: dict[str, ParcelView] = {}
        self._width_counts = WidthCounts()  # kept up to date by `apply` and `update_rows`
        self._pending: list[ParcelView] | None = None
        self._styles: dict[str, Style] = {}
        self._widths: dict[str, int] = {}
        self._posted: str | None = None
        self._posted_once = False
        self.sort_column = DEFAULT_SORT
        self.sort_reverse = False
        # Until the user moves the cursor, jumps to a parcel, sorts or filters, it stays on the
        # first row as rows arrive and re-sort: at start-up the first parcel added otherwise
        # dragged it along to wherever its status sorted it (the demo started on the last row).
        self.follow_top = True
        self._moving = 0  # >0 while the table itself moves the cursor (not the user)
        # Marked parcels (`emstui.tui.marks.MarkSet`, owned by the screen): a mark in the
        # status cell's leading space.
        self.marks: Container[str] = frozenset()

    # ---- public API --------------------------------------------------------------------------

    @property
    def highlighted_number(self) -> str | None:
        """The tracking number under the cursor, or None when the table is empty."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0))
        return row_key.value

    @property
    def order(self) -> list[str]:
        """Tracking numbers in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    def shows(self, number: str) -> bool:
        """Whether the table has a row for `number` (never before it is mounted)."""
        return number in self._views

    @property
    def views(self) -> dict[str, ParcelView]:
        return dict(self._views)

    @property
    def visible_columns(self) -> tuple[str, ...]:
        return tuple(k for k in COLUMN_KEYS if self._widths.get(k, 1) > 0)

    def highlight(self, number: str) -> bool:
        """Move the cursor to a parcel; False when it is not in the table."""
        if number not in self._views:
            return False
        self.follow_top = False
        self.move_cursor(row=self.get_row_index(number))
        self._sync_highlight()
        return True

    def set_sort(self, column: str, *, reverse: bool = False) -> None:
        """Sort by a column of `present.views.SORT_KEYS`, keeping the cursor on its parcel."""
        if column not in SORT_KEYS:
            raise ValueError(f"unknown sort column {column!r}")
        self.sort_column, self.sort_reverse = column, reverse
        self.follow_top = False  # the user arranged the table: the cursor keeps its parcel
        if self._styles:  # mounted; otherwise on_mount sets titles and apply sorts
            self._set_titles()
            with self.app.batch_update():
                key = self.highlighted_number
                self._sort_if_needed()
                self._restore_cursor(key, [])
            self._sync_highlight()

    def apply(self, views: Sequence[ParcelView]) -> ApplyStats:
        """Make the table show exactly `views`: a keyed diff, never a rebuild.

        New parcels are added, missing ones removed, and only cells whose content changed are
        updated. The cursor stays on its parcel (or moves to the nearest surviving neighbour when
        its parcel went away); rows are re-sorted only when the order changed.
        """
        if not self._styles:  # not mounted yet: component styles are not known
            self._pending = list(views)
            return ApplyStats()
        new = {v.number: v for v in views}
        old_order = self.order
        key = self.highlighted_number
        gone = [number for number in self._views if number not in new]
        added = updated = 0
        with self.app.batch_update():
            if gone:
                self._remove_rows(gone, old_order)
                for number in gone:
                    self._width_counts.add(self._views[number], -1)
            for number, view in new.items():
                before = self._views.get(number)
                if before is None:
                    self.add_row(*self._render_row(view), key=number)
                    self._width_counts.add(view, 1)
                    added += 1
                elif before is not view and before != view:
                    updated += self._update_row(number, view)
                    self._width_counts.change(before, view)
            if added and self.fast_paths:
                self.fast_rows_added()  # our columns have set widths: no measuring
            if updated and self.fast_paths:
                self.fast_cells_written()
            self._views = new
            relaid = bool(gone or added or updated) and self._relayout()
            did_sort = self._sort_if_needed()
            self._restore_cursor(key, old_order)
        self._sync_highlight()
        return ApplyStats(added, len(gone), updated, did_sort, relaid)

    def redraw_marks(self, numbers: Iterable[str]) -> int:
        """These parcels were marked or unmarked: redraw their status cells, nothing else;
        how many rows were redrawn."""
        rows = [n for n in numbers if n in self._views]
        if not rows or not self._styles:
            return 0
        for number in rows:  # a stale row is re-rendered whole when drawn, marks included
            cell = self._render("status", self._views[number])
            if self.fast_paths:
                self.fast_write_row(number, [("status", cell)])
            else:
                self.update_cell(number, "status", cell)
        if self.fast_paths:
            self.fast_cells_written()
        return len(rows)

    def update_rows(self, views: Iterable[ParcelView], *, lazily: bool = False) -> ApplyStats:
        """Update rows already in the table whose text may have changed (the clock moved).

        Costs what changed, not the table: no diff over every row, no rows added or removed
        (views of parcels not in the table are ignored). Only cells whose content changed are
        written; rows are re-sorted only when a changed row's sort key changed, keeping the
        cursor on its parcel. `lazily`: rows are rendered when next drawn instead of now, so
        marking thousands (a pass starting) costs the rows on screen; `updated_cells` then
        counts the rows marked.
        """
        views = list(views)
        if not self._styles:  # not mounted yet: fold the changes into the pending rows
            if self._pending is not None:
                fresh = {v.number: v for v in views}
                self._pending = [fresh.get(v.number, v) for v in self._pending]
            return ApplyStats()
        sort_key = SORT_KEYS[self.sort_column]
        key = self.highlighted_number
        updated = 0
        resort = False
        marked: list[str] = []
        lazily = lazily and self.fast_paths
        with self.app.batch_update():
            for view in views:
                before = self._views.get(view.number)
                if before is None or before is view or before == view:
                    continue
                if lazily:
                    marked.append(view.number)
                    updated += 1
                else:
                    updated += self._update_row(view.number, view)
                self._width_counts.change(before, view)
                self._views[view.number] = view
                resort = resort or sort_key(before) != sort_key(view)
            if updated and lazily:
                self.fast_mark_stale(marked)
            elif updated and self.fast_paths:
                self.fast_cells_written()
            relaid = bool(updated) and self._relayout()
            did_sort = resort and self._sort_if_needed()
            if did_sort:
                self._restore_cursor(key, [])
        if did_sort:
            self._sync_highlight()
        return ApplyStats(updated_cells=updated, sorted=did_sort, relaid=relaid)

    # ---- rendering ---------------------------------------------------------------------------

    def _render_row(self, view: ParcelView) -> list[Text]:
        return [self._render(key, view) for key in COLUMN_KEYS]

    def _render(self, column: str, view: ParcelView) -> Text:
        return render_cell(column, view, self._styles, marked=view.number in self.marks)

    def render_stale_row(self, number: str) -> None:
        view = self._views.get(number)
        if view is not None:
            self._update_row(number, view)

    def _update_row(self, number: str, view: ParcelView) -> int:
        self.stale_rows.discard(number)
        if self.fast_paths:  # what update_cell does, minus its refresh per cell
            return self.fast_write_row(
                number, ((column, self._render(column, view)) for column in COLUMN_KEYS))
        changed = 0
        for column in COLUMN_KEYS:
            cell = self._render(column, view)
            if not same_cell(cell, self.get_cell(number, column)):
                self.update_cell(number, column, cell)
                changed += 1
        return changed

    # ---- layout, order and cursor ------------------------------------------------------------

    def _available_width(self) -> int:
        # Always leave room for the vertical scrollbar so rows appearing never overflow.
        return max(0, self.size.width - self.styles.scrollbar_size_vertical)

    def _relayout(self) -> bool:
        """Set column widths for the current width and content; True when they changed."""
        if not self.size.width:
            return False
        widths = compute_widths(self._available_width(), self._width_counts.natural())
        if widths == self._widths:
            return False
        self._widths = widths
        for key, width in widths.items():
            self.columns[ColumnKey(key)].width = width
        # DataTable has no API to resize columns: its render caches ignore widths, so drop them.
        self.virtual_size = Size(sum(widths.values()), self.virtual_size.height)
        self.notify_style_update()
        return True

    def _remove_rows(self, numbers: list[str], old_order: list[str]) -> None:
        """Remove rows; many at once in one pass over the table (`fast_remove_rows`)."""
        self._moving += 1  # removing rows clamps the cursor
        try:
            if len(numbers) == 1 or not self.fast_paths:
                for number in numbers:
                    self.remove_row(number)
                return
            dropped = set(numbers)
            self.fast_remove_rows(numbers, [n for n in old_order if n not in dropped],
                                  NUMBER_COLUMN)
        finally:
            self._moving -= 1

    def _sort_if_needed(self) -> bool:
        desired = [v.number for v in sorted(self._views.values(), key=SORT_KEYS[self.sort_column],
                                            reverse=self.sort_reverse)]
        if desired == self.order:
            return False
        if self.fast_paths:
            self.fast_set_order(desired)
            return True
        # DataTable.sort hands the key function cell values, not row keys: rank the number cells
        # by identity, which is exact whatever they display.
        rank = {id(self.get_cell(number, NUMBER_COLUMN)): i for i, number in enumerate(desired)}
        self.sort(NUMBER_COLUMN, key=lambda cell: rank[id(cell)])
        return True

    def _restore_cursor(self, key: str | None, old_order: list[str]) -> None:
        """Put the cursor back on `key`, or on its nearest surviving neighbour (on the first
        row while `follow_top`)."""
        if self.follow_top and self.row_count:
            self._move_cursor_to(0)
            return
        if not self.row_count or key is None:
            return
        target = key if key in self._views else None
        if target is None and key in old_order:
            at = old_order.index(key)
            after = (n for n in old_order[at + 1:] if n in self._views)
            before = (n for n in reversed(old_order[:at]) if n in self._views)
            target = next(after, None) or next(before, None)
        if target is None:
            return
        self._move_cursor_to(self.get_row_index(target))

    def _move_cursor_to(self, index: int) -> None:
        if index != self.cursor_row:
            self._moving += 1
            try:
                self.move_cursor(row=index)
            finally:
                self._moving -= 1

    def watch_cursor_coordinate(self, old_coordinate: Coordinate,
                                new_coordinate: Coordinate) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        if old_coordinate != new_coordinate and not self._moving:
            self.follow_top = False  # the user (or a jump) put it somewhere

    def _sync_highlight(self) -> None:
        number = self.highlighted_number
        if number != self._posted or not self._posted_once:
            self._posted, self._posted_once = number, True
            self.post_message(self.ParcelHighlighted(self, number))

    def _set_titles(self) -> None:
        arrow = " ▼" if self.sort_reverse else " ▲"
        for spec in COLUMNS:
            title = spec.title + (arrow if spec.key == self.sort_column and spec.title else "")
            self.columns[ColumnKey(spec.key)].label = Text(" " + title, no_wrap=True,
                                                           overflow="ellipsis")
        self.notify_style_update()

    # ---- Textual hooks -----------------------------------------------------------------------

    def on_mount(self) -> None:
        for spec in COLUMNS:
            self.add_column(Text(" " + spec.title), key=spec.key, width=spec.width.min + CELL_PAD)
        self._set_titles()
        self._styles = self._read_styles()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.apply(pending)

    def layout_resized(self) -> None:
        # Column widths for this frame's rows, set during layout (see FastPathTable).
        if self._styles:
            self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        if self._styles and self._relayout():
            self.refresh()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._sync_highlight()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # Component styles are recomputed right after this hook (theme switch, CSS reload), so
        # check them once that has happened.
        if self._styles:
            self.call_next(self._restyle)

    def _read_styles(self) -> dict[str, Style]:
        """Component styles for cells: own attributes, colour blended as the CSS would draw it.

        A partial style keeps a cell's background free for the cursor, but leaves colours like
        `$text-muted` ("auto 60%") unblended; the full style's colour has the blend applied.
        """
        styles = {}
        for name in sorted(self.COMPONENT_CLASSES):
            full = self.get_component_rich_style(name)
            styles[name] = self.get_component_rich_style(name, partial=True) + Style.from_color(
                full.color)
        return styles

    def _restyle(self) -> None:
        """Rebuild styled cells when the colours changed (theme switch, and every focus change:
        the table's colours follow :focus). Only rows on screen are drawn, so the others are
        marked and re-rendered when they next are (`render_stale_row`)."""
        styles = self._read_styles()
        if styles == self._styles:
            return
        self._styles = styles
        if self.fast_paths:
            self.fast_restyle(self._views)
            return
        with self.app.batch_update():
            for number, view in self._views.items():
                self._update_row(number, view)
