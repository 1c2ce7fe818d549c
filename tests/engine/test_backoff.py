"""Backoff: full jitter within bounds, Retry-After wins, success resets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from emstui.engine.backoff import Backoff

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_delays_stay_within_the_doubling_ceiling_and_the_cap() -> None:
    backoff = Backoff(base=30, cap=600, rng=random.Random(1))
    ceilings = []
    for _ in range(8):
        ceiling = backoff.ceiling()
        until = backoff.fail(NOW)
        delay = (until - NOW).total_seconds()
        assert backoff.floor <= delay <= max(ceiling, backoff.floor)
        ceilings.append(ceiling)
    assert ceilings == [30, 60, 120, 240, 480, 600, 600, 600]


def test_full_jitter_spreads_delays_across_the_whole_range() -> None:
    delays = []
    for seed in range(200):
        backoff = Backoff(base=100, cap=100, rng=random.Random(seed))
        delays.append((backoff.fail(NOW) - NOW).total_seconds())
    assert min(delays) < 20 and max(delays) > 80


def test_retry_after_is_honoured_even_beyond_the_cap() -> None:
    backoff = Backoff(base=30, cap=60, rng=random.Random(0))
    assert backoff.fail(NOW, retry_after=120) == NOW + timedelta(seconds=120)
    assert backoff.blocked(NOW + timedelta(seconds=119))
    assert not backoff.blocked(NOW + timedelta(seconds=120))


def test_success_resets_the_failure_count() -> None:
    backoff = Backoff(base=30, cap=7200, rng=random.Random(0))
    for _ in range(5):
        backoff.fail(NOW)
    assert backoff.ceiling() == 960
    backoff.succeed()
    assert backoff.failures == 0 and backoff.until is None
    assert backoff.ceiling() == 30
