"""The remove dialogs: stop watching a parcel, or the marked parcels, keeping or purging their
history."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from emstui.core import s10
from emstui.core.sanitize import clean_line
from emstui.tui.keymap import build_bindings, key_hint
from emstui.tui.marks import listing, parcels_phrase

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

    def heading(self) -> str:
        return "Remove parcel"

    def question(self) -> Content:
        return Content.assemble(
            "Stop watching ", (_named(self.number, self.label), "bold"), "?\n",
            "Its tracking history stays in the local database unless you also delete it.")

    def purge_text(self) -> str:
        return "Also delete its tracking history"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(self.heading()), id="title")
            yield Static(self.question(), id="body")
            yield Checkbox(Content(self.purge_text()), id="purge", compact=True)
            with Horizontal(id="buttons"):
                yield Button(Content("Remove"), id="remove", variant="error", compact=True,
                             action="screen.confirm")
                yield Button(Content("Cancel"), id="cancel", compact=True,
                             action="screen.cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        _label_with_key(self, "#remove", "Remove", "confirm")
        _label_with_key(self, "#cancel", "Cancel", "deny")

    @property
    def choice(self) -> RemoveChoice:
        purge = self.query_one("#purge", Checkbox).value
        return RemoveChoice.PURGE_HISTORY if purge else RemoveChoice.KEEP_HISTORY

    def action_confirm(self) -> None:
        self.dismiss(self.choice)

    def action_deny(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmRemoveMarkedScreen(ConfirmRemoveScreen):
    """One question for all the marked parcels: how many, and the first few by name."""

    DEFAULT_CSS = f"ConfirmRemoveMarkedScreen {{{_CSS}}}"

    def __init__(self, parcels: list[tuple[str, str]], *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """`parcels`: (number, label) of each, in the order they are listed."""
        first, label = parcels[0]
        super().__init__(first, label, name=name, id=id, classes=classes)
        self.parcels = [(number, clean_line(label)) for number, label in parcels]

    def heading(self) -> str:
        return f"Remove {parcels_phrase(len(self.parcels))}"

    def question(self) -> Content:
        names = listing(_named(number, label) for number, label in self.parcels)
        return Content.assemble(
            "Stop watching the ", (f"{parcels_phrase(len(self.parcels))} marked", "bold"), "?\n",
            *(f"  {name}\n" for name in names),
            "Their tracking history stays in the local database unless you also delete it.")

    def purge_text(self) -> str:
        return "Also delete their tracking history"


def _named(number: str, label: str) -> str:
    """"'Tea' (EE 123 456 785 CN)", or the spaced number alone."""
    try:
        shown = s10.parse(number).spaced()
    except s10.InvalidNumber:
        shown = clean_line(number)
    return f"'{label}' ({shown})" if label else shown
