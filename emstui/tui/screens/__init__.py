"""Modal screens: the parcel form, confirmations and the key help."""

from __future__ import annotations

from emstui.tui.screens.confirm import ConfirmRemoveScreen, ConfirmScreen, RemoveChoice
from emstui.tui.screens.help import HelpScreen
from emstui.tui.screens.parcel_form import ParcelDraft, ParcelFormScreen

__all__ = [
    "ConfirmRemoveScreen",
    "ConfirmScreen",
    "HelpScreen",
    "ParcelDraft",
    "ParcelFormScreen",
    "RemoveChoice",
]
