"""The settings and the watch list as typed values (`Config`, `Parcel`, `Secret`, ...)."""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from datetime import date, tzinfo
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from emstui.core import s10
from emstui.core.sources import DEFAULT_PROVIDER_ORDER, PROVIDER_IDS

DEFAULT_THEME = "emstui-dark"
CONCURRENCY_MIN, CONCURRENCY_MAX = 1, 16
# About 10,000 parcels with labels and notes. Beyond this, loading and every rewrite from the
# app take seconds (measured: 10 MB is ~3 s to load and ~1 s to write), so refuse clearly.
SECTIONS = ("refresh", "display", "providers", "keys", "notify", "parcels")





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
    archive_delivered_after: int | None = None  # None = "off": never archive by itself
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


def _index_of(config: Config, number: str) -> int | None:
    wanted = s10.normalize(number)
    return next((i for i, p in enumerate(config.parcels) if p.number == wanted), None)
