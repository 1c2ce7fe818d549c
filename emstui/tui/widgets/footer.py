"""The footer: the key bindings (Textual's Footer) and, while parcels are marked, their count."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Static


class MarksFooter(Footer):
    """Textual's Footer with the marked count docked at its left ("3 marked (1 hidden)").

    It recomposes only when the keys it would show changed: Textual asks the footer to
    recompose twice on every focus change (`Screen.focused`'s watcher and `set_focus` both
    publish `bindings_updated_signal`), and the second time, or when the newly focused widget
    brings no keys of its own, it would rebuild the same keys (~20 ms each time).
    """

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
        self._shown: Hashable | None = None  # `shown_keys()` when last composed with keys

    def compose(self) -> ComposeResult:
        # The footer recomposes whenever the bindings change: the count is composed again.
        yield Static(Content(self._marks_text), id="marks",
                     classes="-shown" if self._marks_text else "")
        keys = 0
        for widget in super().compose():
            keys += 1
            yield widget
        self._shown = self.shown_keys() if keys else None

    async def recompose(self) -> None:
        if self._shown is not None and self.is_attached and self.shown_keys() == self._shown:
            return
        await super().recompose()

    def shown_keys(self) -> Hashable:
        """Everything of the screen's active bindings that Footer.compose draws."""
        app = self.app
        active = self.screen.active_bindings
        keys: list[Hashable] = [(binding, enabled, tooltip, app.get_key_display(binding))
                                for _, binding, enabled, tooltip in active.values()
                                if binding.show]
        palette = (active.get(app.COMMAND_PALETTE_BINDING)
                   if self.show_command_palette and app.ENABLE_COMMAND_PALETTE else None)
        if palette is not None:
            keys.append((palette.binding, palette.enabled, palette.tooltip,
                         app.get_key_display(palette.binding)))
        return tuple(keys)

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
