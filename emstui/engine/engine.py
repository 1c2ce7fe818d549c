"""The refresh engine: decides when each parcel is checked, talks to providers, stores results.

UI-agnostic: the TUI runs `RefreshEngine.run()` in one long-lived worker, `--once` awaits
`RefreshEngine.refresh()` under `asyncio.run`. Consumers learn what happened through typed
change events (`emstui.engine.events`): the `listener` given at construction and every
consumer added with `subscribe`.

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

The parts, each in its own module: `model` (settings, reports), `core` (state, providers'
pauses and health), `sources` (candidates), `planning` (due times, wakes), `results` (storing
one result), `batches` (a pass and its batches); this module runs them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from emstui.engine.batches import RATE_LIMIT_RETRIES, PassRunner
from emstui.engine.core import PAUSE_WAIT_LIMIT, log
from emstui.engine.model import CycleReport, EngineSettings, RefreshRequest, WatchItem
from emstui.engine.planning import MAX_WAIT, SCHEDULE_REREAD


class RefreshEngine(PassRunner):
    """The refresh engine: the loop that wakes, starts passes and sleeps until the next due."""

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


__all__ = ["MAX_WAIT", "PAUSE_WAIT_LIMIT", "RATE_LIMIT_RETRIES", "SCHEDULE_REREAD", "CycleReport",
           "EngineSettings", "RefreshEngine", "RefreshRequest", "WatchItem"]
