"""Reading many parcels' events in bounded memory, for output that streams (`--once --json`).

`Store.events` reads one parcel per query; printing 20,000 parcels that way costs 20,000
queries, and reading all events at once costs memory in proportion to the whole history. This
reads them in chunks of parcels, one query per chunk, and hands them out one parcel at a time
in the caller's order: memory holds one chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice

from emstui.core.model import Event
from emstui.store.history import Store
from emstui.store.rows import _EVENT_COLS, _row_to_event

CHUNK = 256  # parcels per query: ~8,000 events of 30-event parcels in memory at a time


def events_by_parcel(store: Store, numbers: Iterable[str], *, chunk: int = CHUNK
                     ) -> Iterator[tuple[str, list[Event]]]:
    """(number, its events newest first) for each of `numbers`, in their order; a number
    without stored events gets []. Reads lazily: what the caller has not asked for yet is
    not read."""
    wanted = iter(numbers)
    while batch := list(islice(wanted, max(1, chunk))):
        found: dict[str, list[Event]] = {}
        with store.reading() as conn:
            rows = conn.execute(
                f"SELECT number, {_EVENT_COLS} FROM events WHERE number IN "
                "(SELECT value FROM json_each(?)) ORDER BY number, pos",
                (json.dumps(list(dict.fromkeys(batch))),))
            for row in rows:
                found.setdefault(row[0], []).append(_row_to_event(row[1:]))
        for number in batch:
            yield number, found.get(number, [])
