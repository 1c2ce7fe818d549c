"""Parse and format the human durations used in the config ("30m", "1h30m", "2d", 3600)."""

from __future__ import annotations

import re

MAX_SECONDS = 365 * 86_400  # longer than a year is a typo, and would overflow date arithmetic
FORMS = '"30s", "30m", "1h30m", "2d", "1d12h", or whole seconds such as 3600'
OFF = "off"

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
# [0-9] not \d: \d also matches non-ASCII digits such as "١".
_DURATION_RE = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_UNIT_CHARS = frozenset("0123456789dhms")
_MAX_TEXT = 40  # int() refuses very long digit strings; nothing valid is this long anyway


class DurationError(ValueError):
    """A value that is not an accepted duration; str() names the key and the accepted forms."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def parse_duration(value: str | int, *, key: str) -> int:
    """Seconds (> 0) from "30s", "30m", "1h30m", "2d", "1d12h", an integer or a digit string."""
    return _parse(value, key=key, forms=FORMS)


def parse_optional_duration(value: str | int, *, key: str) -> int | None:
    """Like parse_duration, but "off" gives None (the thing is switched off)."""
    if isinstance(value, str) and value.strip().lower() == OFF:
        return None
    return _parse(value, key=key, forms=f'{FORMS}, or "{OFF}"')


def format_duration(seconds: int) -> str:
    """The shortest spelling parse_duration reads back: 5400 -> "1h30m", 172800 -> "2d"."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"a duration is a whole, non-negative number of seconds, not {seconds!r}")
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    rest = seconds
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _parse(value: object, *, key: str, forms: str) -> int:
    if isinstance(value, bool):
        raise DurationError(key, f"expected a duration, got a boolean ({str(value).lower()}). "
                                 f"Use {forms}")
    if isinstance(value, int):
        return _checked(value, key=key, forms=forms, shown=str(value))
    if isinstance(value, float):
        raise DurationError(key, f"{value!r} is not a whole number of seconds. Use {forms}")
    if not isinstance(value, str):
        raise DurationError(key, f"expected a duration, got {type(value).__name__}. Use {forms}")
    text = "".join(value.split()).lower()
    if not text or len(text) > _MAX_TEXT:
        raise DurationError(key, f"{value!r} is not a duration. Use {forms}")
    if text.isascii() and text.isdigit():
        return _checked(int(text), key=key, forms=forms, shown=repr(value))
    match = _DURATION_RE.fullmatch(text)
    if match is None or not any(match.groups()):
        order = " (units go largest first: d, h, m, s)" if set(text) <= _UNIT_CHARS else ""
        raise DurationError(key, f"{value!r} is not a duration{order}. Use {forms}")
    total = sum(int(n) * size for n, (_, size) in zip(match.groups(), _UNITS, strict=True) if n)
    return _checked(total, key=key, forms=forms, shown=repr(value))


def _checked(seconds: int, *, key: str, forms: str, shown: str) -> int:
    if seconds <= 0:
        raise DurationError(key, f"{shown} is not longer than zero. Use {forms}")
    if seconds > MAX_SECONDS:
        raise DurationError(key, f"{shown} is longer than the maximum, "
                                 f"{format_duration(MAX_SECONDS)}. Use {forms}")
    return seconds
