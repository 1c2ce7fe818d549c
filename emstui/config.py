"""Load, validate, edit and safely rewrite emstui's TOML config: the settings and the watchlist.

Reading: ``load_config`` returns typed dataclasses and collects every problem at once; each
``ConfigError`` names the file, a line (and column for syntax errors) or a key path such as
``parcels[3].number``, what is wrong and what to do. Unknown keys produce warnings and are kept.

Writing: ``save_config`` renders only what the file held plus the changes (the user's own
spelling of unchanged values is kept), refuses to overwrite a file changed on disk since it was
read (``ConfigConflict``), and replaces the file atomically with a ``.bak`` of the previous
version. ``update_config`` is the load-edit-save helper the CLI and TUI use with the small edit
functions at the end of this module.
"""

from __future__ import annotations

import difflib
import errno
import functools
import hashlib
import hmac
import importlib.resources
import math
import os
import re
import stat
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime, time, tzinfo
from enum import Enum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tomli_w

from emstui import paths, s10
from emstui.atomic import atomic_write_bytes, backup_path, locked_dir
from emstui.durations import (
    DurationError,
    format_duration,
    parse_duration,
    parse_optional_duration,
)
from emstui.notify.settings import KNOWN_KEYS as KNOWN_NOTIFY_KEYS
from emstui.notify.settings import notify_problems
from emstui.schedule import MIN_INTERVAL

PROVIDER_IDS: tuple[str, ...] = ("17track", "ems")
DEFAULT_PROVIDER_ORDER: tuple[str, ...] = ("17track", "ems")
DEFAULT_THEME = "emstui-dark"
CONCURRENCY_MIN, CONCURRENCY_MAX = 1, 16
# About 10,000 parcels with labels and notes. Beyond this, loading and every rewrite from the
# app take seconds (measured: 10 MB is ~3 s to load and ~1 s to write), so refuse clearly.
MAX_CONFIG_BYTES = 2 * 1024 * 1024
SECTIONS = ("refresh", "display", "providers", "keys", "notify", "parcels")

_EXAMPLE_RESOURCE = "_data/config.example.toml"
_EXAMPLE_NAME = "config.example.toml"


# ---- errors ---------------------------------------------------------------------------------


class ConfigError(Exception):
    """A config problem: where (file, line/column or key path), what is wrong, what to do."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.key = key
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.describe())

    def describe(self, *, with_path: bool = True) -> str:
        parts: list[str] = []
        if with_path and self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
            parts.append(where)
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.key:
            parts.append(self.key)
        parts.append(self.problem)
        return _sentence(": ".join(parts), self.hint)

    def __str__(self) -> str:
        return self.describe()


class InvalidConfig(ConfigError):
    """Several problems found in one file; ``errors`` holds each of them."""

    MAX_LISTED = 50

    def __init__(self, path: Path, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} problems", path=path)

    def describe(self, *, with_path: bool = True) -> str:
        head = f"{self.path}: " if with_path and self.path is not None else ""
        lines = [f"{head}{len(self.errors)} problems:"]
        lines += [f"  {e.describe(with_path=False)}" for e in self.errors[: self.MAX_LISTED]]
        if len(self.errors) > self.MAX_LISTED:
            lines.append(f"  ... and {len(self.errors) - self.MAX_LISTED} more")
        return "\n".join(lines)


class ConfigConflict(ConfigError):
    """The file changed on disk since it was read; nothing was written."""


class ConfigWriteError(ConfigError):
    """The file or its directory could not be written (permissions, disk full, ...)."""


class DuplicateParcel(ConfigError):
    """The number is already in the watchlist; ``existing`` is that parcel."""

    def __init__(self, number: str, existing: Parcel, index: int) -> None:
        self.number = number
        self.existing = existing
        self.index = index
        known_as = f'as "{existing.label}"' if existing.label else "(without a label)"
        super().__init__(
            f"{number} is already in the watchlist {known_as}, parcels[{index}]",
            hint="Edit that entry instead of adding the number again",
        )


class ParcelNotFound(ConfigError):
    """No parcel with that number in the watchlist."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"{number} is not in the watchlist",
                         hint="`emstui list` shows the numbers it holds")


def _sentence(text: str, hint: str | None) -> str:
    if not hint:
        return text
    return f"{text}{' ' if text.endswith(('.', '?', '!')) else '. '}{hint}"


# ---- values ---------------------------------------------------------------------------------


class Secret:
    """A credential. repr() and str() never show it; ``reveal()`` does, for the request only."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a Secret holds a string")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # "leave this field as it is" in edit_parcel
_OMIT = object()  # an encoder's "do not write this key"


@dataclass
class Parcel:
    """One watched parcel. ``number`` is normalised (``EE123456785CN``)."""

    number: str
    label: str = ""
    note: str = ""
    interval: int | None = None  # seconds; None = refresh.interval
    provider: str | None = None  # None = providers.order
    archived: bool = False
    added: date | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        return self.label or self.number


@dataclass
class RefreshSettings:
    """``[refresh]``; durations in seconds."""

    interval: int = 3600
    delivered_interval: int | None = None  # None = "off": stop polling delivered parcels
    concurrency: int = 4
    max_backoff: int = 7200
    timeout: int = 20
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class DisplaySettings:
    """``[display]``."""

    theme: str = DEFAULT_THEME
    timezone: str = "local"
    show_archived: bool = False
    bell: bool = False
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def zone(self) -> tzinfo | None:
        """The configured zone, or None for the machine's local time."""
        return None if self.timezone == "local" else ZoneInfo(self.timezone)


@dataclass
class ProviderSettings:
    """``[providers.<id>]``. The key from ``api_key_env`` is read from the environment at load."""

    id: str
    api_key_env: str | None = None
    api_key: Secret | None = None  # written in the file itself
    base_url: str | None = None
    user_agent: str | None = None
    env_key: Secret | None = field(default=None, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> Secret | None:
        """The key to use: the environment variable's value when set, else ``api_key``."""
        return self.env_key or self.api_key


# Read when the config names no variable (api_key_env), so the starter config, which names
# nothing, works with the variable the docs and messages mention.
DEFAULT_KEY_ENV: dict[str, str] = {"17track": "EMSTUI_17TRACK_KEY"}


def key_env_name(settings: ProviderSettings) -> str | None:
    """The environment variable the provider's key is read from."""
    return settings.api_key_env or DEFAULT_KEY_ENV.get(settings.id)


def _read_env_key(settings: ProviderSettings) -> ProviderSettings:
    name = key_env_name(settings)
    from_env = os.environ.get(name, "").strip() if name else ""
    settings.env_key = Secret(from_env) if from_env else None
    return settings


def _default_providers() -> dict[str, ProviderSettings]:
    return {pid: _read_env_key(ProviderSettings(id=pid)) for pid in PROVIDER_IDS}


@dataclass
class Config:
    """The whole config file, typed. ``fingerprint`` is the sha256 of the bytes read."""

    path: Path
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    provider_order: list[str] = field(default_factory=lambda: list(DEFAULT_PROVIDER_ORDER))
    providers: dict[str, ProviderSettings] = field(default_factory=_default_providers)
    keys: dict[str, str] = field(default_factory=dict)
    parcels: list[Parcel] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    providers_extra: dict[str, Any] = field(default_factory=dict, repr=False)
    warnings: list[str] = field(default_factory=list)
    exists: bool = False
    fingerprint: str | None = None
    # Set by update_config: the file held someone else's changes when the edit was applied.
    changed_on_disk: bool = False
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def parcel(self, number: str) -> Parcel | None:
        """The parcel with this number, however it is typed (spaces, lower case)."""
        index = _index_of(self, number)
        return None if index is None else self.parcels[index]

    def provider_key(self, provider_id: str) -> Secret | None:
        settings = self.providers.get(provider_id)
        return settings.key if settings is not None else None


# ---- schema ---------------------------------------------------------------------------------


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


def _url(value: Any, key: str) -> str:
    from emstui.providers.http import check_base_url  # the providers' own rule, checked early

    url = _string("an https:// URL")(value, key)
    try:
        return check_base_url(url, setting="the URL")
    except ValueError as error:
        raise _Bad(str(error)) from None


def _user_agent(value: Any, key: str) -> str:
    from emstui.providers.http import check_user_agent

    agent = _string("a User-Agent string")(value, key)
    try:
        return check_user_agent(agent, setting="the User-Agent")
    except ValueError as error:
        raise _Bad(str(error)) from None


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
# warnings: remember the last few, so a 20,000-parcel config does not parse 40,000 times.
_parse_number = functools.lru_cache(maxsize=256)(s10.parse)


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


# ---- reading --------------------------------------------------------------------------------


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the config; a missing file gives the defaults with ``exists=False``.

    ``path`` is resolved like ``--config`` (None: ``$EMSTUI_CONFIG``, then the platform
    default). Raises ConfigError (InvalidConfig when there are several problems).
    """
    path = paths.config_path(path)
    data = _read_bytes(path)
    if data is None:
        return _Loader(path, "").build({})  # the defaults, keys from the environment checked
    text = _decode_utf8(path, data)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, error) from None
    config = _Loader(path, text).build(document)
    config.exists = True
    config.fingerprint = _fingerprint(data)
    return config


def _read_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist; readable errors for everything else."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if info.st_size > MAX_CONFIG_BYTES:
                raise _too_big(path, info.st_size)
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(
            "this is a directory, not a config file", path=path,
            hint=f"Point --config (or EMSTUI_CONFIG) at a file, such as {path / 'config.toml'}",
        ) from None
    except PermissionError:
        raise ConfigError(
            "cannot read the file: permission denied", path=path,
            hint=f"Check its owner and mode (ls -l {path}); emstui needs to read it",
        ) from None
    except NotADirectoryError:
        raise ConfigError("a part of this path is a file, not a directory", path=path) from None
    except OSError as error:
        raise ConfigError(f"cannot read the file: {error.strerror or error}", path=path) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise _too_big(path, None)
    return data


def _too_big(path: Path, size: int | None) -> ConfigError:
    limit = f"{MAX_CONFIG_BYTES / 1_048_576:g} MB"
    found = f"{size / 1_048_576:.1f} MB" if size is not None else f"more than {limit}"
    return ConfigError(
        f"the file is {found}; emstui reads config files up to {limit} (about 10,000 parcels)",
        path=path,
        hint="Remove parcels you no longer need from it, or if it was not meant to be this "
        f"large, restore {backup_path(path).name}",
    )


def _decode_utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # tolerate the BOM some Windows editors add
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start:error.start].decode("utf-8", errors="replace")) + 1
        raise ConfigError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x})",
            path=path, line=line, column=column,
            hint="Save the file as UTF-8 (for example: iconv -f LATIN1 -t UTF-8)",
        ) from None


_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def _syntax_error(path: Path, error: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(error)
    match = _TOML_POSITION_RE.search(message)
    line = column = None
    if match and match.group(1):
        line, column = int(match.group(1)), int(match.group(2))
    if match:
        message = message[: match.start()] + message[match.end():]
    where = "" if line is not None else " (at the end of the file)"
    return ConfigError(
        f"invalid TOML: {message}{where}", path=path, line=line, column=column,
        hint='Fix the syntax there. Common causes: text without quotes (label = "Tea"), '
        "a missing closing quote or bracket, or the same key or [table] twice",
    )


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Loader:
    """Turns a parsed document into a Config, collecting every error and warning."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[ConfigError] = []
        self.warnings: list[str] = []
        self._lines: dict[str, int] | None = None

    def build(self, doc: dict[str, Any]) -> Config:
        config = Config(path=self.path, source=doc)
        for name, value in doc.items():
            if name == "refresh":
                config.refresh = self._section(RefreshSettings, _REFRESH_KEYS, value, name)
            elif name == "display":
                config.display = self._section(DisplaySettings, _DISPLAY_KEYS, value, name)
            elif name == "providers":
                self._providers(config, value)
            elif name == "keys":
                config.keys = self._keys(value)
            elif name == "parcels":
                config.parcels = self._parcels(value)
            elif name == "notify":
                config.extra[name] = value  # kept as written; emstui.notify reads it
                self._notify(value)
            else:
                config.extra[name] = value
                self._unknown(name, name, SECTIONS)
        self._check_env_keys(config)
        self._check_key_file_mode(config)
        config.warnings = self.warnings
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidConfig(self.path, self.errors)
        return config

    # -- sections

    def _notify(self, value: Any) -> None:
        errors, unknown = notify_problems(value)
        for problem in errors:
            key = f"notify.{problem.key}" if problem.key else "notify"
            self.error(key, _Bad(problem.problem, problem.hint))
        for name in unknown:
            self._unknown(f"notify.{name}", name, KNOWN_NOTIFY_KEYS)

    def _table(
        self, value: Any, key: str, what: str, hint: str | None = None
    ) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error(key, _Bad(f"expected {what}, got {_got(value)}", hint))
        return None

    def _read(
        self, table: dict[str, Any], spec: dict[str, _Key], prefix: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, raw in table.items():
            key = f"{prefix}.{name}"
            if name not in spec:
                extra[name] = raw
                continue
            try:
                values[name] = spec[name].decode(raw, key)
            except _Bad as bad:
                self.error(key, bad)
        return values, extra

    def _section(self, cls: type, spec: dict[str, _Key], value: Any, name: str) -> Any:
        table = self._table(value, name, f"a table: a [{name}] section")
        if table is None:
            return cls()
        values, extra = self._read(table, spec, name)
        for key in extra:
            self._unknown(f"{name}.{key}", key, spec)
        return cls(**values, extra=extra, source=table)

    def _providers(self, config: Config, value: Any) -> None:
        table = self._table(value, "providers", "a table: a [providers] section")
        if table is None:
            return
        for name, raw in table.items():
            key = f"providers.{name}"
            if name == "order":
                try:
                    config.provider_order = _ORDER_KEY.decode(raw, key)
                except _Bad as bad:
                    self.error(key, bad)
            elif name in PROVIDER_IDS:
                section = self._table(raw, key, f"a table: a [{key}] section")
                if section is not None:
                    config.providers[name] = self._provider(name, section)
            else:
                config.providers_extra[name] = raw
                self._unknown(key, name, ("order", *PROVIDER_IDS))

    def _provider(self, pid: str, table: dict[str, Any]) -> ProviderSettings:
        spec = _PROVIDER_KEYS[pid]
        values, extra = self._read(table, spec, f"providers.{pid}")
        for key in extra:
            self._unknown(f"providers.{pid}.{key}", key, spec)
        return _read_env_key(ProviderSettings(id=pid, **values, extra=extra, source=table))

    def _check_env_keys(self, config: Config) -> None:
        """A key from the environment that no HTTP header can carry is a config error here,
        naming the variable, not a "network error" (or an 'ascii' codec crash) later."""
        for pid, settings in config.providers.items():
            key = settings.env_key.reveal() if settings.env_key else ""
            problem = key_problem(key) if key else None
            if problem:
                self.error(f"providers.{pid}.api_key_env", _Bad(
                    f"the environment variable {key_env_name(settings)}: {problem}", _KEY_HINT))
                settings.env_key = None

    def _keys(self, value: Any) -> dict[str, str]:
        table = self._table(value, "keys", "a table: a [keys] section of binding = \"key\"")
        if table is None:
            return {}
        keys: dict[str, str] = {}
        for binding, key in table.items():
            if isinstance(key, str):
                keys[binding] = key
            else:
                self.error(f"keys.{binding}",
                           _Bad(f'expected a key name such as "ctrl+r", got {_got(key)}'))
        return keys

    def _parcels(self, value: Any) -> list[Parcel]:
        how = 'Write each parcel as a [[parcels]] block with number = "..." ' \
              "(see config.example.toml)"
        if not isinstance(value, list):
            self.error("parcels", _Bad(f"expected [[parcels]] entries, got {_got(value)}", how))
            return []
        parcels: list[Parcel] = []
        seen: dict[str, tuple[int, str]] = {}
        unknown: Counter[str] = Counter()
        first_unknown: dict[str, int] = {}
        for index, entry in enumerate(value):
            prefix = f"parcels[{index}]"
            table = self._table(entry, prefix, "a table: a [[parcels]] entry", how)
            if table is None:
                continue
            values, extra = self._read(table, _PARCEL_KEYS, prefix)
            for key in extra:
                unknown[key] += 1
                first_unknown.setdefault(key, index)
            if "number" not in table:
                self.error(prefix, _Bad("this entry has no number",
                                        'Add number = "..." or remove the entry'))
            if "number" not in values:
                continue
            parcel = Parcel(**values, extra=extra, source=table)
            if parcel.number in seen:
                self._duplicate(parcel, index, *seen[parcel.number])
                continue
            seen[parcel.number] = (index, parcel.label)
            self._parcel_warnings(parcel, prefix)
            parcels.append(parcel)
        for key, count in unknown.items():
            also = f" (and in {count - 1} more entries)" if count > 1 else ""
            self._unknown(f"parcels[{first_unknown[key]}].{key}", key, _PARCEL_KEYS, also)
        return parcels

    def _duplicate(self, parcel: Parcel, index: int, first: int, first_label: str) -> None:
        def named(i: int, label: str) -> str:
            line = self.line_of(f"parcels[{i}]")
            details = [f'"{label}"' if label else "no label"]
            if line is not None:
                details.append(f"line {line}")
            return f"parcels[{i}] ({', '.join(details)})"

        self.error(
            f"parcels[{index}].number",
            _Bad(f"{parcel.number} is listed twice: {named(first, first_label)} and "
                 f"{named(index, parcel.label)}",
                 "Remove one of the two entries (copy its label and note to the other first "
                 "if they matter)"),
        )

    def _parcel_warnings(self, parcel: Parcel, prefix: str) -> None:
        number = _parse_number(parcel.number)
        for warning in number.warnings:
            self.warn(f"{prefix}.number", f"{parcel.number}: {warning}")
        if parcel.provider == "ems" and not number.is_ems:
            self.warn(f"{prefix}.provider",
                      f'"ems" tracks only EMS items (S10 numbers starting with E) and '
                      f"{parcel.number} is not one, so it will never update. Remove the "
                      f'provider line, or use provider = "17track"')

    def _check_key_file_mode(self, config: Config) -> None:
        holds_key = any(p.api_key is not None for p in config.providers.values())
        if not holds_key or os.name != "posix":
            return
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return
        if mode & 0o077:
            self.warn("providers.17track.api_key",
                      f"the file holds an API key but other users can read it (mode "
                      f"{mode:04o}). Run: chmod 600 {self.path}")

    # -- reporting

    def error(self, key: str, bad: _Bad) -> None:
        key = key + bad.at
        self.errors.append(ConfigError(bad.problem, path=self.path, key=key,
                                       line=self.line_of(key), hint=bad.hint))

    def warn(self, key: str, message: str) -> None:
        line = self.line_of(key)
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        self.warnings.append(f"{where}: {key}: {message}")

    def _unknown(self, key: str, name: str, known: Iterable[str], also: str = "") -> None:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        self.warn(key, f"unknown key{also}{hint}; kept as is")

    def line_of(self, key: str) -> int | None:
        """Best-effort line of a key path; the nearest enclosing table's when not found."""
        if self._lines is None:
            self._lines = _key_lines(self.text)
        while key:
            if key in self._lines:
                return self._lines[key]
            shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", key)
            if shorter == key:
                break
            key = shorter
        return None


_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_AOT_RE = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_TABLE_RE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ASSIGN_RE = re.compile(rf"\s*({_DOTTED})\s*=")


def _key_lines(text: str) -> dict[str, int]:
    """Map key paths (``parcels[2].number``) to their first line, for error messages."""
    def dotted(raw: str) -> str:
        return ".".join(p.strip("\"'") for p in re.findall(_KEY_PART, raw))

    lines: dict[str, int] = {}
    counts: Counter[str] = Counter()
    prefix = ""
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            in_multiline = (line.count('"""') + line.count("'''")) % 2 == 0
            continue
        if match := _AOT_RE.match(line):
            name = dotted(match.group(1))
            prefix = f"{name}[{counts[name]}]"
            counts[name] += 1
            lines.setdefault(name, number)
        elif match := _TABLE_RE.match(line):
            prefix = dotted(match.group(1))
        elif match := _ASSIGN_RE.match(line):
            name = dotted(match.group(1))
            lines.setdefault(f"{prefix}.{name}" if prefix else name, number)
            in_multiline = (line.count('"""') + line.count("'''")) % 2 == 1
            continue
        else:
            continue
        lines.setdefault(prefix, number)
    return lines


def key_line(config: Config, key: str) -> int | None:
    """The line of a key path (``parcels[2].number``) in the file ``config`` was read from."""
    try:
        text = config.path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return _Loader(config.path, text).line_of(key)


# ---- writing --------------------------------------------------------------------------------


HEADER_FIRST_LINE = "# emstui configuration. `emstui config example` prints every key, explained."


def _header(path: Path) -> str:
    return (
        f"{HEADER_FIRST_LINE}\n"
        "# emstui rewrites this file when you add, edit, archive or remove parcels or change\n"
        "# the theme from the app or the command line, and comments are NOT kept when it does:\n"
        "# put what you want to remember about a parcel in its `label` and `note`.\n"
        f"# The previous version is kept next to this file as {backup_path(path).name}; the\n"
        f"# file as you first wrote it, comments included, as {original_path(path).name}.\n\n"
    )


def original_path(path: Path) -> Path:
    """Where the hand-written file is kept the first time emstui rewrites it."""
    return path.with_name(path.name + ".orig")


def _keep_original(target: Path, current: bytes | None) -> None:
    """Copy a file emstui has never rewritten (no header yet) to ``.orig``, once."""
    if current is None or not current.strip():
        return
    if current.decode("utf-8", "replace").lstrip("\ufeff").startswith(HEADER_FIRST_LINE):
        return
    keep = original_path(target)
    if keep.exists() or keep.is_symlink():
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o600
    atomic_write_bytes(keep, current, mode=mode, backup=False)


def dumps_config(config: Config) -> str:
    """The file text save_config writes: a header, then the settings and parcels as TOML."""
    document = _document(config)
    parcels = document.pop("parcels", None)
    body = tomli_w.dumps(document, multiline_strings=True)
    if parcels:
        # tomli_w writes short entries as an inline array; a padding entry too long to inline
        # makes it use [[parcels]] blocks, and is cut off again below.
        pad = {"_": "x" * 200}
        rendered = tomli_w.dumps({"parcels": [*parcels, pad]}, multiline_strings=True)
        rendered = rendered[: rendered.rindex("\n[[parcels]]\n")].rstrip("\n") + "\n"
        body = f"{body}\n{rendered}" if body else rendered
        document["parcels"] = parcels
    text = _header(config.path) + body
    if not _same(tomllib.loads(text), document):  # never write what would not read back
        raise ConfigError("internal error: the rendered config does not read back the same; "
                          "nothing was written", path=config.path)
    return text


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _document(config: Config) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    source = config.source
    sections: dict[str, Callable[[], Any]] = {
        "refresh": lambda: _dump(config.refresh, _REFRESH_KEYS),
        "display": lambda: _dump(config.display, _DISPLAY_KEYS),
        "providers": lambda: _dump_providers(config),
        "keys": lambda: dict(config.keys),
        "parcels": lambda: [_dump(p, _PARCEL_KEYS) for p in config.parcels],
    }
    for name in dict.fromkeys([*source, *SECTIONS, *config.extra]):
        if name == "parcels":
            continue  # always last, so the [[parcels]] blocks end the file
        if name in sections:
            value = sections[name]()
            if value or name in source:
                doc[name] = value
        elif name in config.extra:
            doc[name] = config.extra[name]
    if config.parcels:
        doc["parcels"] = sections["parcels"]()
    return doc


def _dump(obj: Any, spec: dict[str, _Key]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in dict.fromkeys([*obj.source, *spec, *obj.extra]):
        if name in spec:
            _emit(out, name, getattr(obj, name), _default(type(obj), name), spec[name],
                  obj.source)
        elif name in obj.extra:
            out[name] = obj.extra[name]
    return out


def _emit(out: dict[str, Any], name: str, value: Any, default: Any, key: _Key,
          source: dict[str, Any]) -> None:
    if name in source:
        try:
            if key.decode(source[name], name) == value:
                out[name] = source[name]  # unchanged: keep the user's spelling ("90m", "ee 1..")
                return
        except _Bad:
            pass
    elif value == default:
        return
    encoded = key.encode(value)
    if encoded is not _OMIT:
        out[name] = encoded


def _dump_providers(config: Config) -> dict[str, Any]:
    source = config.source.get("providers")
    source = source if isinstance(source, dict) else {}
    out: dict[str, Any] = {}
    for name in dict.fromkeys([*source, "order", *PROVIDER_IDS, *config.providers_extra]):
        if name == "order":
            _emit(out, name, config.provider_order, list(DEFAULT_PROVIDER_ORDER), _ORDER_KEY,
                  source)
        elif name in PROVIDER_IDS:
            settings = config.providers.get(name, ProviderSettings(id=name))
            table = _dump(settings, _PROVIDER_KEYS[name])
            if table or name in source:
                out[name] = table
        elif name in config.providers_extra:
            out[name] = config.providers_extra[name]
    return out


def save_config(config: Config, *, expected: str | _Keep | None = KEEP) -> str:
    """Write ``config`` to ``config.path`` safely; return the new fingerprint.

    Refuses (ConfigConflict) when the file on disk no longer has the fingerprint ``expected``
    (default: the one it had when loaded). The file is replaced atomically, the previous
    version kept as ``.bak``, the mode set to 0600 when it holds an API key. A symlinked config
    is written through to its target. Failures raise ConfigError and leave the file unchanged.
    """
    if expected is KEEP:
        expected = config.fingerprint
    target = Path(os.path.realpath(config.path)) if config.path.is_symlink() else config.path
    data = dumps_config(config).encode("utf-8")
    holds_key = any(p.api_key is not None for p in config.providers.values())
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ConfigWriteError(
            f"cannot create the directory {target.parent}: {error.strerror or error}",
            path=config.path, hint=_where_instead(),
        ) from None
    with locked_dir(target.parent):
        current = _read_bytes(target)
        if (None if current is None else _fingerprint(current)) != expected:
            raise ConfigConflict(
                "the file changed on disk since emstui read it (saved from an editor or "
                "another emstui?); nothing was written",
                path=config.path, hint="Reload it and make the change again",
            )
        if current != data:
            try:
                _keep_original(target, current)
                atomic_write_bytes(target, data, mode=0o600 if holds_key else None)
            except OSError as error:
                raise _write_error(config.path, target, error) from None
    config.fingerprint = _fingerprint(data)
    config.exists = True
    return config.fingerprint


def _where_instead() -> str:
    return "Make it writable, or point --config (or EMSTUI_CONFIG) at a file somewhere writable"


def _write_error(path: Path, target: Path, error: OSError) -> ConfigError:
    cause = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        hint = "Free some disk space and try again"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"The directory {target.parent} is not writable. {_where_instead()}"
    else:
        hint = None
    return ConfigWriteError(f"could not save: {cause}; the file was left unchanged",
                            path=path, hint=hint)


def update_config(
    path: str | Path | None, edit: Callable[[Config], object], *, expected: str | None
) -> Config:
    """Load, apply ``edit``, save; return the saved config.

    ``expected`` is the fingerprint of the config the caller last read. The edit is always
    applied to what is on disk now, so changes saved meanwhile (by an editor or another emstui)
    are kept; ``changed_on_disk`` on the result tells the caller to refresh its view. If the
    file changes between this load and the save, it is reloaded and ``edit`` applied once
    more, so ``edit`` must work on any config (the edit functions below do).
    """
    config = load_config(path)
    changed = config.fingerprint != expected
    edit(config)
    try:
        save_config(config)
    except ConfigConflict:
        config = load_config(path)
        changed = True
        edit(config)
        save_config(config)
    config.changed_on_disk = changed
    return config


def init_config(path: str | Path | None = None) -> Path:
    """Write the starter config (watches nothing) to ``path``; never replaces anything."""
    target = paths.config_path(path)
    if target.is_dir():
        raise ConfigError(
            "this is a directory, not a config file; nothing was written", path=target,
            hint=f"Give a file name instead, such as {target / paths.CONFIG_FILENAME}")
    if target.exists() or target.is_symlink():
        raise ConfigError("the file already exists; it was not changed", path=target,
                          hint="Edit it, or move it aside first")
    try:
        atomic_write_bytes(target, starter_config_text().encode("utf-8"), backup=False)
    except OSError as error:
        raise _write_error(target, target, error) from None
    return target


STARTER_HEADER = """\
# emstui starter configuration: it watches nothing yet.
#
# Start watching a parcel with `emstui add EE123456785CN --label "Tea"`, or press `a` in the
# monitor (`emstui`). Every setting below is commented out and shows its default: to change
# one, remove the leading "# " of its line and of its [section] line.
# `emstui config example` prints this reference again; `emstui config validate` checks the file.
# The first time emstui rewrites this file (add, edit, remove, theme) it keeps this version,
# comments included, as config.toml.orig.
#
"""


def starter_config_text() -> str:
    """The example config with every setting and parcel commented out, under a short header."""
    lines = []
    for line in example_config_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append(f"# {line}")
        else:
            lines.append(line)
    body = "\n".join(lines)
    # The example's own opening comment block describes the reference: keep from the first
    # section on, under the starter's header.
    start = body.find("# [")
    return STARTER_HEADER + "\n" + (body[start:] if start >= 0 else body) + "\n"


def example_config_text() -> str:
    """The commented reference config: bundled in the wheel, or at the source checkout's root."""
    try:
        resource = importlib.resources.files("emstui").joinpath(_EXAMPLE_RESOURCE)
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        pass
    checkout = Path(__file__).resolve().parent.parent / _EXAMPLE_NAME
    try:
        return checkout.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{_EXAMPLE_NAME} is missing from this installation (looked for "
            f"emstui/{_EXAMPLE_RESOURCE} and {checkout})"
        ) from None


# ---- edits (pure changes to a Config, shared by the CLI and the TUI) -------------------------


def _index_of(config: Config, number: str) -> int | None:
    wanted = s10.normalize(number)
    return next((i for i, p in enumerate(config.parcels) if p.number == wanted), None)


def _require(config: Config, number: str) -> int:
    index = _index_of(config, number)
    if index is None:
        raise ParcelNotFound(s10.normalize(number))
    return index


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {_toml_type(value)}")
    return value


def _check_interval(value: int | str | None) -> int | None:
    if value is None:
        return None
    seconds = parse_duration(value, key="interval")
    if problem := _too_often(seconds):
        raise ValueError(f"interval {problem}; use {format_duration(MIN_INTERVAL)} or more")
    return seconds


def check_interval(value: int | str) -> int:
    """Seconds for a parcel interval typed by the user; ValueError when unusable or too short."""
    seconds = _check_interval(value)
    assert seconds is not None
    return seconds


def _check_provider(value: str | None) -> str | None:
    if value is not None and value not in PROVIDER_IDS:
        raise ValueError(f"unknown provider {value!r}: use one of {', '.join(PROVIDER_IDS)}")
    return value


def add_parcel(
    config: Config,
    number: str,
    *,
    label: str = "",
    note: str = "",
    interval: int | str | None = None,
    provider: str | None = None,
    added: date | None = None,
) -> Parcel:
    """Append a parcel. Raises s10.InvalidNumber, DuplicateParcel, or ValueError for a field."""
    value = s10.parse(number).value
    index = _index_of(config, value)
    if index is not None:
        raise DuplicateParcel(value, config.parcels[index], index)
    parcel = Parcel(
        number=value,
        label=_check_text(label, "label"),
        note=_check_text(note, "note"),
        interval=_check_interval(interval),
        provider=_check_provider(provider),
        added=added,
    )
    config.parcels.append(parcel)
    return parcel


def remove_parcel(config: Config, number: str) -> Parcel:
    """Remove and return the parcel; ParcelNotFound when it is not there."""
    return config.parcels.pop(_require(config, number))


def set_archived(config: Config, number: str, archived: bool = True) -> Parcel:
    parcel = config.parcels[_require(config, number)]
    parcel.archived = bool(archived)
    return parcel


def edit_parcel(
    config: Config,
    number: str,
    *,
    new_number: str | Literal[_Keep.KEEP] = KEEP,
    label: str | Literal[_Keep.KEEP] = KEEP,
    note: str | Literal[_Keep.KEEP] = KEEP,
    interval: int | str | Literal[_Keep.KEEP] | None = KEEP,
    provider: str | Literal[_Keep.KEEP] | None = KEEP,
) -> Parcel:
    """Change the given fields (KEEP leaves one as it is; None clears interval/provider)."""
    index = _require(config, number)
    parcel = config.parcels[index]
    if new_number is not KEEP:
        value = s10.parse(new_number).value
        other = _index_of(config, value)
        if other is not None and other != index:
            raise DuplicateParcel(value, config.parcels[other], other)
        parcel.number = value
    if label is not KEEP:
        parcel.label = _check_text(label, "label")
    if note is not KEEP:
        parcel.note = _check_text(note, "note")
    if interval is not KEEP:
        parcel.interval = _check_interval(interval)
    if provider is not KEEP:
        parcel.provider = _check_provider(provider)
    return parcel


def set_theme(config: Config, theme: str) -> None:
    if not isinstance(theme, str) or not theme.strip():
        raise ValueError("a theme name must be non-empty text")
    config.display.theme = theme
