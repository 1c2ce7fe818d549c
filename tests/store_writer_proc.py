"""Helper process for test_store: writes many trackings into one store file, like a second emstui.

Usage: store_writer_proc.py DB TAG COUNT. Waits for a line on stdin (so both writers start
together), then applies COUNT trackings for distinct numbers TAG00000... and, in the same loop,
adds one event per round to the parcel both writers share.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emstui.core.model import Event, Stage, Status, Tracking
from emstui.store import Store

SHARED = "SHARED0000"


def main() -> int:
    db, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sys.stdin.readline()
    base = datetime(2026, 11, 24, tzinfo=UTC)
    with Store(db) as store:
        for i in range(count):
            when = base + timedelta(minutes=i)
            event = Event(time_raw=f"{tag} {i}", description=f"{tag} step {i}",
                          location="Somewhere", provider="ems", time_utc=when)
            store.apply_tracking(
                Tracking(number=f"{tag}{i:05d}", provider="ems", status=Status.IN_TRANSIT,
                         stage=Stage.DEPARTED, events=(event,)),
                checked_at=when, next_due=when + timedelta(hours=1))
            store.apply_tracking(
                Tracking(number=SHARED, provider="ems", status=Status.IN_TRANSIT,
                         stage=Stage.DEPARTED, events=(event,)),
                checked_at=when, next_due=None)
    print(f"done {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
