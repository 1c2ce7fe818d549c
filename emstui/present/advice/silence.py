"""How long a moving parcel may go without a scan at each stage, the advice when it has gone
longer, and the advice when it is later than its arrival estimate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from emstui.core.model import Event, Stage, Status
from emstui.present.advice.base import Advice, D, Level, ParcelFacts, cite, happened_at, time_since
from emstui.present.timefmt import format_age

_ORIGIN = "origin"
_DESTINATION = "destination"


@dataclass(frozen=True, slots=True)
class Silence:
    """How long a parcel at one stage may go without a scan, and which post holds it then."""

    warn: timedelta
    alert: timedelta
    normal: str  # what is typical at this stage, said when the silence is still normal
    side: str  # which post holds the item: who the user should talk to


# Silence thresholds by journey stage: how long without a scan is still ordinary.
SILENCE: dict[Stage, Silence] = {
    Stage.NONE: Silence(5 * D, 14 * D, "scans can be days apart", _ORIGIN),
    Stage.POSTED: Silence(
        4 * D, 10 * D, "export sorting and the hand-over to the airline usually take 1-4 days",
        _ORIGIN),
    Stage.EXPORT: Silence(
        4 * D, 10 * D, "export sorting and the hand-over to the airline usually take 1-4 days",
        _ORIGIN),
    Stage.DEPARTED: Silence(
        7 * D, 14 * D,
        "air transport and the hand-over to the destination post often show no scan for 5-7 days",
        _ORIGIN),
    Stage.ARRIVED: Silence(
        5 * D, 14 * D, "import sorting and presentation to customs usually take 1-5 days",
        _DESTINATION),
    Stage.CUSTOMS: Silence(
        5 * D, 14 * D, "after customs the item goes to the delivery office within a few days",
        _DESTINATION),
    Stage.DELIVERY_OFFICE: Silence(
        5 * D, 14 * D, "the delivery office usually attempts delivery within a few days",
        _DESTINATION),
    Stage.OUT_FOR_DELIVERY: Silence(
        2 * D, 7 * D, "a delivery or a failed-attempt scan usually follows the same day",
        _DESTINATION),
}


def silence_rule(stage: Stage) -> Silence:
    """How long a parcel at `stage` may go without a scan before it is quiet for too long."""
    return SILENCE.get(stage, SILENCE[Stage.NONE])


def silence_level(status: Status, stage: Stage, since: timedelta | None) -> Level | None:
    """WARNING or ALERT when a moving parcel has gone longer without a scan than is usual.

    The same thresholds as the silence advice in the detail panel; None for statuses whose
    advice is about something else (problems, deliveries, pick-ups) and when the time is unknown.
    """
    if since is None or status not in _SILENT_STATUSES:
        return None
    rule = silence_rule(Stage.OUT_FOR_DELIVERY if status is Status.OUT_FOR_DELIVERY else stage)
    if since > rule.alert:
        return Level.ALERT
    if since > rule.warn:
        return Level.WARNING
    return None


_SILENT_STATUSES = frozenset({Status.INFO_RECEIVED, Status.IN_TRANSIT, Status.IN_CUSTOMS,
                              Status.OUT_FOR_DELIVERY, Status.UNKNOWN})


def silence_advice(facts: ParcelFacts, events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    since = time_since(happened_at(newest), now)
    stage = facts.stage
    if facts.status is Status.OUT_FOR_DELIVERY:
        stage = Stage.OUT_FOR_DELIVERY
    rule = silence_rule(stage)
    if since is None:
        return [Advice(Level.INFO, "Time of the last scan unknown",
                       "The source gave no usable time for the newest event, so emstui cannot "
                       "tell how long the item has been quiet.",
                       f"newest event {cite(newest)} has no usable time")]
    trigger = (f"no scan for {format_age(since)} at stage '{stage.label}' since "
               f"{cite(newest)}")
    if since > rule.alert:
        if rule.side == _ORIGIN:
            body = ("Ask the sender to open an inquiry (a trace) with the origin post: only the "
                    "SENDER can file an EMS inquiry there. Keep the number and the posting "
                    "receipt at hand.")
        else:
            body = ("Contact the destination post with the number: the item is in their hands. "
                    "The sender can also open an inquiry with the origin post; only the SENDER "
                    "can file an EMS inquiry.")
        return [Advice(Level.ALERT, "No movement for a long time", body, trigger)]
    if since > rule.warn:
        return [Advice(
            Level.WARNING, "Quiet for longer than usual",
            f"At this stage {rule.normal}. A longer gap is not yet alarming; if there is still "
            f"no scan after {format_age(rule.alert)}, the "
            + ("sender should open an inquiry with the origin post."
               if rule.side == _ORIGIN else "destination post can tell you where it is."),
            trigger)]
    if facts.status is Status.OUT_FOR_DELIVERY:
        return [Advice(
            Level.INFO, "Out for delivery",
            "EMS usually needs a signature. If nobody can take it, a notice is left with how to "
            "get the item.", trigger)]
    return [Advice(Level.INFO, "Moving normally", f"At this stage {rule.normal}.", trigger)]


def overdue_advice(facts: ParcelFacts, now: datetime) -> list[Advice]:
    """Past the end of its arrival window: who can find out where it is."""
    estimate = facts.eta
    if estimate is None or facts.status.is_final or not estimate.overdue(now):
        return []
    end = estimate.end or estimate.start
    late = f", {format_age(now - end)} ago" if end is not None and end.tzinfo else ""
    basis = estimate.basis if estimate.from_history \
        else f"estimate by {estimate.source or 'the source'}"
    last_day = f"{end:%a} {end.day} {end:%b}" if end is not None else "the expected day"
    if silence_rule(facts.stage).side == _ORIGIN:
        who = ("It has not been scanned leaving the origin country yet: ask the sender to check "
               "with the origin post, and to open an inquiry if it does not move soon.")
    else:
        who = ("The destination post holds it: ask them with the number where it is. The sender "
               "can open an inquiry with the origin post; only the SENDER can file one.")
    return [Advice(
        Level.WARNING, "Later than expected",
        "The expected arrival window has passed. Estimates are only estimates (customs, "
        "holidays and remote areas add days), but it is time to ask. " + who,
        f"expected by {last_day}{late} ({basis})")]
