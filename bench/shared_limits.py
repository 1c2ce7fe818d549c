"""What keeping limits across processes costs per request: the shared request log (take and
end a slot) and parcel claims (claim and release a batch), on a real SQLite file.

    python bench/shared_limits.py --requests 2000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from emstui.core.clock import FakeClock
from emstui.store import Store
from emstui.store.shared_limits import SharedLimits, StoreSlots


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=40, help="numbers per claim (17TRACK: 40)")
    args = parser.parse_args()
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "h.sqlite3", clock=clock) as store:
        slots = StoreSlots(store, "17track", owner="bench", timeout=20)
        started = time.perf_counter()
        for _ in range(args.requests):
            clock.advance(0.34)  # 3 requests per second, as 17TRACK allows
            delay, slot = slots.take(limit=3, window=1.0, min_interval=0, concurrency=4)
            assert slot is not None, delay
            slots.release(slot)
        per_slot = (time.perf_counter() - started) / args.requests
        limits = SharedLimits(store, owner="bench", tokens={}, timeout=20)
        numbers = [f"RR{i:09d}DE" for i in range(args.batch)]
        started = time.perf_counter()
        for _ in range(args.requests):
            clock.advance(60)
            claims = limits.claim(numbers, fresh_since=clock.now())
            limits.release(list(claims.claimed))
        per_claim = (time.perf_counter() - started) / args.requests
    print(f"request slot (take + end):          {per_slot * 1e3:7.3f} ms per request")
    print(f"claims ({args.batch} numbers, claim + release): {per_claim * 1e3:7.3f} ms per batch")


if __name__ == "__main__":
    main()
