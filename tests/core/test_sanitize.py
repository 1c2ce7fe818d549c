"""Tests for emstui.core.sanitize: hostile network text becomes safe, bounded, plain text."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emstui.core.sanitize import (
    DESCRIPTION_LIMIT,
    LOCATION_LIMIT,
    clean_block,
    clean_line,
    excerpt,
)

# Everything that must never survive: C0 (all of it for single lines), DEL, C1, bidi controls,
# zero-width and other invisible format characters, lone surrogates.
_FORBIDDEN_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ud800-\udfff\U000e0000-\U000e007f]"
)
_FORBIDDEN_BLOCK = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ud800-\udfff\U000e0000-\U000e007f]"
)


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"),
        ("\x1b]8;;http://evil\x07click\x1b]8;;\x07", "click"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[38;2;255;0;0mtrue colour\x1b[m", "true colour"),
        ("\x9b31mred\x9b0m", "red"),
        ("\x9d0;title\x9cok", "ok"),
        ("\x9d0;title\x07ok", "ok"),
        ("\x1b]0;set the window title\x07ok", "ok"),
        ("\x1bP1$r0m\x1b\\ok", "ok"),
        ("\x90q#0;2;0;0;0\x9cok", "ok"),
        ("\x1bXsos\x1b\\a\x1b^pm\x1b\\b\x1b_apc\x1b\\c", "abc"),
        ("\x98sos\x9ca\x9epm\x9cb\x9fapc\x9cc", "abc"),
        ("\x1b(Bok\x1b7\x1b8\x1bc", "ok"),
        ("\x1b[2J\x1b[Hwiped", "wiped"),
        ("\x1b[?1049hscreen", "screen"),
    ],
)
def test_escape_sequences_are_removed_whole(hostile: str, expected: str) -> None:
    assert clean_line(hostile) == expected


def test_escape_inside_osc_ends_it_and_is_removed_too() -> None:
    assert clean_line("\x1b]0;title\x1b[31mred") == "red"


def test_unterminated_osc_swallows_the_rest_like_a_terminal_would() -> None:
    assert clean_line("shown \x1b]8;;http://evil hidden forever") == "shown"


def test_lone_and_truncated_escapes_never_leave_esc_behind() -> None:
    out = clean_line("a\x1b\x1b[\x1b[31\x9b")
    assert out == "a"
    assert "\x1b" not in clean_line("x\x1b")


@pytest.mark.parametrize(
    "bidi",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
     "\u200e", "\u200f", "\u061c"],
)
def test_bidi_controls_are_removed(bidi: str) -> None:
    assert clean_line(f"{bidi}gnp.exe") == "gnp.exe"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
                                       "\U000e0041"])
def test_invisible_format_characters_are_removed(invisible: str) -> None:
    assert clean_line(f"Fin{invisible}al delivery") == "Final delivery"


def test_nul_del_and_other_controls_are_removed() -> None:
    assert clean_line("a\x00b\x7fc\x07d\x08e") == "abcde"


def test_next_line_and_unicode_line_separators_count_as_line_breaks() -> None:
    assert clean_line("a\x85b\u2028c\u2029d") == "a b c d"
    assert clean_block("a\x85b\u2028c") == "a\nb\nc"


def test_lone_surrogates_are_removed_so_output_is_encodable() -> None:
    out = clean_line("ok\ud800\udfff!")
    assert out == "ok!"
    out.encode("utf-8")


@pytest.mark.parametrize("markup", ["[bold]x[/]", "[@click=app.quit]", "[link=http://x]y[/link]",
                                    "[/]", "[red on blue]"])
def test_markup_characters_stay_literal(markup: str) -> None:
    assert clean_line(markup) == markup


def test_tabs_newlines_and_runs_of_spaces_become_single_spaces() -> None:
    assert clean_line("  BEIJING,\t\tCHINA\r\n  next\u3000line  ") == "BEIJING, CHINA next line"


def test_clean_line_accepts_none_numbers_and_bytes() -> None:
    assert clean_line(None) == ""
    assert clean_line(42) == "42"
    assert clean_line(b"caf\xc3\xa9 \x1b[31mred") == "café red"
    assert clean_line(b"bad \xff byte") == "bad \ufffd byte"


def test_non_latin_text_is_kept() -> None:
    assert clean_line("离开【北京国际邮件互换局】，下一站【法兰克福】") == (
        "离开【北京国际邮件互换局】，下一站【法兰克福】"
    )


def test_truncation_respects_limit_and_marks_with_ellipsis() -> None:
    out = clean_line("abcdefghij", limit=5)
    assert out == "abcd…"
    assert len(out) == 5
    assert clean_line("abcde", limit=5) == "abcde"


def test_truncation_does_not_end_with_space_before_ellipsis() -> None:
    assert clean_line("abc defgh", limit=5) == "abc…"


def test_truncation_does_not_orphan_a_combining_mark() -> None:
    out = clean_line("abce\u0301fgh", limit=5)  # cut would fall on the accent of "é"
    assert out == "abc…"


def test_tiny_and_zero_limits() -> None:
    assert clean_line("abc", limit=1) == "…"
    assert clean_line("abc", limit=0) == ""


def test_default_limits_for_fields() -> None:
    assert DESCRIPTION_LIMIT == 500
    assert LOCATION_LIMIT == 120
    assert len(clean_line("x" * 1000)) == 200
    assert len(clean_line("x" * 1000, limit=DESCRIPTION_LIMIT)) == 500
    assert len(clean_line("y" * 1000, limit=LOCATION_LIMIT)) == 120


def test_5000_char_description_is_bounded() -> None:
    description = ("Item held by import Customs \x1b[1m" * 200)[:5000]
    out = clean_line(description, limit=DESCRIPTION_LIMIT)
    assert len(out) == DESCRIPTION_LIMIT
    assert out.endswith("…")
    assert "\x1b" not in out


@pytest.mark.parametrize(
    "unit",
    ["\x1b]", "\x1b[", "\x9b", "\x1bP", "\x1b ", "\x1b[1;", "\x1b]8;;\x1b", "a\u202e\u200b "],
)
def test_hostile_input_is_cleaned_in_linear_time(unit: str) -> None:
    # A quadratic algorithm needs minutes for this; a linear one a few milliseconds.
    text = unit * (200_000 // len(unit))
    start = time.perf_counter()
    out = clean_line(text, limit=DESCRIPTION_LIMIT)
    assert time.perf_counter() - start < 2.0
    assert len(out) <= DESCRIPTION_LIMIT


def test_clean_block_keeps_single_newlines_and_drops_blank_lines() -> None:
    assert clean_block("line 1\r\n\r\n\n  line   2 \n\x1b[31m\x1b[0m\nline 3") == (
        "line 1\nline 2\nline 3"
    )


def test_clean_block_is_bounded() -> None:
    out = clean_block("word\n" * 1000, limit=50)
    assert len(out) == 50
    assert out.endswith("…")


def test_excerpt_of_an_html_error_body_is_one_clean_bounded_line() -> None:
    body = b"<html>\r\n<body>\x1b]8;;http://evil\x1b\\Service \xff Unavailable</body>"
    body += b"x" * 10_000
    out = excerpt(body, 60)
    assert len(out) == 60
    assert out.startswith("<html> <body>Service \ufffd Unavailable</body>")
    assert out.endswith("…")
    assert "\x1b" not in out


def test_excerpt_of_a_huge_body_marks_the_cut_even_when_cleaning_shrinks_it() -> None:
    body = "short" + " " * 100_000 + "tail"
    out = excerpt(body, 200)
    assert out == "short…"


def test_excerpt_of_short_bodies_and_none() -> None:
    assert excerpt(b"1") == "1"
    assert excerpt("") == ""
    assert excerpt(None) == ""


_HOSTILE_PIECES = st.sampled_from(
    ["\x1b", "[", "]", "\\", "\x07", "\x9b", "\x9c", "\x9d", "\x90", "P", "8;;", "31m", ";", "\x00",
     "\x7f", "\u202e", "\u2066", "\u200b", "\ufeff", "\n", "\r", "\t", " ", "\u0301", "a", "é",
     "\x85", "\u2028", "\ud800", "…", "[bold]"]
)
_HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_HOSTILE_PIECES, st.text(max_size=5)), max_size=80).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(text=_HOSTILE_TEXT, limit=st.integers(min_value=0, max_value=120))
def test_clean_line_output_is_safe_bounded_and_idempotent(text: str, limit: int) -> None:
    out = clean_line(text, limit=limit)
    assert _FORBIDDEN_LINE.search(out) is None
    assert len(out) <= limit
    assert out == out.strip()
    assert "  " not in out
    assert clean_line(out, limit=limit) == out


@settings(max_examples=300, deadline=None)
@given(text=_HOSTILE_TEXT, limit=st.integers(min_value=0, max_value=200))
def test_clean_block_output_is_safe_bounded_and_idempotent(text: str, limit: int) -> None:
    out = clean_block(text, limit=limit)
    assert _FORBIDDEN_BLOCK.search(out) is None
    assert len(out) <= limit
    assert "\n\n" not in out
    assert clean_block(out, limit=limit) == out


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=400), limit=st.integers(min_value=0, max_value=80))
def test_excerpt_of_any_bytes_is_safe_and_bounded(body: bytes, limit: int) -> None:
    out = excerpt(body, limit)
    assert _FORBIDDEN_LINE.search(out) is None
    assert len(out) <= limit
