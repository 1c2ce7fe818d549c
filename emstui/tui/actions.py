"""The main screen's parcel actions: add (one number or a pasted block), edit, archive, remove,
refresh, pause, sort, copy, and the automatic archiving of parcels delivered long ago.
Archive, refresh and remove act on the marked parcels when there are any
(`emstui.tui.bulk_actions`).

`ParcelActions` is owned by the main screen (`emstui.tui.screens.main`), which it sees as a
`emstui.tui.host.ParcelsView`; it reaches the app only through `emstui.tui.host.MonitorHost`.
Every change to the watch list goes through `MonitorHost.edit_config` (atomic,
conflict-checked, in a thread).
"""

from __future__ import annotations

from datetime import UTC
from functools import partial
from typing import Any

from emstui.config import (
    Config,
    ConfigError,
    Parcel,
    add_parcel,
    archive_parcels,
    edit_parcel,
    remove_parcel,
    set_archived,
)
from emstui.core.durations import format_duration
from emstui.core.model import ParcelState
from emstui.engine.engine import RefreshRequest
from emstui.present import autoarchive
from emstui.present.views import TABLE_COLUMNS, format_clock
from emstui.tui import bulk_actions
from emstui.tui.batch_add import add_batch
from emstui.tui.host import MonitorHost, ParcelsView
from emstui.tui.screens.confirm import ConfirmRemoveScreen, RemoveChoice
from emstui.tui.screens.parcel_form import ParcelDraft, ParcelFormScreen
from emstui.tui.screens.paste_preview import ParcelBatch

EDITABLE_FIELDS = ("label", "note", "interval", "provider")  # what the edit form can change
SORT_CYCLE = ("status", "age", "label", "next")
_SORT_NAMES = {c.key: c.title.lower() for c in TABLE_COLUMNS}  # as the column headers say


class ParcelActions:
    """What the watch-list keys do (bound in `emstui.tui.keymap`, global context)."""

    def __init__(self, view: ParcelsView, host: MonitorHost) -> None:
        self.view = view
        self.host = host

    def current(self) -> str | None:
        """The highlighted parcel; when there is none, says so."""
        number = self.view.highlighted
        if number is None:
            self.view.notify("No parcel selected. Press a to add one.", severity="warning")
        return number

    def current_parcel(self) -> Parcel | None:
        """The highlighted parcel's settings; when there is none, says so."""
        number = self.current()
        return None if number is None else self.view.parcel(number)

    # ---- refresh ----------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.view.marks:
            asked = bulk_actions.refresh(self.host, self.view)
            if asked is not None:
                self._say_refresh(*asked)
            return
        parcel = self.current_parcel()
        if parcel is None:
            return
        if parcel.archived:
            self.view.notify("Archived parcels are not refreshed; press x to unarchive.",
                             severity="warning")
            return
        self._say_refresh(self.host.services.engine.request_refresh([parcel.number]),
                         parcel.title)

    def refresh_all(self) -> None:
        request = self.host.services.engine.request_refresh()
        self._say_refresh(request, f"{len(request.queued)} parcels")

    def toggle_pause(self) -> None:
        if self.host.refresh_paused:
            self.host.resume_engine()
            self.view.notify("Automatic refreshing resumed.", markup=False)
        else:
            self.host.pause_engine()
            self.view.notify("Automatic refreshing paused (p resumes).", markup=False)

    def _say_refresh(self, request: RefreshRequest, what: str, note: str = "") -> None:
        now = self.host.services.clock.now()
        parts = []
        if request.queued:
            parts.append(f"Refreshing {what}")
        if request.in_progress and not request.queued:
            parts.append(f"{what.capitalize()} is already being refreshed")
        if request.waiting:
            when = min(request.waiting.values())
            parts.append(f"the source is backing off: next attempt at "
                         f"{format_clock(when, now, self.host.tz)}")
        for reason in dict.fromkeys(request.blocked.values()):
            parts.append(reason)
        severity = "warning" if request.blocked or request.waiting else "information"
        self.view.notify(("; ".join(parts) or "Nothing to refresh") + note, severity=severity,
                         markup=False)

    # ---- watch list -------------------------------------------------------------------------

    def add(self) -> None:
        config = self.host.config
        existing = {p.number: p.label for p in config.parcels}
        self.view.app.push_screen(
            ParcelFormScreen(existing, default_interval=config.refresh.interval), self._added)

    def _added(self, draft: ParcelDraft | ParcelBatch | None) -> None:
        if draft is None:
            return
        if isinstance(draft, ParcelBatch):  # several numbers pasted, confirmed in the preview
            add_batch(self.host, self.view, draft)
            return
        added = self.host.services.clock.now().astimezone(UTC).date()

        def change(config: Config) -> None:
            add_parcel(config, draft.number, label=draft.label, note=draft.note,
                       interval=draft.interval, provider=draft.provider, added=added)

        def after() -> None:
            self.view.jump_to(draft.number)
            self.host.services.engine.request_refresh([draft.number])

        self.host.edit_config(change, done=f"Added {draft.label or draft.number}", after=after)

    def edit(self) -> None:
        parcel = self.current_parcel()
        if parcel is None:
            return
        shown = {name: getattr(parcel, name) for name in EDITABLE_FIELDS}
        config = self.host.config
        existing = {p.number: p.label for p in config.parcels}
        self.view.app.push_screen(
            ParcelFormScreen(existing, editing=parcel,
                             default_interval=config.refresh.interval),
            lambda draft: self._edited(parcel.number, shown, draft))

    def _edited(self, number: str, shown: dict[str, Any], draft: ParcelDraft | None) -> None:
        if draft is None:
            return
        # Save only the fields the user changed: the edit may be re-applied on top of a file
        # changed on disk meanwhile, and the fields left alone must keep that file's values.
        changed = {name: getattr(draft, name) for name in EDITABLE_FIELDS
                   if getattr(draft, name) != shown[name]}
        self.host.edit_config(lambda config: edit_parcel(config, number, **changed),
                              done=f"Saved {draft.label or number}")

    def archive(self) -> None:
        if self.view.marks:
            bulk_actions.archive(self.host, self.view)
            return
        parcel = self.current_parcel()
        if parcel is None:
            return
        archive = not parcel.archived
        hint = " (A shows archived parcels)" if archive and not self.view.show_archived else ""
        verb = "Archived" if archive else "Unarchived"
        self.host.edit_config(lambda config: set_archived(config, parcel.number, archive),
                              done=f"{verb} {parcel.title}{hint}")

    def remove(self) -> None:
        if self.view.marks:
            bulk_actions.remove(self.host, self.view)
            return
        parcel = self.current_parcel()
        if parcel is None:
            return
        self.view.app.push_screen(ConfirmRemoveScreen(parcel.number, parcel.label),
                                  lambda choice: self._removed(parcel.number, parcel.title, choice))

    def _removed(self, number: str, title: str, choice: RemoveChoice | None) -> None:
        if choice is None:
            return

        def after() -> None:
            if choice is RemoveChoice.PURGE_HISTORY:
                self.host.services.store.purge(number)

        kept = "" if choice is RemoveChoice.PURGE_HISTORY else " (history kept)"
        self.host.edit_config(lambda config: remove_parcel(config, number),
                              done=f"Removed {title}{kept}", after=after)

    # ---- the table ------------------------------------------------------------------------

    def sort(self) -> None:
        table = self.view.table
        current = table.sort_column if table.sort_column in SORT_CYCLE else SORT_CYCLE[-1]
        column = SORT_CYCLE[(SORT_CYCLE.index(current) + 1) % len(SORT_CYCLE)]
        table.set_sort(column, reverse=table.sort_reverse)
        self.view.notify(f"Sorted by {_SORT_NAMES[column]}", timeout=3, markup=False)

    def sort_direction(self) -> None:
        table = self.view.table
        table.set_sort(table.sort_column, reverse=not table.sort_reverse)
        direction = "descending" if table.sort_reverse else "ascending"
        self.view.notify(f"Sorted by {_SORT_NAMES[table.sort_column]}, {direction}",
                         timeout=3, markup=False)

    def copy(self) -> None:
        number = self.current()
        if number is None:
            return
        self.view.app.copy_to_clipboard(number)
        self.view.notify(f"Copied {number} to the clipboard (OSC 52: works over SSH if your "
                         "terminal allows it)", markup=False)

    # ---- automatic archiving ----------------------------------------------------------------

    def auto_archive(self, states: dict[str, ParcelState]) -> None:
        """`[refresh] archive_delivered_after`, after a pass: archive the parcels finished that
        long ago as `x` does, with one toast for all of them."""
        after = self.host.config.refresh.archive_delivered_after
        due = autoarchive.due_for_archive(self.host.config.parcels, states, after,
                                          self.host.services.clock.now())
        if due and after is not None:
            self.view.run_worker(partial(self._run_auto_archive, due, after), thread=True,
                                 group="config-edit")

    def _run_auto_archive(self, due: list[str], after: int) -> None:
        """In a thread worker, like every config edit."""
        host, app = self.host, self.view.app
        store, clock = host.services.store, host.services.clock
        due = autoarchive.not_yet_archived_by_us(store, due)  # unarchived by the user
        if not due:
            return
        archived: list[str] = []

        def archive(config: Config) -> None:
            archived[:] = archive_parcels(config, due)  # applied again after a conflict

        try:
            with host.keeper_lock:
                labels = {p.number: p.label for p in host.keeper.config.parcels}
                config, outside = host.keeper.edit(archive)
        except ConfigError as exc:
            app.call_from_thread(app.notify, exc.describe(), title="Auto-archive not saved",
                                 severity="error", timeout=15, markup=False)
            return
        autoarchive.remember_archived(store, due, clock.now())
        line = autoarchive.announcement(archived, labels, format_duration(after)) \
            if archived else ""
        hint = " (A shows archived parcels)" if line and not self.view.show_archived else ""
        app.call_from_thread(lambda: host.config_edited(
            config, outside, done=line[:1].upper() + line[1:] + hint if line else ""))
