"""How values are stored in SQLite columns and read back: fixed-width UTC text, caps on stored
text, and status/stage values a newer emstui may have written."""

from __future__ import annotations

from datetime import UTC, datetime

from emstui.core.model import Stage, Status

# Stored text is bounded: remote text is sanitised upstream, but a hostile page could still be big.
MAX_DESCRIPTION = 2000
MAX_LOCATION = 300
MAX_TIME_RAW = 100
MAX_SHORT = 64  # provider ids, UPU codes, error kinds
MAX_RAW_STATUS = 300
MAX_ERROR = 2000
MAX_FINGERPRINT = 256
MAX_CARRIERS = 500
MAX_SOURCES = 8  # sources named per event
MAX_SOURCES_TEXT = 600
MAX_FACT = 200  # each shipment fact (ETA source, last-mile number and carrier, sync status...)


_STATUSES = {status.value: status for status in Status}
_STAGES = {stage.value: stage for stage in Stage}


def _status(value: str) -> Status:
    return _STATUSES.get(value, Status.UNKNOWN)  # unknown: written by a newer emstui


def _stage(value: str) -> Stage:
    return _STAGES.get(value, Stage.NONE)


def _utc_text(when: datetime) -> str:
    """Fixed-width ISO-8601 UTC, so text order is time order."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: the store needs timezone-aware times")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _parse_local(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)  # naive stays naive, an offset is restored
    except (TypeError, ValueError):
        return None


def _cap(text: str, limit: int) -> str:
    return text[:limit]


def _cap_opt(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]
