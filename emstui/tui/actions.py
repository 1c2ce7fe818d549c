"""The monitor's keyboard actions: add, edit, archive, remove, refresh, filter, sort, copy...

A mixin for `EmstuiApp`, kept apart so the app module stays about wiring. Every change to the
watch list goes through `ConfigKeeper.edit` (atomic, conflict-checked) in a thread worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any, cast

from textual import work

from emstui.config import (
    Config,
    ConfigError,
    add_parcel,
    archive_parcels,
    edit_parcel,
    remove_parcel,
    set_archived,
    set_theme,
)
from emstui.config.keeper import ConfigDiff
from emstui.core.durations import format_duration
from emstui.core.model import ParcelState
from emstui.engine.engine import RefreshRequest
from emstui.present import autoarchive
from emstui.present.views import TABLE_COLUMNS, format_clock
from emstui.tui.batch_add import add_batch
from emstui.tui.host import MonitorHost
from emstui.tui.screens.confirm import ConfirmRemoveScreen, RemoveChoice
from emstui.tui.screens.help import HelpScreen
from emstui.tui.screens.parcel_form import ParcelDraft, ParcelFormScreen
from emstui.tui.screens.paste_preview import ParcelBatch

SORT_CYCLE = ("status", "age", "label", "next")
_SORT_NAMES = {c.key: c.title.lower() for c in TABLE_COLUMNS}  # as the column headers say
EDITABLE_FIELDS = ("label", "note", "interval", "provider")  # what the edit form can change


class ParcelActions:
    """Actions bound in `emstui.tui.keymap` (global context)."""

    # ---- helpers ----------------------------------------------------------------------------

    def _app(self) -> MonitorHost:
        return cast(MonitorHost, self)  # mixed into EmstuiApp, which implements MonitorHost

    def _current(self) -> str | None:
        app = self._app()
        number = app.table.highlighted_number
        if number is None:
            app.notify("No parcel selected. Press a to add one.", severity="warning")
        return number

    def _edit_config(self, change: Callable[[Config], object], *, done: str = "",
                     after: Callable[[], None] | None = None) -> None:
        self._run_config_edit(change, done, after)

    @work(thread=True, group="config-edit")
    def _run_config_edit(self, change: Callable[[Config], object], done: str,
                         after: Callable[[], None] | None) -> None:
        app = self._app()
        try:
            with app.keeper_lock:
                config, outside = app.keeper.edit(change)
        except ConfigError as exc:
            app.call_from_thread(app.notify, exc.describe(), title="Not saved",
                                 severity="error", timeout=15, markup=False)
            return
        except ValueError as exc:
            app.call_from_thread(app.notify, str(exc), title="Not saved", severity="error",
                                 timeout=15, markup=False)
            return
        app.call_from_thread(self._edit_saved, config, outside, done, after)

    def _edit_saved(self, config: Config, outside: ConfigDiff | None, done: str,
                    after: Callable[[], None] | None) -> None:
        app = self._app()
        app.config_applied(config, outside)
        if done:
            app.notify(done, markup=False)
        if after is not None:
            after()

    def auto_archive(self, states: dict[str, ParcelState]) -> None:
        """`[refresh] archive_delivered_after`, after a pass: archive the parcels finished that
        long ago as `x` does, with one toast for all of them."""
        app = self._app()
        after = app.config.refresh.archive_delivered_after
        due = autoarchive.due_for_archive(app.config.parcels, states, after, app.clock.now())
        if due and after is not None:
            self._run_auto_archive(due, after)

    @work(thread=True, group="config-edit")
    def _run_auto_archive(self, due: list[str], after: int) -> None:
        app = self._app()
        due = autoarchive.not_yet_archived_by_us(app.store, due)  # unarchived by the user
        if not due:
            return
        archived: list[str] = []

        def archive(config: Config) -> None:
            archived[:] = archive_parcels(config, due)  # applied again after a conflict

        try:
            with app.keeper_lock:
                labels = {p.number: p.label for p in app.keeper.config.parcels}
                config, outside = app.keeper.edit(archive)
        except ConfigError as exc:
            app.call_from_thread(app.notify, exc.describe(), title="Auto-archive not saved",
                                 severity="error", timeout=15, markup=False)
            return
        autoarchive.remember_archived(app.store, due, app.clock.now())
        line = autoarchive.announcement(archived, labels, format_duration(after)) \
            if archived else ""
        hint = " (A shows archived parcels)" if line and not app.show_archived else ""
        app.call_from_thread(self._edit_saved, config, outside,
                             line[:1].upper() + line[1:] + hint if line else "", None)

    def _say_refresh(self, request: RefreshRequest, what: str) -> None:
        app = self._app()
        now = app.clock.now()
        parts = []
        if request.queued:
            parts.append(f"Refreshing {what}")
        if request.in_progress and not request.queued:
            parts.append(f"{what.capitalize()} is already being refreshed")
        if request.waiting:
            when = min(request.waiting.values())
            parts.append(f"the source is backing off: next attempt at "
                         f"{format_clock(when, now, app.tz)}")
        for reason in dict.fromkeys(request.blocked.values()):
            parts.append(reason)
        severity = "warning" if request.blocked or request.waiting else "information"
        app.notify("; ".join(parts) or "Nothing to refresh", severity=severity, markup=False)

    # ---- refresh ----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        number = self._current()
        if number is None:
            return
        app = self._app()
        if app.parcel(number).archived:
            app.notify("Archived parcels are not refreshed; press x to unarchive.",
                       severity="warning")
            return
        self._say_refresh(app.engine.request_refresh([number]), app.parcel(number).title)

    def action_refresh_all(self) -> None:
        app = self._app()
        request = app.engine.request_refresh()
        self._say_refresh(request, f"{len(request.queued)} parcels")

    def action_toggle_pause(self) -> None:
        app = self._app()
        app.refresh_paused = not app.refresh_paused
        if app.refresh_paused:
            app.engine.stop()
            app.notify("Automatic refreshing paused (p resumes).", markup=False)
        else:
            app.resume_engine()
            app.notify("Automatic refreshing resumed.", markup=False)

    # ---- watch list -------------------------------------------------------------------------

    def action_add(self) -> None:
        app = self._app()
        existing = {p.number: p.label for p in app.config.parcels}
        app.push_screen(ParcelFormScreen(existing, default_interval=app.config.refresh.interval),
                        self._added)

    def _added(self, draft: ParcelDraft | ParcelBatch | None) -> None:
        if draft is None:
            return
        if isinstance(draft, ParcelBatch):  # several numbers pasted, confirmed in the preview
            add_batch(self._app(), draft, self._edit_config)
            return
        app = self._app()
        added = app.clock.now().astimezone(UTC).date()

        def change(config: Config) -> None:
            add_parcel(config, draft.number, label=draft.label, note=draft.note,
                       interval=draft.interval, provider=draft.provider, added=added)

        def after() -> None:
            app.jump_to(draft.number)
            app.engine.request_refresh([draft.number])

        self._edit_config(change, done=f"Added {draft.label or draft.number}", after=after)

    def action_edit(self) -> None:
        number = self._current()
        if number is None:
            return
        app = self._app()
        parcel = app.parcel(number)
        shown = {name: getattr(parcel, name) for name in EDITABLE_FIELDS}
        existing = {p.number: p.label for p in app.config.parcels}
        app.push_screen(ParcelFormScreen(existing, editing=parcel,
                                         default_interval=app.config.refresh.interval),
                        lambda draft: self._edited(number, shown, draft))

    def _edited(self, number: str, shown: dict[str, Any], draft: ParcelDraft | None) -> None:
        if draft is None:
            return
        # Save only the fields the user changed: the edit may be re-applied on top of a file
        # changed on disk meanwhile, and the fields left alone must keep that file's values.
        changed = {name: getattr(draft, name) for name in EDITABLE_FIELDS
                   if getattr(draft, name) != shown[name]}
        self._edit_config(lambda config: edit_parcel(config, number, **changed),
                          done=f"Saved {draft.label or number}")

    def action_archive(self) -> None:
        number = self._current()
        if number is None:
            return
        app = self._app()
        parcel = app.parcel(number)
        archive = not parcel.archived
        hint = " (A shows archived parcels)" if archive and not app.show_archived else ""
        verb = "Archived" if archive else "Unarchived"
        self._edit_config(lambda config: set_archived(config, number, archive),
                          done=f"{verb} {parcel.title}{hint}")

    def action_toggle_archived(self) -> None:
        app = self._app()
        app.show_archived = not app.show_archived
        app.show_changes(rebuild_all=True)
        app.notify("Showing archived parcels" if app.show_archived
                   else "Hiding archived parcels", markup=False)

    def action_remove(self) -> None:
        number = self._current()
        if number is None:
            return
        app = self._app()
        parcel = app.parcel(number)
        app.push_screen(ConfirmRemoveScreen(number, parcel.label),
                        lambda choice: self._removed(number, parcel.title, choice))

    def _removed(self, number: str, title: str, choice: RemoveChoice | None) -> None:
        if choice is None:
            return
        app = self._app()

        def after() -> None:
            if choice is RemoveChoice.PURGE_HISTORY:
                app.store.purge(number)

        kept = "" if choice is RemoveChoice.PURGE_HISTORY else " (history kept)"
        self._edit_config(lambda config: remove_parcel(config, number),
                          done=f"Removed {title}{kept}", after=after)

    def action_set_theme(self, name: str) -> None:
        app = self._app()
        if name not in app.available_themes:
            app.notify(f"Unknown theme {name!r}", severity="warning", markup=False)
            return
        app.theme = name  # the theme-changed signal saves it

    def save_theme(self, name: str) -> None:
        self._edit_config(lambda config: set_theme(config, name))

    # ---- table ------------------------------------------------------------------------------

    def action_sort(self) -> None:
        app = self._app()
        table = app.table
        current = table.sort_column if table.sort_column in SORT_CYCLE else SORT_CYCLE[-1]
        column = SORT_CYCLE[(SORT_CYCLE.index(current) + 1) % len(SORT_CYCLE)]
        table.set_sort(column, reverse=table.sort_reverse)
        app.notify(f"Sorted by {_SORT_NAMES[column]}", timeout=3, markup=False)

    def action_sort_direction(self) -> None:
        app = self._app()
        table = app.table
        table.set_sort(table.sort_column, reverse=not table.sort_reverse)
        direction = "descending" if table.sort_reverse else "ascending"
        app.notify(f"Sorted by {_SORT_NAMES[table.sort_column]}, {direction}", timeout=3,
                   markup=False)

    def action_copy(self) -> None:
        number = self._current()
        if number is None:
            return
        app = self._app()
        app.copy_to_clipboard(number)
        app.notify(f"Copied {number} to the clipboard (OSC 52: works over SSH if your "
                   "terminal allows it)", markup=False)

    def action_filter(self) -> None:
        self._app().filter_bar.open(self._app().filter_text)

    def set_filter(self, text: str) -> None:
        app = self._app()
        if text == app.filter_text:
            return
        app.filter_text = text
        app.show_changes()

    def clear_filter(self) -> None:
        app = self._app()
        app.filter_bar.close()
        self.set_filter("")

    def action_back(self) -> None:
        app = self._app()
        if app.filter_text or app.filter_bar.display:
            self.clear_filter()
            app.table.focus()
        elif app.focused is not app.table:
            app.table.focus()

    def action_focus_detail(self) -> None:
        self._app().detail.focus()

    def action_help(self) -> None:
        app = self._app()
        app.push_screen(HelpScreen(app.config.keys, note=app.banner))

    def action_quit(self) -> None:  # type: ignore[override]
        app = self._app()
        app.engine.stop()
        app.exit(0)
