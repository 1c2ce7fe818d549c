"""The add dialog's number field: what a typed number is (or why not), and pasted blocks caught.

As the user types, the line below the field says what the number is (check digit, service,
issuing country), or the specific error with the offending character marked, and offers the
did-you-mean fixes as options; a number already watched is refused by its label. Text with
several numbers, pasted or typed, is a block: the field keeps it and tells the dialog
(`NumberField.BlockFound`), which previews it before anything is added.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from emstui.config.importer import Scan, scan_text
from emstui.core import s10
from emstui.core.sanitize import clean_line
from emstui.tui.widgets.ordered_input import OrderedInput
from emstui.tui.widgets.status_line import StatusLine

_DID_YOU_MEAN = " Did you mean "
# A paste up to this size is scanned at once (about 3 ms); a longer one in a thread, so a
# 10,000-line paste (about 0.5 s to scan) never holds up the screen.
INLINE_SCAN_CHARS = 2000
MAX_PASTE_CHARS = 2_000_000  # a paste beyond this is refused: `emstui import FILE` takes files


def scan_pasted(text: str) -> Scan:
    """The importer's scan of pasted text (line ends as `emstui import` reads them)."""
    return scan_text(text.replace("\r\n", "\n").replace("\r", "\n"))


def count_candidates(scan: Scan) -> int:
    """Distinct numbers the text holds, valid or not: 2 or more makes it a block."""
    return len(scan.found) + len(scan.near_misses)


def spaced(value: str) -> str:
    """'EE 123 456 785 CN' for a number that parses; anything else as it is."""
    try:
        return s10.parse(value).spaced()
    except s10.InvalidNumber:
        return value


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


class NumberField(Widget):
    """The 'Number' row, the verdict line below it and the did-you-mean options.

    `existing` maps each watched number (normalised) to its label. With `fixed` (an edited
    parcel's number) the number is shown, with its facts, and cannot be changed.
    """

    DEFAULT_CSS = """
    NumberField { height: auto; }
    """

    class BlockFound(Message):
        """Text with several numbers was pasted and scanned: the dialog should preview it."""

        def __init__(self, scan: Scan) -> None:
            super().__init__()
            self.scan = scan

    def __init__(self, existing: Mapping[str, str], *, fixed: str | None = None) -> None:
        super().__init__()
        self._existing = existing
        self._fixed = fixed
        self.pending: Scan | None = None  # a pasted block not yet added (Save reviews it)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row -tight"):
            yield Label("Number")
            if self._fixed is None:
                yield NumberInput(placeholder=f"e.g. {s10.EXAMPLE}", id="number",
                                  compact=True, max_length=s10.OTHER_MAX_LENGTH * 2)
            else:
                yield Static(Content(self._fixed), id="number-fixed", classes="fixed")
        yield StatusLine(id="number-status", classes="status")
        yield OptionList(id="suggestions", compact=True)

    def on_mount(self) -> None:
        if self._fixed is None:
            self._show_verdict()
        else:
            self._show_fixed()

    # ---- what the dialog asks ------------------------------------------------------------------

    def block(self) -> Scan | None:
        """The pasted block not yet added, else the field's text when it holds several numbers."""
        return self.pending or self._typed_block(self.query_one("#number", Input).value)

    def hold(self, scan: Scan) -> None:
        """Keep `scan` as the block to add until it is added or the field is edited."""
        self.pending = scan
        self._show_verdict()

    def checked(self) -> str | None:
        """The number, normalised; or None after showing why not and focusing the field."""
        try:
            return self._check(self.query_one("#number", Input).value).value
        except (s10.InvalidNumber, _Duplicate):
            self._show_verdict()
            self.query_one("#number", Input).focus()
            self.app.bell()
            return None

    # ---- the verdict ---------------------------------------------------------------------------

    def _check(self, raw: str) -> s10.TrackingNumber:
        """Parse and refuse duplicates; raises InvalidNumber or _Duplicate."""
        number = s10.parse(raw)
        if number.value in self._existing:
            raise _Duplicate(number.value, self._existing[number.value])
        return number

    def _show_verdict(self) -> None:
        raw = self.query_one("#number", Input).value
        status = self.query_one("#number-status", StatusLine)
        suggestions: tuple[str, ...] = ()
        typed = self._typed_block(raw)
        if self.pending is not None:
            status.show(Content(
                f"{count_candidates(self.pending)} numbers pasted, not added yet: Save reviews "
                "them, Cancel drops them"), "-warning")
        elif not s10.normalize(raw):
            status.show(Content(f"Type or paste a number like {s10.EXAMPLE}; "
                                "spaces and lower case are fine"))
        elif typed is not None:
            status.show(Content(
                f"{count_candidates(typed)} numbers here: Save shows them before adding"), "-ok")
        else:
            try:
                number = self._check(raw)
            except s10.InvalidNumber as exc:
                status.show(number_error(exc, listed=True), "-error")
                suggestions = exc.suggestions
            except _Duplicate as dup:
                status.show(dup.content(), "-error")
            else:
                facts = number_facts(number)
                if number.warnings:
                    warnings = "\n".join(f"⚠ {w}" for w in number.warnings)
                    status.show(Content.assemble(facts, "\n", warnings), "-warning")
                else:
                    status.show(facts, "-ok")
        self._show_suggestions(suggestions)
        status.set_class(bool(suggestions), "-above-suggestions")

    @staticmethod
    def _typed_block(raw: str) -> Scan | None:
        """The scan of the field's text when it holds several numbers (typed or pasted inline)."""
        scan = scan_pasted(raw)
        return scan if count_candidates(scan) >= 2 else None

    def _show_fixed(self) -> None:
        assert self._fixed is not None
        status = self.query_one("#number-status", StatusLine)
        try:
            number = s10.parse(self._fixed)
        except s10.InvalidNumber as exc:
            status.show(number_error(exc), "-warning")
        else:
            status.show(number_facts(number), "-ok")

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
            return Option(Content(f"    {number}  already watched "
                                  f"{watched_as(self._existing[number])}"),
                          id=number, disabled=True)
        return Option(Content.assemble("Use ", (number, "bold"), f"  ({spaced(number)})"),
                      id=number)

    @on(Input.Changed, "#number")
    def _number_changed(self) -> None:
        self.pending = None  # the user went on typing: the field is what counts now
        self._show_verdict()

    @on(OptionList.OptionSelected, "#suggestions")
    def _suggestion_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is None:
            return
        number = self.query_one("#number", Input)
        number.value = event.option.id
        number.cursor_position = len(number.value)
        self.screen.focus_next()  # from the options (they have the focus) on to the next field

    # ---- a pasted block ------------------------------------------------------------------------

    @on(NumberInput.BlockPasted)
    def _block_pasted(self, event: NumberInput.BlockPasted) -> None:
        event.stop()
        status = self.query_one("#number-status", StatusLine)
        if len(event.text) > MAX_PASTE_CHARS:
            status.show(Content(
                f"✗ The pasted text is {len(event.text) // 1000:,} thousand characters, more "
                f"than the {MAX_PASTE_CHARS // 1000:,} thousand the dialog takes: save it to a "
                "file and run emstui import FILE"), "-error")
            self.app.bell()
        elif event.scan is not None:
            self.post_message(self.BlockFound(event.scan))
        else:
            status.show(Content(
                f"Looking for numbers in {event.text.count(chr(10)) + 1:,} pasted lines…"))
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
            self.post_message(self.BlockFound(scan))
        else:
            self.query_one("#number", NumberInput).paste_first_line(text)
            self._show_verdict()


def watched_as(label: str) -> str:
    """How a watched parcel's label reads in "already watched as ..." (cleaned, bounded)."""
    shown = clean_line(label, limit=60)
    return f"as '{shown}'" if shown else "(without a label)"


class _Duplicate(Exception):
    def __init__(self, number: str, label: str) -> None:
        super().__init__(number)
        self.number = number
        self.label = label

    def content(self) -> Content:
        return Content.assemble(("✗ ", "bold"),
                                f"{self.number} is already watched {watched_as(self.label)}")
