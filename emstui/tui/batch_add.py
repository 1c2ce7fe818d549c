"""Adding a pasted block of numbers from the add dialog: one atomic config edit, one toast.

The edit is `importer.add_found`, the same one `emstui import` writes with; what was added and
what was already watched come from that edit (the file may have changed since the preview), so
the toast tells what happened, not what was foreseen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from emstui.config import Config, Parcel
from emstui.config.importer import Found, add_found
from emstui.tui.host import MonitorHost, ParcelsView
from emstui.tui.screens.paste_preview import ParcelBatch, toast_text


def add_batch(host: MonitorHost, view: ParcelsView, batch: ParcelBatch) -> None:
    """Add the batch's new numbers in one config write; toast and show them when saved."""
    today = host.services.clock.now().astimezone(UTC).date()
    found = [replace(item, label=batch.label, note=batch.note) for item in batch.found]
    outcome: list[tuple[list[Found], list[tuple[Found, Parcel]]]] = []

    def change(config: Config) -> None:
        outcome[:] = [add_found(config, found, today=today, interval=batch.interval,
                                provider=batch.provider)]  # may run twice after a conflict

    def after() -> None:
        added, already = outcome[0]
        view.notify(toast_text(len(added), len(already), batch.near_misses),
                   severity="warning" if batch.near_misses else "information",
                   timeout=10 if batch.near_misses else 5, markup=False)
        if added:
            view.jump_to(added[0].number)
            host.services.engine.request_refresh([item.number for item in added])

    host.edit_config(change, done="", after=after)
