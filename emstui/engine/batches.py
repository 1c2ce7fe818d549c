"""One refresh pass: the parcels it takes, the source each goes to, batches sent under each
provider's gate (waiting out short pauses, sending a 429'd batch again), claims shared with
other processes, and progress."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta

from emstui.core.model import ErrorKind, HealthState
from emstui.engine.core import _ProviderSlot
from emstui.engine.events import CycleFinished, RefreshStarted
from emstui.engine.model import CycleReport
from emstui.engine.progress import Progress
from emstui.engine.results import ResultApplier
from emstui.providers.base import NumberResult, ProviderError, RateLimitedError

RATE_LIMIT_RETRIES = 3  # times one batch is sent again after a 429 within a pass
# A batch's results are stored this many at a time, the event loop running in between: 40 in
# one go (a store transaction and a change event each) held the monitor's loop ~20-40 ms, and
# batches answered together added up.
STORE_CHUNK = 8


class PassRunner(ResultApplier):
    """Refresh passes and the batches they send."""

    async def refresh(self, numbers: Iterable[str] | None = None, *,
                      force: bool = False) -> CycleReport:
        """Refresh the given parcels (default: every due one) once and store the results.

        With `force`, the given parcels are refreshed even if not yet due. Parcels already in
        flight elsewhere are skipped (their running refresh serves this request too).
        """
        now = self.clock.now()
        report = CycleReport(started=now, deadline=now + timedelta(
            seconds=max(self.settings.interval, self.settings.min_interval)))
        self._sync_pauses(now)
        if numbers is None:
            wanted = self.due_numbers(now, self.schedule(now))
        else:
            wanted = [n for n in dict.fromkeys(numbers)
                      if n in self._watch and not self._watch[n].archived]
            if not force:
                schedule = self.store.schedule(wanted)
                wanted = [n for n in wanted if (at := self._due_at(schedule.get(n), now))
                          is not None and at <= now]
        wanted = [n for n in wanted if n not in self.in_flight]
        if not wanted:
            report.finished = self.clock.now()
            return report
        if self.progress is None:
            self.progress = Progress(started=now)
        self.progress.add(len(wanted))
        self.in_flight.update(wanted)
        self._emit(RefreshStarted(tuple(wanted)))
        try:
            await self._run_pass(wanted, report)
        finally:
            self.in_flight.difference_update(wanted)
            if report.elsewhere:  # another process stored these: take its due times
                self._schedule.update(self.store.schedule(report.elsewhere))
            self._progressed(report, len(wanted) - report.progressed)
            if not self.in_flight:
                self.progress = None
            report.finished = self.clock.now()
            self.last_cycle = report
            self._update_offline(report)
            self._emit(CycleFinished(report.started, report.finished, len(report.refreshed),
                                     len(report.failed), self.next_wake))
        return report

    async def _run_pass(self, numbers: list[str], report: CycleReport) -> None:
        tried: dict[str, set[str]] = {n: set() for n in numbers}
        pending = list(numbers)
        while pending:
            now = self.clock.now()
            groups: dict[str, list[str]] = {}
            for number in pending:
                choice = self._choose(number, tried[number], now, report)
                if choice is not None:
                    groups.setdefault(choice, []).append(number)
            self._progressed(report, len(pending) - sum(len(g) for g in groups.values()))
            if not groups:
                return
            batches = []
            for pid, group in groups.items():
                size = max(1, self._slots[pid].provider.capabilities.max_batch)
                batches += [(pid, group[i:i + size]) for i in range(0, len(group), size)]
                if self.progress is not None:
                    self.progress.assign(pid, len(group))
            outcomes = await asyncio.gather(*(self._run_batch(pid, batch, report)
                                              for pid, batch in batches))
            pending = []
            for (pid, _batch), retry in zip(batches, outcomes, strict=True):
                for number in retry:
                    tried[number].add(pid)
                    pending.append(number)

    def _choose(self, number: str, tried: set[str], now: datetime,
                report: CycleReport) -> str | None:
        cands = self.candidates(number)
        if not cands:
            reason = self.no_source_reason(number)
            report.failed[number] = reason
            self._record_parcel_error(number, ErrorKind.NO_SOURCE, reason, now, bump=False)
            return None
        for pid in cands:
            slot = self._slots[pid]
            if pid not in tried and (slot.available(now)
                                     or slot.short_pause(now, report.deadline)):
                return pid
        report.failed[number] = self._why_waiting(cands)
        return None

    async def _run_batch(self, pid: str, batch: list[str], report: CycleReport) -> list[str]:
        """Send one batch; store its results. Returns the numbers to try elsewhere."""
        retry = batch
        try:
            retry = await self._run_batch_once(pid, batch, report)
            return retry
        finally:
            if self.progress is not None:
                self.progress.release(pid, len(batch))
            self._progressed(report, len(batch) - len(retry))

    def _progressed(self, report: CycleReport, count: int) -> None:
        if count > 0 and self.progress is not None:
            report.progressed += count
            self.progress.finish(count)

    async def _run_batch_once(self, pid: str, batch: list[str],
                              report: CycleReport) -> list[str]:
        slot = self._slots[pid]
        retries = 0
        async with slot.gate:
            while True:
                if not await self._wait_for_provider(slot, report.deadline):
                    return batch  # failed while this batch waited, and the pause is long
                claimed = self._claim(batch, report)
                if not claimed:
                    return []
                try:
                    outcome = await self._send_batch(slot, claimed, report)
                finally:  # stored (or failed): other processes may take these parcels again
                    if self.limits is not None:
                        self.limits.release(claimed)
                if isinstance(outcome, list):
                    return outcome
                if not (isinstance(outcome, RateLimitedError) and retries < RATE_LIMIT_RETRIES
                        and slot.short_pause(self.clock.now(), report.deadline)):
                    return claimed
                retries += 1  # told to slow down, not that it cannot serve: send it again
                batch = claimed

    async def _wait_for_provider(self, slot: _ProviderSlot, deadline: datetime | None) -> bool:
        """Wait out a short pause of the provider. False: it is paused for longer."""
        while True:
            now = self.clock.now()
            self._sync_pauses(now)
            if slot.available(now):
                return True
            if not slot.short_pause(now, deadline):
                return False
            assert slot.backoff.until is not None  # short_pause says so
            await self.clock.sleep((slot.backoff.until - now).total_seconds())

    async def _send_batch(self, slot: _ProviderSlot, batch: list[str],
                          report: CycleReport) -> list[str] | ProviderError:
        """One request. The numbers to try elsewhere, or the error the whole request met."""
        pid = slot.provider.id
        started = self.clock.now()
        report.requests += 1
        if self.progress is not None:
            self.progress.request(pid, started)
        try:
            results = await slot.provider.track(batch)
        except ProviderError as exc:
            self._provider_failed(slot, exc)
            return exc
        slot.backoff.succeed()
        slot.last_error = None
        if self.limits is not None:
            self.limits.resume(pid, request_started=started)
        self._set_health(slot, HealthState.OK)
        retry: list[str] = []
        by_number = {r.number: r for r in results}
        for index, number in enumerate(batch):
            if index and not index % STORE_CHUNK:
                await asyncio.sleep(0)
            result = by_number.get(number)
            if result is None:
                result = NumberResult(number)  # provider forgot it: treat as a bad answer
            if self._store_result(pid, result, report):
                retry.append(number)
        return retry

    def _claim(self, batch: list[str], report: CycleReport) -> list[str]:
        """The numbers of `batch` this process refreshes: not fresh or busy elsewhere."""
        if self.limits is None:
            return batch
        claims = self.limits.claim(batch, fresh_since=report.started)
        report.elsewhere.update(claims.fresh)
        report.elsewhere.update(claims.busy)
        return list(claims.claimed)
