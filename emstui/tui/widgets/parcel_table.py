"""The live parcel table: one row per parcel, updated by keyed diff so the cursor never jumps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual._two_way_dict import TwoWayDict
from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets._data_table import RowRenderables
from textual.widgets.data_table import ColumnKey, RowKey

from emstui.present.views import (
    DEFAULT_SORT,
    NEXT_MARKS,
    NO_VALUE,
    QUIET_MARKS,
    SORT_KEYS,
    STAGE_BAR_EMPTY,
    STAGE_BAR_FULL,
    TABLE_COLUMNS,
    TONE_NAMES,
    UNSEEN_MARK,
    Column,
    ParcelView,
)
from emstui.tui import keymap

__all__ = ["COLUMNS", "COLUMN_KEYS", "UNSEEN_MARK", "ApplyStats", "ParcelTable", "compute_widths"]

_BOLD = Style(bold=True)

# Columns are declared in `emstui.present.views.TABLE_COLUMNS` (display order, priority, widths).
COLUMNS: tuple[Column, ...] = TABLE_COLUMNS
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
NUMBER_COLUMN = "number"
_PAD = 1  # the leading space inside every cell (DataTable cell_padding is 0)
# Columns whose cells can differ in width; the others always take their one width.
_MEASURED: tuple[Column, ...] = tuple(c for c in COLUMNS if c.width.min != c.width.max)
# Least important first (ties: the rightmost first): the order columns are dropped in.
_DROP_ORDER: tuple[Column, ...] = tuple(
    sorted(COLUMNS, key=lambda c: (-c.priority, -COLUMN_KEYS.index(c.key))))
_QUIET_TONES = {"warn": "attention", "alert": "exception"}
_NEXT_TONES = {"error": "exception", "backoff": "attention"}
_TEXT = {c.key: c.text for c in COLUMNS}


def compute_widths(available: int, natural: Mapping[str, int]) -> dict[str, int]:
    """Column render widths (0 = hidden) that fit `available` cells.

    Each column wants its widest cell (`natural`) or its title, within its Width's [min, max].
    While that is too wide, columns that are not core are dropped, least important first, the
    flexible column counted at its comfortable width. If the core columns still do not fit,
    they are squeezed (shrink and flex columns down to their minimum) and then dropped, least
    important first, down to the most important one. Width left over goes back to the squeezed
    columns in priority order.
    """
    want: dict[str, int] = {}
    floor: dict[str, int] = {}
    comfortable: dict[str, int] = {}
    for col in COLUMNS:
        rule = col.width
        content = max(natural.get(col.key, rule.min), cell_len(col.title) + 2)
        want[col.key] = max(rule.min, min(rule.max, content)) + _PAD
        squeezable = rule.shrink or rule.flex
        floor[col.key] = rule.min + _PAD if squeezable else want[col.key]
        comfortable[col.key] = (min(want[col.key], max(rule.comfortable, rule.min) + _PAD)
                                if rule.flex else want[col.key])

    def total(keys: set[str], sizes: dict[str, int]) -> int:
        return sum(sizes[k] for k in keys)

    visible = set(COLUMN_KEYS)
    for col in _DROP_ORDER:
        if total(visible, comfortable) <= available:
            break
        if not col.core:
            visible.discard(col.key)
    for col in _DROP_ORDER[:-1]:
        if total(visible, floor) <= available:
            break
        visible.discard(col.key)
    widths = {key: (floor[key] if key in visible else 0) for key in COLUMN_KEYS}
    spare = available - sum(widths.values())
    for col in sorted(COLUMNS, key=lambda c: c.priority):
        if spare <= 0:
            break
        if col.key in visible and widths[col.key] < want[col.key]:
            grow = min(spare, want[col.key] - widths[col.key])
            widths[col.key] += grow
            spare -= grow
    return widths


@dataclass(frozen=True, slots=True)
class ApplyStats:
    """What one `apply` did (for tests and benchmarks)."""

    added: int = 0
    removed: int = 0
    updated_cells: int = 0
    sorted: bool = False
    relaid: bool = False


def _cell(text: str, style: Style | str = "") -> Text:
    """A plain-text cell: never parsed as markup, truncated with an ellipsis."""
    return Text(" " + text, style=style, no_wrap=True, overflow="ellipsis", end="")


class ParcelTable(DataTable[Text]):
    """Parcels as rows keyed by tracking number; feed it `ParcelView`s with `apply`."""

    # j/k, g/G, page keys and enter (focus the detail), with ids the user can remap in [keys].
    BINDINGS: ClassVar[list[BindingType]] = list(keymap.build_bindings("table"))
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"parcel-table--status-{tone}" for tone in TONE_NAMES),
        "parcel-table--unseen",
        "parcel-table--muted",
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
        # How many rows have each natural width, per column, kept up to date by `apply`, so
        # column widths never need a pass over every row.
        self._width_counts: dict[str, Counter[int]] = {c.key: Counter() for c in _MEASURED}
        self._pending: list[ParcelView] | None = None
        self._styles: dict[str, Style] = {}
        self._widths: dict[str, int] = {}
        self._posted: str | None = None
        self._posted_once = False
        # Rows rendered with colours that have changed since (focus, theme): re-rendered when
        # next drawn, so a focus change costs the visible rows, not all of them.
        self._stale_rows: set[str] = set()
        # Work around DataTable's slow bulk paths through its internals (Textual 8.2); the
        # public API is used instead if they are not what this was written against.
        self.fast_paths = (isinstance(getattr(self, "_data", None), dict)
                           and isinstance(getattr(self, "_new_rows", None), set)
                           and isinstance(getattr(self, "_updated_cells", None), set)
                           and hasattr(self, "_require_update_dimensions"))
        self.sort_column = DEFAULT_SORT
        self.sort_reverse = False

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
        self.move_cursor(row=self.get_row_index(number))
        self._sync_highlight()
        return True

    def set_sort(self, column: str, *, reverse: bool = False) -> None:
        """Sort by a column of `present.views.SORT_KEYS`, keeping the cursor on its parcel."""
        if column not in SORT_KEYS:
            raise ValueError(f"unknown sort column {column!r}")
        self.sort_column, self.sort_reverse = column, reverse
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
                    self._count_widths(self._views[number], -1)
            for number, view in new.items():
                before = self._views.get(number)
                if before is None:
                    self.add_row(*self._render_row(view), key=number)
                    self._count_widths(view, 1)
                    added += 1
                elif before is not view and before != view:
                    updated += self._update_row(number, view)
                    self._recount_widths(before, view)
            if added and self.fast_paths:
                # Every new row would be measured cell by cell on idle to size auto-width
                # columns (~1.5 s for 5000 rows); ours have fixed widths, so skip it.
                self._new_rows.clear()
            if updated and self.fast_paths:
                self._update_count += 1  # cells were written directly: one refresh for all
                self.refresh()
            self._views = new
            relaid = bool(gone or added or updated) and self._relayout()
            did_sort = self._sort_if_needed()
            self._restore_cursor(key, old_order)
        self._sync_highlight()
        return ApplyStats(added, len(gone), updated, did_sort, relaid)

    def update_rows(self, views: Iterable[ParcelView]) -> ApplyStats:
        """Update rows already in the table whose text may have changed (the clock moved).

        Costs what changed, not the table: no diff over every row, no rows added or removed
        (views of parcels not in the table are ignored). Only cells whose content changed are
        written; rows are re-sorted only when a changed row's sort key changed, keeping the
        cursor on its parcel.
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
        with self.app.batch_update():
            for view in views:
                before = self._views.get(view.number)
                if before is None or before is view or before == view:
                    continue
                updated += self._update_row(view.number, view)
                self._recount_widths(before, view)
                self._views[view.number] = view
                resort = resort or sort_key(before) != sort_key(view)
            if updated and self.fast_paths:
                self._update_count += 1  # cells were written directly: one refresh for all
                self.refresh()
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
        styles = self._styles
        muted = styles["parcel-table--muted"]
        if column == "status":
            tone = styles[f"parcel-table--status-{view.tone}"]
            text = Text(" " + view.glyph, style=tone, no_wrap=True, overflow="ellipsis", end="")
            text.append(UNSEEN_MARK if view.unseen else " ", styles["parcel-table--unseen"])
            text.append(" " + view.status_word, tone)
            return text
        if column == "label":
            return _cell(view.display_label, _BOLD if view.unseen else "")
        if column == "stage":
            filled = view.stage_bar.count(STAGE_BAR_FULL)
            text = _cell(STAGE_BAR_FULL * filled, styles[f"parcel-table--status-{view.tone}"])
            text.append(STAGE_BAR_EMPTY * (len(view.stage_bar) - filled), muted)
            return text
        if column == "age":
            text = _cell(view.age, muted if view.age == NO_VALUE else "")
            mark = QUIET_MARKS.get(view.quiet)
            if mark:
                text.append(" " + mark, styles[f"parcel-table--status-{_QUIET_TONES[view.quiet]}"])
            return text
        if column == "next":
            return self._render_next(view)
        if column == "eta" and view.eta_overdue:
            return _cell(view.eta_short, styles["parcel-table--status-attention"])
        value = _TEXT[column](view)
        return _cell(value or NO_VALUE, "" if value else muted)

    def _render_next(self, view: ParcelView) -> Text:
        styles = self._styles
        kind = view.next_kind
        tone = _NEXT_TONES.get(kind)
        if tone is not None:
            return _cell(f"{NEXT_MARKS[kind]} {view.next_text}",
                         styles[f"parcel-table--status-{tone}"])
        if kind in ("scheduled", "due", "checking"):
            return _cell(view.next_text)
        return _cell(view.next_text, styles["parcel-table--muted"])

    def _get_row_renderables(self, row_index: int) -> RowRenderables:
        if self._stale_rows and row_index >= 0:
            key = self._row_locations.get_key(row_index)
            number = key.value if key is not None else None
            if number in self._stale_rows:
                self._stale_rows.discard(number)
                view = self._views.get(number)
                if view is not None:
                    self._update_row(number, view)
        return super()._get_row_renderables(row_index)

    def _update_row(self, number: str, view: ParcelView) -> int:
        self._stale_rows.discard(number)
        changed = 0
        if self.fast_paths:
            # What update_cell does, minus its refresh per cell: apply() refreshes once.
            row = self._data[RowKey(number)]
            for column in COLUMN_KEYS:
                cell = self._render(column, view)
                key = ColumnKey(column)
                if cell != row[key]:
                    row[key] = cell
                    changed += 1
            return changed
        for column in COLUMN_KEYS:
            cell = self._render(column, view)
            if cell != self.get_cell(number, column):
                self.update_cell(number, column, cell)
                changed += 1
        return changed

    # ---- layout, order and cursor ------------------------------------------------------------

    def _recount_widths(self, before: ParcelView, after: ParcelView) -> None:
        """Move a changed row's widths in the counts: only columns whose text changed."""
        for column in _MEASURED:
            old, new = column.text(before), column.text(after)
            if old != new:
                counts = self._width_counts[column.key]
                old_width = cell_len(old)
                counts[old_width] -= 1
                if counts[old_width] <= 0:
                    del counts[old_width]
                counts[cell_len(new)] += 1

    def _count_widths(self, view: ParcelView, sign: int) -> None:
        for column in _MEASURED:
            counts = self._width_counts[column.key]
            width = cell_len(column.text(view))
            counts[width] += sign
            if counts[width] <= 0:
                del counts[width]

    def _natural_widths(self) -> dict[str, int]:
        return {key: max(counts, default=0) for key, counts in self._width_counts.items()}

    def _available_width(self) -> int:
        # Always leave room for the vertical scrollbar so rows appearing never overflow.
        return max(0, self.size.width - self.styles.scrollbar_size_vertical)

    def _relayout(self) -> bool:
        """Set column widths for the current width and content; True when they changed."""
        if not self.size.width:
            return False
        widths = compute_widths(self._available_width(), self._natural_widths())
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
        """Remove rows; many at once in one pass over the table.

        DataTable.remove_row re-indexes every row on each call, so removing k of n rows costs
        O(k*n) (500 of 5000 took ~6 s in Textual 8.2.8). The fast path drops the rows from the
        table's stores and re-indexes once with `sort`, as remove_row would have left them.
        """
        if len(numbers) == 1 or not self.fast_paths:
            for number in numbers:
                self.remove_row(number)
            return
        dropped = set(numbers)
        for number in numbers:
            row_key = RowKey(number)
            del self.rows[row_key]
            del self._data[row_key]
            self._new_rows.discard(row_key)
        self._updated_cells = {c for c in self._updated_cells if c.row_key.value not in dropped}
        self._require_update_dimensions = True
        rank = {id(self._data[RowKey(n)][NUMBER_COLUMN]): i
                for i, n in enumerate(n for n in old_order if n not in dropped)}
        self.sort(NUMBER_COLUMN, key=lambda cell: rank[id(cell)])
        self.cursor_coordinate = self.cursor_coordinate  # clamp, as remove_row does
        self.hover_coordinate = self.hover_coordinate
        self.refresh(layout=True)
        self.check_idle()

    def _sort_if_needed(self) -> bool:
        desired = [v.number for v in sorted(self._views.values(), key=SORT_KEYS[self.sort_column],
                                            reverse=self.sort_reverse)]
        if desired == self.order:
            return False
        if self.fast_paths and isinstance(getattr(self, "_row_locations", None), TwoWayDict):
            # The order is already known: set it as DataTable.sort would, without sorting again.
            self._row_locations = TwoWayDict({RowKey(n): i for i, n in enumerate(desired)})
            self._update_count += 1
            self.refresh()
            return True
        # DataTable.sort hands the key function cell values, not row keys: rank the number cells
        # by identity, which is exact whatever they display.
        rank = {id(self.get_cell(number, NUMBER_COLUMN)): i for i, number in enumerate(desired)}
        self.sort(NUMBER_COLUMN, key=lambda cell: rank[id(cell)])
        return True

    def _restore_cursor(self, key: str | None, old_order: list[str]) -> None:
        """Put the cursor back on `key`, or on its nearest surviving neighbour."""
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
        index = self.get_row_index(target)
        if index != self.cursor_row:
            self.move_cursor(row=index)

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
            self.add_column(Text(" " + spec.title), key=spec.key, width=spec.width.min + _PAD)
        self._set_titles()
        self._styles = self._read_styles()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.apply(pending)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        # Set column widths during layout, before this frame renders the rows: on_resize only
        # runs after the frame, which would then be drawn twice.
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if changed and self._styles:
            self._relayout()
        return changed

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
        marked and re-rendered when they next are (`_get_row_renderables`)."""
        styles = self._read_styles()
        if styles == self._styles:
            return
        self._styles = styles
        if self.fast_paths and hasattr(self, "_row_renderable_cache"):
            self._stale_rows = set(self._views)
            self._update_count += 1  # the row and line caches are keyed by it
            self.refresh()
            return
        with self.app.batch_update():
            for number, view in self._views.items():
                self._update_row(number, view)
