"""Storing one number's result: a tracking answer, a per-number error, or a refusal that sends
the number to the next source; one store round trip each, and the change announced."""

from __future__ import annotations

from datetime import datetime, timedelta

from emstui.core.model import ErrorKind, ParcelState, Stage, Status, Tracking
from emstui.engine.events import ParcelUpdated
from emstui.engine.model import CycleReport
from emstui.engine.planning import Planner
from emstui.engine.schedule import error_delay, next_due
from emstui.providers.base import NumberResult


class ResultApplier(Planner):
    """Results into the store, changes out to the listeners."""

    def _store_result(self, pid: str, result: NumberResult, report: CycleReport) -> bool:
        """Store one number's result. True when the number should be tried on another provider."""
        now = self.clock.now()
        number = result.number
        if result.tracking is not None:
            self._apply(result.tracking, now, report)
            return False
        error = result.error
        if error is None:
            self._record_parcel_error(number, ErrorKind.BAD_RESPONSE,
                                      f"{pid} returned no result for this number", now)
            report.failed[number] = f"{pid}: no result"
            return False
        if error.kind == ErrorKind.UNSUPPORTED:
            self._unsupported.setdefault(number, set()).add(pid)
            self._candidates.pop(number, None)
            if self.candidates(number):
                return True
            reason = f"{pid}: {error.message}"
            self._record_parcel_error(number, ErrorKind.UNSUPPORTED, reason, now, bump=False)
            report.failed[number] = reason
            return False
        if error.kind == ErrorKind.QUOTA and any(c != pid for c in self.candidates(number)):
            return True  # e.g. no 17TRACK quota left to register it: the EMS tracker may know it
        if error.kind == ErrorKind.NOT_FOUND:
            state = self.store.state(number)
            if state is not None and state.event_count:
                # The parcel had history: a source that forgot it must not erase its status.
                self._record_parcel_error(number, ErrorKind.NOT_FOUND, f"{pid}: {error.message}",
                                          now, bump=False)
            else:
                self._apply(Tracking(number, pid, Status.NOT_FOUND, Stage.NONE), now, report)
            return False
        self._record_parcel_error(number, error.kind, f"{pid}: {error.message}", now)
        report.failed[number] = f"{pid}: {error.message}"
        return False

    def _apply(self, tracking: Tracking, now: datetime, report: CycleReport) -> None:
        number = tracking.number
        policy, base = self.settings.policy, self._base_interval(number)
        result = self.store.apply_tracking(
            tracking, checked_at=now,
            next_due=lambda stored: next_due(stored, base=base, policy=policy, now=now))
        report.refreshed.add(number)
        if result.changed:
            report.changed.add(number)
        self._scheduled(result.state)
        self._emit(ParcelUpdated(number, result.state, result.new_events, result.old_status,
                                 result.status_changed))

    def _record_parcel_error(self, number: str, kind: ErrorKind, message: str, now: datetime, *,
                             bump: bool = True) -> None:
        max_backoff = self.settings.max_backoff
        quiet = max(self._base_interval(number), self.settings.min_interval)

        def due(stored: ParcelState) -> datetime:
            if bump:
                return now + timedelta(seconds=error_delay(stored.backoff_level - 1,
                                                           max_backoff=max_backoff))
            return now + timedelta(seconds=quiet)

        state = self.store.record_error(number, kind=kind, message=message, checked_at=now,
                                        next_due=due, bump_backoff=bump)
        self._scheduled(state)
        self._emit(ParcelUpdated(number, state, error=message))
