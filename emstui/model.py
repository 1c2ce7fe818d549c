"""The normalised tracking model shared by providers, the store, the engine and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """One normalised status per parcel (DESIGN.md section 4)."""

    NOT_FOUND = "not_found"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    IN_CUSTOMS = "in_customs"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    RETURNED = "returned"
    EXCEPTION = "exception"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def is_final(self) -> bool:
        return self in (Status.DELIVERED, Status.RETURNED)


class Stage(StrEnum):
    """Position in the journey; drives the progress bar. Declared in journey order."""

    NONE = "none"
    POSTED = "posted"
    EXPORT = "export"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    CUSTOMS = "customs"
    DELIVERY_OFFICE = "delivery_office"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"

    @property
    def index(self) -> int:
        return _STAGE_ORDER[self]

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def last_index(cls) -> int:
        return len(_STAGE_ORDER) - 1


_STAGE_ORDER: dict[Stage, int] = {stage: i for i, stage in enumerate(Stage)}


@dataclass(frozen=True, slots=True)
class Event:
    """One tracking event, already sanitised.

    `time_raw` is the time exactly as the source gave it. `time_local` is the parsed wall time
    (naive when the source gave no offset, aware when it did). `time_utc` is set only when the
    source made the instant unambiguous.
    """

    time_raw: str
    description: str
    location: str = ""
    provider: str = ""
    time_local: datetime | None = None
    time_utc: datetime | None = None
    code: str | None = None
    status: Status | None = None
    stage: Stage | None = None
    first_seen: datetime | None = None
    sources: tuple[str, ...] = ()  # every source that reported this scan; empty: just `provider`

    @property
    def reported_by(self) -> tuple[str, ...]:
        """Every source that reported this scan (see `emstui.timeline.event_identity`)."""
        return self.sources or ((self.provider,) if self.provider else ())


@dataclass(frozen=True, slots=True)
class Tracking:
    """What one provider said about one number at one moment. Events are newest first."""

    number: str
    provider: str
    status: Status
    stage: Stage
    events: tuple[Event, ...] = ()
    raw_status: str | None = None
    raw_sub_status: str | None = None
    carriers: tuple[str, ...] = ()
    fingerprint: str | None = None

    @property
    def latest(self) -> Event | None:
        return self.events[0] if self.events else None


@dataclass(slots=True)
class ParcelState:
    """The stored state of one watched parcel: the contract between store, engine and UI."""

    number: str
    status: Status = Status.UNKNOWN
    stage: Stage = Stage.NONE
    provider: str | None = None
    raw_status: str | None = None
    raw_sub_status: str | None = None
    last_event: Event | None = None
    event_count: int = 0
    unseen_count: int = 0
    last_checked: datetime | None = None
    last_changed: datetime | None = None
    last_error: str | None = None
    error_kind: str | None = None
    next_due: datetime | None = None
    backoff_level: int = 0
    first_seen: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
