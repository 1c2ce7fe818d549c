"""Typed change events the refresh engine announces to its consumers (the TUI, `--once`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from emstui.core.model import Event, ParcelState, Status
from emstui.engine.health import ProviderHealth


@dataclass(frozen=True, slots=True)
class RefreshStarted:
    """The engine began refreshing these parcels (they show as in progress)."""

    numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParcelUpdated:
    """A parcel's stored state changed: new result, new error, or a new next-check time."""

    number: str
    state: ParcelState
    new_events: tuple[Event, ...] = ()
    old_status: Status | None = None
    status_changed: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderStateChanged:
    """A provider's health changed (ok, backing off until, offline, key problem, quota...)."""

    health: ProviderHealth


@dataclass(frozen=True, slots=True)
class CycleFinished:
    """One refresh pass ended; `next_wake` is when the engine will next look for due parcels."""

    started: datetime
    finished: datetime
    refreshed: int
    failed: int
    next_wake: datetime | None


Change = RefreshStarted | ParcelUpdated | ProviderStateChanged | CycleFinished
