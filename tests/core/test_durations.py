"""Durations in the config: "30m", "1h30m", "2d", integer seconds, and "off"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emstui.core.durations import (
    MAX_SECONDS,
    DurationError,
    format_duration,
    parse_duration,
    parse_optional_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("30m", 1800),
        ("1h", 3600),
        ("1h30m", 5400),
        ("2d", 172_800),
        ("1d12h", 129_600),
        ("1d2h3m4s", 93_784),
        ("90m", 5400),
        (" 1H 30M ", 5400),
        ("3600", 3600),
        (3600, 3600),
        (1, 1),
    ],
)
def test_accepted_forms_give_seconds(text: str | int, seconds: int) -> None:
    assert parse_duration(text, key="refresh.interval") == seconds


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "1x", "30m1h", "h", "1.5h", "-5m", "0", "0s", "0h0m", 0, -30, 1.5, True, False,
     "١٢", "9" * 5000, "1h 30", "m30", [30], None],
)
def test_rejects_garbage_naming_key_and_forms(bad: object) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(bad, key="refresh.timeout")  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("refresh.timeout: ")
    assert '"1h30m"' in message and "3600" in message  # the accepted forms are spelled out
    assert caught.value.key == "refresh.timeout"
    assert not caught.value.problem.startswith("refresh.timeout")


def test_booleans_are_not_seconds_even_though_bool_is_an_int() -> None:
    with pytest.raises(DurationError, match="boolean"):
        parse_duration(True, key="x")


def test_longer_than_a_year_is_refused_to_keep_date_arithmetic_safe() -> None:
    assert parse_duration("365d", key="x") == MAX_SECONDS
    with pytest.raises(DurationError, match="maximum"):
        parse_duration("366d", key="x")
    with pytest.raises(DurationError, match="maximum"):
        parse_duration(10**15, key="x")


def test_off_switches_an_optional_duration_off() -> None:
    assert parse_optional_duration("off", key="refresh.delivered_interval") is None
    assert parse_optional_duration("OFF", key="refresh.delivered_interval") is None
    assert parse_optional_duration("2d", key="refresh.delivered_interval") == 172_800
    with pytest.raises(DurationError) as caught:
        parse_optional_duration("never", key="refresh.delivered_interval")
    assert '"off"' in str(caught.value)


def test_off_is_not_accepted_where_a_duration_is_required() -> None:
    with pytest.raises(DurationError):
        parse_duration("off", key="refresh.interval")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45s"), (60, "1m"), (5400, "1h30m"), (172_800, "2d"), (129_600, "1d12h"),
     (93_784, "1d2h3m4s"), (0, "0s")],
)
def test_format_uses_the_shortest_spelling(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_refuses_negative_and_fractional_seconds() -> None:
    with pytest.raises(ValueError):
        format_duration(-1)
    with pytest.raises(ValueError):
        format_duration(1.5)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=MAX_SECONDS))
def test_format_then_parse_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds), key="k") == seconds
