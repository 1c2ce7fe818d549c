"""The monitor's main screen: the live parcel table, the detail panel, the filter bar and the
header, kept in step with the refresh engine, and every key that acts on them.

The engine reports through typed change events, posted to this screen as `EngineChange`
messages. Changes are collected and applied to the table in one keyed diff per frame, so a pass
that updates hundreds of parcels costs one table update, and the cursor never moves off its
parcel. Which views are stale, and what the clock or a pass changes, is kept without Textual in
`emstui.tui.parcel_rows.ParcelRows`. The watch-list actions (add, edit, archive, remove, refresh,
pause) are `emstui.tui.actions.ParcelActions`, which this screen owns, as it owns the parcel rows,
the mark keys (`emstui.tui.mark_keys`), the quota in the header (`emstui.tui.quota_watch`) and the
status-change toasts (`emstui.tui.status_news`); the app is reached only through
`emstui.tui.host.MonitorHost`.

Textual trap: a method named `_on_<message>` is a message handler, so the engine listener must
not be called `_on_engine_change`, or every EngineChange re-posts itself forever.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import getters
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.command import Provider
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from emstui.config import Config, Parcel
from emstui.engine.events import (
    Change,
    CycleFinished,
    ParcelUpdated,
    ProviderStateChanged,
    RefreshStarted,
)
from emstui.present import eta
from emstui.present.eta import Estimate
from emstui.store import StoreError
from emstui.tui import keymap
from emstui.tui.actions import ParcelActions
from emstui.tui.commands import ActionCommands, ParcelsCommands
from emstui.tui.filterbar import FilterBar
from emstui.tui.host import MonitorHost
from emstui.tui.mark_keys import MarkKeys
from emstui.tui.marks import MarkSet
from emstui.tui.messages import EngineChange, JumpToParcel
from emstui.tui.parcel_rows import ParcelRows
from emstui.tui.quota_watch import QUOTA_POLL_SECONDS, QuotaWatch
from emstui.tui.screens.help import HelpScreen
from emstui.tui.status_news import StatusNews
from emstui.tui.widgets.detail import DetailPanel
from emstui.tui.widgets.footer import MarksFooter
from emstui.tui.widgets.header import AppHeader
from emstui.tui.widgets.parcel_table import ParcelTable

PROGRESS_SECONDS = 1.0  # the header's time left during a pass
# The detail follows the cursor once it rests this long: holding j does not rebuild it per row.
DETAIL_SETTLE_SECONDS = 0.08
# New estimates and a pass's "checking…" marks reach this many views at a time (~15 ms), the
# rows on screen first; the loop runs between (3000 at once stalled it ~0.1 s as a pass began).
CATCH_UP_CHUNK = 300
CATCH_UP_PAUSE_SECONDS = 0.005


class MainScreen(Screen[None]):
    """The parcel table and its detail, for the app `host`."""

    BINDINGS: ClassVar[list[BindingType]] = list(keymap.build_bindings("global"))
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        ParcelsCommands, ActionCommands}

    table = getters.query_one("#parcels", ParcelTable)
    detail = getters.query_one("#detail", DetailPanel)
    filter_bar = getters.query_one("#filter", FilterBar)
    header = getters.query_one("#header", AppHeader)
    footer = getters.query_one(MarksFooter)

    class Ready(Message):
        """The screen shows the stored parcels and listens to the engine: start refreshing."""

    def __init__(self, host: MonitorHost) -> None:
        super().__init__()
        self.host = host
        services = host.services
        self.store = services.store
        self.engine = services.engine
        self.clock = services.clock
        self.tz = host.tz
        self.show_archived = host.config.display.show_archived
        self.filter_text = ""
        self.actions = ParcelActions(self, host)
        self.marks = MarkSet()  # x, r and d act on these when there are any
        self.mark_keys = MarkKeys(self)
        self.quota = QuotaWatch(self, host)
        self.status_news = StatusNews(self, host)
        self.rows = ParcelRows(self.tz, host.config.parcels)
        self._catch_up_timer: Timer | None = None
        # The (filter, show archived) the table's rows were last chosen for: while it holds,
        # only the changed rows can enter or leave the table.
        self._shown_for: tuple[str, bool] | None = None
        self._apply_pending = False
        self._unsubscribe = lambda: None
        self._detail_timer: Timer | None = None

    # ---- layout and start-up ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield AppHeader(tz=self.tz, clock=self.clock, badge=self.host.badge, id="header")
        with Container(id="main"):
            yield ParcelTable(id="parcels")
            yield DetailPanel(tz=self.tz, id="detail")
        yield FilterBar(id="filter")
        yield MarksFooter()

    @property
    def config(self) -> Config:
        return self.host.config

    def on_mount(self) -> None:
        # Cached data first, so the table is full before the first request goes out.
        self.rows.load_states(self.store.states(self.rows.parcels))
        self.header.set_health(self.engine.health().values())
        self.quota.show_remembered()
        self.table.marks = self.marks
        self._apply_changes()
        if self.table.row_count:
            self.table.move_cursor(row=0)  # start at the top of the sorted table
        self.table.focus()
        self._unsubscribe = self.engine.subscribe(self.engine_listener)
        if self.host.start_engine:
            self.set_interval(QUOTA_POLL_SECONDS, self.check_quota)
        self.set_interval(self.host.tick_seconds, self._tick)
        # The time left and a pause's waiting count move without any parcel changing.
        self.set_interval(PROGRESS_SECONDS, self._show_progress)
        self.post_message(self.Ready())

    def on_unmount(self) -> None:
        self._unsubscribe()

    # ---- what the actions and the palette use ------------------------------------------------

    def parcel(self, number: str) -> Parcel:
        return self.rows.parcels[number]

    @property
    def highlighted(self) -> str | None:
        return self.table.highlighted_number

    @property
    def refresh_paused(self) -> bool:
        return self.host.refresh_paused

    def palette_parcels(self) -> list[tuple[str, str]]:
        return [(p.number, p.label) for p in self.config.parcels]

    def config_location(self) -> Path:
        return self.host.config_location()

    def show_changes(self, *, rebuild_all: bool = False) -> None:
        """Redraw what changed; `rebuild_all` when every row depends on what changed."""
        if rebuild_all:
            self.rows.all_dirty = True
        self._apply_changes()

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        self.set_filter(message.text)

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        self.table.focus()

    def check_quota(self) -> None:
        self.quota.check()

    # ---- parcels, views and the table -----------------------------------------------------

    def _start_estimates(self) -> None:
        """Re-estimate arrivals from the store's history in a thread: it reads every parcel's
        stage times (~0.7 s at 5000 parcels), which on the UI thread held the first paint and
        every end of pass. The newest request wins; an older answer arriving late is dropped."""
        generation, facts = self.rows.estimate_request()

        def estimate() -> None:
            try:
                fresh = eta.from_store(self.store, facts)
            except StoreError:
                return  # keep the last estimates; the store's problem is reported elsewhere
            self.app.call_from_thread(self._estimates_ready, generation, fresh)

        self.run_worker(estimate, name="estimates", group="estimates", thread=True,
                        exit_on_error=False)

    def _estimates_ready(self, generation: int, fresh: dict[str, Estimate]) -> None:
        if not self.rows.take_estimates(generation, fresh):
            return
        if self.rows.all_dirty:  # a full rebuild is on its way: it reads the new estimates
            self._schedule_apply()
            return
        # After each pass most estimates move: only the arrival fields read them, so retime
        # those views (a full rebuild of 3000 stalled the loop ~0.3 s), a chunk at a time, and
        # let the table render the rows when they are drawn.
        self._catch_up_soon()

    def _catch_up_soon(self) -> None:
        if self._catch_up_timer is None:
            self._catch_up()

    def _catch_up(self) -> None:
        """Bring up to CATCH_UP_CHUNK views up to date with what changed for many parcels at
        once (new estimates; a pass marking them "checking…"), the highlighted parcel and the
        rows on screen first; a timer takes the rest once the loop has run."""
        self._catch_up_timer = None
        if not self.rows.catching_up:
            return
        table = self.table
        top = int(table.scroll_offset.y)
        first = [table.highlighted_number, *table.order[top:top + table.size.height]]
        self._catch_up_views(self.rows.next_chunk(first, CATCH_UP_CHUNK))
        if self.rows.catching_up:
            self._catch_up_timer = self.set_timer(CATCH_UP_PAUSE_SECONDS, self._catch_up)

    def _catch_up_views(self, numbers: list[str]) -> None:
        views = self.rows.catch_up(numbers, self.clock.now())
        self.table.update_rows((v for v in views if self.table.shows(v.number)), lazily=True)
        if self.table.highlighted_number in numbers:
            self._show_detail(self.table.highlighted_number)

    def settle_views(self) -> None:
        """Bring every view waiting for new estimates or a "checking…" mark up to date now
        (tests call it instead of waiting for the chunks)."""
        if self._catch_up_timer is not None:
            self._catch_up_timer.stop()
            self._catch_up_timer = None
        self._catch_up_views(self.rows.waiting())

    def _schedule_apply(self) -> None:
        if not self._apply_pending:
            self._apply_pending = True
            self.call_after_refresh(self._apply_changes)

    def _apply_changes(self) -> None:
        """Rebuild the views that changed and hand the table one keyed diff."""
        self._apply_pending = False
        rows = self.rows
        if rows.take_estimates_due():
            self._start_estimates()
        # All rebuilt at start, when the watch list changed, or when archived parcels were
        # shown or hidden (`show_changes(rebuild_all=True)`).
        rebuilt, dirty = rows.update(self.clock.now())
        shown_for = (self.filter_text, self.show_archived)
        if (not rebuilt and shown_for == self._shown_for
                and rows.rows_stay(dirty, *shown_for, self.table.shows)):
            # A refresh batch: costs the rows it changed, not the table.
            self.table.update_rows(rows.views[n] for n in dirty if self.table.shows(n))
        else:
            self.table.apply(rows.visible(*shown_for))
            self._shown_for = shown_for
        current = self.table.highlighted_number
        if current is None or rebuilt or current in dirty or self.detail.number != current:
            self._show_detail(current)
        self.status_news.announce(rows.take_status_changes(), rows.parcels)
        self.mark_keys.show_count()
        self.header.set_refreshing(bool(self.engine.in_flight))
        self.header.set_progress(self.engine.progress_text())
        self.header.set_refresh(self.rows.last_cycle, self.engine.next_wake)

    def _show_detail(self, number: str | None) -> None:
        rows = self.rows
        if number is None or number not in rows.parcels:
            self.detail.show(None, [], [])
            return
        state = rows.states.get(number)
        if state is not None and state.unseen_count:
            self.store.mark_seen(number)
            fresh = self.store.state(number)
            if fresh is not None:
                self.table.update_rows([rows.seen(number, fresh, self.clock.now())])  # one row
        now = self.clock.now()
        # Its last check and sync ages are not kept current for every row: bring them to now.
        view = rows.view_now(number, now)
        events = self.store.events(number)
        self.detail.show(view, events, rows.advice(number, view, events, now))

    def on_parcel_table_parcel_highlighted(self, message: ParcelTable.ParcelHighlighted) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_SETTLE_SECONDS, self.settle_detail)

    def settle_detail(self) -> None:
        """Show the highlighted parcel in the detail now, if it is not shown already (the
        cursor rested; tests call it instead of waiting)."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        number = self.table.highlighted_number
        if number is None or number != self.detail.number:
            self._show_detail(number)

    def on_jump_to_parcel(self, message: JumpToParcel) -> None:
        self.jump_to(message.number)

    def jump_to(self, number: str) -> None:
        parcel = self.rows.parcels.get(number)
        if parcel is None:
            return
        if parcel.archived and not self.show_archived:
            self.show_archived = True
            self.rows.all_dirty = True
        if self.filter_text:
            self.clear_filter()
        self._apply_changes()
        self.table.highlight(number)
        self.settle_detail()  # a jump is one deliberate move: show it now
        self.table.focus()

    def _show_progress(self) -> None:
        if self.engine.in_flight:
            self.header.set_progress(self.engine.progress_text())

    def _tick(self) -> None:
        """The clock moved: recompute only what depends on it (ages, quiet marks, next and last
        checks, overdue estimates) and hand the table only the rows whose text changed."""
        if self.rows.all_dirty:  # a full rebuild is on its way: it uses the new time anyway
            self._schedule_apply()
            return
        changed = self.rows.tick(self.clock.now())
        # The filter and the sort read no clock text: the same rows show in the same order, and
        # the rows are rendered when drawn (at 5000 parcels most ages move each minute).
        self.table.update_rows(changed, lazily=True)
        self._show_detail(self.table.highlighted_number)  # its ages and advice are "now" too
        self.header.set_refresh(self.rows.last_cycle, self.engine.next_wake)

    # ---- the engine -------------------------------------------------------------------------

    def engine_listener(self, change: Change) -> None:
        """Called by the engine (on the app's loop): every change becomes a message."""
        self.post_message(EngineChange(change))

    def on_engine_change(self, message: EngineChange) -> None:
        change, rows = message.change, self.rows
        if isinstance(change, ParcelUpdated):
            rows.parcel_updated(change)
        elif isinstance(change, RefreshStarted):
            # A pass marks up to every parcel "checking…": change only that, a chunk at a time,
            # and let the table render the rows when they are drawn (a full rebuild stalled
            # the loop ~0.5 s; marking 3000 views at once ~50 ms).
            rows.refresh_started(change.numbers)
            self._catch_up_soon()
        elif isinstance(change, CycleFinished):
            rows.cycle_finished(change, self.engine.in_flight)
            self.actions.auto_archive(rows.states)
            if self.host.start_engine:
                self.check_quota()  # after a pass, so this pass's registrations are counted
        elif isinstance(change, ProviderStateChanged):
            self.header.set_health(change.health)
        self._schedule_apply()

    def config_applied(self, config: Config) -> None:
        """A new config is in force (an edit, or the file changed on disk): show its parcels."""
        missing = self.rows.set_parcels(config.parcels)
        if not self.is_mounted:
            return  # on_mount reads the states of these parcels
        if missing:
            self.rows.states.update(self.store.states(missing))
        self.marks.keep_only(self.rows.parcels)  # removed parcels drop their marks
        self._apply_changes()

    # ---- keys: emstui.tui.actions --------------------------------------------

    def action_add(self) -> None:
        self.actions.add()

    def action_edit(self) -> None:
        self.actions.edit()

    def action_archive(self) -> None:
        self.actions.archive()

    def action_remove(self) -> None:
        self.actions.remove()

    def action_refresh(self) -> None:
        self.actions.refresh()

    def action_refresh_all(self) -> None:
        self.actions.refresh_all()

    def action_toggle_pause(self) -> None:
        self.actions.toggle_pause()

    # ---- keys: this screen --------------------------------------------------------------------

    def action_toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
        self.table.follow_top = False
        self.show_changes(rebuild_all=True)
        self.notify("Showing archived parcels" if self.show_archived
                    else "Hiding archived parcels", markup=False)

    def action_sort(self) -> None:
        self.actions.sort()

    def action_sort_direction(self) -> None:
        self.actions.sort_direction()

    def action_copy(self) -> None:
        self.actions.copy()

    def action_filter(self) -> None:
        self.filter_bar.open(self.filter_text)

    def set_filter(self, text: str) -> None:
        if text == self.filter_text:
            return
        self.filter_text = text
        self.table.follow_top = False  # the user arranged the table: the cursor keeps its parcel
        self.show_changes()

    def clear_filter(self) -> None:
        self.filter_bar.close()
        self.set_filter("")

    def action_back(self) -> None:
        if self.filter_text or self.filter_bar.display:
            self.clear_filter()
            self.table.focus()
        elif self.focused is not self.table:
            self.table.focus()
        elif self.marks:
            self.clear_marks(say=True)

    # ---- marks: emstui.tui.mark_keys ----------------------------------------------------------

    def action_toggle_mark(self) -> None:
        self.mark_keys.toggle()

    def action_mark_all(self) -> None:
        self.mark_keys.mark_all()

    def action_clear_marks(self) -> None:
        self.mark_keys.clear(say=True)

    def clear_marks(self, *, say: bool = False) -> None:
        self.mark_keys.clear(say=say)

    def action_focus_detail(self) -> None:
        self.settle_detail()
        self.detail.focus()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.config.keys, note=self.host.banner))
