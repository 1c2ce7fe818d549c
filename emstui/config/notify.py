"""The `[notify]` config section: which changes notify, and where they go.

Parsed from the raw TOML table so that the config loader only has to call `notify_problems`
(which names each bad key) and the notifier `parse_notify`. Imports nothing from the config
module, which imports this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emstui.core.durations import DurationError, parse_duration

# Status values that notify when a parcel turns into them; "any_event" notifies every new scan.
STATUS_TRIGGERS = ("delivered", "delivery_failed", "available_for_pickup", "in_customs",
                   "exception", "returned", "out_for_delivery", "expired")
# "stalled": no scan for longer than the stage's alert threshold (emstui.notify.stall).
TRIGGERS = (*STATUS_TRIGGERS, "stalled", "any_event")
DEFAULT_ON = ("delivered", "delivery_failed", "available_for_pickup", "in_customs",
              "exception", "returned")
TERMINAL_STYLES = ("osc9", "osc777")
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 600
KNOWN_KEYS = ("on", "command", "timeout", "terminal", "urls")


class NotifySettingError(Exception):
    """One bad `[notify]` value: `key` inside the section, the problem, and what to do."""

    def __init__(self, key: str, problem: str, hint: str | None = None) -> None:
        super().__init__(f"notify.{key}: {problem}")
        self.key = key
        self.problem = problem
        self.hint = hint


@dataclass(frozen=True, slots=True)
class NotifySettings:
    on: frozenset[str] = frozenset(DEFAULT_ON)
    command: str | tuple[str, ...] | None = None  # a string runs through /bin/sh; a list directly
    timeout: int = DEFAULT_TIMEOUT
    terminal: str | None = None  # "osc9" or "osc777" while the monitor is open
    urls: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """The configured targets, by name."""
        named = (("command", self.command is not None), ("terminal", self.terminal is not None),
                 ("urls", bool(self.urls)))
        return tuple(name for name, present in named if present)


def notify_problems(value: object) -> tuple[list[NotifySettingError], list[str]]:
    """(errors, unknown keys) for a raw `[notify]` table."""
    errors: list[NotifySettingError] = []
    try:
        _parse(value, errors)
    except NotifySettingError as exc:  # the section itself is not a table
        errors.append(exc)
    unknown = [key for key in value if key not in KNOWN_KEYS] if isinstance(value, Mapping) \
        else []
    return errors, unknown


def parse_notify(value: object) -> NotifySettings | None:
    """The settings, or None when there is no `[notify]` section. Raises the first problem."""
    if value is None:
        return None
    errors: list[NotifySettingError] = []
    settings = _parse(value, errors)
    if errors:
        raise errors[0]
    return settings


def _parse(value: object, errors: list[NotifySettingError]) -> NotifySettings:
    if not isinstance(value, Mapping):
        raise NotifySettingError("", "expected a table ([notify])")
    table: Mapping[str, Any] = value
    settings: dict[str, Any] = {}
    for key, reader in (("on", _on), ("command", _command), ("timeout", _timeout),
                        ("terminal", _terminal), ("urls", _urls)):
        if key in table:
            try:
                settings[key] = reader(table[key])
            except NotifySettingError as exc:
                errors.append(exc)
    return NotifySettings(**settings)


def _on(value: object) -> frozenset[str]:
    hint = f"Use a list of: {', '.join(TRIGGERS)}"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NotifySettingError("on", "expected a list of change names", hint)
    unknown = [v for v in value if v not in TRIGGERS]
    if unknown:
        raise NotifySettingError("on", f"unknown change {unknown[0]!r}", hint)
    return frozenset(value)


def _command(value: object) -> str | tuple[str, ...]:
    hint = ('e.g. command = "notify-send emstui \\"$EMSTUI_MESSAGE\\"" (run by /bin/sh) or a '
            'list such as ["ntfy", "publish", "mytopic"] (run directly)')
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise NotifySettingError("command", "expected a non-empty string or list of strings", hint)


def _timeout(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise NotifySettingError("timeout", "expected a duration such as \"30s\"")
    try:
        seconds = parse_duration(value, key="notify.timeout")
    except DurationError as exc:
        raise NotifySettingError("timeout", exc.problem) from None
    if seconds > MAX_TIMEOUT:
        raise NotifySettingError("timeout", f"at most {MAX_TIMEOUT // 60} minutes")
    return seconds


def _terminal(value: object) -> str | None:
    if value is True:
        return "osc9"
    if value is False:
        return None
    if isinstance(value, str) and value in TERMINAL_STYLES:
        return value
    raise NotifySettingError("terminal", "expected true, false, \"osc9\" or \"osc777\"",
                             "osc9 suits iTerm2, WezTerm, Windows Terminal, ghostty; osc777 "
                             "suits foot, rxvt-unicode, ghostty")


def _urls(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and "://" in v for v in value):
        raise NotifySettingError("urls", "expected a list of Apprise URLs (scheme://...)",
                                 "see https://github.com/caronc/apprise/wiki")
    return tuple(value)
