"""The add/edit parcel dialog: live S10 validation with typo suggestions, duplicate refusal.

Pasting (or typing) text with several numbers into the number field opens the paste preview
(`paste_preview`): the block is scanned by `emstui import`'s parser and nothing is added before
the user confirms. One number keeps the single-number behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from emstui.config import Parcel, check_interval
from emstui.config.importer import Scan, scan_text
from emstui.core import s10
from emstui.core.durations import DurationError, format_duration, parse_duration
from emstui.core.sanitize import clean_line
from emstui.providers import PROVIDER_IDS, PROVIDER_NAMES
from emstui.tui.keymap import build_bindings
from emstui.tui.screens.paste_preview import (
    ParcelBatch,
    PasteChoice,
    PastePreviewScreen,
    count_candidates,
)
from emstui.tui.widgets.ordered_input import OrderedInput

LABEL_LIMIT = 200
NOTE_LIMIT = 500
AUTOMATIC = ""  # the provider Select's value for "let providers.order decide"
_LIMITS = {"label": LABEL_LIMIT, "note": NOTE_LIMIT}
_DID_YOU_MEAN = " Did you mean "
# A paste up to this size is scanned at once (about 3 ms); a longer one in a thread, so a
# 10,000-line paste (about 0.5 s to scan) never holds up the screen.
INLINE_SCAN_CHARS = 2000
MAX_PASTE_CHARS = 2_000_000  # a paste beyond this is refused: `emstui import FILE` takes files


def scan_pasted(text: str) -> Scan:
    """The importer's scan of pasted text (line ends as `emstui import` reads them)."""
    return scan_text(text.replace("\r\n", "\n").replace("\r", "\n"))


class NumberInput(OrderedInput):
    """The number field: a paste holding several numbers is handed to the dialog as a block.

    Textual's Input keeps only the first line of a paste (and refuses it whole when it is longer
    than the field allows), so a block would otherwise be lost silently.
    """

    class BlockPasted(Message):
        """A paste with several numbers (`scan` set), or one too long to scan at once."""

        def __init__(self, text: str, scan: Scan | None) -> None:
            super().__init__()
            self.text = text
            self.scan = scan

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Textual would run Input._on_paste as well, after this one
        text = event.text
        if len(text) > INLINE_SCAN_CHARS:
            event.stop()
            self.post_message(self.BlockPasted(text, None))
            return
        scan = scan_pasted(text)
        if count_candidates(scan) >= 2:
            event.stop()
            self.post_message(self.BlockPasted(text, scan))
            return
        super()._on_paste(event)

    def paste_first_line(self, text: str) -> None:
        """What Input does with a paste: its first line at the cursor (or over the selection)."""
        super()._on_paste(events.Paste(text))


@dataclass(frozen=True, slots=True)
class ParcelDraft:
    """What the dialog returns: a checked, normalised number and the user's settings for it."""

    number: str
    label: str = ""
    note: str = ""
    interval: int | None = None  # seconds; None = the configured default
    provider: str | None = None  # None = automatic (providers.order)


def number_facts(number: s10.TrackingNumber) -> Content:
    """'EE 123 456 785 CN · check digit 5 is right' and, below, service and issuing country."""
    if not number.is_s10:
        return Content.assemble(
            ("✓ ", "bold"), (number.value, "bold"),
            " · not an S10 number: another carrier's, with no check digit to verify",
        )
    country = (f"issued in {number.country_name} ({number.country_code})"
               if number.country_name else f"country code {number.country_code}")
    return Content.assemble(
        ("✓ ", "bold"), (number.spaced(), "bold"),
        f" · check digit {number.check_digit} is right\n",
        f"{number.service_label} · {country}",
    )


def number_error(error: s10.InvalidNumber, *, listed: bool = False) -> Content:
    """The specific message, with the offending character of the number marked.

    With `listed`, the suggestions are offered as options below, so the message's own
    "Did you mean ...?" is replaced by a pointer to them.
    """
    text = error.message
    if listed and error.suggestions and _DID_YOU_MEAN in text:
        text = text[: text.index(_DID_YOU_MEAN)] + " Did you mean one of these?"
    message = Content.assemble(("✗ ", "bold"), text)
    shown = error.normalized
    if (error.position is not None and shown and 0 < error.position <= len(shown)
            and error.message.startswith(f"{shown}:")):
        start = 2 + error.position - 1  # after the "✗ " prefix
        message = message.stylize("reverse bold", start, start + 1)
    return message


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
        self._block: Scan | None = None  # a pasted block not yet added (Save reviews it)

    @property
    def is_edit(self) -> bool:
        return self._editing is not None

    # ---- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        editing = self._editing
        with Vertical(id="dialog"):
            yield Static(Content("Edit parcel" if editing else "Add a parcel"), id="title")
            with Horizontal(classes="row -tight"):
                yield Label("Number")
                if editing is None:
                    yield NumberInput(placeholder=f"e.g. {s10.EXAMPLE}", id="number",
                                      compact=True, max_length=s10.OTHER_MAX_LENGTH * 2)
                else:
                    yield Static(Content(editing.number), id="number-fixed", classes="fixed")
            yield Static(id="number-status", classes="status")
            yield OptionList(id="suggestions", compact=True)
            with Horizontal(classes="row"):
                yield Label("Label")
                yield OrderedInput(self._shown("label"), placeholder="e.g. Tea from Hangzhou",
                            id="label", compact=True, max_length=self._limit("label"))
            yield Static(id="label-status", classes="status")
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
            yield Static(id="interval-status", classes="status")
            with Horizontal(id="buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

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
        if self.is_edit:
            self._show_fixed_number()
        else:
            self._show_number_verdict()
        self._first_field().focus()
        self._show_interval_verdict()

    # ---- live validation ----------------------------------------------------------------------

    def _check_number(self, raw: str) -> s10.TrackingNumber:
        """Parse and refuse duplicates; raises InvalidNumber or _Duplicate."""
        number = s10.parse(raw)
        if number.value in self._existing:
            raise _Duplicate(number.value, self._existing[number.value])
        return number

    def _show_number_verdict(self) -> None:
        raw = self.query_one("#number", Input).value
        status = self.query_one("#number-status", Static)
        suggestions: tuple[str, ...] = ()
        typed = self._typed_block(raw)
        if self._block is not None:
            self._set_status(status, Content(
                f"{count_candidates(self._block)} numbers pasted, not added yet: Save reviews "
                "them, Cancel drops them"), "-warning")
        elif not s10.normalize(raw):
            self._set_status(status, Content(f"Type or paste a number like {s10.EXAMPLE}; "
                                             "spaces and lower case are fine"), "")
        elif typed is not None:
            self._set_status(status, Content(
                f"{count_candidates(typed)} numbers here: Save shows them before adding"), "-ok")
        else:
            try:
                number = self._check_number(raw)
            except s10.InvalidNumber as exc:
                self._set_status(status, number_error(exc, listed=True), "-error")
                suggestions = exc.suggestions
            except _Duplicate as dup:
                self._set_status(status, dup.content(), "-error")
            else:
                facts = number_facts(number)
                if number.warnings:
                    warnings = "\n".join(f"⚠ {w}" for w in number.warnings)
                    self._set_status(status, Content.assemble(facts, "\n", warnings),
                                     "-warning")
                else:
                    self._set_status(status, facts, "-ok")
        self._show_suggestions(suggestions)
        status.set_class(bool(suggestions), "-above-suggestions")

    def _show_fixed_number(self) -> None:
        assert self._editing is not None
        status = self.query_one("#number-status", Static)
        try:
            number = s10.parse(self._editing.number)
        except s10.InvalidNumber as exc:
            self._set_status(status, number_error(exc), "-warning")
        else:
            self._set_status(status, number_facts(number), "-ok")

    def _show_suggestions(self, suggestions: tuple[str, ...]) -> None:
        options = self.query_one("#suggestions", OptionList)
        current = [option.id for option in options.options]
        if current != list(suggestions):
            options.clear_options()
            options.add_options(self._suggestion_option(s) for s in suggestions)
            first = next((i for i, o in enumerate(options.options) if not o.disabled), None)
            options.highlighted = first
        options.set_class(bool(suggestions), "-visible")

    def _suggestion_option(self, number: str) -> Option:
        """'Use EE123456785CN (EE 123 456 785 CN)', disabled when that number is watched."""
        if number in self._existing:
            label = self._existing[number]
            named = f"as '{label}'" if label else "(without a label)"
            return Option(Content(f"    {number}  already watched {named}"), id=number,
                          disabled=True)
        return Option(Content.assemble("Use ", (number, "bold"), f"  ({_spaced(number)})"),
                      id=number)

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
        status = self.query_one("#interval-status", Static)
        try:
            seconds = self._interval_seconds()
        except DurationError as exc:
            self._set_status(status, Content.assemble(("✗ ", "bold"), exc.problem), "-error")
            return
        if seconds is None:
            default = (f" ({format_duration(self._default_interval)})"
                       if self._default_interval is not None else "")
            self._set_status(status, Content(f"Checked at the default interval{default}"), "")
        else:
            self._set_status(status, Content(f"✓ checked every {format_duration(seconds)}"),
                             "-ok")

    @staticmethod
    def _set_status(widget: Static, content: Content, kind: str) -> None:
        widget.update(content)
        for name in ("-ok", "-warning", "-error"):
            widget.set_class(name == kind, name)

    @on(Input.Changed, "#number")
    def _number_changed(self) -> None:
        self._block = None  # the user went on typing: the field is what counts now
        self._show_number_verdict()

    @staticmethod
    def _typed_block(raw: str) -> Scan | None:
        """The scan of the field's text when it holds several numbers (typed or pasted inline)."""
        scan = scan_pasted(raw)
        return scan if count_candidates(scan) >= 2 else None

    # ---- a pasted block -------------------------------------------------------------------------

    @on(NumberInput.BlockPasted)
    def _block_pasted(self, event: NumberInput.BlockPasted) -> None:
        event.stop()
        if len(event.text) > MAX_PASTE_CHARS:
            self._set_status(self.query_one("#number-status", Static), Content(
                f"✗ The pasted text is {len(event.text) // 1000:,} thousand characters, more "
                f"than the {MAX_PASTE_CHARS // 1000:,} thousand the dialog takes: save it to a "
                "file and run emstui import FILE"), "-error")
            self.app.bell()
        elif event.scan is not None:
            self._review_block(event.scan)
        else:
            self._set_status(self.query_one("#number-status", Static), Content(
                f"Looking for numbers in {event.text.count(chr(10)) + 1:,} pasted lines…"), "")
            self._scan_in_thread(event.text)

    @work(thread=True, exclusive=True, group="paste-scan")
    def _scan_in_thread(self, text: str) -> None:
        scan = scan_pasted(text)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._scanned, text, scan)

    def _scanned(self, text: str, scan: Scan) -> None:
        if not self.is_attached:
            return
        if count_candidates(scan) >= 2:
            self._review_block(scan)
        else:
            self.query_one("#number", NumberInput).paste_first_line(text)
            self._show_number_verdict()

    def _review_block(self, scan: Scan) -> None:
        """Show the preview; the dialog keeps the block until it is added or replaced."""
        self._block = scan
        self._show_number_verdict()
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

    def _block_answered(self, choice: PasteChoice | None) -> None:
        if choice is None or self._block is None:
            self.query_one("#number", Input).focus()
            return
        valid, interval = self._checked_interval()
        if not valid:
            return
        provider = self.query_one("#provider", Select).value
        block = self._block
        self.dismiss(ParcelBatch(
            found=tuple(block.found), near_misses=tuple(block.near_misses),
            repeats=block.repeats,
            label=clean_line(choice.label, limit=LABEL_LIMIT),
            note=clean_line(choice.note, limit=NOTE_LIMIT),
            interval=interval,
            provider=provider if isinstance(provider, str) and provider in PROVIDER_IDS
            else None,
        ))

    @on(Input.Changed, "#label")
    def _label_changed(self) -> None:
        self._blank_label_confirmed = False
        self.query_one("#label-status", Static).remove_class("-shown")

    @on(Input.Changed, "#interval")
    def _interval_changed(self) -> None:
        self._show_interval_verdict()

    @on(OptionList.OptionSelected, "#suggestions")
    def _suggestion_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is None:
            return
        number = self.query_one("#number", Input)
        number.value = event.option.id
        number.cursor_position = len(number.value)
        self.query_one("#label", Input).focus()

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "interval":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    # ---- actions -------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Dismiss with a draft, or show what blocks saving and focus that field."""
        if self._editing is not None:
            value = self._editing.number
        else:
            block = self._block or self._typed_block(self.query_one("#number", Input).value)
            if block is not None:
                self._review_block(block)
                return
            try:
                value = self._check_number(self.query_one("#number", Input).value).value
            except (s10.InvalidNumber, _Duplicate):
                self._show_number_verdict()
                self.query_one("#number", Input).focus()
                self.app.bell()
                return
        valid, interval = self._checked_interval()
        if not valid:
            return
        if self._blanks_label_unasked():
            return
        provider = self.query_one("#provider", Select).value
        self.dismiss(ParcelDraft(
            number=value,
            label=self._text("label"),
            note=self._text("note"),
            interval=interval,
            provider=provider if isinstance(provider, str) and provider in PROVIDER_IDS
            else None,
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
        status = self.query_one("#label-status", Static)
        self._set_status(status, Content(
            f"The label is empty: save again to remove {self._shown('label')!r}, or type "
            "one"), "-warning")
        status.add_class("-shown")
        self.query_one("#label", Input).focus()
        self.app.bell()
        return True


class _Duplicate(Exception):
    def __init__(self, number: str, label: str) -> None:
        super().__init__(number)
        self.number = number
        self.label = label

    def content(self) -> Content:
        named = f"as '{self.label}'" if self.label else "(without a label)"
        return Content.assemble(("✗ ", "bold"), f"{self.number} is already watched {named}")


def _spaced(value: str) -> str:
    try:
        return s10.parse(value).spaced()
    except s10.InvalidNumber:
        return value
