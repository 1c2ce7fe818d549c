"""Parcels, events and shipment facts as stored rows: the column lists, the values written for
a model object, and the model object read back from a row."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from emstui.core.model import ErrorKind, Event, ParcelState, ShipmentFacts, Stage, Status
from emstui.core.timeline import event_identity
from emstui.store.columns import (
    MAX_DESCRIPTION,
    MAX_FACT,
    MAX_LOCATION,
    MAX_SHORT,
    MAX_SOURCES,
    MAX_SOURCES_TEXT,
    MAX_TIME_RAW,
    _cap,
    _cap_opt,
    _parse_local,
    _parse_utc,
    _stage,
    _status,
    _utc_text,
)

_EVENT_COLS = ("time_raw, description, location, provider, time_local, time_utc, code, status, "
               "stage, first_seen, sources")
_PARCEL_COLS = ("p.number, p.status, p.stage, p.provider, p.raw_status, p.raw_sub_status, "
                "p.carriers, p.fingerprint, p.last_checked, p.last_changed, p.last_error, "
                "p.error_kind, p.next_due, p.backoff_level, p.first_seen, p.event_count, "
                "p.facts_at, p.eta_from, p.eta_to, p.eta_source, p.origin_country, "
                "p.destination_country, p.local_number, p.local_provider, p.sub_status_text, "
                "p.sync_status, p.sync_time, p.sync_carrier")
_FACT_COLS = ("eta_from", "eta_to", "eta_source", "origin_country", "destination_country",
              "local_number", "local_provider", "sub_status_text", "sync_status", "sync_time",
              "sync_carrier")


def _identity(event: Event) -> bytes:
    # 128 bits of SHA-256: collisions are out of reach, and the unique index stays small.
    return hashlib.sha256(json.dumps(event_identity(event)).encode()).digest()[:16]


def _reporters(event: Event, provider: str) -> list[str]:
    return [_cap(s, MAX_SHORT) for s in event.reported_by] or [_cap(provider, MAX_SHORT)]


@functools.lru_cache(maxsize=256)
def _sources(text: str | None) -> tuple[str, ...]:
    """The stored sources (a JSON list); anything unreadable counts as none. Cached: a store
    holds a handful of distinct lists ('["ems"]', '["17track", "ems"]'), read once per row."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(s for s in value if isinstance(s, str)) if isinstance(value, list) else ()


def _sources_text(sources: Sequence[str]) -> str:
    return _cap(json.dumps(list(sources)[:MAX_SOURCES]), MAX_SOURCES_TEXT)


def _event_values(event: Event, provider: str, first_seen: str) -> tuple[Any, ...]:
    """Column values in _EVENT_COLS order."""
    time_utc = event.time_utc
    if time_utc is not None and time_utc.tzinfo is None:
        time_utc = time_utc.replace(tzinfo=UTC)  # a provider's UTC without tzinfo is still UTC
    return (_cap(event.time_raw, MAX_TIME_RAW), _cap(event.description, MAX_DESCRIPTION),
            _cap(event.location, MAX_LOCATION), _cap(event.provider or provider, MAX_SHORT),
            None if event.time_local is None else event.time_local.isoformat(),
            None if time_utc is None else _utc_text(time_utc),
            _cap_opt(event.code, MAX_SHORT),
            None if event.status is None else event.status.value,
            None if event.stage is None else event.stage.value, first_seen,
            _sources_text(_reporters(event, provider)))


def _row_to_event(row: Sequence[Any]) -> Event:
    (time_raw, description, location, provider, time_local, time_utc, code, status, stage,
     first_seen, sources) = row
    return Event(time_raw=time_raw or "", description=description or "",
                 location=location or "", provider=provider or "",
                 time_local=_parse_local(time_local), time_utc=_parse_utc(time_utc),
                 code=code, status=None if status is None else _status(status),
                 stage=None if stage is None else _stage(stage),
                 first_seen=_parse_utc(first_seen), sources=_sources(sources))


def _fact_values(facts: ShipmentFacts) -> tuple[str | None, ...]:
    """Column values in _FACT_COLS order."""
    def local(when: datetime | None) -> str | None:
        return None if when is None else when.isoformat()

    return (local(facts.eta_from), local(facts.eta_to),
            _cap_opt(facts.eta_source, MAX_FACT), _cap_opt(facts.origin_country, MAX_SHORT),
            _cap_opt(facts.destination_country, MAX_SHORT),
            _cap_opt(facts.local_number, MAX_FACT), _cap_opt(facts.local_provider, MAX_FACT),
            _cap_opt(facts.sub_status_text, MAX_FACT), _cap_opt(facts.sync_status, MAX_FACT),
            None if facts.sync_time is None else _utc_text(
                facts.sync_time if facts.sync_time.tzinfo else facts.sync_time.replace(
                    tzinfo=UTC)),
            _cap_opt(facts.sync_carrier, MAX_FACT))


def _row_to_facts(facts_at: str | None, values: Sequence[Any]) -> ShipmentFacts | None:
    if facts_at is None:
        return None
    (eta_from, eta_to, eta_source, origin, destination, local_number, local_provider,
     sub_status_text, sync_status, sync_time, sync_carrier) = values
    return ShipmentFacts(
        eta_from=_parse_local(eta_from), eta_to=_parse_local(eta_to), eta_source=eta_source,
        origin_country=origin, destination_country=destination, local_number=local_number,
        local_provider=local_provider, sub_status_text=sub_status_text,
        sync_status=sync_status, sync_time=_parse_utc(sync_time), sync_carrier=sync_carrier)


_FACTS_AT = 16  # index of p.facts_at in a parcel row
_LAST_EVENT_ID = _FACTS_AT + 1 + len(_FACT_COLS) + 1  # after the facts and the unseen count


def _numbers_filter(numbers: Iterable[str] | None) -> tuple[str, tuple[Any, ...]] | None:
    """The WHERE clause (and its parameter) for "these parcels only" on `parcels p`: empty for
    all parcels; None when the caller asked for no parcel at all."""
    if numbers is None:
        return "", ()
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return None
    return " WHERE p.number IN (SELECT value FROM json_each(?))", (json.dumps(wanted),)


def _row_to_state(row: Sequence[Any]) -> ParcelState:
    (number, status, stage, provider, raw_status, raw_sub_status, carriers, fingerprint,
     last_checked, last_changed, last_error, error_kind, next_due, backoff_level, first_seen,
     event_count) = row[:_FACTS_AT]
    facts = _row_to_facts(row[_FACTS_AT], row[_FACTS_AT + 1:_FACTS_AT + 1 + len(_FACT_COLS)])
    unseen, last_id = row[_LAST_EVENT_ID - 1], row[_LAST_EVENT_ID]
    extra: dict[str, str] = {}
    if fingerprint:
        extra["fingerprint"] = fingerprint
    if carriers:
        extra["carriers"] = carriers
    return ParcelState(
        number=number, status=Status.UNKNOWN if status is None else _status(status),
        stage=Stage.NONE if stage is None else _stage(stage), provider=provider,
        raw_status=raw_status, raw_sub_status=raw_sub_status,
        last_event=None if last_id is None else _row_to_event(row[_LAST_EVENT_ID + 1:]),
        event_count=int(event_count or 0), unseen_count=int(unseen or 0),
        last_checked=_parse_utc(last_checked), last_changed=_parse_utc(last_changed),
        last_error=last_error, error_kind=ErrorKind.parse(error_kind),
        next_due=_parse_utc(next_due),
        backoff_level=int(backoff_level or 0), first_seen=_parse_utc(first_seen), facts=facts,
        extra=extra)
