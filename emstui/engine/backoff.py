"""Exponential backoff with full jitter, honouring a server's Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class Backoff:
    """Backoff state for one provider (or one parcel).

    The n-th consecutive failure waits a uniformly random time in [floor, min(cap, base * 2**n)]
    ("full jitter": many clients spread out instead of retrying in lockstep). A server's
    Retry-After wins when given, even beyond the cap, because the server knows best.
    """

    base: float = 30.0
    cap: float = 7200.0
    floor: float = 1.0
    failures: int = 0
    until: datetime | None = None
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self) -> float:
        """The largest delay the next failure may draw."""
        return min(self.cap, self.base * (2 ** min(self.failures, 32)))

    def fail(self, now: datetime, *, retry_after: float | None = None) -> datetime:
        if retry_after is not None and retry_after >= 0:
            delay = max(self.floor, retry_after)
        else:
            delay = max(self.floor, self.rng.uniform(0.0, self.ceiling()))
        self.failures += 1
        self.until = now + timedelta(seconds=delay)
        return self.until

    def succeed(self) -> None:
        self.failures = 0
        self.until = None

    def blocked(self, now: datetime) -> bool:
        return self.until is not None and now < self.until
