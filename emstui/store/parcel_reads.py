"""Reading parcels back: stored states, one-line summaries, due times, event lists, what changed,
and the stage times arrival estimates learn from."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from emstui.core.model import Event, ParcelState, Stage, Status
from emstui.store.columns import _parse_local, _parse_utc, _stage, _status, _utc_text
from emstui.store.connection import StoreConnection
from emstui.store.rows import (
    _EVENT_COLS,
    _PARCEL_COLS,
    _numbers_filter,
    _row_to_event,
    _row_to_state,
)


class StageTime(NamedTuple):
    """One row of `Store.stage_times`: a parcel and when it first reached some stages."""

    number: str
    status: str
    stage: str | None
    destination: str | None
    first_seen: str | None
    first_event: float | None  # Julian days, as all the times below
    posted: float | None  # first event with a journey stage
    departed: float | None
    arrived: float | None
    customs: float | None
    delivery_office: float | None
    out_for_delivery: float | None
    delivered: float | None  # first event that is a delivery


_EVENT_JULIAN_DAY = ("min(coalesce(julianday(e.time_utc), julianday(e.time_local), "
                     "julianday(e.first_seen)), julianday(e.first_seen))")
_STAGE_TIMES_SQL = (
    "SELECT p.number, p.status, p.stage, p.destination_country, p.first_seen, "
    f"min({_EVENT_JULIAN_DAY}), "
    f"min(CASE WHEN e.stage IS NOT NULL AND e.stage != 'none' THEN {_EVENT_JULIAN_DAY} END), "
    + "".join(f"min(CASE WHEN e.stage = '{stage}' THEN {_EVENT_JULIAN_DAY} END), "
              for stage in ("departed", "arrived", "customs", "delivery_office",
                            "out_for_delivery"))
    + f"min(CASE WHEN e.stage = 'delivered' OR e.status = 'delivered' "
    f"THEN {_EVENT_JULIAN_DAY} END) "
    "FROM parcels p LEFT JOIN events e ON e.number = p.number "
    "WHERE p.status IS NOT NULL GROUP BY p.number")


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """What the refresh engine needs to know when a parcel is due (`Store.schedule`)."""

    number: str
    last_checked: datetime | None
    next_due: datetime | None
    error_kind: str | None


_STATES_SQL = (f"SELECT {_PARCEL_COLS}, "
               "(SELECT count(*) FROM events u WHERE u.number = p.number "
               "   AND u.first_seen > coalesce(p.seen_at, '')), "
               f"e.id, {', '.join(f'e.{col.strip()}' for col in _EVENT_COLS.split(','))} "
               "FROM parcels p LEFT JOIN events e ON e.number = p.number AND e.pos = 0")


def _states_on(conn: sqlite3.Connection, numbers: Iterable[str] | None) -> dict[str, ParcelState]:
    """`ParcelReads.states` on an open connection (a write transaction reads its own result)."""
    where = _numbers_filter(numbers)
    if where is None:
        return {}
    rows = conn.execute(_STATES_SQL + where[0], where[1]).fetchall()
    return {row[0]: _row_to_state(row) for row in rows}


class ParcelReads(StoreConnection):
    """The read side of the parcels and events tables."""

    def state(self, number: str) -> ParcelState | None:
        return self.states([number]).get(number)

    def states(self, numbers: Iterable[str] | None = None) -> dict[str, ParcelState]:
        """Stored state of the given parcels (all when None), with last event and counts.

        One query: the last event comes from the (number, pos) index, the unseen count from a
        range scan of the (number, first_seen) index.
        """
        with self._read() as conn:
            return _states_on(conn, numbers)

    def summaries(self, numbers: Iterable[str] | None = None) -> dict[str, ParcelState]:
        """What a one-line summary shows, for many parcels in one query: status, stage,
        provider, error, due and change times, event count and the last event (its time,
        text and place). The other fields keep their defaults (no facts, no unseen count, no
        event sources): `states` reads those, for ten times the cost at 20,000 parcels."""
        sql = ("SELECT p.number, p.status, p.stage, p.provider, p.last_error, p.error_kind, "
               "p.next_due, p.last_changed, p.last_checked, p.event_count, e.id, e.time_raw, "
               "e.description, e.location, e.time_local, e.time_utc, e.provider "
               "FROM parcels p LEFT JOIN events e ON e.number = p.number AND e.pos = 0")
        where = _numbers_filter(numbers)
        if where is None:
            return {}
        sql += where[0]
        params = where[1]
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        summaries = {}
        for (number, status, stage, provider, last_error, error_kind, next_due, last_changed,
             last_checked, event_count, event_id, time_raw, description, location, time_local,
             time_utc, event_provider) in rows:
            last = None if event_id is None else Event(
                time_raw=time_raw or "", description=description or "",
                location=location or "", provider=event_provider or "",
                time_local=_parse_local(time_local), time_utc=_parse_utc(time_utc))
            summaries[number] = ParcelState(
                number=number, status=Status.UNKNOWN if status is None else _status(status),
                stage=Stage.NONE if stage is None else _stage(stage), provider=provider,
                last_event=last, event_count=int(event_count or 0),
                last_checked=_parse_utc(last_checked), last_changed=_parse_utc(last_changed),
                last_error=last_error, error_kind=error_kind, next_due=_parse_utc(next_due))
        return summaries

    def schedule(self, numbers: Iterable[str] | None = None) -> dict[str, ScheduleRow]:
        """When each parcel was checked and is due: four columns of the parcels table, no
        events (the engine plans every wake with it; `states` costs ten times as much)."""
        sql = "SELECT number, last_checked, next_due, error_kind FROM parcels"
        params: tuple[Any, ...] = ()
        if numbers is not None:
            wanted = list(dict.fromkeys(numbers))
            if not wanted:
                return {}
            sql += " WHERE number IN (SELECT value FROM json_each(?))"
            params = (json.dumps(wanted),)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return {row[0]: ScheduleRow(row[0], _parse_utc(row[1]), _parse_utc(row[2]), row[3])
                for row in rows}

    def events(self, number: str, *, limit: int | None = None) -> list[Event]:
        """The parcel's events, newest first."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_EVENT_COLS} FROM events WHERE number = ? ORDER BY pos LIMIT ?",
                (number, -1 if limit is None else max(0, limit))).fetchall()
        return [_row_to_event(row) for row in rows]

    def changed_since(self, since: datetime | None) -> set[str]:
        """Numbers whose status or events changed after `since` (all that ever changed if None)."""
        with self._read() as conn:
            if since is None:
                rows = conn.execute(
                    "SELECT number FROM parcels WHERE last_changed IS NOT NULL").fetchall()
            else:
                rows = conn.execute("SELECT number FROM parcels WHERE last_changed > ?",
                                    (_utc_text(since),)).fetchall()
        return {row[0] for row in rows}

    def stage_times(self) -> list[StageTime]:
        """When each stored parcel first reached the stages arrival estimates count from.

        One query, one row per parcel. An event's instant is its UTC time, else its wall time
        read as UTC (at most about half a day off), never later than when it was first seen;
        in Julian days, as SQLite counts them. NULL where the parcel has no such event.
        Read on a connection of its own (the monitor asks from a thread while it refreshes).
        """
        with self._own_read() as conn:
            rows = conn.execute(_STAGE_TIMES_SQL).fetchall()
        return [StageTime(*row) for row in rows]

    def is_registered(self, number: str, provider: str) -> bool:
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM registrations WHERE number = ? AND provider = ?",
                               (number, provider)).fetchone()
        return row is not None
