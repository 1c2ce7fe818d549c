"""The monitor's garbage-collector policy, against a fake collector (and once the real one)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apphelpers import make_world, running

from emstui.tui.collector import FULL_EVERY, REGROW, CollectorPolicy


class FakeCollector:
    """Counts objects 'frozen' the way gc does: freeze moves every tracked object."""

    def __init__(self, tracked: int = 100) -> None:
        self.callbacks: list[Callable[[str, dict[str, Any]], None]] = []
        self.tracked = tracked
        self.frozen = 0
        self.collections = 0
        self.garbage = 0  # unreachable among the tracked (not frozen) objects
        self.threshold = (700, 10, 10)

    def get_threshold(self) -> tuple[int, int, int]:
        return self.threshold

    def set_threshold(self, *threshold: int) -> None:
        self.threshold = (*threshold, *self.threshold[len(threshold):])  # type: ignore[assignment]

    def freeze(self) -> None:
        self.frozen += self.tracked
        self.tracked = 0

    def unfreeze(self) -> None:
        self.tracked += self.frozen
        self.frozen = 0

    def get_freeze_count(self) -> int:
        return self.frozen

    def collect(self, generation: int = 2) -> int:
        for callback in list(self.callbacks):
            callback("start", {"generation": generation})
        freed, self.garbage = self.garbage, 0
        self.tracked -= freed
        self.collections += 1
        for callback in list(self.callbacks):
            callback("stop", {"generation": generation, "collected": freed})
        return freed


def test_start_freezes_what_is_loaded() -> None:
    fake = FakeCollector(tracked=1000)
    policy = CollectorPolicy(fake)
    policy.start()
    assert fake.frozen == 1000 and fake.tracked == 0
    assert policy.clean_count == 1000


def test_survivors_of_a_full_collection_are_frozen_young_ones_not() -> None:
    fake = FakeCollector(tracked=1000)
    policy = CollectorPolicy(fake)
    policy.start()
    fake.tracked = 300  # allocated since
    fake.collect(1)
    assert fake.tracked == 300  # a young collection leaves them to the collector
    fake.garbage = 50
    fake.collect(2)
    assert fake.tracked == 0 and fake.frozen == 1250  # only the 250 survivors were frozen


def test_full_collections_come_more_often_while_frozen_and_stop_restores() -> None:
    fake = FakeCollector(tracked=1000)
    fake.threshold = (500, 7, 10)
    policy = CollectorPolicy(fake)
    policy.start()
    assert FULL_EVERY < 10
    assert fake.threshold == (500, 7, FULL_EVERY)  # the young generations keep theirs
    policy.stop()
    assert fake.threshold == (500, 7, 10)


def test_stop_unfreezes_and_stops_listening() -> None:
    fake = FakeCollector(tracked=1000)
    policy = CollectorPolicy(fake)
    policy.start()
    policy.stop()
    assert fake.frozen == 0 and fake.tracked == 1000
    assert fake.callbacks == []
    fake.collect(2)
    assert fake.frozen == 0


def test_sweep_waits_for_growth_and_for_the_pass_to_end() -> None:
    fake = FakeCollector(tracked=1000)
    policy = CollectorPolicy(fake)
    policy.start()
    fake.tracked = int(1000 * (REGROW - 1)) - 10
    fake.collect(2)
    assert not policy.sweep(busy=False)  # grew less than REGROW: nothing to do
    fake.tracked = 100
    fake.collect(2)
    assert policy.sweep_due
    before = fake.collections
    assert not policy.sweep(busy=True)  # never during a pass
    assert fake.collections == before
    fake.garbage = 200  # frozen objects that became unreachable: only a sweep finds them
    assert policy.sweep(busy=False)
    assert fake.collections == before + 1
    assert fake.frozen == policy.clean_count == 1000 * REGROW + 90 - 200
    assert not policy.sweep_due


def test_real_collector_start_and_stop() -> None:
    before = gc.get_threshold()
    policy = CollectorPolicy()
    try:
        policy.start()
        assert gc.get_freeze_count() > 0
        gc.collect()
        assert policy.freezes == 2
    finally:
        policy.stop()
    assert gc.get_freeze_count() == 0
    assert policy._on_collection not in gc.callbacks
    assert gc.get_threshold() == before


async def test_the_monitor_freezes_its_loaded_table_and_unfreezes_on_exit(
        tmp_path: Path) -> None:
    with make_world(tmp_path) as world:
        async with running(world) as (app, pilot):
            await pilot.pause()
            assert app.collector.freezes >= 1
            assert gc.get_freeze_count() > 0 and app.collector.clean_count > 0
    assert gc.get_freeze_count() == 0
