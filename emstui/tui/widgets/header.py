"""The one-line status bar: app name, a badge (demo), each provider's health, 17TRACK quota,
last and next refresh."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from textual.content import Content
from textual.widgets import Static

from emstui.core.clock import Clock, SystemClock
from emstui.core.sanitize import clean_line
from emstui.engine.health import ProviderHealth
from emstui.present.views import describe_health, format_clock

_TONE_STYLE: dict[str, str] = {
    "ok": "$text-success",
    "warning": "$text-warning",
    "error": "$text-error",
    "muted": "$text-muted",
}


class AppHeader(Static):
    """Header bar. Set data with `set_health`, `set_quota`, `set_refresh`, `set_refreshing`
    and `set_progress`."""

    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, title: str = "emstui", *, tz: tzinfo | None = None,
                 clock: Clock | None = None, badge: str | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.app_name = title
        self.badge = badge  # shown right after the name, so a narrow terminal never cuts it
        self.tz = tz or datetime.now().astimezone().tzinfo
        self.clock = clock or SystemClock()
        self._health: dict[str, ProviderHealth] = {}
        self._last: datetime | None = None
        self._next: datetime | None = None
        self._refreshing = False
        self._progress: str | None = None
        self._quota: tuple[str, str] | None = None
        self._ready = False

    def on_mount(self) -> None:
        self._ready = True  # is_mounted only turns True after this handler
        self._redraw()

    def set_health(self, health: ProviderHealth | Iterable[ProviderHealth]) -> None:
        """Record one provider's health, or several at once."""
        items = [health] if isinstance(health, ProviderHealth) else list(health)
        for item in items:
            self._health[item.provider] = item
        self._redraw()

    def set_quota(self, words: tuple[str, str] | None) -> None:
        """The 17TRACK quota as (words, tone) from `emstui.present.quota.header_words`, or None."""
        self._quota = words
        self._redraw()

    def set_refresh(self, last: datetime | None, next_: datetime | None) -> None:
        """When the last refresh pass finished and when the next one is due."""
        self._last, self._next = last, next_
        self._redraw()

    def set_refreshing(self, refreshing: bool) -> None:
        self._refreshing = refreshing
        self._redraw()

    def set_progress(self, text: str | None) -> None:
        """The engine's progress line ("refreshing 1,240/5,000 · 17TRACK 3/s · ~21 min
        left"), shown instead of "refreshing…" while a pass runs."""
        if text != self._progress:
            self._progress = text
            self._redraw()

    def build(self) -> Content:
        """The header line for the current data and clock."""
        now = self.clock.now()
        tz = self.tz
        parts: list[str | tuple[str, str]] = [(self.app_name, "bold $text-accent")]
        if self.badge:
            parts += ["  ", (self.badge, "bold $text-warning")]
        for provider in sorted(self._health):
            words, tone = describe_health(self._health[provider], now, tz)
            parts += ["  ", (clean_line(provider, limit=40), "bold"), " ",
                      (clean_line(words), _TONE_STYLE[tone])]
        if not self._health:
            parts += ["  ", ("no providers", "$text-muted")]
        if self._quota is not None:
            words, tone = self._quota
            parts += ["  ", (words, _TONE_STYLE.get(tone, "$text-muted"))]
        parts.append(("  │  ", "$text-muted"))
        if self._refreshing:
            parts.append((clean_line(self._progress or "refreshing…"), "$text-accent"))
        else:
            last = format_clock(self._last, now, tz) if self._last else "never"
            parts.append(f"last {last}")
        if self._next is not None:
            parts.append(f" · next {format_clock(self._next, now, tz)}")
        return Content.assemble(*parts)

    def _redraw(self) -> None:
        if self._ready:
            self.update(self.build())
