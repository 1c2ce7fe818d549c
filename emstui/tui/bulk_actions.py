"""Archive, unarchive, refresh and remove the marked parcels (`emstui.tui.marks`) at once.

Each change to the watch list is ONE config edit (atomic, conflict-checked, one write), and one
toast saying what that edit did: the file may have changed on disk since the marks were made,
so the counts come from the edit, not from what was foreseen. Archive and remove clear the
marks once saved; refresh keeps them (refreshing changes nothing the marks were made for, and
"refresh these, then archive the delivered ones" is a common run).
"""

from __future__ import annotations

from emstui.config import Config, remove_parcels, set_archived_parcels
from emstui.core.sanitize import clean_line
from emstui.engine.engine import RefreshRequest
from emstui.tui.host import MonitorHost, ParcelsView
from emstui.tui.marks import parcels_phrase
from emstui.tui.screens.confirm import ConfirmRemoveMarkedScreen, RemoveChoice


def marked(host: MonitorHost, view: ParcelsView) -> list[str]:
    """The marked parcels still watched, in marking order."""
    watched = {parcel.number for parcel in host.config.parcels}
    return [number for number in view.marks if number in watched]


def archive(host: MonitorHost, view: ParcelsView) -> None:
    """Archive the marked parcels; when every one of them is archived already, unarchive them."""
    numbers = marked(host, view)
    to_archive = not all(view.parcel(n).archived for n in numbers)
    changed: list[str] = []

    def change(config: Config) -> None:
        changed[:] = set_archived_parcels(config, numbers, to_archive)  # may run again

    def after() -> None:
        view.clear_marks()
        already = len(numbers) - len(changed)
        verb = "Archived" if to_archive else "Unarchived"
        words = f"{verb} {parcels_phrase(len(changed))}"
        if already and to_archive:
            words += f" ({already} already archived)"
        if changed and to_archive and not view.show_archived:
            words += " (A shows archived parcels)"
        view.notify(words, markup=False)

    host.edit_config(change, done="", after=after)


def refresh(host: MonitorHost, view: ParcelsView) -> tuple[RefreshRequest, str, str] | None:
    """Ask the engine for every marked parcel at once (archived ones are not refreshed): the
    request, what it was for ("7 parcels") and a note on the ones skipped, for the toast."""
    numbers = marked(host, view)
    active = [n for n in numbers if not view.parcel(n).archived]
    skipped = len(numbers) - len(active)
    note = f"; {parcels_phrase(skipped)} archived, not refreshed" if skipped else ""
    if not active:
        view.notify(f"The {parcels_phrase(skipped)} marked are archived: archived parcels are "
                    "not refreshed.", severity="warning", markup=False)
        return None
    return host.services.engine.request_refresh(active), parcels_phrase(len(active)), note


def remove(host: MonitorHost, view: ParcelsView) -> None:
    """Ask once, naming how many and the first few; then remove them in one edit."""
    numbers = marked(host, view)
    titles = [(n, view.parcel(n).label) for n in numbers]
    view.app.push_screen(ConfirmRemoveMarkedScreen(titles),
                         lambda choice: _removed(host, view, numbers, choice))


def _removed(host: MonitorHost, view: ParcelsView, numbers: list[str],
             choice: RemoveChoice | None) -> None:
    if choice is None:
        return
    removed: list[str] = []

    def change(config: Config) -> None:
        removed[:] = remove_parcels(config, numbers)  # may run again after a conflict

    def after() -> None:
        if choice is RemoveChoice.PURGE_HISTORY:
            for number in removed:
                host.services.store.purge(number)
        view.clear_marks()
        kept = "" if choice is RemoveChoice.PURGE_HISTORY else " (history kept)"
        view.notify(clean_line(f"Removed {parcels_phrase(len(removed))}{kept}"), markup=False)

    host.edit_config(change, done="", after=after)
