"""The engine's state and its providers' runtime state: batch gates, backoff, pauses (taken
from and given to the other processes sharing the store), health reported to the front ends,
and the change listener."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from emstui.core.clock import Clock
from emstui.core.logs import logger
from emstui.core.model import ErrorKind, HealthState, PauseKind
from emstui.core.sanitize import clean_line
from emstui.engine.backoff import Backoff
from emstui.engine.events import Change, ProviderStateChanged
from emstui.engine.health import ProviderHealth
from emstui.engine.model import CycleReport, EngineSettings, WatchItem
from emstui.engine.progress import Progress
from emstui.providers.base import (
    AuthenticationError,
    BadResponseError,
    EndpointGoneError,
    Provider,
    ProviderError,
    QuotaExhaustedError,
    RateLimitedError,
    TemporaryError,
)
from emstui.store import ProviderPause, ScheduleRow, Store
from emstui.store.shared_limits import PERSISTENT_KINDS, SharedLimits

log = logger("emstui.refresh")  # the name log files have always shown

# A provider pause at most this long is waited out inside a pass; a longer one sends the
# waiting parcels to the next source. 17TRACK's 429s come with pauses of about a second, while
# the EMS tracker it would fall back to does one parcel per second: waiting is far cheaper.
PAUSE_WAIT_LIMIT = 60.0


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


class EngineCore:
    """What every part of the engine shares: store, clock, settings, watch list, providers."""

    def __init__(self, *, store: Store, providers: Mapping[str, Provider], clock: Clock,
                 settings: EngineSettings | None = None, watch: Sequence[WatchItem] = (),
                 listener: Callable[[Change], None] | None = None,
                 rng: random.Random | None = None,
                 limits: SharedLimits | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or EngineSettings()
        self._rng = rng or random.Random()
        # Everyone told of every change, in the order they subscribed (`subscribe`).
        self._consumers: list[Callable[[Change], None]] = [listener] if listener else []
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

    def subscribe(self, consumer: Callable[[Change], None]) -> Callable[[], None]:
        """Call `consumer` with every change from now on (the notifier, a front end); returns
        the call that unsubscribes it."""
        self._consumers.append(consumer)
        return lambda: self._consumers.remove(consumer) if consumer in self._consumers else None

    def _emit(self, change: Change) -> None:
        for consumer in tuple(self._consumers):
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

    def _update_offline(self, report: CycleReport) -> None:
        errors = [s.last_error for s in self._slots.values() if s.last_error is not None]
        offline = bool(errors) and not report.refreshed and all(
            isinstance(e, TemporaryError) and e.offline for e in errors)
        self.offline = offline
