"""The parcel table's columns, declared once: title, width rules, cell text and sort order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from emstui.present.parcelview import ParcelView

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _newest_first(view: ParcelView) -> float:
    return -view.event_at.timestamp() if view.event_at else float("inf")


def _stage_text(view: ParcelView) -> str:
    return view.stage_bar


NEXT_MARKS: dict[str, str] = {"backoff": "↻", "error": "✗"}  # before the next-check text


def _next_text(view: ParcelView) -> str:
    """The next-check cell: retries and errors get a mark ("↻ retry 14:05", "✗ key problem")."""
    mark = NEXT_MARKS.get(view.next_kind)
    return f"{mark} {view.next_text}" if mark else view.next_text


@dataclass(frozen=True, slots=True)
class Width:
    """How wide a column may be, in cells of content (every cell also has one leading space).

    A column wants its widest cell, or its title with room for the sort arrow, within [min, max].
    A `shrink` column gives width back, down to `min`, before a core column is dropped. The
    `flex` column takes the width the others leave, up to what it wants; columns that are not
    core are dropped, least important first, until it has at least `comfortable` cells.
    """

    min: int
    max: int
    shrink: bool = False
    flex: bool = False
    comfortable: int = 0


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the parcel table, declared once: adding a column is adding one of these.

    `priority` says what matters when the width runs short: 1 is kept longest; columns are
    dropped from the highest number down (ties: the rightmost first). `core` columns are
    squeezed before they are dropped, and only once every other column has gone.
    """

    key: str
    title: str
    priority: int
    width: Width
    text: Callable[[ParcelView], str]  # the cell's plain text; its width sizes the column
    core: bool = False
    sort: Callable[[ParcelView], tuple[object, ...]] | None = None  # default: by its text

    def sort_key(self) -> Callable[[ParcelView], tuple[object, ...]]:
        if self.sort is not None:
            return self.sort
        text = self.text
        return lambda v: (text(v).casefold(), v.number)


# Display order. What is happening to a parcel first, then when it last moved; identity and
# bookkeeping (next check) last.
TABLE_COLUMNS: tuple[Column, ...] = (
    Column("status", "Status", 1, Width(6, 14), lambda v: v.status_text, core=True,
           sort=lambda v: (v.status_rank, _newest_first(v), v.number)),
    Column("label", "Label", 2, Width(8, 24, shrink=True), lambda v: v.display_label,
           core=True),
    Column("event", "Latest event", 3, Width(12, 60, flex=True, comfortable=30),
           lambda v: v.latest_event, core=True),
    Column("location", "Location", 6, Width(8, 20), lambda v: v.location),
    Column("age", "Last scan", 4, Width(3, 11), lambda v: v.age_text, core=True,
           sort=lambda v: (_newest_first(v), v.number)),
    Column("number", "Number", 5, Width(6, 22), lambda v: v.number,
           sort=lambda v: (v.number,)),
    Column("origin", "From", 7, Width(4, 4), lambda v: v.origin_code,
           sort=lambda v: (v.origin_code or "~", v.number)),
    Column("destination", "To", 8, Width(2, 4), lambda v: v.destination or "",
           sort=lambda v: (v.destination or "~", v.number)),  # unknown last
    Column("stage", "Stage", 10, Width(8, 8), _stage_text,
           sort=lambda v: (v.stage_index, v.number)),
    Column("eta", "ETA", 9, Width(3, 14), lambda v: v.eta_short,
           sort=lambda v: (v.eta_last_day or date.max, v.number)),  # none last
    Column("next", "Next check", 11, Width(6, 18), _next_text,
           sort=lambda v: (v.next_at or _FAR_FUTURE, v.number)),
)
SORT_KEYS: dict[str, Callable[[ParcelView], tuple[object, ...]]] = {
    c.key: c.sort_key() for c in TABLE_COLUMNS}
DEFAULT_SORT = "status"

