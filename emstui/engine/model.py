"""What the engine is told (the watched parcels, its settings) and what it answers (a pass's
report, the answer to "refresh now")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from emstui.engine.schedule import MIN_INTERVAL, Policy


@dataclass(frozen=True, slots=True)
class WatchItem:
    """One watched parcel as the engine sees it (built from the config's parcels)."""

    number: str
    interval: int | None = None
    provider: str | None = None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class EngineSettings:
    interval: int = 3600
    delivered_interval: int | None = None
    max_backoff: int = 7200
    order: tuple[str, ...] = ("17track", "ems")
    concurrency: int = 4
    backoff_base: float = 30.0
    min_interval: int = MIN_INTERVAL
    # What to do about a number no source in use tracks (services words it from the config).
    no_source_hint: str = "no source in use tracks this number"
    zone: tzinfo | None = UTC  # for times in messages; None: the machine's local zone

    @property
    def policy(self) -> Policy:
        return Policy(self.interval, self.delivered_interval, self.max_backoff,
                      self.min_interval)


@dataclass(slots=True)
class CycleReport:
    """What one refresh pass did."""

    started: datetime
    finished: datetime | None = None
    refreshed: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # number -> why, for parcels not refreshed
    requests: int = 0
    elsewhere: set[str] = field(default_factory=set)  # refreshed by another emstui process
    deadline: datetime | None = None  # pauses ending later are not waited for in this pass
    progressed: int = 0  # parcels of this pass counted as done in the engine's progress


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """The answer to "refresh now": what was queued, what was already running, what must wait."""

    queued: tuple[str, ...]
    in_progress: tuple[str, ...]
    waiting: dict[str, datetime]  # number -> when its provider accepts requests again
    blocked: dict[str, str]  # number -> why it cannot be refreshed at all (paused provider, ...)
