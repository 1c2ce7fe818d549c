"""A sliding one-second window rate limiter with an injectable monotonic time source."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allow at most `rate * window` requests per key in any `window` seconds.

    Rejected requests are not counted, so a client that waits as told gets through.
    A rate of 0 or less disables limiting.
    """

    def __init__(self, rate: float, *, window: float = 1.0,
                 time_source: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.window = window
        self._time = time_source
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return max(1, math.floor(self.rate * self.window))

    def acquire(self, key: str) -> float | None:
        """Record a request; None if allowed, else the seconds until one would be allowed."""
        if self.rate <= 0:
            return None
        now = self._time()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.capacity:
                return max(0.0, hits[0] + self.window - now)
            hits.append(now)
            return None
