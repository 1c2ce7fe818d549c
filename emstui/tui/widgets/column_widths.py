"""Column widths for the parcel table: which columns fit a width, and how wide each is."""

from __future__ import annotations

from collections.abc import Mapping

from rich.cells import cell_len

from emstui.present.views import TABLE_COLUMNS, Column

CELL_PAD = 1  # the leading space inside every cell (DataTable cell_padding is 0)
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in TABLE_COLUMNS)
# Least important first (ties: the rightmost first): the order columns are dropped in.
DROP_ORDER: tuple[Column, ...] = tuple(
    sorted(TABLE_COLUMNS, key=lambda c: (-c.priority, -COLUMN_KEYS.index(c.key))))


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
