"""Stalled parcels: no new scan for longer than the advice's alert threshold for their stage.

A stall is the parcel's newest scan gone quiet for too long (`advice.silence_level` at ALERT,
the table's `!!`), so one stall is one newest event: it is notified once (the outbox keys it
by that event), and a new scan ends it. The notification carries the advice the detail panel
gives for it: who to contact, and the hotline rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from emstui.core.model import ParcelState, Stage, Status
from emstui.core.sanitize import clean_line
from emstui.present.advice import Level, advise, facts_for, silence_level
from emstui.present.timefmt import format_age, when_it_happened

TRIGGER = "stalled"


@dataclass(frozen=True, slots=True)
class Stall:
    quiet_for: timedelta
    stage: Stage
    advice: str  # what to do, in words: who to contact, then who to call

    @property
    def headline(self) -> str:
        stage = self.stage if self.stage is not Stage.NONE else None
        where = f" at stage '{stage.label}'" if stage is not None else ""
        return f"stalled: no scan for {format_age(self.quiet_for)}{where}"


def _quiet_for(state: ParcelState, now: datetime) -> timedelta | None:
    """How long since the newest scan; as the table counts it (a wall time without offset is
    read as UTC, and an event happened no later than it was first seen)."""
    event = state.last_event
    if event is None:
        return None
    instant, _exact = when_it_happened(event)  # the table's and the advice's rule
    return None if instant is None else now - instant


def stall_of(state: ParcelState, now: datetime) -> Stall | None:
    """The parcel's stall, or None when it is moving normally, done, or its time is unknown."""
    quiet_for = _quiet_for(state, now)
    if silence_level(state.status, state.stage, quiet_for) is not Level.ALERT:
        return None
    assert quiet_for is not None  # silence_level gives no level without a time
    facts = facts_for(state.number, status=state.status, stage=state.stage,
                      events=[state.last_event] if state.last_event else [], added=None)
    items = advise(facts, now)
    # Most severe first (the silence alert), then the standing items ending with who to call.
    what = [items[0].body] if items[0].level is Level.ALERT else []
    what.append(items[-1].body)
    stage = Stage.OUT_FOR_DELIVERY if state.status is Status.OUT_FOR_DELIVERY else state.stage
    return Stall(quiet_for, stage, clean_line(" ".join(what), limit=800))


__all__ = ["TRIGGER", "Stall", "stall_of"]
