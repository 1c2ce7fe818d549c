"""The typed interfaces between the app, the main screen and the objects it owns: what the screen
and they need from the app (`MonitorHost`), and what they need from the screen (`ParcelsView`),
so none of them imports the app module or touches another's private state.

Plain Textual App calls (push_screen, copy_to_clipboard, call_from_thread, bell, exit) go
through `Screen.app`; only what emstui's app adds is declared here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from emstui.config import Config, Parcel
from emstui.config.keeper import ConfigDiff, ConfigKeeper
from emstui.services import Services
from emstui.tui.marks import MarkSet

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from emstui.tui.widgets.footer import MarksFooter
    from emstui.tui.widgets.header import AppHeader
    from emstui.tui.widgets.parcel_table import ParcelTable


class MonitorHost(Protocol):
    """The app as the main screen sees it (`EmstuiApp` is the one implementation)."""

    services: Services
    keeper: ConfigKeeper
    keeper_lock: threading.Lock  # held while the config file is read or written
    tz: tzinfo
    banner: str | None  # about this session (the demo): shown in `?` help
    badge: str | None  # a word or two in the header ("DEMO")
    start_engine: bool  # False in tests and benchmarks: nothing refreshes by itself
    tick_seconds: float
    refresh_paused: bool

    @property
    def config(self) -> Config: ...

    def config_location(self) -> Path: ...
    def pause_engine(self) -> None: ...
    def resume_engine(self) -> None: ...

    def edit_config(self, change: Callable[[Config], object], *, done: str = "",
                    after: Callable[[], None] | None = None) -> None:
        """Apply `change` to the config file (atomic, conflict-checked) in a thread worker;
        then `config_edited`."""
        ...

    def config_edited(self, config: Config, outside: ConfigDiff | None, *, done: str = "",
                      after: Callable[[], None] | None = None) -> None:
        """An edit was saved (on the UI thread): put it in force, say `done`, run `after`."""
        ...


class ParcelsView(Protocol):
    """The main screen as its actions, marks, quota and status news see it (`MainScreen` is the
    one implementation)."""

    show_archived: bool
    marks: MarkSet  # when any, archive, refresh and remove act on these

    @property
    def app(self) -> App[Any]: ...
    @property
    def highlighted(self) -> str | None: ...
    @property
    def table(self) -> ParcelTable: ...
    @property
    def header(self) -> AppHeader: ...
    @property
    def footer(self) -> MarksFooter: ...

    def parcel(self, number: str) -> Parcel: ...
    def jump_to(self, number: str) -> None: ...
    def clear_marks(self, *, say: bool = False) -> None: ...
    def notify(self, message: str, **kwargs: Any) -> None: ...
    def run_worker(self, work: Any, **kwargs: Any) -> Worker[Any]: ...
