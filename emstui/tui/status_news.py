"""Saying that parcels changed status: a toast each for a few, one summary for many, the bell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from emstui.config import Parcel
from emstui.core.model import Status
from emstui.core.sanitize import clean_line
from emstui.tui.host import MonitorHost, ParcelsView
from emstui.tui.parcel_rows import StatusChange

MAX_STATUS_TOASTS = 2  # more status changes at once become one summary notification


class StatusNews:
    """The main screen's announcements of the status changes a batch of updates brought."""

    def __init__(self, view: ParcelsView, host: MonitorHost) -> None:
        self.view = view
        self.host = host

    def announce(self, changes: Sequence[StatusChange], parcels: Mapping[str, Parcel]) -> None:
        """Toast `changes` (named after their parcel in `parcels` when it is still there)."""
        if not changes:
            return
        if len(changes) <= MAX_STATUS_TOASTS:
            for number, old, new in changes:
                parcel = parcels.get(number)
                name = clean_line(parcel.title if parcel else number, limit=60)
                before = old.label if old else "unknown"
                self.view.notify(f"{name}: {before} → {new.label}", title="Status changed",
                                 markup=False)
        else:
            delivered = sum(1 for _, _, new in changes if new is Status.DELIVERED)
            extra = f" ({delivered} delivered)" if delivered else ""
            self.view.notify(f"{len(changes)} parcels changed status{extra}",
                             title="Status changed", markup=False)
        if self.host.config.display.bell:
            self.view.app.bell()
