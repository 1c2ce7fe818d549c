"""What the event loop was doing while it stalled: a watchdog thread for the benchmarks.

The loop thread stamps a heartbeat every few milliseconds; a watchdog thread wakes every 5 ms
and, while the heartbeat is late, samples the stacks of every thread (`sys._current_frames`).
Garbage collections are timed through `gc.callbacks`. When the loop runs again, a stall longer
than `report_over` is kept with its samples, and `report()` prints, for each, how long it was,
how much of it the collector took, and the stacks seen most often: the loop thread's, and any
other thread that was running Python meanwhile (it holds the GIL the loop needs).

    watch = StallWatch(); watch.start()   # in the loop thread, with the loop running
    ...; watch.stop(); watch.report()
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType

# A thread whose innermost frame is one of these is waiting, not holding the GIL.
_IDLE = {"wait", "select", "poll", "_worker", "get", "sleep", "readline", "_wait_for_tstate_lock",
         "accept", "recv", "recv_into", "read", "epoll", "_read_thread"}


def _stack(frame: FrameType | None, depth: int) -> tuple[str, ...]:
    names: list[str] = []
    while frame is not None and len(names) < depth:
        code = frame.f_code
        path = code.co_filename
        short = path.rsplit("site-packages/", 1)[-1].rsplit("/emstui/", 1)[-1]
        names.append(f"{short}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return tuple(names)


@dataclass
class Stall:
    start: float
    end: float = 0.0
    loop: Counter[tuple[str, ...]] = field(default_factory=Counter)
    others: Counter[tuple[str, str, tuple[str, ...]]] = field(default_factory=Counter)
    samples: int = 0
    gc_seconds: float = 0.0
    gc_runs: list[tuple[int, float]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.end - self.start


class StallWatch:
    def __init__(self, *, beat: float = 0.002, sample: float = 0.005, late: float = 0.015,
                 report_over: float = 0.05, depth: int = 60,
                 show: int = 14) -> None:
        self.beat, self.sample, self.late = beat, sample, late
        self.report_over, self.depth, self.show = report_over, depth, show
        self.stalls: list[Stall] = []
        self._last = time.perf_counter()
        self._running = False
        self._loop_ident = 0
        self._gc_started: float | None = None
        self._gc_log: list[tuple[float, float, int]] = []  # (start, end, generation)
        self.gc_full: list[tuple[float, int]] = []  # (seconds, objects collected): gen2 runs
        self._thread: threading.Thread | None = None

    # ---- the loop side -----------------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_ident = threading.get_ident()
        self._running = True
        self._last = time.perf_counter()
        self._loop.call_later(self.beat, self._beat)
        gc.callbacks.append(self._on_gc)
        self._thread = threading.Thread(target=self._watch, name="stallwatch", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        self._last = time.perf_counter()
        if self._running:
            self._loop.call_later(self.beat, self._beat)

    def stop(self) -> None:
        self._running = False
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._thread is not None:
            self._thread.join()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
        elif self._gc_started is not None:
            self._gc_log.append((self._gc_started, now, info.get("generation", -1)))
            if info.get("generation") == 2:
                self.gc_full.append((now - self._gc_started, info.get("collected", 0)))
            self._gc_started = None

    # ---- the watchdog ------------------------------------------------------------------
    def _watch(self) -> None:
        current: Stall | None = None
        me = threading.get_ident()
        names = {t.ident: t.name for t in threading.enumerate()}
        while self._running:
            time.sleep(self.sample)
            now = time.perf_counter()
            last = self._last
            if now - last > self.late:
                if current is None:
                    current = Stall(start=last)
                frames = sys._current_frames()
                current.samples += 1
                current.loop[_stack(frames.get(self._loop_ident), self.depth)] += 1
                for ident, frame in frames.items():
                    if ident in (me, self._loop_ident) or frame.f_code.co_name in _IDLE:
                        continue
                    if ident not in names:
                        names = {t.ident: t.name for t in threading.enumerate()}
                    current.others[(names.get(ident, str(ident)), frame.f_code.co_name,
                                    _stack(frame, self.depth))] += 1
            elif current is not None:
                current.end = last
                if current.seconds >= self.report_over:
                    self._close(current)
                current = None

    def _close(self, stall: Stall) -> None:
        for start, end, generation in list(self._gc_log):
            overlap = min(end, stall.end) - max(start, stall.start)
            if overlap > 0:
                stall.gc_seconds += overlap
                stall.gc_runs.append((generation, end - start))
        self.stalls.append(stall)

    # ---- the report --------------------------------------------------------------------
    def report(self, *, top: int = 3, file=None) -> None:  # type: ignore[no-untyped-def]
        out = file or sys.stdout
        gens = Counter(g for _, _, g in self._gc_log)
        gc_total = {g: sum(e - s for s, e, gg in self._gc_log if gg == g) for g in gens}
        longest = max((e - s for s, e, _ in self._gc_log), default=0.0)
        print(f"stallwatch: {len(self.stalls)} stalls over {self.report_over * 1000:.0f} ms; "
              f"collections by generation {dict(gens)}, seconds "
              f"{ {g: round(t, 3) for g, t in gc_total.items()} }, longest "
              f"{longest * 1000:.0f} ms", file=out)
        print("   full collections (ms, objects freed): "
              + ", ".join(f"{t * 1000:.0f} {n}" for t, n in self.gc_full), file=out)
        base = self.stalls[0].start if self.stalls else 0.0
        for stall in sorted(self.stalls, key=lambda s: -s.seconds)[:12]:
            gcs = ", ".join(f"gen{g} {d * 1000:.0f} ms" for g, d in stall.gc_runs)
            print(f"\n-- stall {stall.seconds * 1000:.0f} ms at +{stall.start - base:.2f} s, "
                  f"{stall.samples} samples, gc {stall.gc_seconds * 1000:.0f} ms ({gcs})",
                  file=out)
            inclusive: Counter[str] = Counter()
            for stack, count in stall.loop.items():
                for name in {line.split(":", 1)[0] + " " + line.rsplit(" ", 1)[-1]
                             for line in stack}:
                    inclusive[name] += count
            hot = ", ".join(f"{name} {count}" for name, count in inclusive.most_common(40)
                            if "asyncio" not in name and "textual/app.py" not in name
                            and "message_pump" not in name)
            print(f"   loop functions (samples): {hot}", file=out)
            for stack, count in stall.loop.most_common(top):
                print(f"   loop x{count}:", file=out)
                for line in stack[:self.show]:
                    print(f"      {line}", file=out)
            for (name, _, stack), count in stall.others.most_common(top):
                print(f"   thread {name} running x{count}:", file=out)
                for line in stack[:8]:
                    print(f"      {line}", file=out)


def census(top: int = 25, file=None) -> None:  # type: ignore[no-untyped-def]
    """The objects the collector tracks, by type: what a full collection has to walk."""
    out = file or sys.stdout
    objects = gc.get_objects()
    by_type = Counter(type(o).__qualname__ + " (" + (type(o).__module__ or "") + ")"
                      for o in objects)
    frozen = gc.get_freeze_count()
    print(f"census: {len(objects)} tracked objects (+{frozen} frozen); gc counts "
          f"{gc.get_count()}, thresholds {gc.get_threshold()}", file=out)
    sizes = sorted(((len(o), type(o).__name__, id(o)) for o in objects
                    if isinstance(o, list | dict | set | tuple)), reverse=True)[:8]
    refs = sum(len(gc.get_referents(o)) for o in objects)
    print(f"   references from tracked objects: {refs}; largest containers "
          f"{[(n, t) for n, t, _ in sizes]}", file=out)
    del objects
    for _ in range(2):
        started = time.perf_counter()
        gc.collect()
        print(f"   a full collection now: {(time.perf_counter() - started) * 1000:.0f} ms",
              file=out)
    for name, count in by_type.most_common(top):
        print(f"   {count:8d} {name}", file=out)
