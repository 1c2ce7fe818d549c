"""The parcel table's cells and the width counts behind its column widths, on their own."""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len
from rich.style import Style
from test_tui_table import view

from emstui.present.views import TONE_NAMES, UNSEEN_MARK
from emstui.tui.marks import MARK_GLYPH
from emstui.tui.widgets.column_widths import MEASURED, WidthCounts
from emstui.tui.widgets.parcel_cells import render_cell

STYLES = {
    **{f"parcel-table--status-{tone}": Style(color="green") for tone in TONE_NAMES},
    "parcel-table--unseen": Style(bold=True),
    "parcel-table--muted": Style(color="grey50"),
    "parcel-table--marked": Style(color="yellow"),
}


def test_a_label_that_looks_like_markup_is_shown_as_typed() -> None:
    cell = render_cell("label", view(1, label="[bold red]x[/] :smile:"), STYLES, marked=False)
    assert cell.plain == " [bold red]x[/] :smile:"
    assert not cell.spans


def test_the_status_cell_carries_the_mark_and_the_unseen_sign() -> None:
    seen = render_cell("status", view(1), STYLES, marked=False)
    marked = render_cell("status", replace(view(1), unseen=True), STYLES, marked=True)
    assert seen.plain[0] == " " and UNSEEN_MARK not in seen.plain
    assert marked.plain[0] == MARK_GLYPH and marked.plain[2] == UNSEEN_MARK


def test_an_empty_value_shows_the_muted_placeholder() -> None:
    cell = render_cell("eta", replace(view(1), eta_short=""), STYLES, marked=False)
    assert cell.plain.strip() and cell.style == STYLES["parcel-table--muted"]


def test_width_counts_follow_rows_added_changed_and_removed() -> None:
    counts = WidthCounts()
    short, long = view(1, label="ab"), view(2, label="a much longer label")
    counts.add(short)
    counts.add(long)
    assert counts.natural()["label"] == cell_len("a much longer label")
    counts.change(long, replace(long, label="abc"))
    assert counts.natural()["label"] == 3
    counts.add(replace(long, label="abc"), -1)
    assert counts.natural()["label"] == 2
    counts.add(short, -1)
    assert counts.natural() == {c.key: 0 for c in MEASURED}
