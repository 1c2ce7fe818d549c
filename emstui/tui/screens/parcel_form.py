"""The add/edit parcel dialog: its fields, the interval check, and what Save returns.

The number field (`widgets.number_field`) checks the number as it is typed and catches text with
several numbers; such a block opens the paste preview (`paste_preview`), and nothing is added
before the user confirms there. One number keeps the single-number behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from emstui.config import Parcel, check_interval
from emstui.config.importer import Scan
from emstui.core import s10
from emstui.core.durations import DurationError, format_duration, parse_duration
from emstui.core.sanitize import clean_line
from emstui.providers import PROVIDER_IDS, PROVIDER_NAMES
from emstui.tui.keymap import build_bindings
from emstui.tui.screens.paste_preview import ParcelBatch, PasteChoice, PastePreviewScreen
from emstui.tui.widgets.number_field import NumberField
from emstui.tui.widgets.ordered_input import OrderedInput
from emstui.tui.widgets.status_line import StatusLine

LABEL_LIMIT = 200
NOTE_LIMIT = 500
AUTOMATIC = ""  # the provider Select's value for "let providers.order decide"
_LIMITS = {"label": LABEL_LIMIT, "note": NOTE_LIMIT}


@dataclass(frozen=True, slots=True)
class ParcelDraft:
    """What the dialog returns: a checked, normalised number and the user's settings for it."""

    number: str
    label: str = ""
    note: str = ""
    interval: int | None = None  # seconds; None = the configured default
    provider: str | None = None  # None = automatic (providers.order)


class ParcelFormScreen(ModalScreen[ParcelDraft | ParcelBatch | None]):
    """Add (number editable) or edit (number fixed) a parcel; dismisses with a draft, a batch
    (several numbers pasted, confirmed in the preview) or None.

    `existing` maps each watched number to its label, so a duplicate is refused by name.
    """

    BINDINGS: ClassVar[list[BindingType]] = list(build_bindings("dialog", ids=("save", "cancel")))

    DEFAULT_CSS = """
    ParcelFormScreen {
        align: center middle;
        & > #dialog {
            width: 76; max-width: 100%; height: auto; max-height: 100%; overflow-y: auto;
            border: thick $primary; background: $surface; padding: 0 1;
        }
        #title { text-style: bold; margin-bottom: 1; }
        .row { height: auto; margin-bottom: 1; }
        .row.-tight { margin: 0; }
        .row > Label { width: 12; }
        .row > Input, .row > Select, .row > .fixed { width: 1fr; }
        .status { margin: 0 0 1 12; height: auto; color: $text-muted; }
        .status.-ok { color: $success; }
        .status.-warning { color: $warning; }
        .status.-error { color: $error; }
        .status.-above-suggestions { margin: 0 0 0 12; }
        #label-status { display: none; margin-top: -1; }
        #label-status.-shown { display: block; }
        #suggestions { margin: 0 0 1 12; height: auto; max-height: 6; display: none; }
        #suggestions.-visible { display: block; }
        #buttons { height: auto; align-horizontal: right; }
        #buttons > Button { margin-left: 2; }
    }
    """

    def __init__(self, existing: Mapping[str, str] | None = None, *,
                 editing: Parcel | None = None, default_interval: int | None = None,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._existing = {s10.normalize(number): clean_line(label)
                          for number, label in (existing or {}).items()}
        self._editing = editing
        self._default_interval = default_interval
        self._blank_label_confirmed = False

    @property
    def is_edit(self) -> bool:
        return self._editing is not None

    # ---- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        editing = self._editing
        with Vertical(id="dialog"):
            yield Static(Content("Edit parcel" if editing else "Add a parcel"), id="title")
            yield NumberField(self._existing, fixed=editing.number if editing else None)
            with Horizontal(classes="row"):
                yield Label("Label")
                yield OrderedInput(self._shown("label"), placeholder="e.g. Tea from Hangzhou",
                            id="label", compact=True, max_length=self._limit("label"))
            yield StatusLine(id="label-status", classes="status")
            with Horizontal(classes="row"):
                yield Label("Note")
                yield OrderedInput(self._shown("note"), placeholder="anything to remember",
                            id="note", compact=True, max_length=self._limit("note"))
            with Horizontal(classes="row"):
                yield Label("Provider")
                yield Select(self._provider_options(), allow_blank=False, id="provider",
                             value=(editing.provider if editing and editing.provider in
                                    PROVIDER_IDS else AUTOMATIC), compact=True)
            with Horizontal(classes="row -tight"):
                yield Label("Interval")
                initial = (format_duration(editing.interval)
                           if editing and editing.interval is not None else "")
                yield OrderedInput(initial, placeholder=self._interval_placeholder(), id="interval",
                            compact=True, max_length=40)
            yield StatusLine(id="interval-status", classes="status")
            with Horizontal(id="buttons"):
                yield Button("Save", id="save", variant="primary", compact=True,
                             action="screen.save")
                yield Button("Cancel", id="cancel", compact=True, action="screen.cancel")

    def _original(self, field: str) -> str:
        return getattr(self._editing, field) if self._editing is not None else ""

    def _shown(self, field: str) -> str:
        """The field's text as one clean line (a config note may span lines)."""
        return clean_line(self._original(field), limit=len(self._original(field)) + 1)

    def _limit(self, field: str) -> int:
        return max(_LIMITS[field], len(self._shown(field)))

    def _text(self, field: str) -> str:
        """What to save: the original text when the field was left as shown, else clean text."""
        value = self.query_one(f"#{field}", Input).value
        if self._editing is not None and value == self._shown(field):
            return self._original(field)
        return clean_line(value, limit=self._limit(field))

    @staticmethod
    def _provider_options() -> list[tuple[str, str]]:
        return [("Automatic (providers.order)", AUTOMATIC),
                *((PROVIDER_NAMES.get(pid, pid), pid) for pid in PROVIDER_IDS)]

    def _interval_placeholder(self) -> str:
        if self._default_interval is None:
            return "empty: the default"
        return f"empty: the default ({format_duration(self._default_interval)})"

    def _first_field(self) -> Input:
        return self.query_one("#label" if self.is_edit else "#number", Input)

    def on_mount(self) -> None:
        self._first_field().focus()
        self._show_interval_verdict()

    # ---- the interval --------------------------------------------------------------------------

    def _interval_seconds(self) -> int | None:
        """Seconds, None for the default; raises DurationError."""
        text = self.query_one("#interval", Input).value
        if not text.strip():
            return None
        seconds = parse_duration(text, key="interval")
        try:
            return check_interval(seconds)  # the config's minimum, said before saving
        except ValueError as exc:
            raise DurationError("interval", str(exc).removeprefix("interval ")) from None

    def _show_interval_verdict(self) -> None:
        status = self.query_one("#interval-status", StatusLine)
        try:
            seconds = self._interval_seconds()
        except DurationError as exc:
            status.show(Content.assemble(("✗ ", "bold"), exc.problem), "-error")
            return
        if seconds is None:
            default = (f" ({format_duration(self._default_interval)})"
                       if self._default_interval is not None else "")
            status.show(Content(f"Checked at the default interval{default}"))
        else:
            status.show(Content(f"✓ checked every {format_duration(seconds)}"), "-ok")

    def _checked_interval(self) -> tuple[bool, int | None]:
        """(True, seconds or None for the default), or (False, None) after showing why the
        interval is not valid and focusing it."""
        try:
            return True, self._interval_seconds()
        except DurationError:
            self._show_interval_verdict()
            self.query_one("#interval", Input).focus()
            self.app.bell()
            return False, None

    def _chosen_provider(self) -> str | None:
        """The provider picked in the list; None for automatic (providers.order)."""
        provider = self.query_one("#provider", Select).value
        return provider if isinstance(provider, str) and provider in PROVIDER_IDS else None

    # ---- a pasted block -------------------------------------------------------------------------

    @on(NumberField.BlockFound)
    def _block_found(self, event: NumberField.BlockFound) -> None:
        event.stop()
        self._review_block(event.scan)

    def _review_block(self, scan: Scan) -> None:
        """Show the preview; the number field keeps the block until it is added or replaced."""
        self.query_one(NumberField).hold(scan)
        self.app.push_screen(PastePreviewScreen(
            scan, self._existing, label=self.query_one("#label", Input).value,
            note=self.query_one("#note", Input).value, settings=self._settings_line(),
            label_limit=LABEL_LIMIT, note_limit=NOTE_LIMIT,
        ), self._block_answered)

    def _settings_line(self) -> str:
        """'provider automatic, default interval': what the rest of the dialog gives them."""
        provider = self.query_one("#provider", Select).value
        name = PROVIDER_NAMES.get(provider, "automatic") if isinstance(provider, str) \
            else "automatic"
        try:
            seconds = self._interval_seconds()
        except DurationError:
            return f"provider {name}; the interval is not valid yet"
        every = "default interval" if seconds is None else f"every {format_duration(seconds)}"
        return f"provider {name}, {every}"

    def _block_answered(self, choice: PasteChoice | None) -> None:
        block = self.query_one(NumberField).pending
        if choice is None or block is None:
            self.query_one("#number", Input).focus()
            return
        valid, interval = self._checked_interval()
        if not valid:
            return
        self.dismiss(ParcelBatch(
            found=tuple(block.found), near_misses=tuple(block.near_misses),
            repeats=block.repeats,
            label=clean_line(choice.label, limit=LABEL_LIMIT),
            note=clean_line(choice.note, limit=NOTE_LIMIT),
            interval=interval,
            provider=self._chosen_provider(),
        ))

    # ---- the other fields and the buttons ------------------------------------------------------

    @on(Input.Changed, "#label")
    def _label_changed(self) -> None:
        self._blank_label_confirmed = False
        self.query_one("#label-status", StatusLine).remove_class("-shown")

    @on(Input.Changed, "#interval")
    def _interval_changed(self) -> None:
        self._show_interval_verdict()

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "interval":
            self.action_save()
        else:
            self.focus_next()

    # ---- actions -------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Dismiss with a draft, or show what blocks saving and focus that field."""
        if self._editing is not None:
            value: str | None = self._editing.number
        else:
            field = self.query_one(NumberField)
            block = field.block()
            if block is not None:
                self._review_block(block)
                return
            value = field.checked()
        if value is None:
            return
        valid, interval = self._checked_interval()
        if not valid:
            return
        if self._blanks_label_unasked():
            return
        self.dismiss(ParcelDraft(
            number=value,
            label=self._text("label"),
            note=self._text("note"),
            interval=interval,
            provider=self._chosen_provider(),
        ))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _blanks_label_unasked(self) -> bool:
        """A label is never removed silently: an edit that empties it asks to save again."""
        if self._editing is None or not self._original("label").strip():
            return False
        if self._text("label") or self._blank_label_confirmed:
            return False
        self._blank_label_confirmed = True
        status = self.query_one("#label-status", StatusLine)
        status.show(Content(
            f"The label is empty: save again to remove {self._shown('label')!r}, or type "
            "one"), "-warning")
        status.add_class("-shown")
        self.query_one("#label", Input).focus()
        self.app.bell()
        return True
