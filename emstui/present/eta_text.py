"""Arrival estimates in words: the detail's window with its basis, the table's short cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from emstui.core.sanitize import clean_line
from emstui.present.eta import Estimate

OVERDUE_WORD = "overdue"


@dataclass(frozen=True, slots=True)
class EtaText:
    window: str  # "Fri 27 Nov – Mon 30 Nov"
    note: str  # "from your 7 earlier CN→DE EMS parcels · overdue"
    short: str  # "27–30 Nov", "overdue 30 Nov": the table's cell
    overdue: bool
    last_day: date | None  # for sorting


def _days(estimate: Estimate, tz: tzinfo) -> list[date]:
    """The window's calendar days: a source's as it wrote them (the destination's wall dates),
    history's instants in the user's zone."""
    days = []
    for bound in (estimate.start, estimate.end):
        if bound is None:
            continue
        if estimate.from_history and bound.tzinfo is not None:
            bound = bound.astimezone(tz)
        days.append(bound.date())
    return days


def _day(day: date, today: date) -> str:
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def _short_day(day: date, today: date, *, month: bool = True) -> str:
    text = f"{day.day} {day:%b}" if month else str(day.day)
    return text if day.year == today.year or not month else f"{text} {day:%y}"


def eta_text(estimate: Estimate | None, now: datetime, tz: tzinfo) -> EtaText | None:
    if estimate is None:
        return None
    days = _days(estimate, tz)
    if not days:
        return None
    today = now.astimezone(tz).date() if now.tzinfo is not None else now.date()
    first, last = days[0], days[-1]
    if first == last:
        window, short = _day(first, today), _short_day(first, today)
    else:
        window = f"{_day(first, today)} – {_day(last, today)}"
        same_month = (first.year, first.month) == (last.year, last.month)
        short = f"{_short_day(first, today, month=not same_month)}–{_short_day(last, today)}"
    overdue = estimate.overdue(now)
    if overdue:
        short = f"{OVERDUE_WORD} {_short_day(last, today)}"
    if estimate.from_history:
        notes = [clean_line(estimate.basis, limit=120)]
        if overdue:
            notes.append(OVERDUE_WORD)
    else:
        notes = [f"estimate by {clean_line(estimate.source, limit=40)}"] \
            if estimate.source else []
        if overdue:
            notes.append("passed")
    return EtaText(window, " · ".join(notes), short, overdue, last)
