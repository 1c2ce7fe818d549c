"""The monitor at scale: what each key, the minute tick and an engine wake cost at N parcels.

N parcels of 30 events (the bench/tui.py fixture: config + store filled through the public
API, built once into `--fixtures`, not measured). In one process per app, headless at 120x35,
each action is timed from the key press to the app being idle again after the frame that shows
it (`pilot.press` + `pilot.pause`), median of `--repeat`:

- emstui: cursor down (the key and its frame, the detail's settle held off as while a key is
  held), the detail after the cursor rests (`settle_detail`, what the settle timer calls, and
  its frame), tab (focus the detail panel and back: two presses, halved), `/` then escape
  (open and close the filter), `s` (sort by the next column), the minute tick (`_tick`, the one
  that refreshes ages);
- the plain DataTable app of bench/tui.py doing the same with the same rows: cursor down, tab
  (its only widget: focus moves out and back), sort by another column.
- both: "no key (harness)", what the pilot adds to a key without one (`press` and `pause`
  each post a callback to every widget and wait for them: ~2 ms CPU at the monitor's 25
  widgets, ~0.7 at the plain app's few); cursor down is printed less it too.

An engine wake: a `RefreshEngine` on the same store and watchlist runs its loop with nothing
due; `_wake` is set `--repeat` times and the time from the wake to its next sleep is what the
event loop is blocked for (target: under 20 ms at 5000 parcels).

    python bench/tui_scale.py --parcels 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGETS = {"cursor down": 0.025, "tab": 0.075, "minute tick": 0.020, "engine wake": 0.020}


def bench_tui() -> Any:
    spec = importlib.util.spec_from_file_location("bench_tui", Path(__file__).with_name("tui.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tui"] = module
    spec.loader.exec_module(module)
    return module


def fixture(root: Path, size: int) -> tuple[Path, Path]:
    home = root / f"n{size}"
    config, store = home / "config.toml", home / "data" / "history.sqlite3"
    if not store.exists():
        tui = bench_tui()
        store.parent.mkdir(parents=True, exist_ok=True)
        print(f"building the {size}-parcel fixture (not measured)...", file=sys.stderr)
        tui.build_store(store, size)
        tui.write_config(config, size)
    return config, store


SETTLE = 0.2  # before each run: timers a key started (the detail's settle) have fired
# Cursor down and the harness cost a few ms, near the noise of one run: they are measured
# `--repeat` x KEY_RUNS times, each down followed by an unmeasured up, so that no run scrolls
# the table (the monitor's is 19 rows high, the plain app's 33: a scroll repaints every row).
KEY_RUNS = 3


async def timed(pilot: Any, action: Any, repeat: int, before: Any = None,
                after: Any = None) -> list[float]:
    """[wall, CPU] medians; CPU is the process's (the app runs on this thread) and is the
    steadier figure on a shared machine. `before` and `after` run around each measurement,
    unmeasured."""
    walls, cpus = [], []
    for _ in range(repeat):
        if before is not None:
            await before()
        await pilot.pause()
        await asyncio.sleep(SETTLE)
        await pilot.pause()
        start, cpu = time.perf_counter(), time.process_time()
        await action()
        await pilot.pause()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        if after is not None:
            await after()
    return [statistics.median(walls), statistics.median(cpus)]


async def cursor_down(pilot: Any, app: Any, repeat: int) -> dict[str, list[float]]:
    """The monitor's cursor down split in two: the key and its frame, with the detail's settle
    timer held off as when a key is held (it restarts on every move and never fires), then the
    settle's own cost once the cursor rests (`settle_detail`, which the timer calls, and its
    frame), after a move made unmeasured. The settle otherwise fired 80 ms after the key,
    inside the measured window on some runs and not on others."""
    from emstui.tui.screens import main as main_screen

    held = main_screen.DETAIL_SETTLE_SECONDS

    async def hold() -> None:
        main_screen.DETAIL_SETTLE_SECONDS = 3600.0

    async def back_and_rest() -> None:
        await pilot.press("up")  # stay near the top: no run scrolls the table (see `child_keys`)
        main_screen.DETAIL_SETTLE_SECONDS = held
        app.main.settle_detail()
        await pilot.pause()

    async def press_down() -> None:
        await pilot.press("down")

    async def settle() -> None:
        app.main.settle_detail()

    async def move() -> None:
        await hold()
        await press_down()
        main_screen.DETAIL_SETTLE_SECONDS = held

    return {"cursor down": await timed(pilot, press_down, repeat * KEY_RUNS, before=hold,
                                       after=back_and_rest),
            "detail at rest": await timed(pilot, settle, repeat, before=move)}


def child_keys(app_kind: str, config: Path, store: Path,
               repeat: int) -> dict[str, list[float]]:
    tui = bench_tui()
    app = (tui.make_emstui_app(config, store) if app_kind == "emstui"
           else tui.make_plain_app(config, store, "cells"))
    results: dict[str, list[float]] = {}

    async def pilot(p: Any) -> None:
        for _ in range(5):
            await p.pause()
        await asyncio.sleep(0.5)

        async def press(*keys: str) -> None:
            await p.press(*keys)

        async def harness() -> None:
            await p._wait_for_screen()  # what `press` adds to sending the key, `pause` follows
        results["no key (harness)"] = await timed(p, harness, repeat * KEY_RUNS)
        if app_kind == "emstui":
            results.update(await cursor_down(p, app, repeat))
        else:
            results["cursor down"] = await timed(p, lambda: press("down"), repeat * KEY_RUNS,
                                                 after=lambda: press("up"))
        results["tab"] = [t / 2 for t in await timed(p, lambda: press("tab", "shift+tab"),
                                                      repeat)]
        if app_kind == "emstui":
            results["/ then escape"] = await timed(p, lambda: press("slash", "escape"), repeat)
            results["sort"] = await timed(p, lambda: press("s"), repeat)

            async def tick() -> None:
                app.main._tick()
            results["minute tick"] = await timed(p, tick, repeat)
        else:
            from textual.widgets import DataTable

            table = app.query_one(DataTable)
            columns = ["label", "number"]

            async def sort() -> None:
                table.sort(columns[0])
                columns.reverse()
            results["sort"] = await timed(p, sort, repeat)
        app.exit()

    asyncio.run(app.run_async(headless=True, size=(120, 35), auto_pilot=pilot))
    return results


def child_wake(config: Path, store_path: Path, repeat: int) -> dict[str, list[float]]:
    from emstui.config import load_config
    from emstui.core.clock import SystemClock
    from emstui.engine.engine import RefreshEngine, WatchItem
    from emstui.store import Store

    parcels = load_config(config).parcels
    clock = SystemClock()
    store = Store(store_path, clock=clock)
    engine = RefreshEngine(store=store, providers={}, clock=clock,
                           watch=[WatchItem(p.number) for p in parcels])
    marks: list[tuple[str, float]] = []
    original = engine._sleep_until

    async def sleep_until(when: Any) -> None:
        marks.append(("sleep", time.perf_counter()))
        await original(when)
        marks.append(("wake", time.perf_counter()))

    engine._sleep_until = sleep_until  # type: ignore[method-assign]

    async def main() -> None:
        task = asyncio.ensure_future(engine.run())
        await asyncio.sleep(0.5)
        for _ in range(repeat):
            engine._wake.set()
            await asyncio.sleep(0.3)
        engine.stop()
        await task

    asyncio.run(main())
    store.close()
    blocked = [b[1] - a[1] for a, b in itertools.pairwise(marks)
               if a[0] == "wake" and b[0] == "sleep"]
    wake = statistics.median(blocked)
    return {"engine wake": [wake, wake]}  # blocked wall time only


def run_child(*argv: str) -> dict[str, list[float]]:
    proc = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True,
                          text=True, timeout=900, check=False)
    lines = [ln[6:] for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"child {argv} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fixtures", type=Path, default=Path("/tmp/emstui-bench-once"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, config, store = args.child[0], Path(args.child[1]), Path(args.child[2])
        result = (child_wake(config, store, args.repeat) if kind == "wake"
                  else child_keys(kind, config, store, args.repeat))
        sys.stdout.flush()
        import os
        os.write(1, f"BENCH {json.dumps(result)}\n".encode())
        return 0
    config, store = fixture(args.fixtures, args.parcels)
    common = ["--repeat", str(args.repeat)]
    emstui = run_child("emstui", str(config), str(store), *common)
    plain = run_child("plain", str(config), str(store), *common)
    emstui.update(run_child("wake", str(config), str(store), *common))
    print(f"monitor at {args.parcels} parcels x 30 events (median of {args.repeat}, cursor down "
          f"and the harness of {args.repeat * KEY_RUNS}; ms; "
          "ratio of CPU)")
    print(f"  {'action':16} {'wall':>8} {'plain':>8} {'CPU':>8} {'plain':>8} {'ratio':>7}  "
          "target")

    def ms(value: float | None) -> str:
        return f"{value * 1000:8.1f}" if value else "       -"

    for action, (wall, cpu) in emstui.items():
        floor_wall, floor_cpu = plain.get(action, [None, None])
        ratio = f"{cpu / floor_cpu:6.1f}x" if floor_cpu else "      -"
        target = TARGETS.get(action)
        goal = (f"<= {target * 1000:.0f} ms" if target
                else "<= 1.5x plain" if floor_cpu and action != "no key (harness)" else "")
        print(f"  {action:16} {ms(wall)} {ms(floor_wall)} {ms(cpu)} {ms(floor_cpu)} {ratio}  "
              f"{goal}")
    floor, plain_floor = emstui["no key (harness)"][1], plain["no key (harness)"][1]
    net, plain_net = emstui["cursor down"][1] - floor, plain["cursor down"][1] - plain_floor
    if plain_net > 0:
        print(f"  cursor down less the harness: {net * 1000:.1f} ms CPU, plain "
              f"{plain_net * 1000:.1f} ms: {net / plain_net:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
