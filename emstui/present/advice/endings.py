"""Advice at the end of the road: a failed delivery attempt, a parcel waiting for pick-up,
delivered, returned, stopped by a problem, or no longer followed by its source."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from emstui.core.model import Event
from emstui.present.advice.base import (
    Advice,
    D,
    Level,
    ago_text,
    cite,
    event_code,
    happened_at,
    time_since,
)

HOLD_WARN = 5 * D  # shortest common hold periods at the delivery office are about 7 days
HOLD_ALERT = 10 * D
DELIVERED_CLAIM_WINDOW = "a few days"

_RETURN_RE = re.compile(r"\breturn(?:ed|ing)?\b|退回|退件|退还", re.IGNORECASE)


def _hold_level(since: timedelta | None, base: Level) -> Level:
    if since is not None and since > HOLD_ALERT:
        return Level.ALERT
    if since is not None and since > HOLD_WARN and base.rank < Level.WARNING.rank:
        return Level.WARNING
    return base


def _held_advice(events: list[Event], now: datetime, *, base: Level, title: str, body: str,
                 what: str) -> list[Advice]:
    """An item the post holds for the recipient: more urgent the longer it has waited."""
    newest = events[0]
    since = time_since(happened_at(newest), now)
    level = _hold_level(since, base)
    return [Advice(level, title,
                   body + (" That deadline may be close." if level is Level.ALERT else ""),
                   f"{what} {ago_text(since)}: {cite(newest)}")]


def failed_delivery_advice(events: list[Event], now: datetime) -> list[Advice]:
    return _held_advice(
        events, now, base=Level.WARNING, title="Delivery attempt failed",
        body="A notice was probably left (paper card, SMS or e-mail from the destination post). "
        "Arrange redelivery or pick the item up at the office named on it; bring ID and the "
        "notice. Posts hold items about 7-30 days depending on the country before returning "
        "them: check the notice for the deadline.",
        what="delivery attempt failed")


def pickup_advice(events: list[Event], now: datetime) -> list[Advice]:
    return _held_advice(
        events, now, base=Level.TIP, title="Ready for pickup",
        body="Collect it at the pickup point with your ID and the notice (or the tracking "
        "number). Uncollected items are returned after the holding period, about 7-30 days "
        "depending on the country: check the notice for the deadline.",
        what="ready for pickup")


def delivered_advice(events: list[Event]) -> list[Advice]:
    newest = events[0]
    when = newest.time_raw.strip() or "at an unknown time"
    return [Advice(
        Level.INFO, "Delivered",
        "Check the contents promptly and keep the packaging if anything is damaged or missing. "
        "If you did not receive it, ask the destination post within " + DELIVERED_CLAIM_WINDOW +
        " for the proof of delivery (who signed, where it was left).",
        f"delivered {when}: {cite(newest)}")]


def returned_advice(events: list[Event]) -> list[Advice]:
    newest = events[0]
    return [Advice(
        Level.WARNING, "Returned to the sender",
        "Contact the sender about a refund or a new shipment. The return scan usually gives the "
        "reason (refused, not collected, address problem, customs).",
        f"returned: {cite(newest)}")]


def exception_advice(events: list[Event]) -> list[Advice]:
    newest = events[0]
    code = event_code(newest)
    trigger = f"problem reported: {cite(newest)}"
    if _RETURN_RE.search(newest.description):
        return [Advice(
            Level.WARNING, "Being returned to the sender",
            "The item is on its way back. Contact the sender; if you think the return is a "
            "mistake, ask the destination post at once why it was returned, while the item may "
            "still be in the country.", trigger)]
    if code == "EXX":
        return [Advice(
            Level.ALERT, "Export cancelled",
            "The item will not leave the origin country, often because of forbidden contents or "
            "an incomplete customs declaration. Only the sender can sort this out with the "
            "origin post; ask them.", trigger)]
    if code == "EDX":
        return [Advice(
            Level.ALERT, "Import stopped",
            "The destination country stopped importing the item (refused, seized or to be "
            "returned). Contact the destination post or customs with the number to learn why "
            "and whether anything can still be done.", trigger)]
    return [Advice(
        Level.ALERT, "The post reported a problem",
        "The newest event reports a problem (for example loss, damage or cancellation). Contact "
        "the destination post with the number; the sender can open an inquiry with the origin "
        "post, which is the only way to start an EMS claim.", trigger)]


def expired_advice(events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    since = time_since(happened_at(newest), now)
    return [Advice(
        Level.WARNING, "Tracking stopped",
        "The tracking source stopped following this item because nothing new happened for a "
        "long time. That does not mean it is lost. If it has not arrived, ask the sender to open "
        "an inquiry with the origin post; you can ask the destination post.",
        f"tracking expired; last event {ago_text(since)}: {cite(newest)}")]
