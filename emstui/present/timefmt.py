"""Times for people: one duration formatter, relative and clock times, and one rule for when an
event happened (shared by the table, the detail panel and the advice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from emstui.core.model import Event


def format_age(delta: timedelta) -> str:
    """A compact duration: "now" (< 1 min or negative), "12m", "5h 12m", "3d 4h", "123d"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"{minutes}m"
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    days, hrs = divmod(hours, 24)
    if days >= 100 or not hrs:
        return f"{days}d"
    return f"{days}d {hrs}h"


def format_relative(when: datetime, now: datetime) -> str:
    """"in 42m", "5h 12m ago", or "now" within a minute either way."""
    delta = when - now
    if abs(delta) < timedelta(minutes=1):
        return "now"
    if delta > timedelta(0):
        return f"in {format_age(delta)}"
    return f"{format_age(-delta)} ago"


def format_clock(when: datetime, now: datetime, tz: tzinfo) -> str:
    """A wall time in `tz`, as short as it can be unambiguous relative to `now`.

    "14:05" today, "Wed 14:05" within six days, "25 Nov 14:05" this year, "2027-01-05" beyond.
    """
    local = to_utc(when).astimezone(tz)
    today = to_utc(now).astimezone(tz).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if abs((local.date() - today).days) <= 6:
        return f"{local:%a %H:%M}"
    if local.year == today.year:
        return f"{local.day} {local:%b %H:%M}"
    return f"{local:%Y-%m-%d}"


def to_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def event_instant(event: Event) -> tuple[datetime | None, bool]:
    """Best UTC instant for an event and whether it is exact.

    A wall time without offset (the scan site's own clock) is read as if it were UTC: off by the
    site's offset, so it is flagged inexact and shown with "~".
    """
    if event.time_utc is not None:
        return to_utc(event.time_utc), True
    local = event.time_local
    if local is None:
        return None, False
    if local.tzinfo is not None:
        return local.astimezone(UTC), True
    return local.replace(tzinfo=UTC), False


def when_it_happened(event: Event) -> tuple[datetime | None, bool]:
    """(instant, exact) by the one rule for an event's time: an exact instant is trusted; a wall
    time without offset is read as UTC, and since the event cannot have happened after the app
    first saw it, that first sighting caps it (and stands in for a time the source never gave)."""
    instant, exact = event_instant(event)
    if exact or event.first_seen is None:
        return instant, exact
    seen = to_utc(event.first_seen)
    return (seen if instant is None else min(instant, seen)), False
