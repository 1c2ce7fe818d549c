"""Builds 17TRACK v2.2 `gettrackinfo` items (the `track_info` shape) from simulated journeys."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from emstui.sim.geo import Carrier
from emstui.sim.journeys import EXPIRED_AFTER, Journey, JourneyEvent

KEY_STAGES: tuple[str, ...] = (
    "InfoReceived", "PickedUp", "Departure", "Arrival", "AvailableForPickup", "OutForDelivery",
    "Delivered", "Returning", "Returned",
)
_FINAL_SUB_STATUSES = ("Delivered_Other", "Exception_Returned")


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


def _provider(carrier: Carrier, events: list[JourneyEvent], now: datetime) -> dict[str, Any]:
    items = [event_json(e) for e in reversed(events)]  # newest first
    return {
        "provider": {"key": carrier.key, "name": carrier.name, "alias": carrier.name, "tel": None,
                     "homepage": carrier.homepage, "country": carrier.country},
        "service_type": "EMS" if carrier.key == 3013 else "Express",
        "latest_sync_status": "Success",
        "latest_sync_time": utc_z(now),
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


def track_item(journey: Journey, carrier: Carrier, events: list[JourneyEvent], now: datetime,
               *, tag: str | None = None) -> dict[str, Any]:
    """One `data.accepted[]` item of `gettrackinfo` for `events` (oldest first) seen at `now`."""
    origin, destination = journey.origin, journey.destination
    origin_events = [e for e in events if e.country == origin.code]
    destination_events = [e for e in events if e.country != origin.code]
    providers = [_provider(carrier, origin_events, now),
                 _provider(destination.post, destination_events, now)]
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
                              "sub_status_descr": None},
            "latest_event": event_json(latest) if latest else None,
            "time_metrics": {
                "days_after_order": _days(now, journey.posted_at),
                "days_of_transit": _days(transit_end, first_time),
                "days_of_transit_done": _days(transit_end, first_time) if delivered else 0,
                "days_after_last_update": _days(now, latest.time) if latest else 0,
                "estimated_delivery_date": {"source": None, "from": None, "to": None},
            },
            "milestone": _milestones(events),
            "misc_info": {
                "risk_factor": 0, "service_type": "EMS", "weight_raw": f"{weight:.2f}KG",
                "weight_kg": f"{weight:.2f}", "pieces": "1", "dimensions": None,
                "customer_number": None, "reference_number": None,
                "local_number": journey.number, "local_provider": destination.post.name,
                "local_key": destination.post.key,
            },
            "tracking": {
                "providers_hash": stable_hash([p["events"] for p in providers]),
                "providers": providers,
            },
        },
    }
