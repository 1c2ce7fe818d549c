"""An Input that applies its editing keys in the order they were typed.

Textual (8.2) inserts a typed character as soon as the Input receives its key, but runs the
Input's own key bindings (ctrl+u, backspace, end, left, ...) only after that key has bubbled up
through every ancestor to the App (`App._on_key` -> `_check_bindings`), one message queue per
hop. Keys that arrive together (fast typing, a terminal sending a burst, `tmux send-keys`) are
then applied out of order: "ctrl+u A B" inserts "AB" first and clears it afterwards, leaving an
empty field. A bare Textual app with one Input shows the same (see tests/tui/test_tui_dialogs.py).

`OrderedInput` runs its own bindings when the key arrives, like typed text, so the field always
ends up as typed.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if binding.action and self.check_action(binding.action, ()) is not False:
                    event.stop()
                    event.prevent_default()
                    await self.run_action(binding.action)
                    return
        await super()._on_key(event)
