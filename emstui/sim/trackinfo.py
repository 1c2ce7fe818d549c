"""Builds 17TRACK v2.2 `gettrackinfo` items (the `track_info` shape) from simulated journeys.

Where specs/17track.md gives a field only empty (the delivery estimate) or with one value
("Success" sync status), the simulator's fuller answers are assumptions, UNCONFIRMED against the
live API: an estimated delivery window as ISO 8601 local midnights of the destination with
`source` "17TRACK" (17TRACK's own estimate: the origin post gives none) from departure until
delivery; the last-mile number and carrier (`misc_info.local_*`) from the hand-over to the
destination post on (the spec's sample, a non-postal item, has them empty); carrier syncs every
few hours; a failing sync reported as "Failure" (the word 17TRACK uses for failed pushes) with
the time of the last successful sync.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, time, timedelta
from typing import Any

from emstui.sim.geo import Carrier
from emstui.sim.journeys import (
    EXPIRED_AFTER,
    HOSTILE_BIDI,
    HOSTILE_CLICK,
    HOSTILE_CONTROL,
    HOSTILE_CSI,
    HOSTILE_LONG,
    HOSTILE_MARKUP,
    HOSTILE_OSC8,
    Journey,
    JourneyEvent,
)

KEY_STAGES: tuple[str, ...] = (
    "InfoReceived", "PickedUp", "Departure", "Arrival", "AvailableForPickup", "OutForDelivery",
    "Delivered", "Returning", "Returned",
)
_FINAL_SUB_STATUSES = ("Delivered_Other", "Exception_Returned")
# 17TRACK refreshes a number from its carriers every few hours (spec section 12: "every 6-12
# hours" per a third-party listing, UNCONFIRMED).
SYNC_EVERY = timedelta(hours=4)
SYNC_OK = "Success"
SYNC_FAILED = "Failure"
ETA_SOURCE = "17TRACK"
# Days from departure to the first and the last day of the estimated delivery window.
_ETA_FIRST_DAY = (3, 6)
_ETA_WINDOW_DAYS = (2, 4)
# The hostile scenario also poisons the texts that describe the shipment.
_HOSTILE_FACTS = {
    "sub_status_descr": f"{HOSTILE_CLICK} {HOSTILE_CSI}",
    "local_provider": f"{HOSTILE_MARKUP} {HOSTILE_BIDI}",
    "eta_source": HOSTILE_CONTROL,
    "provider_name": f"{HOSTILE_OSC8} {HOSTILE_LONG}",
}


def stable_hash(value: Any) -> int:
    """A signed 32-bit hash of JSON-able data, the same in every process and run."""
    digest = hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=True).encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def utc_z(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _address(country: str | None, city: str | None = None,
             postal_code: str | None = None) -> dict[str, Any]:
    return {"country": country, "state": None, "city": city, "street": None,
            "postal_code": postal_code or None,
            "coordinates": {"longitude": None, "latitude": None}}


def event_json(event: JourneyEvent) -> dict[str, Any]:
    local = event.local_time
    return {
        "time_iso": event.time_iso,
        "time_utc": event.time_utc,
        "time_raw": {"date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M:%S"),
                     "timezone": event.time_iso[-6:]},
        "description": event.description,
        "location": event.location,
        "stage": event.key_stage,
        "sub_status": event.sub_status,
        "address": _address(event.country, event.place.city, event.place.postal_code),
    }


def last_sync(number: str, now: datetime) -> datetime:
    """When 17TRACK last fetched `number` from its carriers: a fixed cadence, phased per number."""
    period = int(SYNC_EVERY.total_seconds())
    phase = abs(stable_hash(["sync", number])) % period
    at = int(now.timestamp()) - phase
    return now - timedelta(seconds=at % period)


def _provider(carrier: Carrier, events: list[JourneyEvent], *, synced_at: datetime,
              sync_status: str, hostile: bool) -> dict[str, Any]:
    items = [event_json(e) for e in reversed(events)]  # newest first
    name = _HOSTILE_FACTS["provider_name"] if hostile else carrier.name
    return {
        "provider": {"key": carrier.key, "name": name, "alias": carrier.name, "tel": None,
                     "homepage": carrier.homepage, "country": carrier.country},
        "service_type": "EMS" if carrier.key == 3013 else "Express",
        "latest_sync_status": sync_status,
        "latest_sync_time": utc_z(synced_at),
        "events_hash": stable_hash(items),
        "events": items,
    }


def _status(events: list[JourneyEvent], now: datetime) -> tuple[str, str]:
    if not events:
        return "NotFound", "NotFound_Other"
    latest = events[-1]
    if latest.sub_status not in _FINAL_SUB_STATUSES and now - latest.time > EXPIRED_AFTER:
        return "Expired", "Expired_Other"
    return latest.sub_status.split("_", 1)[0], latest.sub_status


def _milestones(events: list[JourneyEvent]) -> list[dict[str, Any]]:
    first: dict[str, JourneyEvent] = {}
    for event in events:
        if event.key_stage is not None:
            first.setdefault(event.key_stage, event)
    out = []
    for stage in KEY_STAGES:
        event = first.get(stage)
        out.append({"key_stage": stage,
                    "time_iso": event.time_iso if event else None,
                    "time_utc": event.time_utc if event else None,
                    "time_raw": event_json(event)["time_raw"] if event else None})
    return out


def _days(later: datetime, earlier: datetime) -> int:
    return max(0, (later - earlier).days)


def _estimated_delivery(journey: Journey, events: list[JourneyEvent], *,
                        hostile: bool) -> dict[str, Any]:
    """17TRACK's delivery window: known from departure, withdrawn once delivered or returning."""
    empty: dict[str, Any] = {"source": None, "from": None, "to": None}
    departed = next((e for e in events if e.key_stage == "Departure"), None)
    if departed is None or any(e.sub_status in _FINAL_SUB_STATUSES
                               or e.sub_status.startswith("Exception_") for e in events):
        return empty
    seed = abs(stable_hash(["eta", journey.number]))
    first_day = _ETA_FIRST_DAY[0] + seed % (_ETA_FIRST_DAY[1] - _ETA_FIRST_DAY[0] + 1)
    width = _ETA_WINDOW_DAYS[0] + (seed // 7) % (_ETA_WINDOW_DAYS[1] - _ETA_WINDOW_DAYS[0] + 1)
    zone = journey.destination.tz
    start_day = departed.time.astimezone(zone).date() + timedelta(days=first_day)
    start = datetime.combine(start_day, time(0), zone)
    end = datetime.combine(start_day + timedelta(days=width), time(0), zone)
    return {"source": _HOSTILE_FACTS["eta_source"] if hostile else ETA_SOURCE,
            "from": start.isoformat(timespec="seconds"),
            "to": end.isoformat(timespec="seconds")}


def track_item(journey: Journey, carrier: Carrier, events: list[JourneyEvent], now: datetime,
               *, tag: str | None = None, sync_failed_since: datetime | None = None
               ) -> dict[str, Any]:
    """One `data.accepted[]` item of `gettrackinfo` for `events` (oldest first) seen at `now`.

    With `sync_failed_since`, 17TRACK's syncs with the carriers fail from then on: the answer
    says so and keeps the time of the last sync that worked.
    """
    origin, destination = journey.origin, journey.destination
    hostile = journey.scenario == "hostile"
    origin_events = [e for e in events if e.country == origin.code]
    destination_events = [e for e in events if e.country != origin.code]
    if sync_failed_since is not None and sync_failed_since <= now:
        synced_at, sync_status = last_sync(journey.number, sync_failed_since), SYNC_FAILED
    else:
        synced_at, sync_status = last_sync(journey.number, now), SYNC_OK
    providers = [_provider(carrier, origin_events, synced_at=synced_at,
                           sync_status=sync_status, hostile=False),
                 _provider(destination.post, destination_events, synced_at=synced_at,
                           sync_status=sync_status, hostile=hostile)]
    handed_over = bool(destination_events)
    status, sub_status = _status(events, now)
    latest = max(events, key=lambda e: e.time) if events else None
    delivered = next((e for e in events if e.sub_status in _FINAL_SUB_STATUSES), None)
    transit_end = delivered.time if delivered else now
    first_time = events[0].time if events else now
    weight = 0.2 + (abs(stable_hash(journey.number)) % 380) / 100
    return {
        "number": journey.number,
        "carrier": carrier.key,
        "param": None,
        "tag": tag,
        "track_info": {
            "shipping_info": {
                "shipper_address": _address(origin.code, journey.origin_office.city),
                "recipient_address": _address(destination.code, journey.destination_office.city,
                                              journey.destination_office.postal_code),
            },
            "latest_status": {"status": status, "sub_status": sub_status,
                              "sub_status_descr": _HOSTILE_FACTS["sub_status_descr"]
                              if hostile else None},
            "latest_event": event_json(latest) if latest else None,
            "time_metrics": {
                "days_after_order": _days(now, journey.posted_at),
                "days_of_transit": _days(transit_end, first_time),
                "days_of_transit_done": _days(transit_end, first_time) if delivered else 0,
                "days_after_last_update": _days(now, latest.time) if latest else 0,
                "estimated_delivery_date": _estimated_delivery(journey, events, hostile=hostile),
            },
            "milestone": _milestones(events),
            "misc_info": {
                "risk_factor": 0, "service_type": "EMS", "weight_raw": f"{weight:.2f}KG",
                "weight_kg": f"{weight:.2f}", "pieces": "1", "dimensions": None,
                "customer_number": None, "reference_number": None,
                "local_number": journey.number if handed_over else "",
                "local_provider": (_HOSTILE_FACTS["local_provider"] if hostile
                                   else destination.post.name) if handed_over else "",
                "local_key": destination.post.key if handed_over else 0,
            },
            "tracking": {
                "providers_hash": stable_hash([p["events"] for p in providers]),
                "providers": providers,
            },
        },
    }
