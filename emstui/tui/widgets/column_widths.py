"""Column widths for the parcel table: which columns fit a width, and how wide each is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from rich.cells import cell_len

from emstui.present.views import TABLE_COLUMNS, Column, ParcelView

CELL_PAD = 1  # the leading space inside every cell (DataTable cell_padding is 0)
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in TABLE_COLUMNS)
# Least important first (ties: the rightmost first): the order columns are dropped in.
DROP_ORDER: tuple[Column, ...] = tuple(
    sorted(TABLE_COLUMNS, key=lambda c: (-c.priority, -COLUMN_KEYS.index(c.key))))
# Columns whose cells can differ in width; the others always take their one width.
MEASURED: tuple[Column, ...] = tuple(c for c in TABLE_COLUMNS if c.width.min != c.width.max)


class WidthCounts:
    """How many rows have each natural width, per measured column, kept up to date row by row,
    so the table's column widths never need a pass over every row."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[int]] = {c.key: Counter() for c in MEASURED}

    def add(self, view: ParcelView, sign: int = 1) -> None:
        """Count a row in (`sign` 1) or out (-1)."""
        for column in MEASURED:
            self._move(column.key, cell_len(column.text(view)), sign)

    def change(self, before: ParcelView, after: ParcelView) -> None:
        """A row changed: move it in the counts of the columns whose text changed."""
        for column in MEASURED:
            old, new = column.text(before), column.text(after)
            if old != new:
                self._move(column.key, cell_len(old), -1)
                self._move(column.key, cell_len(new), 1)

    def natural(self) -> dict[str, int]:
        """Each measured column's widest cell (0 with no rows)."""
        return {key: max(counts, default=0) for key, counts in self._counts.items()}

    def _move(self, key: str, width: int, sign: int) -> None:
        counts = self._counts[key]
        counts[width] += sign
        if counts[width] <= 0:
            del counts[width]


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
    for col in TABLE_COLUMNS:
        rule = col.width
        content = max(natural.get(col.key, rule.min), cell_len(col.title) + 2)
        want[col.key] = max(rule.min, min(rule.max, content)) + CELL_PAD
        squeezable = rule.shrink or rule.flex
        floor[col.key] = rule.min + CELL_PAD if squeezable else want[col.key]
        comfortable[col.key] = (min(want[col.key], max(rule.comfortable, rule.min) + CELL_PAD)
                                if rule.flex else want[col.key])

    def total(keys: set[str], sizes: dict[str, int]) -> int:
        return sum(sizes[k] for k in keys)

    visible = set(COLUMN_KEYS)
    for col in DROP_ORDER:
        if total(visible, comfortable) <= available:
            break
        if not col.core:
            visible.discard(col.key)
    for col in DROP_ORDER[:-1]:
        if total(visible, floor) <= available:
            break
        visible.discard(col.key)
    widths = {key: (floor[key] if key in visible else 0) for key in COLUMN_KEYS}
    spare = available - sum(widths.values())
    for col in sorted(TABLE_COLUMNS, key=lambda c: c.priority):
        if spare <= 0:
            break
        if col.key in visible and widths[col.key] < want[col.key]:
            grow = min(spare, want[col.key] - widths[col.key])
            widths[col.key] += grow
            spare -= grow
    return widths
