"""A guard for Textual's line filters: segments without a style must not crash NO_COLOR mode.

Textual 8.2's DataTable can emit a `Segment` whose style is None; the Monochrome filter that
Textual installs for NO_COLOR then fails on `style.color` and the app dies. Each filter is
wrapped so it only ever sees real styles.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

_NULL = Style()


class StyledSegmentsOnly(LineFilter):
    def __init__(self, inner: LineFilter) -> None:
        super().__init__(enabled=inner.enabled)
        self.inner = inner

    @property  # type: ignore[override]
    def enabled(self) -> bool:
        return self.inner.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        if hasattr(self, "inner"):
            self.inner.enabled = value

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if any(segment.style is None for segment in segments):
            segments = [segment if segment.style is not None
                        else Segment(segment.text, _NULL, segment.control)
                        for segment in segments]
        return self.inner.apply(segments, background)


def guard_filters(filters: list[LineFilter]) -> None:
    """Wrap every filter in place (the app keeps using the same list)."""
    filters[:] = [f if isinstance(f, StyledSegmentsOnly) else StyledSegmentsOnly(f)
                  for f in filters]
