"""The config schema: one decoder (and encoder) per key, each refusing a bad value with the key's
path and a fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from emstui.config.model import _OMIT, CONCURRENCY_MAX, CONCURRENCY_MIN, Secret
from emstui.core import s10
from emstui.core.durations import (
    DurationError,
    format_duration,
    parse_duration,
    parse_optional_duration,
)
from emstui.core.politeness import MIN_INTERVAL, check_base_url, check_user_agent
from emstui.core.sources import DEFAULT_PROVIDER_ORDER, PROVIDER_IDS


class _Bad(Exception):
    """A value's problem, before the loader adds file, line and key path."""

    def __init__(self, problem: str, hint: str | None = None, at: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.at = at  # appended to the key path, e.g. "[1]" for a list element


Decoder = Callable[[Any, str], Any]


@dataclass(frozen=True)
class _Key:
    decode: Decoder
    encode: Callable[[Any], Any] = lambda value: _OMIT if value is None else value


def _toml_type(value: object) -> str:
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
        ((list, tuple), "an array"), (dict, "a table"), (datetime, "a date-time"),
        (date, "a date"), (time, "a time"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "a value")


def _got(value: object, *, secret: bool = False) -> str:
    kind = _toml_type(value)
    if secret or isinstance(value, (list, tuple, dict)):
        return kind
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind}, {shown}"


def _string(what: str = "a string", *, secret: bool = False) -> Decoder:
    def decode(value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise _Bad(f"expected {what}, got {_got(value, secret=secret)}")
        return value

    return decode


def _name(what: str) -> Decoder:
    def decode(value: Any, key: str) -> str:
        text = _string(what)(value, key)
        if not text.strip():
            raise _Bad(f"expected {what}, got an empty string")
        return text

    return decode


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    hint = None
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        hint = f"Write it without quotes: {key.rsplit('.', 1)[-1]} = {value.strip().lower()}"
    raise _Bad(f"expected true or false, got {_got(value)}", hint)


def _int_between(low: int, high: int) -> Decoder:
    def decode(value: Any, key: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            if low <= value <= high:
                return value
            raise _Bad(f"{value} is out of range: use a whole number from {low} to {high}")
        hint = None
        if isinstance(value, str) and value.strip().isdigit():
            hint = f"Write it without quotes: {key.rsplit('.', 1)[-1]} = {value.strip()}"
        raise _Bad(f"expected a whole number from {low} to {high}, got {_got(value)}", hint)

    return decode


def _duration(value: Any, key: str) -> int:
    try:
        return parse_duration(value, key=key)
    except DurationError as error:
        raise _Bad(error.problem) from None


def _optional_duration(value: Any, key: str) -> int | None:
    try:
        return parse_optional_duration(value, key=key)
    except DurationError as error:
        raise _Bad(error.problem) from None


def _too_often(seconds: int) -> str | None:
    """Why an interval is below what emstui polls at, or None when it is fine."""
    if seconds >= MIN_INTERVAL:
        return None
    return (f"{format_duration(seconds)} is too short: emstui checks a parcel at most every "
            f"{format_duration(MIN_INTERVAL)}, so the sources are not asked more often than "
            "they allow")


def _poll_interval(value: Any, key: str) -> int:
    seconds = _duration(value, key)
    if problem := _too_often(seconds):
        raise _Bad(problem, f'Use "{format_duration(MIN_INTERVAL)}" or more')
    return seconds


def _optional_poll_interval(value: Any, key: str) -> int | None:
    seconds = _optional_duration(value, key)
    if seconds is not None and (problem := _too_often(seconds)):
        raise _Bad(problem, f'Use "{format_duration(MIN_INTERVAL)}" or more, or "off"')
    return seconds


def _encode_duration(seconds: int | None) -> Any:
    return _OMIT if seconds is None else format_duration(seconds)


def _encode_optional_duration(seconds: int | None) -> str:
    return "off" if seconds is None else format_duration(seconds)


def _timezone(value: Any, key: str) -> str:
    name = _name('"local" or a time-zone name')(value, key)
    if name == "local":
        return name
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zones = available_timezones()
        if not zones:
            raise _Bad(f"unknown time zone {name!r}: this system has no time-zone database",
                       'Install the tzdata package, or use timezone = "local"') from None
        close = difflib.get_close_matches(name, sorted(zones), n=1)
        hint = f"Did you mean {close[0]!r}?" if close else (
            'Use "local" or an IANA name such as "Europe/Paris" or "Asia/Shanghai"')
        raise _Bad(f"unknown time zone {name!r}", hint) from None
    return name


def _checked_string(what: str, check: Callable[..., str], setting: str) -> Decoder:
    """A string that `check` (a core.politeness check) accepts; its refusal is the problem."""
    as_string = _string(what)

    def decode(value: Any, key: str) -> str:
        try:
            return check(as_string(value, key), setting=setting)
        except ValueError as error:
            raise _Bad(str(error)) from None
    return decode


_url = _checked_string("an https:// URL", check_base_url, "the URL")
_user_agent = _checked_string("a User-Agent string", check_user_agent, "the User-Agent")


_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: Any, key: str) -> str:
    # Never echo the value: people paste the key itself here by mistake.
    if not isinstance(value, str) or not _ENV_NAME_RE.fullmatch(value):
        raise _Bad(
            "expected the NAME of an environment variable, such as \"EMSTUI_17TRACK_KEY\"",
            "Put the key itself in that environment variable (or in api_key), not here",
        )
    return value


_KEY_RE = re.compile(r"[\x21-\x7e]+")  # what an HTTP header value can carry, without spaces


def key_problem(key: str) -> str | None:
    """Why an API key cannot be sent (never quoting it), or None when it can."""
    if _KEY_RE.fullmatch(key):
        return None
    if any(ch in key for ch in "\r\n"):
        what = "a line break"
    elif "\x00" in key:
        what = "a NUL character"
    elif not key.isascii():
        what = "a non-ASCII character"
    else:
        what = "a space or control character"
    return f"the key contains {what}, which an HTTP header cannot carry"


_KEY_HINT = "Copy the key again from the provider's dashboard: only the key, on one line"


def _secret(value: Any, key: str) -> Secret | None:
    if not isinstance(value, str):
        raise _Bad(f"expected a string, got {_toml_type(value)}")
    if value.strip() and (problem := key_problem(value.strip())):
        raise _Bad(problem, _KEY_HINT)
    return Secret(value.strip()) if value.strip() else None


def _encode_secret(value: Secret | None) -> Any:
    return _OMIT if value is None else value.reveal()


def _provider_id(value: Any, key: str) -> str:
    pid = _string("a provider id")(value, key)
    if pid not in PROVIDER_IDS:
        raise _Bad(f"unknown provider {pid!r}", f"Known providers: {', '.join(PROVIDER_IDS)}")
    return pid


def _provider_order(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Bad(f"expected a list of providers such as {list(DEFAULT_PROVIDER_ORDER)}, "
                   f"got {_got(value)}")
    order: list[str] = []
    for index, item in enumerate(value):
        try:
            pid = _provider_id(item, key)
        except _Bad as bad:
            raise _Bad(bad.problem, bad.hint, at=f"[{index}]") from None
        if pid in order:
            raise _Bad(f"{pid!r} is listed twice", at=f"[{index}]")
        order.append(pid)
    return order


def _date(value: Any, key: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad(f"expected a date such as 2026-11-20 (no quotes), got {_got(value)}")


# Each parcel's number is parsed to validate it, then again (already normalised) for its
# warnings: `s10.parse` remembers valid numbers, so a 20,000-parcel config parses 20,000 times.
_parse_number = s10.parse


def _number(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected the tracking number as a string, got {_got(value)}",
                   'Quote it: number = "EE123456785CN"')
    try:
        return _parse_number(value).value
    except s10.InvalidNumber as error:
        raise _Bad(str(error), "Fix the number, or remove this [[parcels]] entry") from None


_REFRESH_KEYS = {
    "interval": _Key(_poll_interval, format_duration),
    "delivered_interval": _Key(_optional_poll_interval, _encode_optional_duration),
    "concurrency": _Key(_int_between(CONCURRENCY_MIN, CONCURRENCY_MAX)),
    "max_backoff": _Key(_duration, format_duration),
    "timeout": _Key(_duration, format_duration),
    "archive_delivered_after": _Key(_optional_duration, _encode_duration),
}
_DISPLAY_KEYS = {
    "theme": _Key(_name("a theme name")),
    "timezone": _Key(_timezone),
    "show_archived": _Key(_bool),
    "bell": _Key(_bool),
}
_PROVIDER_KEYS: dict[str, dict[str, _Key]] = {
    "17track": {
        "api_key_env": _Key(_env_name),
        "api_key": _Key(_secret, _encode_secret),
        "base_url": _Key(_url),
        "user_agent": _Key(_user_agent),
    },
    "ems": {
        "base_url": _Key(_url),
        "user_agent": _Key(_user_agent),
    },
}
_PARCEL_KEYS = {
    "number": _Key(_number),
    "label": _Key(_string()),
    "note": _Key(_string()),
    "interval": _Key(_poll_interval, _encode_duration),
    "provider": _Key(_provider_id),
    "archived": _Key(_bool),
    "added": _Key(_date),
}
_ORDER_KEY = _Key(_provider_order)


def _default(cls: type, name: str) -> Any:
    for f in fields(cls):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            if f.default_factory is not MISSING:
                return f.default_factory()
    return MISSING


