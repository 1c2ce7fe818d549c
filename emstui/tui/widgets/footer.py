"""The footer: the key bindings (Textual's Footer) and, while parcels are marked, their count."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Static


class MarksFooter(Footer):
    """Textual's Footer with the marked count docked at its left ("3 marked (1 hidden)")."""

    DEFAULT_CSS = """
    MarksFooter > #marks {
        dock: left;
        width: auto;
        height: 1;
        padding: 0 1;
        background: $accent;
        color: $text;
        text-style: bold;
        display: none;
        &.-shown { display: block; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._marks_text = ""

    def compose(self) -> ComposeResult:
        # The footer recomposes whenever the bindings change: the count is composed again.
        yield Static(Content(self._marks_text), id="marks",
                     classes="-shown" if self._marks_text else "")
        yield from super().compose()

    @property
    def marks_text(self) -> str:
        return self._marks_text

    def show_marks(self, text: str) -> None:
        """The words to show ("" hides the count)."""
        if text == self._marks_text:
            return
        self._marks_text = text
        for label in self.query("#marks").results(Static):
            label.update(Content(text))
            label.set_class(bool(text), "-shown")
