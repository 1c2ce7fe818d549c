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


class ErrorKind(StrEnum):
    """Why a check failed: a whole request (the ProviderError kinds) or one number in it.

    Stored as its value (the store's `error_kind`, the quota record, `--once --json`)."""

    # a whole request to a source (ProviderError.kind)
    PROVIDER = "provider"
    AUTH = "auth"
    QUOTA = "quota"
    RATE_LIMITED = "rate_limited"
    TEMPORARY = "temporary"
    BAD_RESPONSE = "bad_response"
    ENDPOINT_GONE = "endpoint_gone"
    # one number (NumberError.kind), and the engine's own "no source can track this"
    NOT_FOUND = "not_found"
    NOT_REGISTERED = "not_registered"
    UNSUPPORTED = "unsupported"
    INVALID = "invalid"
    REJECTED = "rejected"
    NO_SOURCE = "no_source"

    @classmethod
    def parse(cls, value: str | None) -> ErrorKind | None:
        """A stored kind; one this version does not know reads as PROVIDER (a failure)."""
        if not value:
            return None
        try:
            return cls(value)
        except ValueError:
            return cls.PROVIDER


class HealthState(StrEnum):
    """A source's health as the engine reports it (and as a stored pause names it)."""

    OK = "ok"
    IDLE = "idle"
    BACKOFF = "backoff"
    OFFLINE = "offline"
    AUTH = "auth"
    QUOTA = "quota"
    GONE = "gone"



class PauseKind(StrEnum):
    """Why every process leaves a source alone for a while (a stored provider pause)."""

    BACKOFF = "backoff"
    RATELIMIT = "ratelimit"  # HTTP 429: the health says "backoff", the retry is a RateLimitedError
    OFFLINE = "offline"
    AUTH = "auth"
    QUOTA = "quota"
    GONE = "gone"

    @classmethod
    def parse(cls, value: str) -> PauseKind:
        """A stored pause's kind; one this version does not know reads as a backoff."""
        try:
            return cls(value)
        except ValueError:
            return cls.BACKOFF


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
        """Every source that reported this scan (see `emstui.core.timeline.event_identity`)."""
        return self.sources or ((self.provider,) if self.provider else ())


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    """What a source says about the shipment beyond its events (17TRACK's `track_info`).

    Every text is sanitised and bounded by the provider. `eta_from`/`eta_to` are the bounds of
    the estimated delivery window as the source wrote them (a calendar window in the
    destination's wall time: naive when no offset was given). Countries are ISO 3166 alpha-2.
    `sync_status`/`sync_time` describe the source's own last fetch from a carrier, for the leg
    in the worst shape (failing, else synced longest ago); `sync_carrier` names that carrier.
    """

    eta_from: datetime | None = None
    eta_to: datetime | None = None
    eta_source: str | None = None
    origin_country: str | None = None
    destination_country: str | None = None
    local_number: str | None = None
    local_provider: str | None = None
    sub_status_text: str | None = None
    sync_status: str | None = None
    sync_time: datetime | None = None
    sync_carrier: str | None = None

    @property
    def has_eta(self) -> bool:
        return self.eta_from is not None or self.eta_to is not None

    @property
    def sync_ok(self) -> bool | None:
        """True when the source says its last sync succeeded, False when not, None if unsaid."""
        if self.sync_status is None:
            return None
        return self.sync_status.casefold() == "success"


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
    facts: ShipmentFacts | None = None  # None: this source reports no such facts

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
    error_kind: ErrorKind | None = None
    next_due: datetime | None = None
    backoff_level: int = 0
    first_seen: datetime | None = None
    facts: ShipmentFacts | None = None  # the latest facts any source reported
    extra: dict[str, str] = field(default_factory=dict)
