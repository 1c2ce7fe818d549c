"""Writing parcels: merging a source's answer into the de-duplicated event log (order kept),
recording a failed check, due times, "seen" markers, registrations, and purging a number."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from emstui.core.model import Event, ParcelState, Status, Tracking
from emstui.store.columns import (
    MAX_CARRIERS,
    MAX_ERROR,
    MAX_FINGERPRINT,
    MAX_RAW_STATUS,
    MAX_SHORT,
    _cap,
    _cap_opt,
    _parse_utc,
    _stage,
    _status,
    _utc_text,
)
from emstui.store.connection import parcel_mark_key
from emstui.store.parcel_reads import ParcelReads, _states_on
from emstui.store.rows import (
    _EVENT_COLS,
    _FACT_COLS,
    _event_values,
    _fact_values,
    _identity,
    _reporters,
    _row_to_event,
    _sources,
    _sources_text,
)

# When a parcel is next due: a time (None: never), or a rule giving it from the parcel as the
# write leaves it (`apply_tracking`, `record_error`), so the caller needs no read first.
Due = datetime | None | Callable[[ParcelState], datetime | None]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What one `apply_tracking` changed."""

    number: str
    new_events: tuple[Event, ...]  # newly stored, newest first
    old_status: Status | None  # None when the parcel had no tracking result before
    new_status: Status
    status_changed: bool
    stage_changed: bool
    state: ParcelState  # the parcel as stored after this result

    @property
    def changed(self) -> bool:
        return self.status_changed or bool(self.new_events)


@dataclass(slots=True)
class _StoredEvent:
    id: int
    ident: bytes
    seq: int
    pos: int
    time_utc: str | None
    sources: str | None


class ParcelWrites(ParcelReads):
    """The write side of the parcels, events and registrations tables."""

    def apply_tracking(self, tracking: Tracking, *, checked_at: datetime,
                       next_due: Due) -> ApplyResult:
        """Merge a provider's answer: new events, status, stage; clears the error and backoff.

        `next_due` is a time, or a rule giving it from the parcel as now stored (its status,
        stage, event count and first-seen time; applied inside the same transaction). The
        result carries the new stored state: one round trip per result.
        """
        number = tracking.number
        checked = _utc_text(checked_at)
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            old_status_text, old_stage_text, old_count, first_seen = conn.execute(
                "SELECT status, stage, event_count, first_seen FROM parcels WHERE number = ?",
                (number,)).fetchone()
            stored = [_StoredEvent(*row) for row in conn.execute(
                "SELECT id, ident, seq, pos, time_utc, sources FROM events WHERE number = ?",
                (number,))]
            new_rows = self._merge_events(conn, number, tracking, stored, checked)
            old_status = None if old_status_text is None else _status(old_status_text)
            old_stage = None if old_stage_text is None else _stage(old_stage_text)
            status_changed = old_status != tracking.status
            stage_changed = old_stage != tracking.stage
            changed = status_changed or bool(new_rows)
            count = old_count + len(new_rows)
            if callable(next_due):
                next_due = next_due(ParcelState(
                    number=number, status=tracking.status, stage=tracking.stage,
                    event_count=count, first_seen=_parse_utc(first_seen)))
            due = None if next_due is None else _utc_text(next_due)
            conn.execute(
                "UPDATE parcels SET status = ?, stage = ?, provider = ?, raw_status = ?, "
                "raw_sub_status = ?, carriers = ?, fingerprint = ?, last_checked = ?, "
                "last_changed = CASE WHEN ? THEN ? ELSE last_changed END, "
                "last_error = NULL, error_kind = NULL, next_due = ?, backoff_level = 0, "
                "event_count = ? WHERE number = ?",
                (tracking.status.value, tracking.stage.value, _cap(tracking.provider, MAX_SHORT),
                 _cap_opt(tracking.raw_status, MAX_RAW_STATUS),
                 _cap_opt(tracking.raw_sub_status, MAX_RAW_STATUS),
                 _cap(",".join(tracking.carriers), MAX_CARRIERS) or None,
                 _cap_opt(tracking.fingerprint, MAX_FINGERPRINT), checked, changed, checked,
                 due, count, number))
            if tracking.facts is not None:
                # A source without facts (the EMS tracker) keeps what another one reported.
                conn.execute(
                    f"UPDATE parcels SET facts_at = ?, {' = ?, '.join(_FACT_COLS)} = ? "
                    "WHERE number = ?", (checked, *_fact_values(tracking.facts), number))
            state = _states_on(conn, [number])[number]
        new_rows.sort(key=lambda item: item[0])
        return ApplyResult(number=number, new_events=tuple(event for _, event in new_rows),
                           old_status=old_status, new_status=tracking.status,
                           status_changed=status_changed, stage_changed=stage_changed,
                           state=state)

    def _merge_events(self, conn: sqlite3.Connection, number: str, tracking: Tracking,
                      stored: list[_StoredEvent], checked: str) -> list[tuple[int, Event]]:
        """Insert the events not stored yet and re-derive source and display order.

        Returns (display position, stored event) for each new event.
        """
        known = {item.ident: item for item in stored}
        incoming: list[tuple[bytes, Event | None]] = []  # newest first; None marks a known event
        fresh: dict[bytes, Event] = {}
        more_sources: dict[int, list[str]] = {}  # stored event id -> its sources, now longer
        for event in tracking.events:
            ident = _identity(event)
            if ident in known:
                incoming.append((ident, None))
                item = known[ident]
                sources = more_sources.get(item.id) or list(_sources(item.sources))
                added = [s for s in _reporters(event, tracking.provider) if s not in sources]
                if added:
                    more_sources[item.id] = sources + added
            elif ident not in fresh:
                fresh[ident] = event
                incoming.append((ident, event))
        conn.executemany("UPDATE events SET sources = ? WHERE id = ?",
                         [(_sources_text(sources), row_id)
                          for row_id, sources in more_sources.items()])
        if not fresh:
            return []
        source = _merge_source_order([item.ident for item in
                                      sorted(stored, key=lambda s: s.seq, reverse=True)],
                                     incoming)
        values = {ident: _event_values(event, tracking.provider, checked)
                  for ident, event in fresh.items()}
        utc_of = {ident: item.time_utc for ident, item in known.items()}
        utc_of.update((ident, vals[5]) for ident, vals in values.items())
        display = _display_order(source, utc_of)
        seq_of = {ident: len(source) - i for i, ident in enumerate(source)}
        pos_of = {ident: i for i, ident in enumerate(display)}
        conn.executemany(
            "UPDATE events SET seq = ?, pos = ? WHERE id = ?",
            [(seq_of[item.ident], pos_of[item.ident], item.id) for item in stored
             if (item.seq, item.pos) != (seq_of[item.ident], pos_of[item.ident])])
        conn.executemany(
            f"INSERT INTO events (number, ident, seq, pos, {_EVENT_COLS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(number, ident, seq_of[ident], pos_of[ident], *vals)
             for ident, vals in values.items()])
        return [(pos_of[ident], _row_to_event(vals)) for ident, vals in values.items()]

    def record_error(self, number: str, *, kind: str, message: str, checked_at: datetime,
                     next_due: Due, backoff_level: int | None = None,
                     bump_backoff: bool = False) -> ParcelState:
        """Remember a failed check; the stored events and status stay as they were.

        The parcel's backoff level becomes `backoff_level`; when None, the stored level, one
        higher with `bump_backoff`. `next_due` is a time, or a rule giving it from the parcel
        with its new level. Returns the new stored state.
        """
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            if backoff_level is None:
                (stored_level,) = conn.execute(
                    "SELECT backoff_level FROM parcels WHERE number = ?", (number,)).fetchone()
                backoff_level = int(stored_level or 0) + (1 if bump_backoff else 0)
            level = max(0, int(backoff_level))
            if callable(next_due):
                next_due = next_due(ParcelState(number=number, backoff_level=level))
            conn.execute(
                "UPDATE parcels SET last_error = ?, error_kind = ?, last_checked = ?, "
                "next_due = ?, backoff_level = ? WHERE number = ?",
                (_cap(message, MAX_ERROR), _cap(kind, MAX_SHORT), _utc_text(checked_at),
                 None if next_due is None else _utc_text(next_due), level, number))
            return _states_on(conn, [number])[number]

    def set_next_due(self, number: str, when: datetime | None) -> None:
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            conn.execute("UPDATE parcels SET next_due = ? WHERE number = ?",
                         (None if when is None else _utc_text(when), number))

    def mark_seen(self, number: str, *, at: datetime | None = None) -> None:
        """The user looked at the parcel: events first seen up to `at` (default now) are old."""
        seen = _utc_text(at if at is not None else self._clock.now())
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            conn.execute("UPDATE parcels SET seen_at = ? WHERE number = ?", (seen, number))

    def mark_registered(self, number: str, provider: str, *, at: datetime) -> None:
        """Remember a provider registration; the first registration time is kept."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO registrations (number, provider, registered_at) "
                         "VALUES (?, ?, ?)", (number, provider, _utc_text(at)))

    def purge(self, number: str) -> None:
        """Delete every trace of the parcel (only when the user asks): its state, events,
        claims, notification records and its marks in the meta table (`parcel_mark_key`).

        Provider registrations are kept: they describe the provider account, not local history,
        and re-registering a number costs quota again.
        """
        suffix = parcel_mark_key("", number)
        with self._write() as conn:
            conn.execute("DELETE FROM events WHERE number = ?", (number,))
            conn.execute("DELETE FROM parcels WHERE number = ?", (number,))
            conn.execute("DELETE FROM parcel_claims WHERE number = ?", (number,))
            conn.execute("DELETE FROM notifications WHERE number = ?", (number,))
            conn.execute("DELETE FROM meta WHERE substr(key, -length(?)) = ?", (suffix, suffix))


def _merge_source_order(stored: list[bytes], incoming: Sequence[tuple[bytes, Event | None]]
                        ) -> list[bytes]:
    """Source order (newest first) after adding the new events of `incoming` to `stored`.

    Stored events keep their order. A run of new events goes just above the next older known
    event in the provider's list; a trailing run goes just below the last known one; with no
    known event in the list at all, new events are newer than everything stored.
    """
    result = list(stored)
    run: list[bytes] = []
    last_known: bytes | None = None
    for ident, event in incoming:
        if event is None:
            at = result.index(ident)
            result[at:at] = run
            run = []
            last_known = ident
        else:
            run.append(ident)
    if run:
        at = 0 if last_known is None else result.index(last_known) + 1
        result[at:at] = run
    return result


def _display_order(source: list[bytes], utc_of: dict[bytes, str | None]) -> list[bytes]:
    """Newest first: events with a known UTC time are sorted by it among their own slots in
    source order; events without one keep their source position (local times of different
    zones are not comparable, the provider's order is the best evidence)."""
    order = list(source)
    slots = [i for i, ident in enumerate(order) if utc_of.get(ident)]
    rank = {ident: i for i, ident in enumerate(source)}
    timed = sorted((order[i] for i in slots),
                   key=lambda ident: (utc_of[ident], -rank[ident]), reverse=True)
    for slot, ident in zip(slots, timed, strict=True):
        order[slot] = ident
    return order
