"""NO_COLOR mode must survive segments that carry no style (Textual 8.2 DataTable emits them)."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import Monochrome

from emstui.tui.filters import StyledSegmentsOnly, guard_filters

SEGMENTS = [Segment("a", Style(color="red")), Segment(" ", None), Segment("b")]


def test_monochrome_alone_fails_on_a_styleless_segment() -> None:
    with pytest.raises(AttributeError):
        Monochrome().apply(list(SEGMENTS), Color(0, 0, 0))


def test_guarded_monochrome_renders_every_segment() -> None:
    out = StyledSegmentsOnly(Monochrome()).apply(list(SEGMENTS), Color(0, 0, 0))
    assert "".join(s.text for s in out) == "a b"
    assert all(s.style is not None for s in out)


def test_guard_wraps_in_place_once_and_keeps_enabled_in_step() -> None:
    filters = [Monochrome()]
    guard_filters(filters)
    guard_filters(filters)
    assert isinstance(filters[0], StyledSegmentsOnly)
    assert not isinstance(filters[0].inner, StyledSegmentsOnly)
    filters[0].enabled = False
    assert filters[0].inner.enabled is False
