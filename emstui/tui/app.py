"""The monitor's lifecycle: the Textual App that owns the services while it runs.

It starts and stops the refresh engine, guards the terminal (hang-up, SIGHUP/SIGTERM), wires
the notifier, registers and saves themes, keeps the config file (edits and polling) and cleans
every toast. What the monitor shows and what its keys do is the main screen's job
(`emstui.tui.screens.main.MainScreen`), which sees this app as a `MonitorHost`.

Textual traps met here (8.2.8), beyond those in the design notes:
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
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from textual import work
from textual.app import App
from textual.content import Content
from textual.notifications import Notify, SeverityLevel
from textual.theme import Theme

from emstui.config import Config, ConfigError, set_theme
from emstui.config.keeper import ConfigDiff, ConfigKeeper
from emstui.config.paths import user_themes_dir
from emstui.core.sanitize import clean_block, clean_line
from emstui.services import Services
from emstui.tui import keymap
from emstui.tui.collector import CollectorPolicy
from emstui.tui.filters import guard_filters
from emstui.tui.screens.main import MainScreen
from emstui.tui.themes import StatusVariablesMixin, apply_theme, register_themes
from emstui.tui.widgets import HORIZONTAL_BREAKPOINTS
from emstui.tui.widgets.detail import local_zone

TICK_SECONDS = 60.0  # ages ("3d 4h") move on by the minute
CONFIG_POLL_SECONDS = 2.0
TTY_CHECK_SECONDS = 2.0
EXIT_GRACE_SECONDS = 3.0  # a normal exit that takes longer than this is cut short
MAX_TOASTS = 2  # shown at once: more would climb over the detail panel's first lines
INFO_TOAST_SECONDS = 5.0
WARNING_TOAST_SECONDS = 10.0
SWEEP_CHECK_SECONDS = 60.0  # how often the collector policy may sweep between passes


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


class EmstuiApp(StatusVariablesMixin, App[int]):
    """The monitor: `MainScreen` on the services built from one config file."""

    CSS_PATH = "app.tcss"
    TITLE = "emstui"
    HORIZONTAL_BREAKPOINTS = HORIZONTAL_BREAKPOINTS

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
        self.refresh_paused = False
        self._main: MainScreen | None = None
        self.collector = CollectorPolicy()
        self._theme_from_user = False
        # Themes before the first frame: switching after it would restyle every row again.
        self._theme_problems = register_themes(self, user_themes_dir(config_file))
        message = apply_theme(self, services.config.display.theme, dark=True)
        if message:
            self._theme_problems.append(message)

    def get_default_screen(self) -> MainScreen:
        self._main = MainScreen(self)
        return self._main

    @property
    def main(self) -> MainScreen:
        """The monitor's screen (under any dialog on top of it)."""
        assert self._main is not None, "the app is not running"
        return self._main

    @property
    def config(self) -> Config:
        return self.keeper.config

    def config_location(self) -> Path:
        return self.keeper.path

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
        if self.watch_config:
            self.set_interval(CONFIG_POLL_SECONDS, self._poll_config)
        self._install_terminal_guards()

    def on_main_screen_ready(self, message: MainScreen.Ready) -> None:
        """The table shows the stored parcels: now notify and refresh."""
        # What is loaded now lives as long as the session: full collections need not walk it
        # (a full collection over 3000 parcels' table stalled the loop 130-350 ms).
        self.collector.start()
        self.set_interval(SWEEP_CHECK_SECONDS, self._sweep_garbage)
        self._connect_notifier()
        if self.start_engine:
            self._start_engine()

    def _connect_notifier(self) -> None:
        """[notify]: failures become toasts, retries run later, the terminal target works."""
        notifier = self.services.notifier
        if notifier is None:
            return
        notifier.report = lambda line: self.notify(line, title="Notification",
                                                   severity="warning", markup=False)
        notifier.attach_terminal(self._write_terminal_notification)
        notifier.start()

    def _sweep_garbage(self) -> None:
        self.collector.sweep(busy=bool(self.engine.in_flight))

    def _write_terminal_notification(self, sequence: str) -> None:
        # Textual has no public call for raw output; copy_to_clipboard writes the same way.
        if self._driver is not None:
            self._driver.write(sequence)

    def _start_engine(self) -> None:
        self.run_worker(self.engine.run(), name="refresh-engine", group="engine",
                        exit_on_error=False)

    def pause_engine(self) -> None:
        self.refresh_paused = True
        self.engine.stop()

    def resume_engine(self) -> None:
        self.refresh_paused = False
        self._start_engine()

    async def action_quit(self) -> None:
        self.engine.stop()
        self.exit(0)

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
        self.collector.stop()
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

    # ---- config ---------------------------------------------------------------------------

    def edit_config(self, change: Callable[[Config], object], *, done: str = "",
                    after: Callable[[], None] | None = None) -> None:
        self._run_config_edit(change, done, after)

    @work(thread=True, group="config-edit")
    def _run_config_edit(self, change: Callable[[Config], object], done: str,
                         after: Callable[[], None] | None) -> None:
        try:
            with self.keeper_lock:
                config, outside = self.keeper.edit(change)
        except ConfigError as exc:
            self.call_from_thread(self.notify, exc.describe(), title="Not saved",
                                  severity="error", timeout=15, markup=False)
            return
        except ValueError as exc:
            self.call_from_thread(self.notify, str(exc), title="Not saved", severity="error",
                                  timeout=15, markup=False)
            return
        self.call_from_thread(lambda: self.config_edited(config, outside, done=done,
                                                         after=after))

    def config_edited(self, config: Config, outside: ConfigDiff | None, *, done: str = "",
                      after: Callable[[], None] | None = None) -> None:
        self._config_applied(config)
        if outside is not None and not outside.empty:
            self.notify(f"The config file had changed on disk ({outside.describe()}); your "
                        "edit was applied on top of it.", title="Config", markup=False)
        if done:
            self.notify(done, markup=False)
        if after is not None:
            after()

    def _config_applied(self, config: Config) -> None:
        """A new config is in force (our own edit, or the file changed on disk)."""
        self.services.apply_config(config)
        self.main.config_applied(config)

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
        self._config_applied(config)
        if not diff.empty:
            self.notify(f"Reloaded {self.keeper.path.name}: {diff.describe()}.",
                        title="Config changed on disk", markup=False)

    # ---- themes -----------------------------------------------------------------------------

    def action_set_theme(self, name: str) -> None:
        if name not in self.available_themes:
            self.notify(f"Unknown theme {name!r}", severity="warning", markup=False)
            return
        self.theme = name  # the theme-changed signal saves it

    def _theme_changed(self, theme: Theme) -> None:
        # The start-up theme (or its fallback for a broken theme file) is not the user's choice.
        if self._theme_from_user and theme.name != self.config.display.theme:
            self.edit_config(lambda config: set_theme(config, theme.name))
