"""What every advice rule shares: the Level and Advice it returns, the ParcelFacts it reads, and
the helpers that date and cite a parcel's events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from emstui.core import s10
from emstui.core.model import ErrorKind, Event, Stage, Status
from emstui.core.statusmap import code_for_upu_name
from emstui.present.eta import Estimate
from emstui.present.timefmt import format_age, when_it_happened

H = timedelta(hours=1)
D = timedelta(days=1)


class Level(StrEnum):
    """How much an advice item matters, from least to most severe."""

    INFO = "info"
    TIP = "tip"
    WARNING = "warning"
    ALERT = "alert"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK: dict[Level, int] = {level: i for i, level in enumerate(Level)}


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of advice. `trigger` states the fact that fired it, in words."""

    level: Level
    title: str
    body: str
    trigger: str


@dataclass(frozen=True, slots=True)
class ParcelFacts:
    """Everything advice needs to know about one parcel. Events are newest first."""

    number: str
    is_ems: bool
    country_code: str | None
    country_name: str | None
    status: Status
    stage: Stage
    events: Sequence[Event]
    added: datetime | None  # when the user started watching (aware UTC)
    last_error: str | None = None
    error_kind: ErrorKind | None = None
    note: str = ""
    eta: Estimate | None = None  # the arrival estimate (`emstui.present.eta`), if there is one


def facts_for(number: str, *, status: Status, stage: Stage, events: Sequence[Event],
              added: datetime | None, last_error: str | None = None,
              error_kind: ErrorKind | None = None, note: str = "",
              eta: Estimate | None = None) -> ParcelFacts:
    """ParcelFacts with the number's S10 facts (EMS or not, issuing country) filled in."""
    try:
        parsed = s10.parse(number)
    except s10.InvalidNumber:
        return ParcelFacts(number, number.upper().startswith("E"), None, None, status, stage,
                           events, added, last_error, error_kind, note, eta)
    return ParcelFacts(parsed.value, parsed.is_ems, parsed.country_code, parsed.country_name,
                       status, stage, events, added, last_error, error_kind, note, eta)


def happened_at(event: Event) -> datetime | None:
    return when_it_happened(event)[0]  # the table's rule too (present.timefmt)


def time_since(when: datetime | None, now: datetime) -> timedelta | None:
    if when is None:
        return None
    return max(timedelta(0), now - when)


def event_code(event: Event) -> str | None:
    return (event.code or "").strip().upper() or code_for_upu_name(event.description)


def cite(event: Event) -> str:
    """An event as cited in a trigger: 'Description' (Location)."""
    text = " ".join(event.description.split())
    if len(text) > 80:
        text = text[:79] + "…"
    where = " ".join(event.location.split())
    return f"'{text}' ({where})" if where else f"'{text}'"


def ago_text(delta: timedelta | None) -> str:
    if delta is None:
        return "at an unknown time"
    age = format_age(delta)
    return "just now" if age == "now" else f"{age} ago"


def issuing_country(facts: ParcelFacts) -> str:
    if facts.country_code and facts.country_name:
        return f"{facts.country_name} ({facts.country_code})"
    return facts.country_code or "the issuing country"


def still_at_origin(facts: ParcelFacts) -> bool:
    return facts.stage.index < Stage.DEPARTED.index
