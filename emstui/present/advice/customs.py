"""Advice for a parcel in customs: export or import, how long it has been held, and what the
recipient may be asked for."""

from __future__ import annotations

import re
from datetime import datetime

from emstui.core.model import Event, Stage, Status
from emstui.core.statusmap import classify_event
from emstui.present.advice.base import (
    Advice,
    D,
    Level,
    ParcelFacts,
    cite,
    event_code,
    happened_at,
    time_since,
)
from emstui.present.timefmt import format_age

CUSTOMS_WARN = 5 * D
CUSTOMS_ALERT = 14 * D

# Words in the user's note that mean regulated goods, which clear customs more slowly.
_REGULATED_RE = re.compile(
    r"\b(batter(?:y|ies)|lithium|power ?bank|cosmetics?|perfumes?|make-?up|skin ?care|foods?"
    r"|tea|coffee|snacks?|spices?|seeds?|plants?|medicines?|medication|drugs?|pills?"
    r"|supplements?|vitamins?|liquids?|e-?cig\w*|knife|knives)\b",
    re.IGNORECASE,
)
_CUSTOMS_CODES = frozenset({"EDB", "EME", "EXA", "EXB"})


def _customs_run(events: list[Event]) -> list[Event]:
    """The newest contiguous customs events (the current customs episode), newest first."""
    run: list[Event] = []
    for event in events:
        status, _ = classify_event(event)
        if status is Status.IN_CUSTOMS or event_code(event) in _CUSTOMS_CODES:
            run.append(event)
        else:
            break
    return run or events[:1]


def customs_advice(facts: ParcelFacts, events: list[Event], now: datetime) -> list[Advice]:
    run = _customs_run(events)
    since = time_since(happened_at(run[-1]), now)
    held = event_code(events[0]) == "EME"
    export = (facts.stage in (Stage.POSTED, Stage.EXPORT)
              or event_code(events[0]) in ("EXA", "EXB")
              or classify_event(events[0])[1] is Stage.EXPORT)
    what = "held by" if held else "in"
    where = "export customs" if export else "customs"
    trigger = (f"{what} {where} for {format_age(since)} since {cite(run[-1])}"
               if since is not None else f"{what} {where} since {cite(run[-1])}")
    items: list[Advice] = []
    if export:
        level = Level.WARNING if since is not None and since > CUSTOMS_WARN else Level.TIP
        if since is not None and since > CUSTOMS_ALERT:
            level = Level.ALERT
        items.append(Advice(
            level, "At export customs in the origin country",
            "The origin country's customs is checking the item before it leaves. Only the "
            "sender can deal with this (declaration, contents, invoice): ask the sender to "
            "contact the origin post.", trigger))
        return items
    if since is not None and since > CUSTOMS_ALERT:
        level, title = Level.ALERT, "Held in customs for more than two weeks"
        first = ("Contact the destination post or customs now: items not cleared in time are "
                 "returned to the sender or destroyed. ")
    elif since is not None and since > CUSTOMS_WARN:
        level, title = Level.WARNING, "Customs is taking longer than usual"
        first = ("Contact the destination post or customs: they may be waiting for something "
                 "from you. ")
    else:
        # TIP, not INFO: customs may write to the recipient, who should be ready to answer.
        level = Level.TIP
        title = "Held by customs" if held else "In customs"
        first = "Clearance usually takes 1-5 days. "
    items.append(Advice(
        level, title,
        first + "Customs may ask for documents (invoice or proof of value, ID, a tax or customs ID "
        "number) and import duties or VAT may be due. Deal with the DESTINATION country's post "
        "or customs, not China EMS: the item has left the origin post's hands.", trigger))
    match = _REGULATED_RE.search(facts.note)
    if match:
        items.append(Advice(
            Level.TIP, "Regulated goods clear slower",
            "Batteries, cosmetics, food, medicine and similar goods get extra checks, and may "
            "need permits or be refused; expect a longer clearance.",
            f"in customs, and the note mentions '{match.group(0)}'"))
    else:
        items.append(Advice(
            Level.TIP, "Some items clear slower",
            "Remote areas and regulated goods (batteries, cosmetics, food, medicine) take longer "
            "to clear and deliver than the usual 1-5 days.", "item is in customs"))
    return items
