"""Screens: the main screen (`main`, imported from there) and the modal dialogs: the parcel
form, the remove confirmation, the key help and its legend."""

from __future__ import annotations

from emstui.tui.screens.confirm import ConfirmRemoveMarkedScreen, ConfirmRemoveScreen, RemoveChoice
from emstui.tui.screens.help import HelpScreen
from emstui.tui.screens.parcel_form import ParcelDraft, ParcelFormScreen

__all__ = [
    "ConfirmRemoveMarkedScreen",
    "ConfirmRemoveScreen",
    "HelpScreen",
    "ParcelDraft",
    "ParcelFormScreen",
    "RemoveChoice",
]
