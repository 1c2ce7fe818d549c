"""The refresh engine: decides when each parcel is checked, talks to providers, stores results.

UI-agnostic: the TUI runs `RefreshEngine.run()` in one long-lived worker, `--once` awaits
`RefreshEngine.refresh()` under `asyncio.run`. Consumers learn what happened through typed
change events (`emstui.engine.events`) passed to the `listener` callback.

Rules it keeps:
- a parcel is never refreshed twice at once; asking for a parcel already in flight coalesces;
- per provider, batches in flight are bounded by its concurrency, and every HTTP request a
  provider makes waits for a slot of its own `RateLimiter`, so emstui never causes a 429;
- temporary failures and 429s back a provider off (full jitter, Retry-After honoured). A short
  pause (up to `PAUSE_WAIT_LIMIT`, ending before the pass's deadline) is a pause: batches
  waiting for the provider wait for it, and a batch answered 429 is sent again after it, so one
  429 never hands a pass to a slower source. Parcels fall back to the next configured provider
  that supports them when the first cannot serve them (refused, failed) or its pause is long;
  authentication, quota and endpoint-gone failures pause the provider until the configuration
  changes;
- connection failures everywhere are one "offline" state, not an error on every parcel;
- each batch's results are stored as soon as they arrive, so cancelling loses nothing fetched.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from emstui.core.clock import Clock
from emstui.core.logs import logger
from emstui.core.model import (
    ErrorKind,
    HealthState,
    ParcelState,
    PauseKind,
    Stage,
    Status,
    Tracking,
)
from emstui.core.sanitize import clean_line
from emstui.engine.backoff import Backoff
from emstui.engine.events import (
    Change,
    CycleFinished,
    ParcelUpdated,
    ProviderStateChanged,
    RefreshStarted,
)
from emstui.engine.health import ProviderHealth
from emstui.engine.progress import Progress
from emstui.engine.schedule import MIN_INTERVAL, Policy, error_delay, next_due
from emstui.providers.base import (
    AuthenticationError,
    BadResponseError,
    EndpointGoneError,
    NumberResult,
    Provider,
    ProviderError,
    QuotaExhaustedError,
    RateLimitedError,
    TemporaryError,
)
from emstui.store import ProviderPause, ScheduleRow, Store
from emstui.store.shared_limits import PERSISTENT_KINDS, SharedLimits

log = logger("emstui.refresh")  # the name log files have always shown

MAX_WAIT = 300.0  # re-evaluate due times at least this often (clock jumps, suspend/resume)
# The engine plans from its own copy of every parcel's due time, updated as it stores results;
# it re-reads the store's this often to see what other processes (cron `--once`) wrote.
SCHEDULE_REREAD = timedelta(seconds=MAX_WAIT)
# A provider pause at most this long is waited out inside a pass; a longer one sends the
# waiting parcels to the next source. 17TRACK's 429s come with pauses of about a second, while
# the EMS tracker it would fall back to does one parcel per second: waiting is far cheaper.
PAUSE_WAIT_LIMIT = 60.0
RATE_LIMIT_RETRIES = 3  # times one batch is sent again after a 429 within a pass


@dataclass(frozen=True, slots=True)
class WatchItem:
    """One watched parcel as the engine sees it (built from the config's parcels)."""

    number: str
    interval: int | None = None
    provider: str | None = None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class EngineSettings:
    interval: int = 3600
    delivered_interval: int | None = None
    max_backoff: int = 7200
    order: tuple[str, ...] = ("17track", "ems")
    concurrency: int = 4
    backoff_base: float = 30.0
    min_interval: int = MIN_INTERVAL
    # What to do about a number no source in use tracks (services words it from the config).
    no_source_hint: str = "no source in use tracks this number"
    zone: tzinfo | None = UTC  # for times in messages; None: the machine's local zone

    @property
    def policy(self) -> Policy:
        return Policy(self.interval, self.delivered_interval, self.max_backoff,
                      self.min_interval)


@dataclass(slots=True)
class CycleReport:
    """What one refresh pass did."""

    started: datetime
    finished: datetime | None = None
    refreshed: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # number -> why, for parcels not refreshed
    requests: int = 0
    elsewhere: set[str] = field(default_factory=set)  # refreshed by another emstui process
    deadline: datetime | None = None  # pauses ending later are not waited for in this pass
    progressed: int = 0  # parcels of this pass counted as done in the engine's progress


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """The answer to "refresh now": what was queued, what was already running, what must wait."""

    queued: tuple[str, ...]
    in_progress: tuple[str, ...]
    waiting: dict[str, datetime]  # number -> when its provider accepts requests again
    blocked: dict[str, str]  # number -> why it cannot be refreshed at all (paused provider, ...)


class _ProviderSlot:
    """Runtime state the engine keeps for one provider."""

    def __init__(self, provider: Provider, clock: Clock, settings: EngineSettings,
                 rng: random.Random) -> None:
        caps = provider.capabilities
        self.provider = provider
        # Batches in flight at once. The request rate itself is the provider's own business:
        # each of its HTTP requests takes a slot of its RateLimiter (17TRACK spends two
        # requests on a batch with new numbers: register, then gettrackinfo).
        self.gate = asyncio.Semaphore(max(1, min(caps.concurrency, settings.concurrency)))
        self.backoff = Backoff(base=settings.backoff_base, cap=float(settings.max_backoff),
                               rng=rng)
        self.paused: ProviderError | None = None
        self.last_error: ProviderError | None = None
        self.health = ProviderHealth(provider.id, HealthState.IDLE)

    def available(self, now: datetime) -> bool:
        return self.paused is None and not self.backoff.blocked(now)

    def short_pause(self, now: datetime, deadline: datetime | None) -> bool:
        """Told to slow down (429), briefly enough (and ending before `deadline`) to wait for
        it. A backoff after failures (5xx, offline) means the source cannot serve now: its
        parcels go to the next source instead."""
        until = self.backoff.until
        if self.paused is not None or until is None or until <= now:
            return False
        if not isinstance(self.last_error, RateLimitedError):
            return False
        if deadline is not None and until > deadline:
            return False
        return (until - now).total_seconds() <= PAUSE_WAIT_LIMIT


class RefreshEngine:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], clock: Clock,
                 settings: EngineSettings | None = None, watch: Sequence[WatchItem] = (),
                 listener: Callable[[Change], None] | None = None,
                 rng: random.Random | None = None,
                 limits: SharedLimits | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or EngineSettings()
        self._rng = rng or random.Random()
        self.listener = listener
        # Called with every change too, and never replaced by a front end (the notifier).
        self.observers: list[Callable[[Change], None]] = []
        self._slots = {pid: _ProviderSlot(p, clock, self.settings, self._rng)
                       for pid, p in providers.items()}
        self._watch: dict[str, WatchItem] = {}
        self._unsupported: dict[str, set[str]] = {}  # number -> providers that refused it
        self.in_flight: set[str] = set()
        self._forced: set[str] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._passes: set[asyncio.Task[CycleReport]] = set()
        self.offline = False
        self.last_cycle: CycleReport | None = None
        self.next_wake: datetime | None = None
        self.limits = limits  # None: this process is alone (memory store, demo)
        self.progress: Progress | None = None  # while parcels are in flight
        self._watch = {item.number: item for item in watch}
        self._schedule: dict[str, ScheduleRow] = {}
        self._schedule_read: datetime | None = None  # None: read it on the next wake
        self._candidates: dict[str, list[str]] = {}
        self._sync_pauses(clock.now())

    # ---- configuration -------------------------------------------------------------------

    def set_watchlist(self, items: Iterable[WatchItem],
                      settings: EngineSettings | None = None) -> None:
        """Replace the watch list (after a config change). Paused providers get another chance."""
        self._watch = {item.number: item for item in items}
        self._schedule_read = None
        self._candidates.clear()
        if self.limits is not None:
            self.limits.config_changed(list(self._slots))
        if settings is not None:
            self.settings = settings
            for slot in self._slots.values():
                slot.backoff.cap = float(settings.max_backoff)
        for slot in self._slots.values():
            if slot.paused is not None:
                slot.paused = None
                self._set_health(slot, HealthState.IDLE, "configuration changed; will retry")
        self._wake.set()

    @property
    def providers(self) -> dict[str, Provider]:
        return {pid: slot.provider for pid, slot in self._slots.items()}

    def _sync_pauses(self, now: datetime) -> None:
        """Take on the pauses other processes stored (a 429's Retry-After, a rejected key)."""
        if self.limits is None:
            return
        for pid, pause in self.limits.pauses(now).items():
            slot = self._slots.get(pid)
            if slot is not None:
                self._take_pause(slot, pause)

    def _take_pause(self, slot: _ProviderSlot, pause: ProviderPause) -> None:
        pid = slot.provider.id
        if pause.kind in PERSISTENT_KINDS:
            if slot.paused is None:
                error_type = {PauseKind.AUTH: AuthenticationError,
                              PauseKind.QUOTA: QuotaExhaustedError}.get(pause.kind,
                                                                          EndpointGoneError)
                slot.paused = error_type(pid, pause.message)
                slot.last_error = slot.paused
                self._set_health(slot, HealthState(pause.kind.value), pause.message,
                                 pause.until)
            return
        if slot.backoff.until is not None and slot.backoff.until >= pause.until:
            return
        slot.backoff.until = pause.until
        slot.backoff.failures = max(slot.backoff.failures, pause.failures)
        offline = pause.kind == PauseKind.OFFLINE
        slot.last_error = (RateLimitedError(pid, pause.message) if pause.kind == PauseKind.RATELIMIT
                           else TemporaryError(pid, pause.message, offline=offline)
                           if pause.kind in (PauseKind.OFFLINE, PauseKind.BACKOFF) else
                           BadResponseError(pid, pause.message))
        self._set_health(slot, HealthState.OFFLINE if offline else HealthState.BACKOFF,
                         pause.message, pause.until)

    def health(self) -> dict[str, ProviderHealth]:
        return {pid: slot.health for pid, slot in self._slots.items()}

    # ---- listener ------------------------------------------------------------------------

    def _emit(self, change: Change) -> None:
        for consumer in (*self.observers, self.listener):
            if consumer is None:
                continue
            try:
                consumer(change)
            except Exception:  # a consumer's bug must never stop refreshing
                log.exception("change listener failed on %s", type(change).__name__)

    def _set_health(self, slot: _ProviderSlot, state: HealthState, message: str = "",
                    until: datetime | None = None) -> None:
        health = ProviderHealth(slot.provider.id, state, message, until)
        if health != slot.health:
            slot.health = health
            self._emit(ProviderStateChanged(health))

    # ---- choosing providers --------------------------------------------------------------

    def candidates(self, number: str) -> list[str]:
        """Providers that may track `number`, most preferred first (remembered until the
        watchlist changes or a provider refuses the number: the engine asks for every parcel
        on every wake)."""
        known = self._candidates.get(number)
        if known is None:
            known = self._candidates[number] = self._find_candidates(number)
        return known

    def _find_candidates(self, number: str) -> list[str]:
        item = self._watch.get(number)
        refused = self._unsupported.get(number, set())
        if item is not None and item.provider:
            ids = [item.provider]
        else:
            ids = [p for p in self.settings.order if p in self._slots]  # order is the set used
        return [pid for pid in ids
                if pid in self._slots and pid not in refused
                and self._slots[pid].provider.supports(number)]

    def untrackable(self) -> dict[str, str]:
        """Active parcels no source in use can track, with why and what to do."""
        return {number: self.no_source_reason(number) for number, item in self._watch.items()
                if not item.archived and not self.candidates(number)}

    def no_source_reason(self, number: str) -> str:
        item = self._watch.get(number)
        if item is not None and item.provider and item.provider not in self._slots:
            return (f"provider '{item.provider}' is set for this parcel but not in use: "
                    f"{self.settings.no_source_hint}")
        if self._unsupported.get(number):
            names = ", ".join(sorted(self._unsupported[number]))
            return f"not trackable by the sources in use ({names} refused it)"
        return self.settings.no_source_hint

    # ---- due times -----------------------------------------------------------------------

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

    def _provider_ready_at(self, number: str, now: datetime) -> datetime | None:
        """When some candidate provider accepts requests for `number` (None: none ever will)."""
        times = []
        for pid in self.candidates(number):
            slot = self._slots[pid]
            if slot.paused is not None:
                continue
            times.append(slot.backoff.until if slot.backoff.blocked(now) else now)
        return min(times) if times else None

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

    # ---- public actions ------------------------------------------------------------------

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

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Refresh forever: sleep until something is due or someone asks, then refresh."""
        self._stopping = False
        try:
            while not self._stopping:
                now = self.clock.now()
                self._sync_pauses(now)
                states = self.schedule(now)
                numbers = set(self.due_numbers(now, states)) | (self._forced - self.in_flight)
                numbers = {n for n in numbers if self._ready_or_unsourced(n, now)}
                self._forced -= numbers
                if numbers:
                    task = asyncio.ensure_future(self.refresh(numbers, force=True))
                    self._passes.add(task)
                    task.add_done_callback(self._pass_done)
                # Passes just started are in flight, so the states read above still serve.
                self.next_wake = self._compute_next_wake(self.clock.now(), states)
                await self._sleep_until(self.next_wake)
        finally:
            for task in list(self._passes):
                task.cancel()
            if self._passes:
                await asyncio.gather(*self._passes, return_exceptions=True)

    def _ready_or_unsourced(self, number: str, now: datetime) -> bool:
        if not self.candidates(number):
            return True  # the pass records why it cannot be tracked
        ready = self._provider_ready_at(number, now)
        return ready is not None and ready <= now

    def _pass_done(self, task: asyncio.Task[CycleReport]) -> None:
        self._passes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("refresh pass failed", exc_info=task.exception())
        self._wake.set()

    async def _sleep_until(self, when: datetime | None) -> None:
        timeout = MAX_WAIT
        if when is not None:
            timeout = min(MAX_WAIT, max(0.0, (when - self.clock.now()).total_seconds()))
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeper = asyncio.ensure_future(self.clock.sleep(timeout))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        self._wake.clear()

    # ---- one refresh pass ----------------------------------------------------------------

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

    def _why_waiting(self, cands: list[str]) -> str:
        parts = []
        for pid in cands:
            slot = self._slots[pid]
            err = slot.paused or slot.last_error
            when = slot.backoff.until
            # The message is clipped, never the retry time after it: a line cut for width
            # must not end in "next attempt at " with the time gone.
            text = f"{pid}: {clean_line(err.message, limit=160) if err else 'unavailable'}"
            if slot.paused is None and when is not None:
                text += ("; next attempt at "
                         f"{when.astimezone(self.settings.zone).isoformat(timespec='seconds')}")
            elif slot.paused is not None:
                text += "; paused until the configuration changes"
            parts.append(text)
        return " | ".join(parts)

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

    def progress_text(self) -> str | None:
        """The progress line while parcels are in flight ("refreshing 1,240/5,000 · ...")."""
        if self.progress is None:
            return None
        now = self.clock.now()
        names = {pid: slot.provider.name for pid, slot in self._slots.items()}
        paused = {}
        for pid, slot in self._slots.items():
            if slot.paused is not None:
                paused[pid] = "paused"
            elif slot.backoff.blocked(now):
                paused[pid] = ("rate-limited" if isinstance(slot.last_error, RateLimitedError)
                               else "offline" if isinstance(slot.last_error, TemporaryError)
                               and slot.last_error.offline else "backing off")
        return self.progress.describe(now, names, paused)

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
        for number in batch:
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

    def _provider_failed(self, slot: _ProviderSlot, exc: ProviderError) -> None:
        now = self.clock.now()
        slot.last_error = exc
        log.warning("%s", exc)
        if isinstance(exc, AuthenticationError | QuotaExhaustedError | EndpointGoneError):
            slot.paused = exc
            state = {ErrorKind.AUTH: HealthState.AUTH,
                     ErrorKind.QUOTA: HealthState.QUOTA}.get(exc.kind, HealthState.GONE)
            self._set_health(slot, state, exc.message)
            self._store_pause(slot, PauseKind(state.value), exc.message, None, now)
            return
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError | TemporaryError) \
            else None
        until = slot.backoff.fail(now, retry_after=retry_after)
        offline = isinstance(exc, TemporaryError) and exc.offline
        self._set_health(slot, HealthState.OFFLINE if offline else HealthState.BACKOFF,
                         exc.message, until)
        kind = (PauseKind.OFFLINE if offline else
                PauseKind.RATELIMIT if isinstance(exc, RateLimitedError) else PauseKind.BACKOFF)
        self._store_pause(slot, kind, exc.message, until, now)

    def _store_pause(self, slot: _ProviderSlot, kind: PauseKind, message: str,
                     until: datetime | None, now: datetime) -> None:
        if self.limits is not None:
            self.limits.pause(slot.provider.id, kind=kind, message=message, until=until,
                              failures=slot.backoff.failures, now=now)

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
        before = self.store.state(number)
        projected = ParcelState(number=number, status=tracking.status, stage=tracking.stage,
                                event_count=len(tracking.events) or (before.event_count
                                                                     if before else 0),
                                first_seen=before.first_seen if before else now)
        due = next_due(projected, base=self._base_interval(number),
                       policy=self.settings.policy, now=now)
        result = self.store.apply_tracking(tracking, checked_at=now, next_due=due)
        report.refreshed.add(number)
        if result.changed:
            report.changed.add(number)
        state = self.store.state(number)
        self._scheduled(state)
        if state is not None:
            self._emit(ParcelUpdated(number, state, result.new_events, result.old_status,
                                     result.status_changed))

    def _record_parcel_error(self, number: str, kind: ErrorKind, message: str, now: datetime, *,
                             bump: bool = True) -> None:
        before = self.store.state(number)
        level = (before.backoff_level if before else 0) + (1 if bump else 0)
        if bump:
            delay = error_delay(level - 1, max_backoff=self.settings.max_backoff)
        else:
            delay = max(self._base_interval(number), self.settings.min_interval)
        due = now + timedelta(seconds=delay)
        self.store.record_error(number, kind=kind, message=message, checked_at=now,
                                next_due=due, backoff_level=level)
        state = self.store.state(number)
        self._scheduled(state)
        if state is not None:
            self._emit(ParcelUpdated(number, state, error=message))

    def _update_offline(self, report: CycleReport) -> None:
        errors = [s.last_error for s in self._slots.values() if s.last_error is not None]
        offline = bool(errors) and not report.refreshed and all(
            isinstance(e, TemporaryError) and e.offline for e in errors)
        self.offline = offline
