"""Client-side request limiting per provider: concurrency, requests per window, spacing.

A plain token bucket with a burst lets `burst + rate` requests through in the first second,
which a server enforcing "N requests in any 1 s window" (17TRACK: 3/s, HTTP 429 beyond) answers
with 429s. So this limiter keeps a log of recent request starts and admits a request only when
fewer than `limit` started within the last `window` seconds (plus a small safety margin for
network jitter), which can never exceed the server's window.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Protocol

from emstui.core.clock import Clock


class SharedSlots(Protocol):
    """Request slots shared with other processes (`emstui.store.shared_limits.StoreSlots`)."""

    def take(self, *, limit: int, window: float, min_interval: float,
             concurrency: int) -> tuple[float, int | None]: ...

    def release(self, slot: int) -> None: ...


class RateLimiter:
    def __init__(self, clock: Clock, *, limit: int, window: float = 1.0, concurrency: int = 1,
                 min_interval: float = 0.0, margin: float = 0.1) -> None:
        if limit < 1 or concurrency < 1:
            raise ValueError("limit and concurrency must be at least 1")
        self._clock = clock
        self._limit = limit
        self._window = window + margin
        self._min_interval = min_interval
        self._starts: deque[datetime] = deque(maxlen=limit)
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
        if len(self._starts) == self._limit:
            delay = self._window - (now - self._starts[0]).total_seconds()
        if self._starts and self._min_interval:
            since_last = (now - self._starts[-1]).total_seconds()
            delay = max(delay, self._min_interval - since_last)
        return max(0.0, delay)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a concurrency slot and a rate slot for the duration of one request."""
        async with self._semaphore:
            async with self._gate:
                while (delay := self._delay(self._clock.now())) > 0:
                    self.waited += delay
                    await self._clock.sleep(delay)
                shared_slot = await self._take_shared()
                self._starts.append(self._clock.now())
            try:
                yield
            finally:
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
