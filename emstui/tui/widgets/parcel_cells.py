"""The parcel table's cells: each column of a `ParcelView` as plain, styled `Text` (never
markup), coloured with the table's component styles."""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from emstui.present.views import (
    NEXT_MARKS,
    NO_VALUE,
    QUIET_MARKS,
    STAGE_BAR_EMPTY,
    STAGE_BAR_FULL,
    TABLE_COLUMNS,
    UNSEEN_MARK,
    ParcelView,
)
from emstui.tui.marks import MARK_GLYPH

_BOLD = Style(bold=True)
_QUIET_TONES = {"warn": "attention", "alert": "exception"}
_NEXT_TONES = {"error": "exception", "backoff": "attention"}
_TEXT = {c.key: c.text for c in TABLE_COLUMNS}


def plain_cell(text: str, style: Style | str = "") -> Text:
    """A plain-text cell: never parsed as markup, truncated with an ellipsis."""
    return Text(" " + text, style=style, no_wrap=True, overflow="ellipsis", end="")


def render_cell(column: str, view: ParcelView, styles: Mapping[str, Style], *,
                marked: bool) -> Text:
    """The cell of `column` for `view`; `styles` are the table's component styles by class
    name (`parcel-table--…`), `marked` puts the mark glyph in the status cell."""
    muted = styles["parcel-table--muted"]
    if column == "status":
        tone = styles[f"parcel-table--status-{view.tone}"]
        text = Text(style=tone, no_wrap=True, overflow="ellipsis", end="")
        if marked:
            text.append(MARK_GLYPH, styles["parcel-table--marked"])
        else:
            text.append(" ")
        text.append(view.glyph)
        text.append(UNSEEN_MARK if view.unseen else " ", styles["parcel-table--unseen"])
        text.append(" " + view.status_word, tone)
        return text
    if column == "label":
        return plain_cell(view.display_label, _BOLD if view.unseen else "")
    if column == "stage":
        filled = view.stage_bar.count(STAGE_BAR_FULL)
        text = plain_cell(STAGE_BAR_FULL * filled, styles[f"parcel-table--status-{view.tone}"])
        text.append(STAGE_BAR_EMPTY * (len(view.stage_bar) - filled), muted)
        return text
    if column == "age":
        text = plain_cell(view.age, muted if view.age == NO_VALUE else "")
        mark = QUIET_MARKS.get(view.quiet)
        if mark:
            text.append(" " + mark, styles[f"parcel-table--status-{_QUIET_TONES[view.quiet]}"])
        return text
    if column == "next":
        return _next_cell(view, styles)
    if column == "eta" and view.eta_overdue:
        return plain_cell(view.eta_short, styles["parcel-table--status-attention"])
    value = _TEXT[column](view)
    return plain_cell(value or NO_VALUE, "" if value else muted)


def _next_cell(view: ParcelView, styles: Mapping[str, Style]) -> Text:
    kind = view.next_kind
    tone = _NEXT_TONES.get(kind)
    if tone is not None:
        return plain_cell(f"{NEXT_MARKS[kind]} {view.next_text}",
                          styles[f"parcel-table--status-{tone}"])
    if kind in ("scheduled", "due", "checking"):
        return plain_cell(view.next_text)
    return plain_cell(view.next_text, styles["parcel-table--muted"])
