"""Typed Textual messages that reach the main screen from the refresh engine and the palette.

The parcel table's own `ParcelTable.ParcelHighlighted` lives with the widget
(`emstui.tui.widgets.parcel_table`) and is not repeated here.
"""

from __future__ import annotations

from textual.message import Message

from emstui.engine.events import Change


class EngineChange(Message):
    """The refresh engine announced a change (handled as `on_engine_change`).

    The main screen's engine listener posts one per change event, so every change reaches the
    screen on its message loop, in the order the engine produced them.
    """

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change


class JumpToParcel(Message):
    """Move the table cursor to this parcel (handled as `on_jump_to_parcel`).

    Posted to the main screen by the command palette when a parcel is chosen.
    """

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
