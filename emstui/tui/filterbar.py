"""The filter line: `/` opens it, typing filters the table as you type, escape clears it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label


class FilterBar(Horizontal):
    """Posts `Changed` as the text changes and `Done` when the user keeps it (messages up)."""

    class Changed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Done(Message):
        pass

    # Not docked: in the screen's vertical flow it sits between the table and the Footer; docked
    # at the bottom it was drawn under the (also docked) Footer and never seen.
    DEFAULT_CSS = """
    FilterBar {
        height: 1;
        display: none;
        background: $panel;
        & > Label { width: auto; padding: 0 1; color: $text-accent; }
        & > Input { border: none; height: 1; padding: 0; background: $panel; width: 1fr; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "screen.back", "Clear filter", id="filter.clear"),
        Binding("enter", "done", "Keep filter", id="filter.done"),
    ]

    def compose(self) -> ComposeResult:
        yield Label("Filter:")
        yield Input(placeholder="label, number, status or country", id="filter-input",
                    compact=True)

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def open(self, text: str) -> None:
        self.display = True
        self.input.value = text
        self.input.focus()

    def close(self) -> None:
        self.display = False
        self.input.value = ""

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_done()

    def action_done(self) -> None:
        if not self.input.value:
            self.display = False
        self.post_message(self.Done())
