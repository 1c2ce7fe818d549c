"""The history database as one object: `Store` puts together the store's parts (opening and
transactions, reading and writing parcels, what processes coordinate through)."""

from __future__ import annotations

from emstui.store.coordination import Coordination
from emstui.store.parcel_writes import ParcelWrites


class Store(ParcelWrites, Coordination):
    """The history database. One connection, guarded by a lock; safe to share between threads.

    Several processes (the TUI and a cron `--once`) may use the same file at once: WAL journal,
    a busy timeout, and every write is one short `BEGIN IMMEDIATE` transaction.
    """


__all__ = ["Store"]
