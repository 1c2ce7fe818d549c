"""The full-screen monitor: the live parcel table, the detail panel and the refresh engine.

The engine runs in one long-lived async worker on the app's loop and reports through typed
change events, posted to the app as `EngineChange` messages. Changes are collected and applied
to the table in one keyed diff per frame, so a pass that updates hundreds of parcels costs one
table update, and the cursor never moves off its parcel.

Textual traps met here (8.2.8), beyond those in the design notes:
- a method named `_on_<message>` is a message handler: the engine listener must not be called
  `_on_engine_change`, or every EngineChange re-posts itself forever;
- `App._flush` exists (it flushes the driver): private names on an App subclass can collide;
- on a hung-up pty the driver's output thread dies and a normal exit blocks on its full queue,
  so a hang-up ends the process directly (the store's commits are already durable);
- under NO_COLOR the Monochrome filter crashes on DataTable segments without a style
  (`emstui.tui.filters` guards it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import termios
import threading
from datetime import datetime, tzinfo
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Container
from textual.content import Content
from textual.notifications import Notify, SeverityLevel
from textual.theme import Theme
from textual.widgets import Footer

from emstui.config import Config, ConfigError, Parcel
from emstui.config.keeper import ConfigDiff, ConfigKeeper
from emstui.config.paths import user_themes_dir
from emstui.core.model import ParcelState, Status
from emstui.core.sanitize import clean_block, clean_line
from emstui.engine.events import CycleFinished, ParcelUpdated, ProviderStateChanged, RefreshStarted
from emstui.present import eta, quota
from emstui.present.advice import advise, facts_for
from emstui.present.eta import Estimate
from emstui.present.views import ParcelView, make_view, retime_view, table_text_until
from emstui.services import Services
from emstui.store import StoreError
from emstui.tui import keymap
from emstui.tui.actions import ParcelActions
from emstui.tui.commands import ActionCommands, ParcelsCommands
from emstui.tui.filterbar import FilterBar
from emstui.tui.filters import guard_filters
from emstui.tui.messages import EngineChange, JumpToParcel
from emstui.tui.themes import StatusVariablesMixin, apply_theme, register_themes
from emstui.tui.widgets import HORIZONTAL_BREAKPOINTS
from emstui.tui.widgets.detail import DetailPanel, local_zone
from emstui.tui.widgets.header import AppHeader
from emstui.tui.widgets.parcel_table import ParcelTable

TICK_SECONDS = 60.0  # ages ("3d 4h") move on by the minute
PROGRESS_SECONDS = 1.0  # the header's time left during a pass
CONFIG_POLL_SECONDS = 2.0
TTY_CHECK_SECONDS = 2.0
EXIT_GRACE_SECONDS = 3.0  # a normal exit that takes longer than this is cut short
MAX_STATUS_TOASTS = 2  # more status changes at once become one summary notification
MAX_TOASTS = 2  # shown at once: more would climb over the detail panel's first lines
INFO_TOAST_SECONDS = 5.0
WARNING_TOAST_SECONDS = 10.0
# How often the monitor looks at the 17TRACK quota; asked at most hourly (emstui.present.quota).
QUOTA_POLL_SECONDS = 300.0


def _terminal_alive() -> bool:
    """False once the terminal has hung up (its settings can no longer be read)."""
    try:
        for stream in (sys.__stdin__, sys.__stderr__):
            if stream is not None and stream.isatty():
                termios.tcgetattr(stream.fileno())
    except (OSError, ValueError, termios.error):
        return False
    return True


def _exit_now() -> None:
    """End the process without touching the terminal; the store's commits are already durable."""
    os._exit(0)


class EmstuiApp(ParcelActions, StatusVariablesMixin, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "emstui"
    HORIZONTAL_BREAKPOINTS = HORIZONTAL_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = list(keymap.build_bindings("global"))
    COMMANDS = App.COMMANDS | {ParcelsCommands, ActionCommands}

    def __init__(self, services: Services, *, config_file: Path, start_engine: bool = True,
                 watch_config: bool = True, tz: tzinfo | None = None,
                 banner: str | None = None, badge: str | None = None,
                 tick_seconds: float = TICK_SECONDS) -> None:
        super().__init__()
        guard_filters(self._filters)
        self.services = services
        self.store = services.store
        self.engine = services.engine
        self.clock = services.clock
        self.keeper = ConfigKeeper(config_file, services.config)
        self.keeper_lock = threading.Lock()  # config edits run in thread workers
        self.tz = tz or services.config.display.zone() or local_zone()
        self.start_engine = start_engine
        self.watch_config = watch_config
        self.banner = banner  # about this session (the demo): shown in `?` help
        self.badge = badge  # a word or two in the header ("DEMO")
        self.tick_seconds = tick_seconds
        self.show_archived = services.config.display.show_archived
        self.refresh_paused = False
        self.filter_text = ""
        self._parcels: dict[str, Parcel] = {}
        self._states: dict[str, ParcelState] = {}
        self._views: dict[str, ParcelView] = {}
        # When each view's table text next reads differently as the clock moves (None: never).
        self._text_until: dict[str, datetime | None] = {}
        self._estimates: dict[str, Estimate] = {}
        self._estimates_due = True
        self._estimate_generation = 0
        self._refreshing: set[str] = set()
        self._dirty: set[str] = set()
        self._all_dirty = True
        # The (filter, show archived) the table's rows were last chosen for: while it holds,
        # only the changed rows can enter or leave the table.
        self._shown_for: tuple[str, bool] | None = None
        self._apply_pending = False
        self._status_changes: list[tuple[str, Status | None, Status]] = []
        self._last_cycle: datetime | None = None
        self._theme_from_user = False
        # Themes before the first frame: switching after it would restyle every row again.
        self._theme_problems = register_themes(self, user_themes_dir(config_file))
        message = apply_theme(self, services.config.display.theme, dark=True)
        if message:
            self._theme_problems.append(message)
        self.engine.listener = self._engine_listener  # build_services set its watch list
        self._index_parcels(services.config)

    # ---- layout and start-up ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield AppHeader(tz=self.tz, clock=self.clock, badge=self.badge, id="header")
        with Container(id="main"):
            yield ParcelTable(id="parcels")
            yield DetailPanel(tz=self.tz, id="detail")
        yield FilterBar(id="filter")
        yield Footer()

    @property
    def config(self) -> Config:
        return self.keeper.config

    @property
    def table(self) -> ParcelTable:
        return self.query_one("#parcels", ParcelTable)

    @property
    def detail(self) -> DetailPanel:
        return self.query_one("#detail", DetailPanel)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter", FilterBar)

    @property
    def header(self) -> AppHeader:
        return self.query_one("#header", AppHeader)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast, ours or Textual's, passes here: cleaned plain text, never markup.

        Labels, notes, provider messages and file paths reach toasts; Textual renders toast
        text without removing escape sequences, so they are removed here, in one place. An
        informational toast never stays longer than INFO_TOAST_SECONDS (see `on_notify`).
        """
        if severity == "information":
            timeout = min(timeout or INFO_TOAST_SECONDS, INFO_TOAST_SECONDS)
        if markup:  # only emstui's and Textual's own fixed texts ask for markup
            with contextlib.suppress(Exception):  # bad markup: show the text as it is
                message = Content.from_markup(message).plain
        super().notify(clean_block(message), title=clean_line(title), severity=severity,
                       timeout=timeout, markup=False)

    def on_mount(self) -> None:
        problems = self._theme_problems
        if problems:
            self.notify("\n".join(problems), title="Theme problems", severity="warning",
                        timeout=15, markup=False)
        key_problems = keymap.validate_overrides(self.config.keys)
        if key_problems:
            self.notify("\n".join(key_problems), title="[keys] problems", severity="warning",
                        timeout=15, markup=False)
        self.set_keymap(keymap.textual_keymap(self.config.keys))
        # However the theme changes (palette, `set_theme`), the choice is saved to the config.
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.call_after_refresh(setattr, self, "_theme_from_user", True)
        notes = list(self.services.notes) + list(self.config.warnings)
        if notes:
            self.notify("\n".join(notes), title="Configuration", severity="warning",
                        timeout=WARNING_TOAST_SECONDS, markup=False)
        # Cached data first, so the table is full before the first request goes out.
        self._states = self.store.states(self._parcels)
        checked = [st.last_checked for st in self._states.values() if st.last_checked]
        self._last_cycle = max(checked) if checked else None  # "last" survives a restart
        self.header.set_health(self.engine.health().values())
        self._show_quota()
        self._apply_changes()
        if self.table.row_count:
            self.table.move_cursor(row=0)  # start at the top of the sorted table
        self.table.focus()
        self._connect_notifier()
        if self.start_engine:
            self._start_engine()
            self.set_interval(QUOTA_POLL_SECONDS, self.check_quota)
        self.set_interval(self.tick_seconds, self._tick)
        # The time left and a pause's waiting count move without any parcel changing.
        self.set_interval(PROGRESS_SECONDS, self._show_progress)
        if self.watch_config:
            self.set_interval(CONFIG_POLL_SECONDS, self._poll_config)
        self._install_terminal_guards()

    def _connect_notifier(self) -> None:
        """[notify]: failures become toasts, retries run later, the terminal target works."""
        notifier = self.services.notifier
        if notifier is None:
            return
        notifier.report = lambda line: self.notify(line, title="Notification",
                                                   severity="warning", markup=False)
        notifier.attach_terminal(self._write_terminal_notification)
        notifier.start()

    def _write_terminal_notification(self, sequence: str) -> None:
        # Textual has no public call for raw output; copy_to_clipboard writes the same way.
        if self._driver is not None:
            self._driver.write(sequence)

    def _start_engine(self) -> None:
        self.run_worker(self.engine.run(), name="refresh-engine", group="engine",
                        exit_on_error=False)

    # ---- what the actions use (`emstui.tui.host.MonitorHost`) -------------------------------

    def parcel(self, number: str) -> Parcel:
        return self._parcels[number]

    def resume_engine(self) -> None:
        self._start_engine()

    def show_changes(self, *, rebuild_all: bool = False) -> None:
        """Redraw what changed; `rebuild_all` when every row depends on what changed."""
        if rebuild_all:
            self._all_dirty = True
        self._apply_changes()

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        self.set_filter(message.text)

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        self.table.focus()

    def _show_quota(self) -> None:
        """The remembered 17TRACK quota (whoever asked last: this app, cron, doctor)."""
        source = quota.source_of(self.engine.providers)
        record = quota.load(self.store, source.account_id) if source is not None else None
        self.header.set_quota(quota.header_words(record))

    def check_quota(self) -> None:
        if quota.source_of(self.engine.providers) is not None:
            self.run_worker(self._refresh_quota(), name="quota", group="quota",
                            exit_on_error=False)

    async def _refresh_quota(self) -> None:
        record = await quota.refresh_after_pass(self.store, self.engine.providers,
                                                self.engine.health(), self.clock.now())
        self.header.set_quota(quota.header_words(record))

    def _install_terminal_guards(self) -> None:
        """Exit cleanly on SIGHUP/SIGTERM and when the terminal goes away (SSH dropped)."""
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._handle_exit_signal)
        self.set_interval(TTY_CHECK_SECONDS, self._check_terminal)

    def _handle_exit_signal(self) -> None:
        """SIGHUP, SIGTERM, or the terminal gone: leave now, without losing anything.

        Every fetched result is already committed to the store. A terminal that is still there
        gets a normal exit (its screen restored); a hung-up one cannot be written to, and
        Textual's output thread would block the exit forever, so the process ends at once.
        A timer makes sure even a normal exit cannot hang.
        """
        self.engine.stop()
        if not _terminal_alive():
            _exit_now()
        timer = threading.Timer(EXIT_GRACE_SECONDS, _exit_now)
        timer.daemon = True
        timer.start()
        self.exit(0)

    def _check_terminal(self) -> None:
        # After a dropped SSH session stdin hits EOF and the input thread can spin; a hung-up
        # terminal fails tcgetattr, and an orphaned process has init as its parent.
        if not _terminal_alive() or os.getppid() == 1:
            self._handle_exit_signal()

    def on_unmount(self) -> None:
        self.engine.stop()
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)

    # ---- toasts -----------------------------------------------------------------------------

    def on_notify(self, message: Notify) -> None:
        """Keep at most MAX_TOASTS on screen: the oldest informational toasts make way.

        Warnings and errors are never cut short. This handler may run before or after Textual's
        own one adds the new notification, so it counts that one either way. Textual has no
        public API to drop one notification: `_notifications` and `_unnotify` are what a toast's
        own click-to-dismiss uses (8.2.8).
        """
        new = message.notification
        older = [n for n in getattr(self, "_notifications", ()) if n is not new]
        excess = len(older) + 1 - MAX_TOASTS
        dropped = [n for n in older if n.severity == "information"][:max(0, excess)]
        for notification in dropped:
            self._unnotify(notification, refresh=False)
        if dropped:
            self._refresh_notifications()

    # ---- parcels, views and the table -----------------------------------------------------

    def _index_parcels(self, config: Config) -> None:
        self._parcels = {p.number: p for p in config.parcels}

    def _visible(self, parcel: Parcel, view: ParcelView) -> bool:
        if parcel.archived and not self.show_archived:
            return False
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        haystack = (view.label, view.number, view.status_label, view.origin_code,
                    view.origin_name, view.location, view.latest_event, view.provider)
        return any(needle in text.casefold() for text in haystack)

    def _rows_stay(self, numbers: set[str]) -> bool:
        """Whether each of these parcels is in the table exactly when it should be shown."""
        return all((number in self._parcels
                    and self._visible(self._parcels[number], self._views[number]))
                   == self.table.shows(number) for number in numbers)

    def _make_view(self, number: str, now: datetime) -> ParcelView:
        state, estimate = self._states.get(number), self._estimates.get(number)
        view = make_view(self._parcels[number], state, now, self.tz,
                         refreshing=number in self._refreshing, estimate=estimate)
        self._text_until[number] = table_text_until(view, state, now, self.tz, estimate=estimate)
        return view

    def _retime_view(self, number: str, now: datetime) -> ParcelView:
        """The parcel's view at `now`, recomputing only what reads the clock."""
        state, estimate = self._states.get(number), self._estimates.get(number)
        view = retime_view(self._views[number], self._parcels[number], state, now, self.tz,
                           estimate=estimate)
        self._text_until[number] = table_text_until(view, state, now, self.tz, estimate=estimate)
        self._views[number] = view
        return view

    def _start_estimates(self) -> None:
        """Re-estimate arrivals from the store's history in a thread: it reads every parcel's
        stage times (~0.7 s at 5000 parcels), which on the UI thread held the first paint and
        every end of pass. The newest request wins; an older answer arriving late is dropped."""
        self._estimate_generation += 1
        generation = self._estimate_generation
        facts = {n: s.facts for n, s in self._states.items() if n in self._parcels}

        def estimate() -> None:
            try:
                fresh = eta.from_store(self.store, facts)
            except StoreError:
                return  # keep the last estimates; the store's problem is reported elsewhere
            self.call_from_thread(self._estimates_ready, generation, fresh)

        self.run_worker(estimate, name="estimates", group="estimates", thread=True,
                        exit_on_error=False)

    def _estimates_ready(self, generation: int, fresh: dict[str, Estimate]) -> None:
        if generation != self._estimate_generation:
            return
        old, self._estimates = self._estimates, fresh
        changed = {n for n in old.keys() | fresh.keys() if old.get(n) != fresh.get(n)}
        if changed:
            self._dirty |= changed
            self._schedule_apply()

    def _schedule_apply(self) -> None:
        if not self._apply_pending:
            self._apply_pending = True
            self.call_after_refresh(self._apply_changes)

    def _apply_changes(self) -> None:
        """Rebuild the views that changed and hand the table one keyed diff."""
        self._apply_pending = False
        now = self.clock.now()
        rebuilt = self._all_dirty  # config reloaded or edited, or the clock ticked
        if self._estimates_due:  # at start, after each pass and each config change
            self._estimates_due = False
            self._start_estimates()
        if self._all_dirty:
            self._views = {n: self._make_view(n, now) for n in self._parcels}
            self._all_dirty = False
        else:
            for number in self._dirty:
                if number in self._parcels:
                    self._views[number] = self._make_view(number, now)
        dirty, self._dirty = self._dirty, set()
        shown_for = (self.filter_text, self.show_archived)
        if not rebuilt and shown_for == self._shown_for and self._rows_stay(dirty):
            # A refresh batch: costs the rows it changed, not the table.
            self.table.update_rows(self._views[n] for n in dirty if self.table.shows(n))
        else:
            shown = [v for n, v in self._views.items() if self._visible(self._parcels[n], v)]
            self.table.apply(shown)
            self._shown_for = shown_for
        current = self.table.highlighted_number
        if current is None or rebuilt or current in dirty or self.detail.number != current:
            self._show_detail(current)
        self._announce_status_changes()
        self.header.set_refreshing(bool(self.engine.in_flight))
        self.header.set_progress(self.engine.progress_text())
        self.header.set_refresh(self._last_cycle, self.engine.next_wake)

    def _show_detail(self, number: str | None) -> None:
        if number is None or number not in self._parcels:
            self.detail.show(None, [], [])
            return
        state = self._states.get(number)
        if state is not None and state.unseen_count:
            self.store.mark_seen(number)
            fresh = self.store.state(number)
            if fresh is not None:
                self._states[number] = state = fresh
                self._views[number] = self._make_view(number, self.clock.now())
                self.call_after_refresh(self._reapply)
        # Its last check and sync ages are not kept current for every row: bring them to now.
        view = (self._retime_view(number, self.clock.now()) if number in self._views
                else self._make_view(number, self.clock.now()))
        events = self.store.events(number)
        parcel = self._parcels[number]
        added = (datetime.combine(parcel.added, datetime.min.time(), self.clock.now().tzinfo)
                 if parcel.added else (state.first_seen if state else None))
        facts = facts_for(number, status=view.status, stage=view.stage, events=events,
                          added=added, last_error=state.last_error if state else None,
                          error_kind=state.error_kind if state else None, note=parcel.note,
                          eta=self._estimates.get(number)
                          or eta.source_estimate(state.facts if state else None))
        self.detail.show(view, events, advise(facts, self.clock.now()))

    def _reapply(self) -> None:
        shown = [v for n, v in self._views.items() if self._visible(self._parcels[n], v)]
        self.table.apply(shown)

    def on_parcel_table_parcel_highlighted(self, message: ParcelTable.ParcelHighlighted) -> None:
        self._show_detail(message.number)

    def on_jump_to_parcel(self, message: JumpToParcel) -> None:
        self.jump_to(message.number)

    def jump_to(self, number: str) -> None:
        parcel = self._parcels.get(number)
        if parcel is None:
            return
        if parcel.archived and not self.show_archived:
            self.show_archived = True
            self._all_dirty = True
        if self.filter_text:
            self.clear_filter()
        self._apply_changes()
        self.table.highlight(number)
        self.table.focus()

    def _show_progress(self) -> None:
        if self.engine.in_flight:
            self.header.set_progress(self.engine.progress_text())

    def _tick(self) -> None:
        """The clock moved: recompute only what depends on it (ages, quiet marks, next and last
        checks, overdue estimates) and hand the table only the rows whose text changed."""
        if self._all_dirty:  # a full rebuild is on its way: it uses the new time anyway
            self._schedule_apply()
            return
        now = self.clock.now()
        due = [number for number, until in self._text_until.items()
               if until is not None and until <= now
               and number in self._views and number in self._parcels]
        changed = [self._retime_view(number, now) for number in due]
        self.table.update_rows(changed)  # the filter reads no clock text: the same rows show
        self._show_detail(self.table.highlighted_number)  # its ages and advice are "now" too
        self.header.set_refresh(self._last_cycle, self.engine.next_wake)

    # ---- the engine -------------------------------------------------------------------------

    def _engine_listener(self, change: object) -> None:
        self.post_message(EngineChange(change))  # type: ignore[arg-type]

    def on_engine_change(self, message: EngineChange) -> None:
        change = message.change
        if isinstance(change, ParcelUpdated):
            self._states[change.number] = change.state
            self._refreshing.discard(change.number)
            self._dirty.add(change.number)
            if change.status_changed and change.old_status is not None:
                self._status_changes.append((change.number, change.old_status,
                                             change.state.status))
        elif isinstance(change, RefreshStarted):
            self._refreshing.update(change.numbers)
            self._dirty.update(change.numbers)
        elif isinstance(change, CycleFinished):
            done = {n for n in self._refreshing if n not in self.engine.in_flight}
            self._refreshing -= done
            self._dirty.update(done)  # only those rows lose their "checking…" mark
            self._last_cycle = change.finished
            self._estimates_due = True  # deliveries and stages of this pass change them
            self.auto_archive(self._states)
            if self.start_engine:
                self.check_quota()  # after a pass, so this pass's registrations are counted
        elif isinstance(change, ProviderStateChanged):
            self.header.set_health(change.health)
        self._schedule_apply()

    def _announce_status_changes(self) -> None:
        changes, self._status_changes = self._status_changes, []
        if not changes:
            return
        if len(changes) <= MAX_STATUS_TOASTS:
            for number, old, new in changes:
                parcel = self._parcels.get(number)
                name = parcel.title if parcel else number
                before = old.label if old else "unknown"
                self.notify(f"{name}: {before} → {new.label}", title="Status changed",
                            markup=False)
        else:
            delivered = sum(1 for _, _, new in changes if new is Status.DELIVERED)
            extra = f" ({delivered} delivered)" if delivered else ""
            self.notify(f"{len(changes)} parcels changed status{extra}",
                        title="Status changed", markup=False)
        if self.config.display.bell:
            self.bell()

    # ---- config ---------------------------------------------------------------------------

    def config_applied(self, config: Config, outside: ConfigDiff | None) -> None:
        """A new config is in force (our own edit, or the file changed on disk)."""
        self._index_parcels(config)
        for number in list(self._states):
            if number not in self._parcels:
                del self._states[number]
        missing = [n for n in self._parcels if n not in self._states]
        if missing:
            self._states.update(self.store.states(missing))
        self._views = {n: v for n, v in self._views.items() if n in self._parcels}
        self.services.apply_config(config)
        self._all_dirty = True
        self._estimates_due = True
        self._apply_changes()
        if outside is not None and not outside.empty:
            self.notify(f"The config file had changed on disk ({outside.describe()}); your "
                        "edit was applied on top of it.", title="Config", markup=False)

    def _poll_config(self) -> None:
        if not self.keeper_lock.acquire(blocking=False):
            return  # an edit is being saved right now
        try:
            polled = self.keeper.poll()
        except ConfigError as exc:
            self.notify(f"{exc}\nStill running with the previous settings.",
                        title="Config file has a problem", severity="error", timeout=20,
                        markup=False)
            return
        finally:
            self.keeper_lock.release()
        if polled is None:
            return
        config, diff = polled
        self.config_applied(config, None)
        if not diff.empty:
            self.notify(f"Reloaded {self.keeper.path.name}: {diff.describe()}.",
                        title="Config changed on disk", markup=False)

    def _theme_changed(self, theme: Theme) -> None:
        # The start-up theme (or its fallback for a broken theme file) is not the user's choice.
        if self._theme_from_user and theme.name != self.config.display.theme:
            self.save_theme(theme.name)

    # ---- palette host ---------------------------------------------------------------------

    def palette_parcels(self) -> list[tuple[str, str]]:
        return [(p.number, p.label) for p in self.config.parcels]

    def config_location(self) -> Path:
        return self.keeper.path
