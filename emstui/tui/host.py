"""What the monitor's actions need from the app: a small typed interface, so the actions
(`emstui.tui.actions`) never import the app module and never touch its private state."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from emstui.config import Config, Parcel
from emstui.config.keeper import ConfigDiff, ConfigKeeper
from emstui.core.clock import Clock
from emstui.engine.engine import RefreshEngine
from emstui.store import Store

if TYPE_CHECKING:
    from textual.widget import Widget

    from emstui.tui.filterbar import FilterBar
    from emstui.tui.widgets.parcel_table import ParcelTable


class MonitorHost(Protocol):
    """The app as its actions see it (`EmstuiApp` is the one implementation)."""

    clock: Clock
    store: Store
    engine: RefreshEngine
    keeper: ConfigKeeper
    keeper_lock: threading.Lock
    tz: tzinfo
    banner: str
    show_archived: bool
    refresh_paused: bool
    filter_text: str
    theme: str

    @property
    def config(self) -> Config: ...
    @property
    def table(self) -> ParcelTable: ...
    @property
    def filter_bar(self) -> FilterBar: ...
    @property
    def focused(self) -> Widget | None: ...
    @property
    def available_themes(self) -> dict[str, Any]: ...

    def parcel(self, number: str) -> Parcel: ...
    def resume_engine(self) -> None: ...
    def show_changes(self, *, rebuild_all: bool = False) -> None: ...
    def config_applied(self, config: Config, outside: ConfigDiff | None) -> None: ...
    def jump_to(self, number: str) -> None: ...
    def notify(self, message: str, **kwargs: Any) -> None: ...
    def push_screen(self, screen: Any, callback: Callable[[Any], None] | None = None,
                    **kwargs: Any) -> Any: ...
    def call_from_thread(self, callback: Callable[..., Any], *args: Any,
                         **kwargs: Any) -> Any: ...
    def copy_to_clipboard(self, text: str) -> None: ...
    def exit(self, *args: Any, **kwargs: Any) -> None: ...
