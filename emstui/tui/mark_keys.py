"""The mark keys on the main screen (Space, `*`, `u`) and the footer's count of marked parcels.

`MarkKeys` is owned by the main screen (`emstui.tui.screens.main`), which it sees as a
`emstui.tui.host.ParcelsView`; what the marks are is `emstui.tui.marks`, what the marked parcels
are used for is `emstui.tui.bulk_actions`.
"""

from __future__ import annotations

from emstui.tui.host import ParcelsView
from emstui.tui.marks import count_text, parcels_phrase


class MarkKeys:
    """Marking and unmarking rows, and keeping the footer's count in step."""

    def __init__(self, view: ParcelsView) -> None:
        self.view = view

    def toggle(self) -> None:
        """Space: mark or unmark the cursor row, then move down one row (as mutt and ranger
        do), so repeated presses mark a run of parcels."""
        table = self.view.table
        number = table.highlighted_number
        if number is None:
            return
        self.view.marks.toggle(number)
        table.redraw_marks([number])
        self.show_count()
        table.action_cursor_down()

    def mark_all(self) -> None:
        """Mark every parcel shown; when all of them are marked already, unmark them."""
        marks, shown = self.view.marks, self.view.table.order
        if not shown:
            return
        if all(number in marks for number in shown):
            changed = marks.unmark(shown)
            said = f"Unmarked {parcels_phrase(len(changed))}"
        else:
            changed = marks.mark(shown)
            said = f"Marked {parcels_phrase(len(changed))}"
        self.view.table.redraw_marks(changed)
        self.show_count()
        self.view.notify(said, timeout=3, markup=False)

    def clear(self, *, say: bool = False) -> None:
        """Unmark every parcel, hidden ones too."""
        cleared = self.view.marks.clear()
        self.view.table.redraw_marks(cleared)
        self.show_count()
        if say and cleared:
            self.view.notify(f"Unmarked {parcels_phrase(len(cleared))}", timeout=3,
                             markup=False)

    def show_count(self) -> None:
        marks, footer = self.view.marks, self.view.footer
        if marks or footer.marks_text:
            footer.show_marks(count_text(len(marks), marks.hidden(self.view.table.shows)))
