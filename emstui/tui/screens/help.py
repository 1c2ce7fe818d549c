"""The `?` help screen: the legend first, then every binding by context, with the keys in force
after `[keys]`.

Each binding line is the keys, the binding id (the name `[keys]` takes, e.g. `refresh = "f5"`),
and what the binding does. The dialog is: title, hint, then the scrolling body: the legend
(glyphs, colours, marks), a note on this session (the demo) if any, the column heading and the
contexts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from emstui.core.sanitize import clean_line
from emstui.tui import keymap
from emstui.tui.screens.legend import legend_content

KEYS_WIDTH = 10
ID_WIDTH = 17
# At 80 columns the dialog leaves this much beside the keys and ids; longer text would wrap.
LINE_BUDGET = 44


def binding_line(spec: keymap.BindingSpec, resolution: keymap.Resolution) -> Content:
    """'  keys      id               what they do'; keys remapped by `[keys]` are underlined."""
    keys = " ".join(keymap.key_display(k) for k in resolution.keys[spec.id])
    style = "bold underline" if spec.id in resolution.applied else "bold"
    return Content.assemble("  ", (keys, style), " " * max(1, KEYS_WIDTH - len(keys)), " ",
                            (spec.id, "italic $text-muted"),
                            " " * max(1, ID_WIDTH - len(spec.id)), spec.explanation)


def column_heading() -> Content:
    """The line naming the columns, above the first context."""
    return Content.styled("  " + "key".ljust(KEYS_WIDTH) + " " + "id in [keys]".ljust(ID_WIDTH)
                          + "what it does", "$text-muted")


def context_content(context: keymap.Context, resolution: keymap.Resolution) -> Content:
    """One context's heading and its bindings, one per line."""
    lines = [Content.styled(keymap.CONTEXT_TITLES[context], "bold")]
    lines += [binding_line(spec, resolution) for spec in keymap.specs(context)]
    return Content("\n").join(lines)


class HelpBody(VerticalScroll):
    """The scrolling list; j/k, g/G and the page keys scroll it, as in the detail panel."""

    BINDINGS: ClassVar[list[BindingType]] = list(keymap.build_bindings("detail"))


class HelpScreen(ModalScreen[None]):
    """The legend, a note about this session (the demo) if any, then every binding.

    Escape, `?` or `q` (or whatever they are remapped to) closes it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        keymap.rebind("cancel", "close", "Close", show=True),
        keymap.rebind("help", "close", "Close"),
        keymap.rebind("quit", "close", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #dialog {
            width: 84; max-width: 100%; height: 90%;
            border: thick $primary; background: $surface; padding: 0 1;
        }
        #title { text-style: bold; height: auto; }
        #hint { color: $text-muted; height: auto; }
        HelpBody { height: 1fr; }
        #legend { height: auto; }
        #columns { margin-top: 1; }
        .context, #problems, #session { margin-top: 1; }
        #problems { color: $warning; }
    }
    """

    def __init__(self, overrides: Mapping[str, object] | None = None, *,
                 note: str | None = None, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._resolution = keymap.resolve(overrides)
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content("Help"), id="title")
            palette = keymap.key_display(self._resolution.keys["palette"][0])
            yield Static(Content("Remap a key in your config's [keys] table by its id, e.g. "
                                 'refresh = "f5"; underlined keys come from there. '
                                 f"{palette} opens the command palette."), id="hint")
            with HelpBody():
                # The legend section, then the session note, then the bindings sections.
                yield Static(legend_content(self.app.get_css_variables()), id="legend")
                if self._note:
                    yield Static(Content("\n").join([Content.styled("This session", "bold"),
                                                      Content(clean_line(self._note, limit=500))]),
                                 id="session")
                yield Static(column_heading(), id="columns")
                for context in keymap.CONTEXTS:
                    yield Static(context_content(context, self._resolution),
                                 classes="context", id=f"context-{context}")
                if self._resolution.problems:
                    yield Static(Content("\n").join(
                        [Content.styled("Not applied from [keys]:", "bold"),
                         *(Content(f"  {clean_line(p)}") for p in self._resolution.problems)]),
                        id="problems")

    def on_mount(self) -> None:
        self.query_one(HelpBody).focus()

    def action_close(self) -> None:
        self.dismiss(None)
