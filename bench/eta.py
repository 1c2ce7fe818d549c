"""What arrival estimates from history cost: N parcels on their way, M delivered in history.

Builds a real SQLite store (not measured; through `Store.apply_tracking`, 6 events per
delivered parcel, 2-3 per moving one, over 8 destinations), then prints the CPU time of the
one history query (`Store.stage_times`), of turning its rows into timelines, and of the
estimates themselves, best of `--repeat` runs.

    python bench/eta.py --parcels 5000 --delivered 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emstui.core.clock import FakeClock
from emstui.core.model import Event, ShipmentFacts, Stage, Status, Tracking
from emstui.core.s10 import make_number
from emstui.present import eta
from emstui.store import Store

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
DESTINATIONS = ("DE", "FR", "US", "GB", "IT", "ES", "NL", "AU")
JOURNEY = ((Stage.POSTED, Status.IN_TRANSIT, "Posting/Collection"),
           (Stage.EXPORT, Status.IN_TRANSIT, "Arrival at outward office of exchange"),
           (Stage.DEPARTED, Status.IN_TRANSIT, "Departure from outward office of exchange"),
           (Stage.ARRIVED, Status.IN_TRANSIT, "Arrival at inward office of exchange"),
           (Stage.CUSTOMS, Status.IN_CUSTOMS, "Held by import Customs"),
           (Stage.DELIVERED, Status.DELIVERED, "Final delivery"))


def tracking(number: str, serial: int, steps: int) -> Tracking:
    posted = NOW - timedelta(days=120) + timedelta(minutes=serial * 7)
    events = []
    for i, (stage, status, text) in enumerate(JOURNEY[:steps]):
        when = posted + timedelta(days=i * (1.5 + serial % 5 * 0.4))
        events.append(Event(time_raw=when.isoformat(), description=text, location="X",
                            provider="17track", time_utc=when, stage=stage, status=status))
    stage, status, _ = JOURNEY[steps - 1]
    facts = ShipmentFacts(origin_country="CN",
                          destination_country=DESTINATIONS[serial % len(DESTINATIONS)])
    return Tracking(number, "17track", status, stage, tuple(reversed(events)), facts=facts)


def fill(path: Path, moving: int, delivered: int) -> list[str]:
    watched = []
    with Store(path, clock=FakeClock(NOW)) as store:
        for serial in range(delivered + moving):
            number = make_number("EE", f"{serial:08d}", "CN")
            done = serial < delivered
            steps = len(JOURNEY) if done else 1 + serial % 3
            store.apply_tracking(tracking(number, serial, steps), checked_at=NOW, next_due=None)
            if not done:
                watched.append(number)
    return watched


def best_cpu(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = run()
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=5000, help="parcels on their way")
    parser.add_argument("--delivered", type=int, default=5000, help="delivered in history")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        started = time.perf_counter()
        watched = fill(path, args.parcels, args.delivered)
        print(f"fixture: {args.parcels} moving + {args.delivered} delivered parcels "
              f"in {time.perf_counter() - started:.1f} s (not measured)")
        with Store(path, clock=FakeClock(NOW)) as store:
            facts = {n: s.facts for n, s in store.states(watched).items()}
            query, rows = best_cpu(args.repeat, store.stage_times)
            build, lines = best_cpu(args.repeat, lambda: eta.timelines(rows))  # type: ignore[arg-type]
            estimate, found = best_cpu(
                args.repeat, lambda: eta.estimates(lines, facts))  # type: ignore[arg-type]
            total, _ = best_cpu(args.repeat, lambda: eta.from_store(store, facts))
    assert isinstance(found, dict)
    print(f"history query (Store.stage_times): {query * 1000:8.1f} ms CPU, {len(rows)} rows")  # type: ignore[arg-type]
    print(f"rows -> timelines:                 {build * 1000:8.1f} ms CPU")
    print(f"estimates:                         {estimate * 1000:8.1f} ms CPU, "
          f"{len(found)} of {len(watched)} parcels got a window")
    print(f"all together (eta.from_store):     {total * 1000:8.1f} ms CPU "
          f"(best of {args.repeat})")


if __name__ == "__main__":
    main()
