"""The main screen's widgets: header bar, parcel table, detail panel."""

from __future__ import annotations

from emstui.tui.widgets.detail import DetailPanel
from emstui.tui.widgets.header import AppHeader
from emstui.tui.widgets.parcel_table import ApplyStats, ParcelTable

# Screen classes app.tcss lays out by: table above the detail when narrow, beside it when wide.
# Set as `HORIZONTAL_BREAKPOINTS` on the App (or the main Screen).
HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] = [(0, "-narrow"), (140, "-wide")]

__all__ = ["HORIZONTAL_BREAKPOINTS", "AppHeader", "ApplyStats", "DetailPanel", "ParcelTable"]
