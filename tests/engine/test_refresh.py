"""The refresh engine with an injected clock: scheduling, limits, backoff, fallback, safety."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from emstui.core.clock import FakeClock
from emstui.core.model import Event, Stage, Status, Tracking
from emstui.engine import engine as refresh_module
from emstui.engine.engine import EngineSettings, RefreshEngine, WatchItem
from emstui.engine.events import Change, ParcelUpdated, ProviderStateChanged
from emstui.providers.base import (
    AuthenticationError,
    Capabilities,
    NumberError,
    NumberResult,
    ProviderError,
    RateLimitedError,
    TemporaryError,
)
from emstui.store import Store

A = "EE123456785CN"
B = "EA473124829CN"
C = "RR314159268CN"


class ScriptedProvider:
    """A provider whose answers a test scripts; it records every request it receives."""

    def __init__(self, pid: str, clock: FakeClock, *, max_batch: int = 40, rate: float = 3.0,
                 concurrency: int = 4, supports: Callable[[str], bool] | None = None) -> None:
        self.id = pid
        self.name = pid
        self.capabilities = Capabilities(max_batch=max_batch, rate_per_second=rate,
                                         concurrency=concurrency)
        self.clock = clock
        self.requests: list[tuple[str, ...]] = []
        self.request_times: list = []
        self.failures: list[ProviderError] = []  # raised by the next requests, in order
        self.status: dict[str, Status] = {}
        self.number_errors: dict[str, NumberError] = {}
        self.gate: asyncio.Event | None = None  # when set, requests wait for it
        self._supports = supports or (lambda n: True)

    def supports(self, number: str) -> bool:
        return self._supports(number)

    async def track(self, numbers: Sequence[str]) -> list[NumberResult]:
        self.requests.append(tuple(numbers))
        self.request_times.append(self.clock.now())
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        results = []
        for number in numbers:
            if number in self.number_errors:
                results.append(NumberResult(number, error=self.number_errors[number]))
                continue
            status = self.status.get(number, Status.IN_TRANSIT)
            event = Event(time_raw="2026-11-20 10:00", description=f"{status.value} scan",
                          location="BEIJING", provider=self.id)
            results.append(NumberResult(number, Tracking(number, self.id, status,
                                                         Stage.DEPARTED, (event,))))
        return results

    async def aclose(self) -> None:
        return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    s = Store(tmp_path / "history.sqlite3", clock=clock)
    yield s
    s.close()


def make_engine(store: Store, clock: FakeClock, providers: dict, numbers: Sequence[str] = (A,),
                changes: list[Change] | None = None, **settings) -> RefreshEngine:
    listener = changes.append if changes is not None else None
    return RefreshEngine(store=store, providers=providers, clock=clock,
                         settings=EngineSettings(**settings),
                         watch=[WatchItem(n) for n in numbers], listener=listener,
                         rng=random.Random(7))


async def test_first_pass_refreshes_every_new_parcel_in_one_batch(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A, B, C])
    report = await engine.refresh()
    assert p.requests == [(A, B, C)]
    assert report.refreshed == {A, B, C}
    assert store.state(A).status is Status.IN_TRANSIT


async def test_batches_respect_the_provider_max_batch(store, clock) -> None:
    numbers = [f"N{i:05d}X" for i in range(95)]
    p = ScriptedProvider("17track", clock, max_batch=40)
    engine = make_engine(store, clock, {"17track": p}, numbers)
    await engine.refresh()
    assert sorted(len(r) for r in p.requests) == [15, 40, 40]


async def test_batches_in_flight_are_bounded_by_the_provider_concurrency(store, clock) -> None:
    numbers = [f"N{i:05d}X" for i in range(400)]
    p = ScriptedProvider("17track", clock, max_batch=40, concurrency=2)
    active = peak = 0
    original = p.track

    async def counting(batch: Sequence[str]) -> list[NumberResult]:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0)
        try:
            return await original(batch)
        finally:
            active -= 1

    p.track = counting  # type: ignore[method-assign]
    engine = make_engine(store, clock, {"17track": p}, numbers, concurrency=4)
    await engine.refresh()
    assert len(p.requests) == 10 and peak == 2


async def test_parcel_is_not_due_again_until_its_interval_passes(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A], interval=3600)
    await engine.refresh()
    clock.advance(3599)
    await engine.refresh()
    assert len(p.requests) == 1
    clock.advance(2)
    await engine.refresh()
    assert len(p.requests) == 2


async def test_delivered_parcels_stop_when_delivered_interval_is_off(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    p.status[A] = Status.DELIVERED
    engine = make_engine(store, clock, {"17track": p}, [A], delivered_interval=None)
    await engine.refresh()
    assert store.state(A).next_due is None
    clock.advance(86400 * 30)
    await engine.refresh()
    assert len(p.requests) == 1


async def test_out_for_delivery_is_checked_more_often_and_new_parcels_less(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    p.status[A] = Status.OUT_FOR_DELIVERY
    p.number_errors[B] = NumberError("not_found", "no records yet")
    engine = make_engine(store, clock, {"17track": p}, [A, B, C], interval=3600)
    await engine.refresh()
    now = clock.now()
    assert store.state(A).next_due == now + timedelta(seconds=900)
    assert store.state(B).next_due == now + timedelta(seconds=3 * 3600)
    assert store.state(C).next_due == now + timedelta(seconds=3600)


async def test_archived_parcels_are_never_refreshed(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = RefreshEngine(store=store, providers={"17track": p}, clock=clock,
                           watch=[WatchItem(A, archived=True), WatchItem(B)])
    await engine.refresh()
    engine.request_refresh([A])
    await engine.refresh([A], force=True)
    assert p.requests == [(B,)]


async def test_temporary_errors_back_off_exponentially_within_bounds(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    changes: list[Change] = []
    engine = make_engine(store, clock, {"17track": p}, [A], changes, backoff_base=30,
                         max_backoff=600)
    p.failures = [TemporaryError("17track", "HTTP 503") for _ in range(8)]
    ceilings = []
    for _ in range(8):
        slot = engine._slots["17track"]
        ceilings.append(slot.backoff.ceiling())
        start = clock.now()
        report = await engine.refresh([A], force=True)
        assert A in report.failed and "next attempt at" in report.failed[A]
        until = slot.backoff.until
        assert 1.0 <= (until - start).total_seconds() <= ceilings[-1]
        clock.set(until)
    assert ceilings == [30, 60, 120, 240, 480, 600, 600, 600]
    health = [c.health.state for c in changes if isinstance(c, ProviderStateChanged)]
    assert health[0] == "backoff"
    # The parcel itself carries no error: the provider's state explains the wait.
    assert store.state(A) is None or store.state(A).last_error is None


async def test_retry_after_in_seconds_is_honoured(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A])
    p.failures = [RateLimitedError("17track", "HTTP 429", retry_after=420.0)]
    start = clock.now()
    await engine.refresh([A], force=True)
    assert engine._slots["17track"].backoff.until == start + timedelta(seconds=420)
    clock.advance(300)
    await engine.refresh([A], force=True)
    assert len(p.requests) == 1  # still backing off for two minutes: not waited for
    clock.advance(90)
    await engine.refresh([A], force=True)  # 30 s left: a short pause, waited out
    assert len(p.requests) == 2
    assert p.request_times[-1] == start + timedelta(seconds=420)


def ems_items(n: int) -> list[str]:
    from emstui.core.s10 import make_number
    return [make_number("EE", f"{30_000_000 + i:08d}", "CN") for i in range(n)]


async def test_a_one_second_429_is_waited_out_not_routed_to_the_ems_tracker(store,
                                                                          clock) -> None:
    numbers = ems_items(200)  # five batches of 40
    primary = ScriptedProvider("17track", clock, concurrency=4)
    fallback = ScriptedProvider("ems", clock, max_batch=1, concurrency=1)
    primary.failures = [RateLimitedError("17track", "HTTP 429", retry_after=1.0)]
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, numbers,
                         order=("17track", "ems"))
    start = clock.now()
    report = await engine.refresh()
    assert fallback.requests == []
    assert report.refreshed == set(numbers) and not report.failed
    assert all(store.state(n).provider == "17track" for n in numbers)
    # Five batches plus the one answered 429, sent again once its pause was over.
    assert len(primary.requests) == 6
    assert primary.request_times[-1] >= start + timedelta(seconds=1)


async def test_a_long_pause_sends_the_waiting_parcels_to_the_next_source(store, clock) -> None:
    numbers = ems_items(3)
    primary = ScriptedProvider("17track", clock, max_batch=1, concurrency=1)
    fallback = ScriptedProvider("ems", clock, max_batch=1, concurrency=1)
    primary.failures = [RateLimitedError("17track", "HTTP 429", retry_after=600.0)]
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, numbers,
                         order=("17track", "ems"))
    start = clock.now()
    report = await engine.refresh()
    assert len(primary.requests) == 1  # the 429; nothing more during a ten-minute pause
    assert sorted(r[0] for r in fallback.requests) == sorted(numbers)
    assert report.refreshed == set(numbers)
    assert clock.now() < start + timedelta(seconds=60)  # nobody waited for the pause


async def test_a_short_pause_past_the_pass_deadline_is_not_waited_for(store, clock) -> None:
    numbers = ems_items(2)
    primary = ScriptedProvider("17track", clock, max_batch=1, concurrency=1)
    fallback = ScriptedProvider("ems", clock, max_batch=1, concurrency=1)
    primary.failures = [RateLimitedError("17track", "HTTP 429", retry_after=45.0)]
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, numbers,
                         order=("17track", "ems"), interval=30, min_interval=30)
    await engine.refresh()
    assert len(primary.requests) == 1
    assert len(fallback.requests) == 2


async def test_repeated_429s_end_in_the_fallback_after_a_bounded_number_of_retries(
        store, clock) -> None:
    number = ems_items(1)[0]
    primary = ScriptedProvider("17track", clock)
    fallback = ScriptedProvider("ems", clock)
    primary.failures = [RateLimitedError("17track", "HTTP 429", retry_after=1.0)
                        for _ in range(10)]
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, [number],
                         order=("17track", "ems"))
    report = await engine.refresh()
    assert len(primary.requests) == 1 + refresh_module.RATE_LIMIT_RETRIES
    assert fallback.requests == [(number,)]
    assert number in report.refreshed


async def test_a_503_is_a_source_that_cannot_serve_so_the_pass_falls_back_at_once(
        store, clock) -> None:
    numbers = ems_items(80)  # two batches: the second waits for the first
    primary = ScriptedProvider("17track", clock, concurrency=1)
    fallback = ScriptedProvider("ems", clock)
    primary.failures = [TemporaryError("17track", "HTTP 503", retry_after=1.0)]
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, numbers,
                         order=("17track", "ems"))
    start = clock.now()
    await engine.refresh()
    assert len(primary.requests) == 1
    assert sorted(n for batch in fallback.requests for n in batch) == sorted(numbers)
    assert fallback.request_times == [start, start]


async def test_backoff_resets_on_the_first_success(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    changes: list[Change] = []
    engine = make_engine(store, clock, {"17track": p}, [A], changes)
    p.failures = [TemporaryError("17track", "HTTP 500"), TemporaryError("17track", "HTTP 500")]
    for _ in range(3):
        await engine.refresh([A], force=True)
        if engine._slots["17track"].backoff.until:
            clock.set(engine._slots["17track"].backoff.until)
    slot = engine._slots["17track"]
    assert slot.backoff.failures == 0 and slot.backoff.until is None
    assert engine.health()["17track"].state == "ok"
    assert store.state(A).status is Status.IN_TRANSIT


async def test_auth_error_pauses_the_provider_until_config_changes(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A])
    p.failures = [AuthenticationError("17track", "invalid key: fix [providers.17track]")]
    await engine.refresh([A], force=True)
    assert engine.health()["17track"].state == "auth"
    clock.advance(86400)
    request = engine.request_refresh([A])
    assert A in request.blocked and "providers.17track" in request.blocked[A]
    await engine.refresh([A], force=True)
    assert len(p.requests) == 1
    engine.set_watchlist([WatchItem(A)])  # the config changed
    await engine.refresh([A], force=True)
    assert len(p.requests) == 2


async def test_failing_preferred_provider_falls_back_and_records_who_answered(store,
                                                                               clock) -> None:
    primary = ScriptedProvider("17track", clock)
    fallback = ScriptedProvider("ems", clock, supports=lambda n: n.startswith("E"))
    primary.failures = [TemporaryError("17track", "HTTP 503")]
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, [A, C],
                         order=("17track", "ems"))
    report = await engine.refresh()
    assert primary.requests == [(A, C)]
    assert fallback.requests == [(A,)]  # C is not an EMS item: the EMS tracker can't take it
    assert store.state(A).provider == "ems"
    assert A in report.refreshed and C in report.failed


async def test_unsupported_answer_moves_the_parcel_to_the_next_provider(store, clock) -> None:
    primary = ScriptedProvider("ems", clock)
    other = ScriptedProvider("17track", clock)
    primary.number_errors[A] = NumberError("unsupported", "does not denote an EMS item",
                                           retryable=False)
    engine = make_engine(store, clock, {"ems": primary, "17track": other}, [A],
                         order=("ems", "17track"))
    await engine.refresh()
    assert other.requests == [(A,)]
    assert store.state(A).provider == "17track"


async def test_manual_refresh_during_an_automatic_one_coalesces(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    p.gate = asyncio.Event()
    engine = make_engine(store, clock, {"17track": p}, [A])
    running = asyncio.ensure_future(engine.refresh())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert A in engine.in_flight
    request = engine.request_refresh([A])
    assert request.in_progress == (A,) and request.queued == ()
    second = await engine.refresh([A], force=True)
    assert second.refreshed == set()
    p.gate.set()
    await running
    assert p.requests == [(A,)]


async def test_manual_refresh_while_backing_off_says_when(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A])
    p.failures = [RateLimitedError("17track", "HTTP 429", retry_after=120)]
    await engine.refresh([A], force=True)
    request = engine.request_refresh([A])
    assert request.waiting[A] == clock.now() + timedelta(seconds=120)


async def test_cancellation_keeps_every_batch_already_fetched(store, clock) -> None:
    numbers = [f"N{i:05d}X" for i in range(80)]
    p = ScriptedProvider("17track", clock, max_batch=40, concurrency=1)
    engine = make_engine(store, clock, {"17track": p}, numbers, concurrency=1)
    original = p.track

    async def second_batch_hangs(batch: Sequence[str]) -> list[NumberResult]:
        if len(p.requests) == 1:
            p.gate = asyncio.Event()  # the second request never completes
        return await original(batch)

    p.track = second_batch_hangs  # type: ignore[method-assign]
    task = asyncio.ensure_future(engine.refresh())
    for _ in range(50):
        await asyncio.sleep(0)
        if len(p.requests) == 2:
            break
    assert len(p.requests) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = store.states(numbers)
    assert len(stored) == 40 and all(s.status is Status.IN_TRANSIT for s in stored.values())
    assert engine.in_flight == set()


async def test_connection_failures_everywhere_are_one_offline_state(store, clock) -> None:
    primary = ScriptedProvider("17track", clock)
    fallback = ScriptedProvider("ems", clock)
    primary.failures = [TemporaryError("17track", "connection refused", offline=True)]
    fallback.failures = [TemporaryError("ems", "connection refused", offline=True)]
    changes: list[Change] = []
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, [A, B], changes)
    await engine.refresh()
    assert engine.offline
    assert {h.state for h in engine.health().values()} == {"offline"}
    assert not [c for c in changes if isinstance(c, ParcelUpdated) and c.error]


async def test_run_loop_sleeps_until_due_then_refreshes(store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A], interval=3600)
    task = asyncio.ensure_future(engine.run())
    for _ in range(200):
        await asyncio.sleep(0)
        if len(p.requests) >= 3:
            break
    engine.stop()
    await task
    times = p.request_times[:3]
    assert len(times) == 3
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == \
        [3600, 3600]


async def test_listener_errors_never_stop_refreshing(store, clock) -> None:
    p = ScriptedProvider("17track", clock)

    def broken(change: Change) -> None:
        raise RuntimeError("UI bug")

    engine = RefreshEngine(store=store, providers={"17track": p}, clock=clock,
                           watch=[WatchItem(A)], listener=broken)
    report = await engine.refresh()
    assert report.refreshed == {A}


async def test_no_quota_to_register_falls_back_to_another_provider(store, clock) -> None:
    primary = ScriptedProvider("17track", clock)
    fallback = ScriptedProvider("ems", clock, supports=lambda n: n.startswith("E"))
    primary.number_errors[A] = NumberError("quota", "quota exhausted", retryable=False)
    primary.number_errors[C] = NumberError("quota", "quota exhausted", retryable=False)
    engine = make_engine(store, clock, {"17track": primary, "ems": fallback}, [A, C],
                         order=("17track", "ems"))
    report = await engine.refresh()
    assert fallback.requests == [(A,)]
    assert store.state(A).provider == "ems"
    assert "quota" in report.failed[C] and store.state(C).error_kind == "quota"


# ---- sources in use and numbers none of them tracks -------------------------------------------


async def test_providers_order_is_the_set_of_sources_used(store, clock) -> None:
    primary = ScriptedProvider("17track", clock)
    other = ScriptedProvider("ems", clock)
    engine = make_engine(store, clock, {"17track": primary, "ems": other}, [A],
                         order=("17track",))
    primary.failures.append(TemporaryError("17track", "HTTP 503"))
    report = await engine.refresh()
    assert other.requests == []  # not in order: never asked, even as a fallback
    assert A in report.failed


async def test_a_number_no_source_tracks_is_recorded_as_no_source_with_the_hint(
        store, clock) -> None:
    ems = ScriptedProvider("ems", clock, supports=lambda n: n.startswith("E"))
    engine = make_engine(store, clock, {"ems": ems}, [A, C], order=("ems",),
                         no_source_hint="needs a 17TRACK key: do this")
    assert engine.untrackable() == {C: "needs a 17TRACK key: do this"}
    report = await engine.refresh()
    assert report.failed[C] == "needs a 17TRACK key: do this"
    state = store.state(C)
    assert (state.error_kind, state.last_error) == ("no_source", "needs a 17TRACK key: do this")


async def test_a_parcel_without_source_is_due_at_once_when_a_source_appears(
        store, clock) -> None:
    ems = ScriptedProvider("ems", clock, supports=lambda n: n.startswith("E"))
    await make_engine(store, clock, {"ems": ems}, [C], order=("ems",)).refresh()
    assert store.state(C).next_due > clock.now()
    keyed = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": keyed, "ems": ems}, [C],
                         order=("17track", "ems"))
    report = await engine.refresh()
    assert keyed.requests == [(C,)] and C in report.refreshed


class TimedProvider(ScriptedProvider):
    """Answers after `answer_time` seconds of the fake clock; notes the progress line it sees."""

    def __init__(self, *args, answer_time: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answer_time = answer_time
        self.engine: RefreshEngine | None = None
        self.seen: list[str | None] = []

    async def track(self, numbers: Sequence[str]) -> list[NumberResult]:
        assert self.engine is not None
        self.seen.append(self.engine.progress_text())
        await self.clock.sleep(self.answer_time)
        return await super().track(numbers)


async def test_a_pass_says_how_far_it_is_at_what_rate_and_how_long_is_left(store,
                                                                           clock) -> None:
    numbers = ems_items(400)
    p = TimedProvider("17track", clock, concurrency=1)
    engine = make_engine(store, clock, {"17track": p}, numbers)
    p.engine = engine
    await engine.refresh()
    assert p.seen[0] == "refreshing 0/400"
    assert p.seen[1] == "refreshing 40/400"  # no pace to go by yet
    # Three batches in three seconds: 280 parcels left at 40 per second.
    assert p.seen[3] == "refreshing 120/400 · ~7 s left"
    assert p.seen[6] == "refreshing 240/400 · 17track 1/s · ~4 s left"
    assert engine.progress is None and engine.progress_text() is None


async def test_a_pass_waiting_for_a_rate_limited_source_says_so(store, clock) -> None:
    numbers = ems_items(120)
    p = ScriptedProvider("17track", clock, concurrency=1)
    p.failures = [RateLimitedError("17track", "HTTP 429", retry_after=1.0)]
    seen: list[str | None] = []
    engine = make_engine(store, clock, {"17track": p}, numbers)
    engine.subscribe(lambda change: seen.append(engine.progress_text())
                     if isinstance(change, ProviderStateChanged) else None)
    await engine.refresh()
    assert seen[0] == "refreshing 0/120 · 17track rate-limited, 120 parcels waiting"


def test_time_left_reads_in_seconds_minutes_then_hours() -> None:
    from emstui.engine.progress import format_left

    assert [format_left(s) for s in (0.2, 42, 61, 1260, 3600 * 5.5, 7200)] == [
        "~1 s left", "~42 s left", "~1 min left", "~21 min left", "~5 h 30 min left",
        "~2 h left"]


async def test_the_engine_plans_from_its_own_schedule_and_rereads_the_store_every_five_minutes(
        store, clock) -> None:
    p = ScriptedProvider("17track", clock)
    engine = make_engine(store, clock, {"17track": p}, [A, B], interval=3600)
    await engine.refresh()
    reads: list[int] = []
    original = store.schedule

    def counting(numbers=None):
        reads.append(1)
        return original(numbers)

    store.schedule = counting  # type: ignore[method-assign]
    first = engine._compute_next_wake(clock.now())
    assert first == clock.now() + timedelta(seconds=3600)
    clock.advance(60)
    engine._compute_next_wake(clock.now())
    assert reads == []  # the copy read for the pass (and updated by it) serves both wakes
    # Another process checks A later and stores a later due time: seen at the next re-read.
    later = clock.now() + timedelta(hours=5)
    store.set_next_due(A, later)
    store.set_next_due(B, later)
    assert engine._compute_next_wake(clock.now()) == first
    clock.advance(refresh_module.SCHEDULE_REREAD.total_seconds())
    assert engine._compute_next_wake(clock.now()) == later
    assert reads == [1]


async def test_a_batchs_results_are_stored_with_the_event_loop_running_between(
        store, clock) -> None:
    """Storing 40 results in one go held the monitor's loop: other tasks run between chunks,
    and every result is still stored, in the batch's order."""
    numbers = [f"N{i:05d}X" for i in range(40)]
    p = ScriptedProvider("17track", clock, max_batch=40)
    changes: list[Change] = []
    engine = make_engine(store, clock, {"17track": p}, numbers, changes)
    seen_by_other_task: list[int] = []
    running = True

    async def other_task() -> None:
        while running:
            seen_by_other_task.append(sum(isinstance(c, ParcelUpdated) for c in changes))
            await asyncio.sleep(0)

    other = asyncio.ensure_future(other_task())
    await engine.refresh()
    running = False
    await other
    updated = [c.number for c in changes if isinstance(c, ParcelUpdated)]
    assert updated == numbers
    # The other task ran while the batch was half stored, not only before or after it.
    assert any(0 < seen < 40 for seen in seen_by_other_task)
