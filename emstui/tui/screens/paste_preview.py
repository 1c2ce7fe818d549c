"""The add dialog's paste preview: what a pasted block of several numbers holds, before adding.

The block is scanned by `emstui.config.importer` (the parser `emstui import` uses): valid
numbers, numbers already watched, near misses with the fixes `s10` suggests. Nothing is added
until the user confirms, and near misses are never added or fixed for them. The label and note
typed here go to every new parcel (a batch shares them, like a shop's shipment); they start as
what the add dialog held and may be left empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from emstui.config.importer import Found, NearMiss, Scan
from emstui.core.sanitize import clean_line
from emstui.tui import keymap
from emstui.tui.widgets.number_field import count_candidates, spaced, watched_as
from emstui.tui.widgets.ordered_input import OrderedInput

# Rows listed per section; the counts above always cover everything found. Laying out the list
# runs on the UI loop: for a 10,000-line paste, 100 rows per section held it ~0.4 s, 50 ~0.18 s
# (bench/paste.py; opening the preview for a short paste ~0.08 s).
SECTION_LIMIT = 50
# Rows of the screen that are not the list: borders, title, summary, fields, buttons, footer.
_AROUND_LIST = 12
TOAST_MISSES = 3  # near misses named in the toast after adding; the rest are counted


@dataclass(frozen=True, slots=True)
class PasteChoice:
    """The user's answer in the preview: add the new numbers with this label and note."""

    label: str
    note: str


@dataclass(frozen=True, slots=True)
class ParcelBatch:
    """What the add dialog returns for a pasted block: the scan's numbers and shared settings."""

    found: tuple[Found, ...]
    near_misses: tuple[NearMiss, ...]
    repeats: int = 0
    label: str = ""
    note: str = ""
    interval: int | None = None
    provider: str | None = None


def split_watched(scan: Scan, existing: Mapping[str, str]) -> tuple[list[Found], list[Found]]:
    """(new, already watched) of the scan's valid numbers."""
    new = [f for f in scan.found if f.number not in existing]
    return new, [f for f in scan.found if f.number in existing]


def summary_line(scan: Scan, existing: Mapping[str, str]) -> str:
    new, already = split_watched(scan, existing)
    misses = len(scan.near_misses)
    text = (f"{len(new)} new, {len(already)} already watched, "
            f"{misses} near miss{'' if misses == 1 else 'es'}")
    if scan.repeats:
        text += f" ({scan.repeats} repeated in the text, counted once)"
    return text


def preview_content(scan: Scan, existing: Mapping[str, str],
                    limit: int = SECTION_LIMIT) -> Content:
    """Every section as plain text: new numbers, already watched, near misses with fixes."""
    new, already = split_watched(scan, existing)
    lines: list[Content] = []

    def section(title: str, count: int, rows: list[str]) -> None:
        if not count:
            return
        if lines:
            lines.append(Content(""))
        lines.append(Content.styled(f"{title} ({count})", "bold"))
        lines.extend(Content(row) for row in rows[:limit])
        if count > limit:
            lines.append(Content.styled(f"  … and {count - limit} more", "italic"))

    # Near misses first: they are what needs the user's eyes, and a short screen shows the top.
    misses: list[str] = []
    for miss in scan.near_misses[:limit]:
        misses.append(f"  line {miss.line}: {clean_line(miss.message, limit=300)}")
        misses.extend(f"      {fix} is already watched" for fix in miss.suggestions
                      if fix in existing)
    section("Near misses, NOT added: check each against the label or receipt",
            len(scan.near_misses), misses)
    section("New, will be added", len(new),
            [f"  {spaced(f.number):<18} line {f.line}" for f in new[:limit]])
    section("Already watched, left as they are", len(already),
            [f"  {spaced(f.number):<18} line {f.line}  {watched_as(existing[f.number])}"
             for f in already[:limit]])
    return Content("\n").join(lines)


def toast_text(added: int, already: int, near_misses: tuple[NearMiss, ...]) -> str:
    """'Added 3 parcels; 1 already watched; 1 near miss: EE12345678SCN (EE123456785CN?)'."""
    parts = [f"Added {added} parcel{'' if added == 1 else 's'}"]
    if already:
        parts.append(f"{already} already watched")
    if near_misses:
        named = [_named_miss(m) for m in near_misses[:TOAST_MISSES]]
        more = len(near_misses) - TOAST_MISSES
        if more > 0:
            named.append(f"and {more} more")
        count = len(near_misses)
        parts.append(f"{count} near miss{'' if count == 1 else 'es'} not added: "
                     + ", ".join(named))
    return "; ".join(parts)


def _named_miss(miss: NearMiss) -> str:
    text = clean_line(miss.text, limit=40)
    if miss.suggestions:
        return f"{text} (did you mean {' or '.join(miss.suggestions[:2])}?)"
    return text


class PastePreviewScreen(ModalScreen[PasteChoice | None]):
    """The scan of a pasted block; dismisses with the shared label and note, or None (back)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        keymap.rebind("save", "add", "Add new", show=True),
        keymap.rebind("cancel", "back", "Back", show=True),
    ]

    DEFAULT_CSS = """
    PastePreviewScreen {
        align: center middle;
        & > #dialog {
            width: 96; max-width: 100%; height: auto; max-height: 100%;
            border: thick $primary; background: $surface; padding: 0 1;
        }
        #title { text-style: bold; }
        #summary { color: $text-muted; margin-bottom: 1; }
        #found { height: auto; max-height: 12; min-height: 3; border: round $panel; }
        #found-list { padding: 0 1; }
        .row { height: 1; margin-top: 1; }
        .row.-tight { margin: 0; }
        .row > Label { width: 12; }
        .row > Input { width: 1fr; }
        #applies { color: $text-muted; height: auto; }
        #buttons { height: auto; align-horizontal: right; }
        #buttons > Button { margin-left: 2; }
    }
    """

    def __init__(self, scan: Scan, existing: Mapping[str, str], *, label: str = "",
                 note: str = "", settings: str = "", label_limit: int = 200,
                 note_limit: int = 500) -> None:
        super().__init__()
        self._scan = scan
        self._existing = existing
        self._new = len(split_watched(scan, existing)[0])
        self._label = label
        self._note = note
        self._settings = settings
        self._limits = (label_limit, note_limit)

    def compose(self) -> ComposeResult:
        count = count_candidates(self._scan)
        with Vertical(id="dialog"):
            yield Static(Content(f"Pasted text: {count} numbers found"), id="title")
            yield Static(Content(summary_line(self._scan, self._existing)), id="summary")
            with VerticalScroll(id="found"):
                yield Static(preview_content(self._scan, self._existing), id="found-list")
            with Horizontal(classes="row"):
                yield Label("Label")
                yield OrderedInput(self._label, placeholder="for every new parcel (optional)",
                                   id="label", compact=True, max_length=self._limits[0])
            with Horizontal(classes="row -tight"):
                yield Label("Note")
                yield OrderedInput(self._note, placeholder="for every new parcel (optional)",
                                   id="note", compact=True, max_length=self._limits[1])
            yield Static(Content(self._applies()), id="applies")
            with Horizontal(id="buttons"):
                yield Button(f"Add {self._new}", id="add", variant="primary", compact=True,
                             disabled=not self._new, action="screen.add")
                yield Button("Back", id="back", compact=True, action="screen.back")
        yield Footer()

    def _applies(self) -> str:
        if not self._new:
            return "Nothing new to add: every valid number here is already watched."
        them = "it" if self._new == 1 else f"all {self._new}"
        text = f"Label and note go to {them}"
        return f"{text}; {self._settings}" if self._settings else text

    def on_resize(self) -> None:
        # The list takes the rows the rest leaves. (A `vh` max-height here made the dialog's
        # auto height count the list unclamped: Textual 8.2.)
        self.query_one("#found").styles.max_height = max(3, self.size.height - _AROUND_LIST)

    def on_mount(self) -> None:
        (self.query_one("#label", Input) if self._new else self.query_one("#back")).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "note":
            self.action_add()
        else:
            self.focus_next()

    def action_add(self) -> None:
        if not self._new:
            self.app.bell()
            return
        # Raw text: the add dialog cleans it as it cleans its own fields.
        self.dismiss(PasteChoice(label=self.query_one("#label", Input).value,
                                 note=self.query_one("#note", Input).value))

    def action_back(self) -> None:
        self.dismiss(None)
