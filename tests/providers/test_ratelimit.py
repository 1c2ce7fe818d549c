"""The request limiter never lets more than `limit` requests start within one window."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

from emstui.core.clock import FakeClock
from emstui.providers.ratelimit import RateLimiter


async def _starts(limiter: RateLimiter, clock: FakeClock, n: int) -> list[datetime]:
    starts: list[datetime] = []

    async def one() -> None:
        async with limiter.slot():
            starts.append(clock.now())

    await asyncio.gather(*(one() for _ in range(n)))
    return sorted(starts)


async def test_three_per_second_never_exceeds_three_in_any_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter.per_second(clock, 3.0, concurrency=4)
    starts = await _starts(limiter, clock, 12)
    for i in range(len(starts) - 3):
        assert (starts[i + 3] - starts[i]).total_seconds() >= 1.0
    total = (starts[-1] - starts[0]).total_seconds()
    assert total < 4 * 1.1 + 0.01  # 12 requests = 4 windows, no slower than the margin


async def test_min_interval_spaces_requests() -> None:
    clock = FakeClock()
    limiter = RateLimiter.per_second(clock, 1.0, concurrency=1, min_interval=1.0)
    starts = await _starts(limiter, clock, 4)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert all(gap >= 1.0 for gap in gaps)


async def test_concurrency_bounds_requests_in_flight() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, limit=100, concurrency=2)
    active = 0
    peak = 0

    async def one() -> None:
        nonlocal active, peak
        async with limiter.slot():
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            active -= 1

    await asyncio.gather(*(one() for _ in range(10)))
    assert peak == 2


async def test_slow_answers_never_put_more_than_limit_arrivals_in_a_window() -> None:
    """A request counts from its send until its answer: the server sees it arrive anywhere in
    between, so the next one after `limit` waits a window from the answer, not the send."""
    clock = FakeClock()
    limiter = RateLimiter.per_second(clock, 3.0, concurrency=4)
    spans: list[tuple[datetime, datetime]] = []

    async def one(answer_time: float) -> None:
        async with limiter.slot():
            sent = clock.now()
            await clock.sleep(answer_time)
            spans.append((sent, clock.now()))

    # The first answers are slow (as measured: ~300 ms instead of 55 ms), the rest quick.
    await asyncio.gather(*(one(0.3 if i < 3 else 0.05) for i in range(9)))
    spans.sort()
    for i in range(len(spans) - 3):
        # Worst case for the server: request i arrives as its answer leaves, request i+3 the
        # moment it is sent. Still a full window apart.
        assert (spans[i + 3][0] - spans[i][1]).total_seconds() >= 1.0
