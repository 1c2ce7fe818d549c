"""Read one 17TRACK tracking item into a `Tracking`: its events, status, stage, carriers, facts
and change fingerprint (specs/17track.md). The item is gettrackinfo's `data.accepted[i]` or a
TRACKING_UPDATED webhook's `data`; the API client (`emstui.providers.seventeentrack`) fetches it.

17TRACK sends nulls, empty strings and numbers where text is expected: the `as_*` readers turn a
field of the wrong type into an absent one. Every text is sanitised and bounded here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from emstui.core.model import ErrorKind, Event, Stage, Status, Tracking
from emstui.core.sanitize import DESCRIPTION_LIMIT, LOCATION_LIMIT, clean_line
from emstui.core.statusmap import classify_text, status_from_events
from emstui.core.timeline import event_identity, merge_timelines
from emstui.core.timeparse import parse_time
from emstui.providers.base import NumberError
from emstui.providers.seventeentrack_facts import parse_facts
from emstui.providers.seventeentrack_status import from_17track, stage_from_17track

PROVIDER_ID = "17track"
MAX_EVENTS = 200


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str | None:
    """A non-empty string field, or None (17TRACK sends null, "" and numbers interchangeably)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _parse_time(raw: str | None) -> tuple[Any, Any]:
    if not raw:
        return None, None
    try:
        return parse_time(raw)
    except (ValueError, OverflowError):
        return None, None


def _event(raw: dict[str, Any], provider_label: str) -> Event | None:
    description = as_text(raw.get("description")) or as_text(
        as_dict(raw.get("description_translation")).get("description")) or ""
    description = clean_line(description, limit=DESCRIPTION_LIMIT)
    time_iso = as_text(raw.get("time_iso"))
    time_utc_text = as_text(raw.get("time_utc"))
    time_raw_block = as_dict(raw.get("time_raw"))
    raw_parts = [as_text(time_raw_block.get(k)) for k in ("date", "time", "timezone")]
    from_raw = " ".join(p for p in raw_parts if p)
    time_text = clean_line(time_iso or from_raw or time_utc_text or "", limit=64)
    if not description and not time_text:
        return None
    local, utc = _parse_time(time_text)
    if local is None and not time_iso and raw_parts[2]:
        # A zone spelling the parser does not know: keep the wall time, drop the zone.
        local, utc = _parse_time(clean_line(" ".join(p for p in raw_parts[:2] if p), limit=64))
    if time_utc_text:
        utc = _parse_time(clean_line(time_utc_text, limit=64))[1] or utc
    location = as_text(raw.get("location"))
    if location is None:
        address = as_dict(raw.get("address"))
        parts = (as_text(address.get(k)) for k in ("city", "state", "country"))
        location = ", ".join(p for p in parts if p)
    location = clean_line(location, limit=LOCATION_LIMIT)
    sub_status = as_text(raw.get("sub_status"))
    key_stage = as_text(raw.get("stage"))
    code, status, stage = classify_text(description)
    if sub_status:
        status = from_17track(sub_status.split("_")[0], sub_status)
    stage = stage_from_17track(sub_status, key_stage) or stage
    return Event(time_raw=time_text, description=description, location=location,
                 provider=provider_label, time_local=local, time_utc=utc, code=code,
                 status=status, stage=stage)


def _max_stage(stages: Iterable[Stage | None]) -> Stage | None:
    reached = [s for s in stages if s is not None]
    return max(reached, key=lambda s: s.index) if reached else None


def parse_item(number: str, item: dict[str, Any]) -> Tracking | NumberError:
    """One `data.accepted[i]` of gettrackinfo (or a TRACKING_UPDATED webhook's `data`)."""
    track_info = item.get("track_info")
    if not isinstance(track_info, dict):
        return NumberError(ErrorKind.NOT_FOUND,
                           "17TRACK has no tracking information for this number yet",
                           retryable=True)
    latest = as_dict(track_info.get("latest_status"))
    raw_status = as_text(latest.get("status"))
    raw_sub = as_text(latest.get("sub_status"))
    raw_status = clean_line(raw_status, limit=64) if raw_status else None
    raw_sub = clean_line(raw_sub, limit=64) if raw_sub else None

    tracking = as_dict(track_info.get("tracking"))
    facts = parse_facts(item, track_info, as_list(tracking.get("providers")))
    legs: list[tuple[Event, ...]] = []
    carriers: list[str] = []
    event_hashes: list[str] = []
    for leg in as_list(tracking.get("providers")):
        leg = as_dict(leg)
        about = as_dict(leg.get("provider"))
        name = clean_line(as_text(about.get("name")) or as_text(about.get("alias")) or "", limit=60)
        if name and name not in carriers:
            carriers.append(name)
        label = f"{PROVIDER_ID}:{name}" if name else PROVIDER_ID
        events = (_event(as_dict(e), label) for e in as_list(leg.get("events"))[:MAX_EVENTS])
        legs.append(tuple(e for e in events if e is not None))
        event_hashes.append(str(as_code(leg.get("events_hash"))))
    if not any(legs):
        latest_event = _event(as_dict(track_info.get("latest_event")), PROVIDER_ID) \
            if isinstance(track_info.get("latest_event"), dict) else None
        legs = [(latest_event,)] if latest_event else []
    merged = tuple(merge_timelines(*legs))[:MAX_EVENTS] if legs else ()

    if raw_status:
        status = from_17track(raw_status, raw_sub)
    elif merged:
        status = status_from_events(merged)[0]
    else:
        status = Status.UNKNOWN
    milestone_stages = (
        stage_from_17track(None, as_text(m.get("key_stage")))
        for m in map(as_dict, as_list(track_info.get("milestone")))
        if as_text(m.get("time_utc")) or as_text(m.get("time_iso"))
        or as_dict(m.get("time_raw")))
    stage = _max_stage([stage_from_17track(raw_sub, None), *milestone_stages,
                        *(e.stage for e in merged)])
    if stage is None:
        stage = status_from_events(merged)[1] if merged else Stage.NONE

    providers_hash = as_code(tracking.get("providers_hash"))
    if providers_hash is not None:
        fingerprint = f"p{providers_hash}/e{','.join(event_hashes)}/{raw_status}/{raw_sub}"
    else:
        digest = hashlib.sha256(f"{raw_status}/{raw_sub}".encode())
        for event in merged:
            digest.update("\x1f".join(event_identity(event)).encode("utf-8") + b"\x1e")
        fingerprint = digest.hexdigest()[:32]
    return Tracking(number=number, provider=PROVIDER_ID, status=status, stage=stage,
                    events=merged, raw_status=raw_status, raw_sub_status=raw_sub,
                    carriers=tuple(carriers), fingerprint=fingerprint, facts=facts)
