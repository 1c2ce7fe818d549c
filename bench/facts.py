"""What shipment facts (17TRACK's delivery window, countries, last mile, sync) cost per parcel.

Prints, for N parcels in a real SQLite file: the time `Store.states` takes to read them all with
and without facts stored, and the time `make_view` takes per parcel with and without facts.

    python bench/facts.py --parcels 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emstui.core.clock import FakeClock
from emstui.core.model import Event, ShipmentFacts, Stage, Status, Tracking
from emstui.core.s10 import make_number
from emstui.present.views import make_view
from emstui.store import Store

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
FACTS = ShipmentFacts(
    eta_from=datetime(2026, 11, 27), eta_to=datetime(2026, 11, 30), eta_source="17TRACK",
    origin_country="CN", destination_country="DE", local_number=None,
    local_provider="DHL Paket", sub_status_text="Arrived at the destination",
    sync_status="Success", sync_time=NOW - timedelta(hours=3), sync_carrier="DHL Paket")


@dataclass
class Parcel:
    number: str
    label: str = ""
    note: str = ""
    provider: str | None = None
    archived: bool = False


def fill(path: Path, numbers: list[str], *, facts: bool) -> None:
    event = Event(time_raw="2026-11-22T08:00:00+01:00", description="Arrival at inward office",
                  location="FRANKFURT", provider="17track", time_utc=NOW - timedelta(days=2))
    with Store(path, clock=FakeClock(NOW)) as store:
        for number in numbers:
            store.apply_tracking(Tracking(number, "17track", Status.IN_TRANSIT, Stage.ARRIVED,
                                          (event,), facts=FACTS if facts else None),
                                 checked_at=NOW, next_due=None)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    numbers = [make_number("EE", f"{i:08d}", "CN") for i in range(args.parcels)]
    parcels = [Parcel(n) for n in numbers]
    with tempfile.TemporaryDirectory() as tmp:
        for facts in (False, True):
            path = Path(tmp) / f"facts-{facts}.sqlite3"
            fill(path, numbers, facts=facts)
            with Store(path, clock=FakeClock(NOW)) as store:
                states = store.states()
                read = best_of(args.repeat, store.states)
            views = best_of(args.repeat, lambda s=states: [make_view(p, s[p.number], NOW, UTC)
                                                           for p in parcels])
            label = "with facts   " if facts else "without facts"
            print(f"{label}  Store.states: {read * 1000:7.1f} ms for {args.parcels} parcels"
                  f"  make_view: {views / args.parcels * 1e6:6.1f} µs per parcel")


if __name__ == "__main__":
    main()
