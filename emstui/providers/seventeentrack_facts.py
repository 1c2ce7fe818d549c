"""Shipment facts from a 17TRACK `track_info` block (specs/17track.md section 8).

17TRACK sends nulls, empty strings, numbers where text is expected and unknown enum values;
every field here is optional and a field of the wrong type is simply absent. Every text is
sanitised and bounded before it leaves this module.

Unverified against the live API (the spec only shows these fields empty or as "Success"):
the format of `estimated_delivery_date.from/to` (read leniently: ISO 8601 with or without an
offset, or any form `emstui.core.timeparse` knows), the values of its `source`, and the values of
`latest_sync_status` other than "Success" (any other value is kept raw and read as failing).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from emstui.core.model import ShipmentFacts
from emstui.core.sanitize import clean_line
from emstui.core.timeparse import parse_time

ETA_SOURCE_LIMIT = 40
LOCAL_NUMBER_LIMIT = 50  # 17TRACK numbers are 5 to 50 characters
PROVIDER_NAME_LIMIT = 60
SUB_STATUS_TEXT_LIMIT = 200
SYNC_STATUS_LIMIT = 32
_TIME_TEXT_LIMIT = 64
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# A window bound outside these years is garbage, not an estimate.
_FIRST_YEAR, _LAST_YEAR = 2000, 2099


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    """Sanitised, bounded text of a string (or number) field; None when absent or blank."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    cleaned = clean_line(value, limit=limit)
    return cleaned or None


def _time(value: Any) -> tuple[datetime | None, datetime | None]:
    text = _text(value, _TIME_TEXT_LIMIT)
    if text is None:
        return None, None
    try:
        return parse_time(text)
    except (ValueError, OverflowError):
        return None, None


def country_code(value: Any) -> str | None:
    """An ISO 3166 alpha-2 code ("de" reads as "DE"); anything else is None."""
    text = _text(value, 8)
    if text is None:
        return None
    code = text.strip().upper()
    return code if _COUNTRY_RE.match(code) else None


def _eta_bound(value: Any) -> datetime | None:
    local, _ = _time(value)
    if local is None or not _FIRST_YEAR <= local.year <= _LAST_YEAR:
        return None
    return local


def _wall(when: datetime) -> datetime:
    return when.replace(tzinfo=None)


def _eta(track_info: dict[str, Any]) -> tuple[datetime | None, datetime | None, str | None]:
    window = _d(_d(track_info.get("time_metrics")).get("estimated_delivery_date"))
    start, end = _eta_bound(window.get("from")), _eta_bound(window.get("to"))
    if start is not None and end is not None and _wall(start) > _wall(end):
        start, end = end, start
    if start is None and end is None:
        return None, None, None
    return start, end, _text(window.get("source"), ETA_SOURCE_LIMIT)


def _sync_time(value: Any) -> datetime | None:
    local, utc = _time(value)
    if utc is not None:
        return utc
    # The spec gives this field as ISO 8601 UTC; a time without a zone is read as UTC.
    return None if local is None else local.replace(tzinfo=UTC)


def _sync(legs: list[Any]) -> tuple[str | None, datetime | None, str | None]:
    """(status, time, carrier) of the leg in the worst shape.

    A leg whose status is not "Success" wins over every healthy one; among healthy legs the one
    synced longest ago wins, so a stale leg is never hidden behind a fresh one. Legs come
    origin first (spec section 6), so on a tie the last-mile carrier is named.
    """
    worst: tuple[int, float, str | None, datetime | None, str | None] | None = None
    for leg in legs:
        leg = _d(leg)
        status = _text(leg.get("latest_sync_status"), SYNC_STATUS_LIMIT)
        when = _sync_time(leg.get("latest_sync_time"))
        if status is None and when is None:
            continue
        about = _d(leg.get("provider"))
        carrier = _text(about.get("name"), PROVIDER_NAME_LIMIT) or _text(
            about.get("alias"), PROVIDER_NAME_LIMIT)
        failing = status is not None and status.casefold() != "success"
        rank = (1 if failing else 0, -when.timestamp() if when else float("inf"))
        if worst is None or rank >= worst[:2]:  # on a tie, the later (last-mile) leg
            worst = (*rank, status, when, carrier)
    if worst is None:
        return None, None, None
    return worst[2], worst[3], worst[4]


def parse_facts(item: dict[str, Any], track_info: dict[str, Any], legs: list[Any]
                ) -> ShipmentFacts:
    """The facts of one `data.accepted[i]` item; `legs` is `track_info.tracking.providers`."""
    shipping = _d(track_info.get("shipping_info"))
    misc = _d(track_info.get("misc_info"))
    latest = _d(track_info.get("latest_status"))
    eta_from, eta_to, eta_source = _eta(track_info)
    sync_status, sync_time, sync_carrier = _sync(legs)
    # v2.4 also names the countries at the top level of the item; track_info's are preferred.
    origin = country_code(_d(shipping.get("shipper_address")).get("country")) or country_code(
        item.get("origin_country"))
    destination = country_code(_d(shipping.get("recipient_address")).get("country")) or \
        country_code(item.get("destination_country"))
    return ShipmentFacts(
        eta_from=eta_from, eta_to=eta_to, eta_source=eta_source,
        origin_country=origin, destination_country=destination,
        local_number=_text(misc.get("local_number"), LOCAL_NUMBER_LIMIT),
        local_provider=_text(misc.get("local_provider"), PROVIDER_NAME_LIMIT),
        sub_status_text=_text(latest.get("sub_status_descr"), SUB_STATUS_TEXT_LIMIT),
        sync_status=sync_status, sync_time=sync_time, sync_carrier=sync_carrier)
