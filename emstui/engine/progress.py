"""How far the refresh engine is through the parcels it is refreshing, and how long is left.

A pass of 5000 parcels takes under a minute through 17TRACK and over an hour through the EMS
tracker alone (one parcel per second): the monitor's header and `--once` on a terminal say how
far it is, which source is working at what rate, and when a source makes the rest wait.

    refreshing 1,240/5,000 · 17TRACK 3/s · ~21 min left
    refreshing 1,240/5,000 · 17TRACK rate-limited, 3,760 parcels waiting · ~1 min left

UI-agnostic (no Textual); the engine updates it, consumers read `describe()`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

RATE_WINDOW = 10.0  # seconds of recent requests a source's rate is measured over
MIN_ELAPSED_FOR_ETA = 3.0  # seconds before a time left is guessed from the pace so far
MIN_ELAPSED_FOR_RATE = 5.0  # seconds before a source's request rate is shown


# Parcels per second each source refreshes in a long pass, measured against the simulator at
# 50 ms latency (bench/refresh.py): 17TRACK 3 requests/s of 40 parcels, counted from send to
# answer; the EMS tracker one parcel per request, 1 s from one answer to the next request.
PARCELS_PER_SECOND = {"17track": 107.0, "ems": 0.9}


def pass_seconds(parcels_by_source: dict[str, int]) -> float:
    """How long a pass of these parcels takes (sources work side by side)."""
    return max((count / PARCELS_PER_SECOND.get(source, 1.0)
                for source, count in parcels_by_source.items()), default=0.0)


def format_span(seconds: float) -> str:
    """A rough duration: "~40 s", "~18 min", "~1 h 30 min"."""
    return format_left(seconds).removesuffix(" left")


def _count(n: int) -> str:
    return f"{n:,}"


def format_left(seconds: float) -> str:
    """A rough duration for "~... left": seconds under a minute, minutes, then hours."""
    if seconds < 60:
        return f"~{max(1, round(seconds))} s left"
    if seconds < 3600:
        return f"~{round(seconds / 60)} min left"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"~{hours} h {minutes:02d} min left" if minutes else f"~{hours} h left"


@dataclass(slots=True)
class Progress:
    """Parcels the engine took on since it was last idle, and what became of them."""

    started: datetime
    total: int = 0
    done: int = 0
    # Per source: recent request start times (for its rate), parcels handed to it not done.
    requests: dict[str, deque[datetime]] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)

    def add(self, count: int) -> None:
        self.total += count

    def finish(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)

    def request(self, source: str, at: datetime) -> None:
        self.requests.setdefault(source, deque(maxlen=256)).append(at)

    def assign(self, source: str, count: int) -> None:
        """`count` parcels are now queued for `source`."""
        self.pending[source] = self.pending.get(source, 0) + count

    def release(self, source: str, count: int) -> None:
        """`count` parcels queued for `source` are done with it (answered, failed, moved)."""
        left = self.pending.get(source, 0) - count
        if left > 0:
            self.pending[source] = left
        else:
            self.pending.pop(source, None)

    def rate(self, source: str, now: datetime) -> float:
        """Requests per second to `source` over the last `RATE_WINDOW` seconds (0 until
        `MIN_ELAPSED_FOR_RATE` seconds have passed: 17TRACK sends three at once, then waits,
        so the first second says nothing about the rate)."""
        times = self.requests.get(source)
        elapsed = (now - self.started).total_seconds()
        if not times or elapsed < MIN_ELAPSED_FOR_RATE:
            return 0.0
        recent = sum(1 for t in times if (now - t).total_seconds() <= RATE_WINDOW)
        return recent / min(RATE_WINDOW, elapsed)

    def seconds_left(self, now: datetime) -> float | None:
        """From the pace so far; None until there is a pace to go by."""
        elapsed = (now - self.started).total_seconds()
        if self.done <= 0 or elapsed < MIN_ELAPSED_FOR_ETA:
            return None
        return (self.total - self.done) * elapsed / self.done

    def describe(self, now: datetime, names: dict[str, str],
                 paused: dict[str, str] | None = None) -> str:
        """One line: count, the busiest source and its rate (or the paused source parcels wait
        for: `paused` maps a source to why, e.g. "rate-limited"), time left."""
        parts = [f"refreshing {_count(self.done)}/{_count(self.total)}"]
        waiting = {s: n for s, n in self.pending.items() if paused and s in paused}
        if waiting and paused:
            source = max(waiting, key=lambda s: waiting[s])
            parts.append(f"{names.get(source, source)} {paused[source]}, "
                         f"{_count(waiting[source])} parcels waiting")
        else:
            rates = {s: self.rate(s, now) for s in self.requests}
            busy = {s: r for s, r in rates.items() if r > 0}
            if busy:
                source = max(busy, key=lambda s: busy[s])
                rate = busy[source]
                shown = f"{rate:.0f}/s" if rate >= 1 else f"1 per {1 / rate:.0f} s"
                parts.append(f"{names.get(source, source)} {shown}")
        left = self.seconds_left(now)
        if left is not None and self.done < self.total:
            parts.append(format_left(left))
        return " · ".join(parts)
