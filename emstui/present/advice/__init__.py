"""Context-aware, offline advice for one parcel: a pure function of its facts, history and now.

`advise` picks the rules for the parcel's situation; each family of rules lives in its own module
(checks, customs, silence, endings, standing). The names callers use are re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from emstui.core.model import Status
from emstui.present.advice.base import Advice, Level, ParcelFacts, event_code, facts_for
from emstui.present.advice.checks import (
    FIRST_SCAN_GRACE,
    NO_RECORDS_ALERT,
    error_advice,
    info_only_advice,
    no_records_advice,
)
from emstui.present.advice.customs import CUSTOMS_ALERT, CUSTOMS_WARN, customs_advice
from emstui.present.advice.endings import (
    DELIVERED_CLAIM_WINDOW,
    HOLD_ALERT,
    HOLD_WARN,
    delivered_advice,
    exception_advice,
    expired_advice,
    failed_delivery_advice,
    pickup_advice,
    returned_advice,
)
from emstui.present.advice.silence import (
    SILENCE,
    Silence,
    overdue_advice,
    silence_advice,
    silence_level,
    silence_rule,
)
from emstui.present.advice.standing import hotline_advice, security_advice

__all__ = [
    "CUSTOMS_ALERT", "CUSTOMS_WARN", "DELIVERED_CLAIM_WINDOW", "FIRST_SCAN_GRACE", "HOLD_ALERT",
    "HOLD_WARN", "NO_RECORDS_ALERT", "SILENCE", "Advice", "Level", "ParcelFacts", "Silence",
    "advise", "facts_for", "overdue_advice", "silence_level", "silence_rule",
]


def advise(facts: ParcelFacts, now: datetime) -> list[Advice]:
    """Advice for one parcel, most severe first, always ending with security then hotline."""
    items: list[Advice] = []
    items += error_advice(facts)
    events = list(facts.events)
    status = facts.status
    if not events:
        items += no_records_advice(facts, now)
    elif status is Status.INFO_RECEIVED:
        items += info_only_advice(facts, events, now)
    elif status is Status.IN_CUSTOMS or event_code(events[0]) == "EME":
        items += customs_advice(facts, events, now)
    elif status is Status.DELIVERY_FAILED or event_code(events[0]) == "EMH":
        items += failed_delivery_advice(events, now)
    elif status is Status.AVAILABLE_FOR_PICKUP:
        items += pickup_advice(events, now)
    elif status is Status.DELIVERED:
        items += delivered_advice(events)
    elif status is Status.RETURNED:
        items += returned_advice(events)
    elif status is Status.EXCEPTION:
        items += exception_advice(events)
    elif status is Status.EXPIRED:
        items += expired_advice(events, now)
    elif status is Status.NOT_FOUND:
        items += no_records_advice(facts, now)
    else:  # IN_TRANSIT, OUT_FOR_DELIVERY, UNKNOWN with events
        items += silence_advice(facts, events, now)
    items += overdue_advice(facts, now)
    items.sort(key=lambda a: -a.level.rank)  # stable: rule order breaks ties
    items.append(security_advice(facts))
    items.append(hotline_advice(facts))
    return items
