"""The footer: the key bindings (as Textual's Footer shows them) and the marked count.

Why not the stock Footer's recompose: Textual asks the footer to recompose twice on every focus
change (`Screen.focused`'s watcher and `set_focus` both publish `bindings_updated_signal`), and
each time the Footer removes its keys and mounts new ones (~25-40 ms with their styles and
layout, half of a tab press at 5000 parcels). MarksFooter composes the same keys itself, keeps
the keys of earlier focus states hidden beside the shown ones, and on a focus change only shows
and hides keys when the keys wanted are among them; it recomposes when they are not. Binding
groups (which this app does not use) are left to the stock Footer's compose, and so is every
Textual release the key widget (`FooterKey`, not re-exported) was not checked against
(`textual_versions.supported`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey  # not re-exported; the stock Footer's key widget

from emstui.tui.widgets.textual_versions import supported

# Keys kept (shown and hidden) at most; past this a recompose keeps only the keys wanted.
POOL_LIMIT = 40


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key of the footer, as Footer.compose would build its FooterKey."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    palette: bool = False  # the command palette's key, docked at the right

    @classmethod
    def of(cls, widget: FooterKey) -> KeySpec:
        """The spec of a FooterKey (what tests compare with the stock Footer's keys)."""
        tooltip = widget.tooltip
        return cls(widget.key, widget.key_display, widget.description, widget.action,
                   widget.has_class("-disabled"), tooltip if isinstance(tooltip, str) else "",
                   widget.has_class("-command-palette"))

    def build(self) -> FooterKey:
        key = FooterKey(self.key, self.key_display, self.description, self.action,
                        disabled=self.disabled, tooltip=self.tooltip,
                        classes="-command-palette" if self.palette else "")
        # As Footer.compose: its keys follow the footer's `compact`, the palette's does not.
        return key if self.palette else key.data_bind(compact=Footer.compact)


def footer_keys(footer: Footer) -> list[KeySpec] | None:
    """The keys Footer.compose shows for the screen's active bindings, in its order (the
    first binding of each action); None when a binding group is shown."""
    app = footer.app
    active = footer.screen.active_bindings
    first: dict[str, tuple[Binding, bool, str]] = {}
    for _, binding, enabled, tooltip in active.values():
        if binding.show:
            if binding.group is not None:
                return None
            first.setdefault(binding.action, (binding, enabled, tooltip))
    keys = [KeySpec(b.key, app.get_key_display(b), b.description, b.action, not enabled,
                    tooltip or "") for b, enabled, tooltip in first.values()]
    if footer.show_command_palette and app.ENABLE_COMMAND_PALETTE:
        entry = active.get(app.COMMAND_PALETTE_BINDING)
        if entry is not None:
            b = entry.binding
            keys.append(KeySpec(b.key, app.get_key_display(b), b.description, b.action,
                                not entry.enabled, b.tooltip or b.description, palette=True))
    return keys


def embed(pool: Sequence[KeySpec], wanted: Sequence[KeySpec]) -> list[bool] | None:
    """Which of `pool` to show so that exactly `wanted` shows, in order; None if it cannot."""
    shown, at = [], 0
    for spec in pool:
        hit = at < len(wanted) and spec == wanted[at]
        shown.append(hit)
        at += hit
    return shown if at == len(wanted) else None


def merge(old: Sequence[KeySpec], new: Sequence[KeySpec]) -> list[KeySpec]:
    """A shortest sequence that holds both `old` and `new` in their orders."""
    # Longest common subsequence table, then walk it emitting each key once.
    rows, cols = len(old), len(new)
    lcs = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            lcs[i][j] = (lcs[i + 1][j + 1] + 1 if old[i] == new[j]
                         else max(lcs[i + 1][j], lcs[i][j + 1]))
    out: list[KeySpec] = []
    i = j = 0
    while i < rows and j < cols:
        if old[i] == new[j]:
            out.append(old[i])
            i, j = i + 1, j + 1
        elif lcs[i + 1][j] >= lcs[i][j + 1]:
            out.append(old[i])
            i += 1
        else:
            out.append(new[j])
            j += 1
    return out + list(old[i:]) + list(new[j:])


class MarksFooter(Footer):
    """The key bindings with the marked count docked at the left ("3 marked (1 hidden)")."""

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
        self._ready = False  # the bindings are known (as the stock Footer, keys only then)
        # The keys composed (shown and hidden), in order; None when the stock compose ran.
        self._pool: list[tuple[KeySpec, FooterKey]] | None = None

    def compose(self) -> ComposeResult:
        # The count is composed again on a recompose.
        yield Static(Content(self._marks_text), id="marks",
                     classes="-shown" if self._marks_text else "")
        if not self._ready:
            return
        wanted = footer_keys(self) if supported() else None
        if wanted is None:
            self._pool = None
            yield from super().compose()
            return
        specs = merge([spec for spec, _ in self._pool or ()], wanted)
        if len(specs) > POOL_LIMIT:
            specs = wanted
        shown = embed(specs, wanted) or [True] * len(specs)
        self._pool = []
        for spec, show in zip(specs, shown, strict=True):
            widget = spec.build()
            widget.display = show
            self._pool.append((spec, widget))
            yield widget

    async def recompose(self) -> None:
        self._ready = True
        if self.is_attached and self._show_from_pool():
            return
        await super().recompose()

    def _show_from_pool(self) -> bool:
        """Show the keys wanted by showing and hiding composed ones; False if they are not all
        there."""
        pool = self._pool
        if pool is None or any(widget.parent is not self for _, widget in pool):
            return False
        wanted = footer_keys(self)
        shown = None if wanted is None else embed([spec for spec, _ in pool], wanted)
        if shown is None:
            return False
        for (_, widget), show in zip(pool, shown, strict=True):
            if widget.display != show:
                widget.display = show
        return True

    def shown_keys(self) -> Iterator[FooterKey]:
        """The key widgets on show, in order."""
        return (child for child in self.query_children(FooterKey) if child.display)

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
