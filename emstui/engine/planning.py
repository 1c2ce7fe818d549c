"""When each parcel is due, the engine's copy of the due times, when to wake next, and the
answer to "refresh now"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from emstui.core.model import ErrorKind, ParcelState
from emstui.engine.model import RefreshRequest
from emstui.engine.sources import SourceChoice
from emstui.store import ScheduleRow

MAX_WAIT = 300.0  # re-evaluate due times at least this often (clock jumps, suspend/resume)
# The engine plans from its own copy of every parcel's due time, updated as it stores results;
# it re-reads the store's this often to see what other processes (cron `--once`) wrote.
SCHEDULE_REREAD = timedelta(seconds=MAX_WAIT)


class Planner(SourceChoice):
    """Due times and wakes."""

    def _base_interval(self, number: str) -> int:
        item = self._watch.get(number)
        return item.interval if item and item.interval else self.settings.interval

    def _due_at(self, state: ParcelState | ScheduleRow | None,
                now: datetime) -> datetime | None:
        if state is None or state.last_checked is None or state.number in self._forced:
            return now
        if state.error_kind == ErrorKind.NO_SOURCE and self.candidates(state.number):
            return now  # a source is usable now (a key was added): no need to wait
        return state.next_due

    def due_numbers(self, now: datetime,
                    states: Mapping[str, ParcelState | ScheduleRow]) -> list[str]:
        due = []
        for number, item in self._watch.items():
            if item.archived or number in self.in_flight:
                continue
            at = self._due_at(states.get(number), now)
            if at is not None and at <= now:
                due.append(number)
        return due

    def schedule(self, now: datetime) -> dict[str, ScheduleRow]:
        """Every watched parcel's due time: the engine's copy, read again from the store every
        `SCHEDULE_REREAD` (and after the watchlist changed)."""
        if self._schedule_read is None or not (
                self._schedule_read <= now < self._schedule_read + SCHEDULE_REREAD):
            self._schedule = self.store.schedule(self._watch)
            self._schedule_read = now
        return self._schedule

    def _scheduled(self, state: ParcelState | None) -> None:
        """Keep the engine's copy of a parcel's due time as it was just stored."""
        if state is not None:
            self._schedule[state.number] = ScheduleRow(state.number, state.last_checked,
                                                       state.next_due, state.error_kind)

    def _compute_next_wake(
            self, now: datetime,
            states: Mapping[str, ParcelState | ScheduleRow] | None = None) -> datetime | None:
        if states is None:
            states = self.schedule(now)
        best: datetime | None = None
        for number, item in self._watch.items():
            if item.archived or number in self.in_flight:
                continue
            at = self._due_at(states.get(number), now)
            if at is None:
                continue
            ready = self._provider_ready_at(number, now)
            if ready is None:
                if self.candidates(number):
                    continue  # every candidate is paused: wait for a config change
                ready = now  # no source at all: due handling records why
            at = max(at, ready)
            if best is None or at < best:
                best = at
        return best

    def request_refresh(self, numbers: Iterable[str] | None = None) -> RefreshRequest:
        """Refresh these parcels (all active ones when None) as soon as limits allow."""
        now = self.clock.now()
        wanted = list(numbers) if numbers is not None else [
            n for n, item in self._watch.items() if not item.archived]
        queued, running, waiting, blocked = [], [], {}, {}
        for number in wanted:
            if number in self.in_flight:
                running.append(number)
                continue
            cands = self.candidates(number)
            if not cands:
                blocked[number] = self.no_source_reason(number)
                continue
            ready = self._provider_ready_at(number, now)
            if ready is None:
                paused = [self._slots[c].paused for c in cands]
                blocked[number] = "; ".join(str(p) for p in paused if p is not None)
                continue
            if ready > now:
                waiting[number] = ready
            queued.append(number)
            self._forced.add(number)
        self._wake.set()
        return RefreshRequest(tuple(queued), tuple(running), waiting, blocked)
