"""The remove dialog: stop watching a parcel, keeping or purging its history."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from emstui.core import s10
from emstui.core.sanitize import clean_line
from emstui.tui.keymap import build_bindings, key_hint

_CSS = """
    align: center middle;
    & > #dialog {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 1 2;
    }
    #title { text-style: bold; margin-bottom: 1; }
    #body { margin-bottom: 1; }
    #purge { margin-bottom: 1; }
    #buttons { height: auto; align-horizontal: right; }
    #buttons > Button { margin-left: 2; }
"""


def _label_with_key(screen: ModalScreen[object], selector: str, text: str, action: str) -> None:
    """'Remove (y)': the key shown is the one in force, after the user's remapping."""
    key = key_hint(screen, action)
    screen.query_one(selector, Button).label = Content(f"{text} ({key})" if key else text)


class RemoveChoice(StrEnum):
    """How to remove a parcel: forget it from the config only, or its stored history too."""

    KEEP_HISTORY = "keep_history"
    PURGE_HISTORY = "purge_history"


class ConfirmRemoveScreen(ModalScreen[RemoveChoice | None]):
    """Asks before removing a parcel; Cancel has the focus, so a stray enter removes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = list(
        build_bindings("dialog", ids=("confirm", "deny", "cancel")))
    DEFAULT_CSS = f"ConfirmRemoveScreen {{{_CSS}}}"

    def __init__(self, number: str, label: str = "", *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.number = number
        self.label = clean_line(label)  # config text may hold escape sequences

    def compose(self) -> ComposeResult:
        try:
            shown = s10.parse(self.number).spaced()
        except s10.InvalidNumber:
            shown = self.number
        named = f"'{self.label}' ({shown})" if self.label else shown
        with Vertical(id="dialog"):
            yield Static(Content("Remove parcel"), id="title")
            yield Static(Content.assemble(
                "Stop watching ", (named, "bold"), "?\n",
                "Its tracking history stays in the local database unless you also delete it.",
            ), id="body")
            yield Checkbox(Content("Also delete its tracking history"), id="purge",
                           compact=True)
            with Horizontal(id="buttons"):
                yield Button(Content("Remove"), id="remove", variant="error", compact=True)
                yield Button(Content("Cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        _label_with_key(self, "#remove", "Remove", "confirm")
        _label_with_key(self, "#cancel", "Cancel", "deny")

    @property
    def choice(self) -> RemoveChoice:
        purge = self.query_one("#purge", Checkbox).value
        return RemoveChoice.PURGE_HISTORY if purge else RemoveChoice.KEEP_HISTORY

    @on(Button.Pressed, "#remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_confirm(self) -> None:
        self.dismiss(self.choice)

    def action_deny(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
