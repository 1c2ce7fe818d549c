"""Keeps the cyclic garbage collector's full collections short while the monitor runs.

A full (generation 2) collection walks every object the collector tracks, holding the GIL:
with 3000 parcels the monitor holds ~240,000 such objects (table cells, views, widgets) and
one collection stalled the event loop 130-350 ms, several times a refresh pass. Objects that
live for the whole session need never be walked again, so:

- once the table shows the stored parcels, everything alive is frozen (`gc.freeze`: moved to a
  generation the collector ignores; refcounting still frees those objects as usual);
- after each full collection, what survived it is frozen too, so the next one walks only what
  was allocated since (a pass replaces most rows: without this the unfrozen part grows back to
  the size of the table within one pass);
- a frozen object that later becomes part of unreachable cycle is never collected. To bound
  that, when the frozen set has grown by `REGROW` since it was last known clean and no pass is
  running, `sweep` unfreezes and collects everything once (one long collection, between passes),
  then freezes what is left;
- with survivors frozen, gc's own rule (a full collection once every 10 generation-1
  collections) leaves ~10 generation-1 collections' survivors to walk, 40-55 ms at 3000
  parcels during a pass: a full collection comes every `FULL_EVERY` instead, each walking
  a fraction of that (the total walked stays about the same).

The collector is passed in (tests give a fake); `stop` unfreezes, so nothing stays pinned.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Protocol

# The frozen set may grow this much (leaked cycles, or simply more parcels) before a sweep.
REGROW = 1.25
# Generation-1 collections between full ones while frozen (gc's default threshold is 10).
FULL_EVERY = 2


class Collector(Protocol):
    """The parts of the `gc` module used here."""

    callbacks: list[Callable[[str, dict[str, Any]], None]]

    def freeze(self) -> None: ...
    def unfreeze(self) -> None: ...
    def collect(self, generation: int = 2) -> int: ...
    def get_freeze_count(self) -> int: ...
    def get_threshold(self) -> tuple[int, int, int]: ...
    def set_threshold(self, threshold0: int, threshold1: int = ..., threshold2: int = ...,
                      /) -> None: ...


class CollectorPolicy:
    """Freezes long-lived objects so full collections stay short (see the module doc)."""

    def __init__(self, collector: Collector = gc) -> None:  # type: ignore[assignment]
        self._gc = collector
        self._running = False
        self.clean_count = 0  # frozen objects right after the last sweep (all alive then)
        self.freezes = 0
        self.sweeps = 0
        self._thresholds: tuple[int, int, int] | None = None  # gc's, restored by `stop`

    def start(self) -> None:
        """Freeze what is alive now (the loaded table) and after every full collection."""
        if self._running:
            return
        self._running = True
        self._gc.freeze()
        self.freezes += 1
        self.clean_count = self._gc.get_freeze_count()
        self._gc.callbacks.append(self._on_collection)
        self._thresholds = self._gc.get_threshold()
        young, middle, _full = self._thresholds
        self._gc.set_threshold(young, middle, FULL_EVERY)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        if self._on_collection in self._gc.callbacks:
            self._gc.callbacks.remove(self._on_collection)
        self._gc.unfreeze()  # the next full collection sees everything again
        if self._thresholds is not None:
            self._gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Right after a full collection every unfrozen object is reachable: freezing them
        # pins no garbage (only what becomes garbage later, which `sweep` bounds).
        if phase == "stop" and info.get("generation") == 2 and self._running:
            self._gc.freeze()
            self.freezes += 1

    @property
    def sweep_due(self) -> bool:
        return self._running and self._gc.get_freeze_count() > self.clean_count * REGROW

    def sweep(self, *, busy: bool) -> bool:
        """Collect everything once if the frozen set grew past `REGROW` and nothing is `busy`
        (a pass in flight); True when it did."""
        if busy or not self.sweep_due:
            return False
        self._gc.unfreeze()
        self._gc.collect()  # freezes the survivors through _on_collection
        self.clean_count = self._gc.get_freeze_count()
        self.sweeps += 1
        return True
