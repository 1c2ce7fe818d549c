"""Client-side request limiting per provider: concurrency, requests per window, spacing.

A plain token bucket with a burst lets `burst + rate` requests through in the first second,
which a server enforcing "N requests in any 1 s window" (17TRACK: 3/s, HTTP 429 beyond) answers
with 429s. Spacing request *starts* a window apart is not enough either: the server counts a
request when it arrives, which is anywhere between our send and its answer, so a slow answer
(300 ms instead of 50) puts the next send inside the server's window (measured: three 429s
after starts exactly 1.1 s apart). So this limiter counts each request from its send until its
response: a request may start only when fewer than `limit` requests ended (or are still
running) within the last `window` seconds (plus 10 ms for timer resolution). The server
then sees at most `limit` arrivals in any window whatever the network delay, at the cost of one
round trip per `limit` requests.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from emstui.core.clock import Clock


class SharedSlots(Protocol):
    """Request slots shared with other processes (`emstui.store.shared_limits.StoreSlots`)."""

    def take(self, *, limit: int, window: float, min_interval: float,
             concurrency: int) -> tuple[float, int | None]: ...

    def release(self, slot: int) -> None: ...


@dataclass(slots=True)
class _Request:
    """One request in the limiter's log: from its send until its response."""

    started: datetime
    ended: datetime | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def since(self, now: datetime) -> float:
        """Seconds since it ended (since it started while it runs)."""
        return (now - (self.ended or self.started)).total_seconds()


class RateLimiter:
    def __init__(self, clock: Clock, *, limit: int, window: float = 1.0, concurrency: int = 1,
                 min_interval: float = 0.0, margin: float = 0.01) -> None:
        if limit < 1 or concurrency < 1:
            raise ValueError("limit and concurrency must be at least 1")
        self._clock = clock
        self._limit = limit
        self._window = window + margin
        self._min_interval = min_interval
        self._recent: deque[_Request] = deque(maxlen=limit)
        self._semaphore = asyncio.Semaphore(concurrency)
        self._gate = asyncio.Lock()  # serialises the "may I start now?" decision
        self._concurrency = concurrency
        # Set when other processes use the same provider: their requests count too.
        self.shared: SharedSlots | None = None
        self.waited = 0.0  # total seconds spent waiting for the rate (for benchmarks)

    @classmethod
    def per_second(cls, clock: Clock, rate: float, *, concurrency: int,
                   min_interval: float = 0.0) -> RateLimiter:
        """`rate` requests per second as "ceil(rate) requests per ceil(rate)/rate seconds"."""
        limit = max(1, int(rate)) if rate >= 1 else 1
        window = limit / rate if rate > 0 else 1.0
        return cls(clock, limit=limit, window=window, concurrency=concurrency,
                   min_interval=min_interval)

    def _delay(self, now: datetime) -> float:
        delay = 0.0
        if len(self._recent) == self._limit:
            delay = self._window - self._recent[0].since(now)
        if self._recent and self._min_interval:
            delay = max(delay, self._min_interval - self._recent[-1].since(now))
        return max(0.0, delay)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a concurrency slot and a rate slot for the duration of one request."""
        async with self._semaphore:
            async with self._gate:
                while True:
                    oldest = self._recent[0] if len(self._recent) == self._limit else None
                    if oldest is not None and oldest.ended is None:
                        await oldest.done.wait()  # its window starts when its answer arrives
                        continue
                    delay = self._delay(self._clock.now())
                    if delay <= 0:
                        break
                    self.waited += delay
                    await self._clock.sleep(delay)
                shared_slot = await self._take_shared()
                request = _Request(self._clock.now())
                self._recent.append(request)
            try:
                yield
            finally:
                request.ended = self._clock.now()
                request.done.set()
                if shared_slot is not None and self.shared is not None:
                    self.shared.release(shared_slot)

    async def _take_shared(self) -> int | None:
        """Wait for a slot in the log shared with other processes (None when not shared)."""
        if self.shared is None:
            return None
        while True:
            delay, slot = self.shared.take(limit=self._limit, window=self._window,
                                           min_interval=self._min_interval,
                                           concurrency=self._concurrency)
            if slot is not None:
                return slot
            self.waited += delay
            await self._clock.sleep(delay)
