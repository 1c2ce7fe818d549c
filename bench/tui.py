"""TUI benchmark: first paint, applying a 10% refresh, and memory, beside a plain DataTable app.

The plain app is a minimal Textual App with one `DataTable` (auto-width columns, rows keyed by
number, plain string cells, sorted by status) that reads the same config with `load_config` and
the same SQLite store with `Store.states`, and shows the same nine columns.

First paint: a fresh process per run, the two apps interleaved; imports are done first and
timed apart. The clock starts before the config is loaded and stops when a frame showing the
rows has been rendered: `App._display` is wrapped on the instance, each frame is turned into its
terminal text (`render_segments`, which headless mode skips but a terminal pays) and the first
frame holding at least 8 full parcel numbers, once every row is in the table, ends the run (a
frame with rows squeezed to too-narrow columns does not count). Verdict on wall time; CPU time
of the process is printed beside it (steadier on a busy machine).

Applying a refresh: one process per app (emstui; plain with `update_cell`; plain with clear +
re-add) holds N parcels, and the parent asks them in turn for a run each, so drifting machine
load hits all alike. A run posts one message per changed parcel, the way the engine does
(emstui: its engine listener posting `EngineChange(ParcelUpdated)`; plain: a message whose
handler calls `update_cell` on each changed cell, then one re-sort after the frame, or one clear
+ re-add of every row). The figure is main-thread CPU (`time.thread_time`) from the first post
to the rendered frame that shows every update applied; wall time is printed beside it. The
"whole cycle" row adds the engine's RefreshStarted and CycleFinished around the updates.

Memory: max RSS of a fresh process after the app showed N parcels and applied one refresh.

Both apps run headless at 120x35, with no refresh engine and no config polling; the fixture
(config and store) is built through the public API first and is not measured.

    python bench/tui.py --parcels 1000 --update-parcels 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from emstui.core.clock import SystemClock
from emstui.core.model import Event, ParcelState, Stage, Status, Tracking
from emstui.core.s10 import make_number
from emstui.engine.events import CycleFinished, ParcelUpdated, RefreshStarted
from emstui.store import Store

SIZE = (120, 35)
EVENTS = 30
NUMBER_RE = re.compile(r"EE\d{9}CN")
MIN_NUMBERS_SHOWN = 8  # a frame showing this many distinct parcel numbers shows the table
CST = timezone(timedelta(hours=8))
TARGET_PAINT = 1.3
TARGET_APPLY = 1.5
TARGET_RSS_MB = 150.0

DESCRIPTIONS = (
    "Posting/Collection", "Arrival at export office", "Departure from outward office of exchange",
    "Arrival at inward office of exchange", "Handed over to customs", "Held by customs",
    "Released from customs", "Arrival at delivery office", "Out for delivery",
    "Unsuccessful delivery attempt: addressee absent",
)
LOCATIONS = ("HANGZHOU EMS", "SHANGHAI PUDONG", "GUANGZHOU", "FRANKFURT 5", "LEIPZIG MAIL",
             "BERLIN DELIVERY OFFICE 10117", "AMSTERDAM", "LONDON HEATHROW")
LABELS = ("Tea from Hangzhou", "Spare parts", "Phone case", "Bike light", "Books for Anna",
          "Keyboard switches", "Replacement charger", "Fabric samples")
# Status mix per parcel index (i % 20); the rest are in transit.
MIX = {0: (Status.EXCEPTION, Stage.ARRIVED), 1: (Status.IN_CUSTOMS, Stage.CUSTOMS),
       2: (Status.DELIVERED, Stage.DELIVERED), 3: (Status.DELIVERED, Stage.DELIVERED),
       4: (Status.AVAILABLE_FOR_PICKUP, Stage.DELIVERY_OFFICE),
       5: (Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY),
       6: (Status.DELIVERY_FAILED, Stage.DELIVERY_OFFICE)}
# What an update turns a parcel into, rotating with the run so every run changes every row.
NEXT = ((Status.IN_CUSTOMS, Stage.CUSTOMS), (Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY),
        (Status.DELIVERED, Stage.DELIVERED), (Status.IN_TRANSIT, Stage.ARRIVED))
PLAIN_RANK = {s: i for i, s in enumerate((
    Status.EXCEPTION, Status.DELIVERY_FAILED, Status.AVAILABLE_FOR_PICKUP, Status.RETURNED,
    Status.IN_CUSTOMS, Status.OUT_FOR_DELIVERY, Status.IN_TRANSIT, Status.INFO_RECEIVED,
    Status.NOT_FOUND, Status.UNKNOWN, Status.EXPIRED, Status.DELIVERED))}


# ---- fixture (setup, not measured) -----------------------------------------------------------


def numbers(count: int) -> list[str]:
    return [make_number("EE", f"{i:08d}", "CN") for i in range(count)]


def tracking_for(i: int, number: str, now: datetime) -> Tracking:
    status, stage = MIX.get(i % 20, (Status.IN_TRANSIT, Stage.DEPARTED))
    newest = now - timedelta(days=i % 40, hours=i % 24, minutes=i % 60)
    events = []
    for j in range(EVENTS):
        at = newest - timedelta(hours=8 * j)
        events.append(Event(time_raw=at.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
                            description=DESCRIPTIONS[(i + j) % len(DESCRIPTIONS)],
                            location=LOCATIONS[(i * 3 + j) % len(LOCATIONS)], provider="ems",
                            time_local=at.astimezone(CST), time_utc=at.astimezone(UTC),
                            code=f"E{j % 9}", status=status if j == 0 else Status.IN_TRANSIT,
                            stage=stage if j == 0 else Stage.DEPARTED))
    return Tracking(number=number, provider="ems", status=status, stage=stage,
                    events=tuple(events), raw_status=status.value)


def build_store(path: Path, count: int) -> None:
    """COUNT parcels of EVENTS events through Store.apply_tracking; in-transit parcels with
    i % 7 == 0 keep unseen events, the others are marked seen."""
    now = datetime.now(UTC)
    store = Store(path, clock=SystemClock())
    checked = now - timedelta(minutes=10)
    for i, number in enumerate(numbers(count)):
        tracking = tracking_for(i, number, now)
        due = None if tracking.status is Status.DELIVERED else now + timedelta(minutes=50)
        store.apply_tracking(tracking, checked_at=checked, next_due=due)
        if not (tracking.status is Status.IN_TRANSIT and i % 7 == 0):
            store.mark_seen(number, at=now)
    store.close()


def write_config(path: Path, count: int) -> None:
    lines = ["[refresh]", 'interval = "1h"', "", "[providers]", 'order = ["17track", "ems"]', "",
             "[providers.17track]", 'api_key = "bench-key"', ""]
    for i, number in enumerate(numbers(count)):
        lines += ["[[parcels]]", f'number = "{number}"']
        if i % 5:
            lines.append(f'label = "{LABELS[i % len(LABELS)]} #{i}"')
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)  # it holds an API key


def changed_state(state: ParcelState, run: int, now: datetime) -> ParcelState:
    status, stage = NEXT[run % len(NEXT)]
    if status is state.status:
        status, stage = NEXT[(run + 1) % len(NEXT)]
    event = Event(time_raw=now.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
                  description=f"{DESCRIPTIONS[run % len(DESCRIPTIONS)]} (run {run})",
                  location=LOCATIONS[run % len(LOCATIONS)], provider="ems",
                  time_local=now.astimezone(CST), time_utc=now, status=status, stage=stage,
                  first_seen=now)
    return replace(state, status=status, stage=stage, last_event=event,
                   event_count=state.event_count + 1, unseen_count=state.unseen_count + 1,
                   last_checked=now, last_changed=now, next_due=now + timedelta(hours=1))


def slice_for(all_numbers: list[str], count: int, run: int) -> list[str]:
    """`count` numbers spread evenly over the table, a different set each run."""
    stride = max(1, len(all_numbers) // count)
    return all_numbers[run % stride::stride][:count]


# ---- the plain DataTable app -----------------------------------------------------------------

PLAIN_COLUMNS = (("status", ""), ("label", "Label"), ("number", "Number"), ("origin", "From"),
                 ("stage", "Stage"), ("event", "Latest event"), ("location", "Location"),
                 ("age", "Age"), ("next", "Next check"))


def plain_age(state: ParcelState, now: datetime) -> str:
    event = state.last_event
    if event is None or event.time_utc is None:
        return "—"
    minutes = int((now - event.time_utc).total_seconds() // 60)
    hours, days = minutes // 60, minutes // 1440
    return f"{days}d {hours % 24}h" if days else f"{hours}h {minutes % 60}m"


def plain_row(number: str, label: str, state: ParcelState | None, now: datetime) -> list[str]:
    if state is None:
        return ["?", label or number, number, number[-2:], "", "—", "—", "—", "not checked yet"]
    event = state.last_event
    due = state.next_due.astimezone().strftime("%H:%M") if state.next_due else "done"
    return [state.status.label, label or number, number, number[-2:], state.stage.label,
            event.description if event else "—", event.location if event else "—",
            plain_age(state, now), due]


def make_plain_app(config_path: Path, store_path: Path, mode: str) -> Any:
    """A minimal Textual app with one DataTable doing the same work; `mode` is how it takes
    updates: "cells" (update_cell per changed cell, one sort after) or "rebuild"."""
    from textual.app import App, ComposeResult
    from textual.message import Message
    from textual.widgets import DataTable

    from emstui.config import load_config

    class RowChanged(Message):
        def __init__(self, number: str, state: ParcelState) -> None:
            super().__init__()
            self.number = number
            self.state = state

    class PlainApp(App[None]):
        def __init__(self) -> None:
            super().__init__()
            self.config = load_config(config_path)
            self.store = Store(store_path)
            self.labels = {p.number: p.label for p in self.config.parcels}
            self.states: dict[str, ParcelState] = {}
            self.rows: dict[str, list[str]] = {}
            self.handled = 0
            self.pending = False

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def sorted_numbers(self) -> list[str]:
            def key(n: str) -> tuple[int, str]:
                state = self.states.get(n)
                return (PLAIN_RANK[state.status] if state else 99, n)
            return sorted(self.labels, key=key)

        def fill(self, table: DataTable[str]) -> None:
            now = datetime.now(UTC)
            for number in self.sorted_numbers():
                row = plain_row(number, self.labels[number], self.states.get(number), now)
                self.rows[number] = row
                table.add_row(*row, key=number)

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for key, title in PLAIN_COLUMNS:
                table.add_column(title, key=key)
            self.states = self.store.states(self.labels)
            self.fill(table)
            table.focus()

        def on_row_changed(self, message: RowChanged) -> None:
            number, state = message.number, message.state
            self.states[number] = state
            self.handled += 1
            if mode == "cells":
                table = self.query_one(DataTable)
                new = plain_row(number, self.labels[number], state, datetime.now(UTC))
                old = self.rows[number]
                for (column, _), before, after in zip(PLAIN_COLUMNS, old, new, strict=True):
                    if before != after:
                        table.update_cell(number, column, after)
                self.rows[number] = new
            if not self.pending:
                self.pending = True
                self.call_after_refresh(self.resort if mode == "cells" else self.rebuild)

        def resort(self) -> None:
            self.pending = False
            self.query_one(DataTable).sort(
                "status", "number", key=lambda cells: (PLAIN_RANK[Status(
                    cells[0].replace(" ", "_"))] if cells[0] != "?" else 99, cells[1]))

        def rebuild(self) -> None:
            self.pending = False
            table = self.query_one(DataTable)
            table.clear()
            self.fill(table)

    app = PlainApp()
    app.row_changed = RowChanged
    return app


# ---- emstui ----------------------------------------------------------------------------------


def make_emstui_app(config_path: Path, store_path: Path) -> Any:
    from emstui.config import load_config
    from emstui.services import build_services
    from emstui.tui.app import EmstuiApp

    config = load_config(config_path)  # as emstui.tui.run.run_tui starts it
    services = build_services(config=config, store_path=store_path, clock=SystemClock())
    return EmstuiApp(services, config_file=config_path, start_engine=False, watch_config=False)


# ---- the frame probe -------------------------------------------------------------------------


@dataclass
class Probe:
    """Wraps the app's `_display`: renders each frame to terminal text and checks conditions."""

    app: Any
    table: Callable[[], Any]
    rows: int
    painted: asyncio.Event
    paint_at: float | None = None
    paint_cpu: float | None = None
    frames: int = 0
    waiting: Callable[[], bool] | None = None
    done: asyncio.Event | None = None
    done_at: tuple[float, float] | None = None

    def install(self) -> None:
        from textual._compositor import CompositorUpdate

        original = self.app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or self.app._batch_count:
                return
            text = (renderable.render_segments(self.app.console)
                    if isinstance(renderable, CompositorUpdate) else "")
            self.frames += 1
            if self.paint_at is None:
                try:
                    table = self.table()
                except Exception:
                    return  # not mounted yet
                if (table.row_count == self.rows
                        and len(set(NUMBER_RE.findall(text))) >= min(self.rows,
                                                                      MIN_NUMBERS_SHOWN)):
                    self.paint_at, self.paint_cpu = time.perf_counter(), time.process_time()
                    self.painted.set()
            elif self.waiting is not None and self.waiting():
                self.done_at = (time.perf_counter(), time.thread_time())
                self.waiting = None
                assert self.done is not None
                self.done.set()

        self.app._display = display


def table_of(app: Any) -> Callable[[], Any]:
    from textual.widgets import DataTable

    return lambda: app.query_one(DataTable)


# ---- child processes -------------------------------------------------------------------------


def child_paint(args: argparse.Namespace) -> dict[str, Any]:
    t_import = time.perf_counter()
    if args.app == "emstui":
        import emstui.tui.app  # noqa: F401
    else:
        import textual.app
        import textual.widgets._data_table  # noqa: F401
    imports = time.perf_counter() - t_import
    gc.collect()
    start, start_cpu = time.perf_counter(), time.process_time()
    app = (make_emstui_app(args.config, args.store) if args.app == "emstui"
           else make_plain_app(args.config, args.store, "cells"))
    probe = Probe(app, table_of(app), args.rows, asyncio.Event())

    async def pilot(_: Any) -> None:
        await asyncio.wait_for(probe.painted.wait(), 60)
        app.exit()

    probe.install()
    asyncio.run(app.run_async(headless=True, size=SIZE, auto_pilot=pilot))
    assert probe.paint_at is not None and probe.paint_cpu is not None
    return {"paint": probe.paint_at - start, "cpu": probe.paint_cpu - start_cpu,
            "imports": imports, "frames": probe.frames}


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()
    await asyncio.sleep(0.2)
    await pilot.pause()


def emit(line: str) -> None:
    """One result line to the parent, past whatever the app does with sys.stdout."""
    os.write(1, f"BENCH {line}\n".encode())


def child_update(args: argparse.Namespace) -> None:
    """Hold one app with N parcels; apply a refresh on each "run MODE INDEX" from stdin."""
    import emstui.tui.app as tui_app

    tui_app.TICK_SECONDS = 3600.0  # keep the 30 s age tick out of the timed runs
    store = Store(args.store)
    all_numbers = numbers(args.rows)
    states = store.states(all_numbers)
    store.close()
    if args.app == "emstui":
        app = make_emstui_app(args.config, args.store)
    else:
        app = make_plain_app(args.config, args.store, args.modes)
    probe = Probe(app, table_of(app), args.rows, asyncio.Event())

    async def one_run(mode: str, run: int) -> tuple[float, float]:
        now = datetime.now(UTC)
        chosen = slice_for(all_numbers, args.changed, run)
        new = {n: changed_state(states[n], run, now) for n in chosen}
        last = chosen[-1]
        finished = now + timedelta(seconds=run)
        if args.app == "emstui":
            def waiting() -> bool:
                view = app.main.table._views.get(last)
                return (view is not None and view.latest_event == new[last].last_event.description
                        and not app.main.rows.dirty and not app.main._apply_pending
                        and (mode != "cycle" or app.main.rows.last_cycle == finished))
        else:
            app.handled = 0

            def waiting() -> bool:
                return app.handled == len(chosen) and not app.pending
        probe.done = asyncio.Event()
        probe.waiting = waiting
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        if args.app == "emstui":
            # The engine's own path: its listener posts EngineChange messages to the app.
            if mode == "cycle":
                app.main.engine_listener(RefreshStarted(tuple(chosen)))
            for n in chosen:
                app.main.engine_listener(ParcelUpdated(n, new[n], (new[n].last_event,),
                                                   states[n].status, True))
            if mode == "cycle":
                app.main.engine_listener(CycleFinished(now, finished, len(chosen), 0, None))
        else:
            for n in chosen:
                app.post_message(app.row_changed(n, new[n]))
        await asyncio.wait_for(probe.done.wait(), 120)
        assert probe.done_at is not None
        wall1, cpu1 = probe.done_at
        states.update(new)
        return cpu1 - cpu0, wall1 - wall0

    async def pilot(p: Any) -> None:
        await asyncio.wait_for(probe.painted.wait(), 300)
        await settle(p)
        emit("ready")
        loop = asyncio.get_running_loop()
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not command or command[0] != "run":
                break
            app.clear_notifications()
            await settle(p)
            gc.collect()
            cpu, wall = await one_run(command[1], int(command[2]))
            emit(json.dumps({"cpu": cpu, "wall": wall}))
        app.exit()

    probe.install()
    asyncio.run(app.run_async(headless=True, size=SIZE, auto_pilot=pilot))


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_rss(args: argparse.Namespace) -> dict[str, Any]:
    if args.app == "emstui":
        import emstui.tui.app  # noqa: F401
    else:
        import textual.app
        import textual.widgets._data_table  # noqa: F401
    base = max_rss_mb()
    app = (make_emstui_app(args.config, args.store) if args.app == "emstui"
           else make_plain_app(args.config, args.store, "cells"))
    probe = Probe(app, table_of(app), args.rows, asyncio.Event())
    figures: dict[str, float] = {"imports": base}

    async def pilot(p: Any) -> None:
        await asyncio.wait_for(probe.painted.wait(), 120)
        await settle(p)
        figures["shown"] = max_rss_mb()
        now = datetime.now(UTC)
        states = app.main.rows.states if args.app == "emstui" else app.states  # the app's own copy
        for n in slice_for(numbers(args.rows), args.changed, 0):
            state = changed_state(states[n], 0, now)
            if args.app == "emstui":
                app.main.engine_listener(ParcelUpdated(n, state, (state.last_event,),
                                                   states[n].status, True))
            else:
                app.post_message(app.row_changed(n, state))
        await settle(p)
        figures["updated"] = max_rss_mb()
        app.exit()

    probe.install()
    asyncio.run(app.run_async(headless=True, size=SIZE, auto_pilot=pilot))
    return figures


# ---- the parent: fixture, runs, report -------------------------------------------------------


def isolated_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("EMSTUI_CONFIG", None)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"),
               XDG_CACHE_HOME=str(home / "cache"))
    return env


def run_child(env: dict[str, str], *argv: str) -> Any:
    proc = subprocess.run([sys.executable, __file__, "--child", *argv], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    results = [line[len("BENCH "):] for line in proc.stdout.splitlines()
               if line.startswith("BENCH ")]
    if proc.returncode != 0 or not results:
        raise SystemExit(f"child {' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(results[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISS"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1000, help="parcels for first paint")
    parser.add_argument("--update-parcels", type=int, default=5000,
                        help="parcels for the update and memory runs")
    parser.add_argument("--changed", type=float, default=10.0,
                        help="percent of the parcels a refresh changes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=("paint", "update", "rss"), help=argparse.SUPPRESS)
    parser.add_argument("--app", choices=("emstui", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--modes", default="cells", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.changed = int(args.changed)
        if args.child == "update":
            child_update(args)
        else:
            result = child_paint(args) if args.child == "paint" else child_rss(args)
            emit(json.dumps(result))
        return 0
    return parent(args)


def parent(args: argparse.Namespace) -> int:
    big = max(args.parcels, args.update_parcels)
    changed = max(1, round(args.update_parcels * args.changed / 100))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="emstui-bench-") as tmp:
        root = Path(tmp)
        env = isolated_env(root / "home")
        store = root / "history.sqlite3"
        t0 = time.perf_counter()
        build_store(store, big)
        small_cfg, big_cfg = root / "small.toml", root / "big.toml"
        write_config(small_cfg, args.parcels)
        write_config(big_cfg, args.update_parcels)
        print(f"fixture: {big} parcels x {EVENTS} events via Store.apply_tracking, "
              f"{store.stat().st_size / 2**20:.0f} MiB, built in {time.perf_counter() - t0:.1f} s"
              " (not measured)")
        print(f"headless {SIZE[0]}x{SIZE[1]}; medians of {args.repeat} runs; load average "
              f"{load:.1f} on {os.cpu_count()} CPUs" + ("  (busy machine: wall times are noisy)"
                                                      if load > (os.cpu_count() or 1) else ""))
        print()
        report_paint(args, env, small_cfg, store)
        report_apply(args, env, big_cfg, store, changed)
        report_rss(args, env, big_cfg, store, changed)
    return 0


def report_paint(args: argparse.Namespace, env: dict[str, str], config: Path,
                 store: Path) -> None:
    runs: dict[str, list[dict[str, Any]]] = {"emstui": [], "plain": []}
    for _ in range(args.repeat):  # interleaved, so drifting machine load hits both alike
        for app in ("plain", "emstui"):
            runs[app].append(run_child(env, "paint", "--app", app, "--config", str(config),
                                       "--store", str(store), "--rows", str(args.parcels)))

    def med(app: str, key: str) -> float:
        return median([r[key] for r in runs[app]])

    print(f"first paint, {args.parcels} cached parcels: fresh process per run, from loading "
          "the config to the first rendered frame showing the rows")
    print(f"  {'':22}{'wall':>11}{'CPU':>12}   imports before (not counted)")
    for name, app in (("plain DataTable app", "plain"), ("emstui", "emstui")):
        print(f"  {name:22}{ms(med(app, 'paint'))} {ms(med(app, 'cpu'))}   "
              f"{ms(med(app, 'imports'))}")
    wall = med("emstui", "paint") / med("plain", "paint")
    cpu = med("emstui", "cpu") / med("plain", "cpu")
    print(f"  ratio {wall:.2f}x wall ({cpu:.2f}x CPU)   target <= {TARGET_PAINT}x   "
          f"{verdict(wall <= TARGET_PAINT)}")
    print()


class Holder:
    """A child process holding one app, applying refreshes when asked."""

    def __init__(self, env: dict[str, str], log: Path, *argv: str) -> None:
        self.log = log
        self.proc = subprocess.Popen([sys.executable, __file__, "--child", "update", *argv],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log.open("w"), text=True)

    def read(self) -> str:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(timeout=30)
                raise SystemExit(f"benchmark child failed:\n{self.log.read_text()[-3000:]}")
            if line.startswith("BENCH "):
                return line[len("BENCH "):].strip()

    def run(self, mode: str, index: int) -> tuple[float, float]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {mode} {index}\n")
        self.proc.stdin.flush()
        result = json.loads(self.read())
        return result["cpu"], result["wall"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def report_apply(args: argparse.Namespace, env: dict[str, str], config: Path, store: Path,
                 changed: int) -> None:
    common = ("--config", str(config), "--store", str(store), "--rows",
              str(args.update_parcels), "--changed", str(changed))
    logs = config.parent
    holders = {"emstui": Holder(env, logs / "emstui.log", "--app", "emstui", *common),
               "cells": Holder(env, logs / "cells.log", "--app", "plain", "--modes", "cells",
                               *common),
               "rebuild": Holder(env, logs / "rebuild.log", "--app", "plain", "--modes",
                                 "rebuild", *common)}
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("updates", "cycle", "cells",
                                                                  "rebuild")}
    try:
        for holder in holders.values():
            holder.read()  # "ready": N rows shown and settled
        # Runs alternate between the apps (and swap order), so drifting load hits all alike.
        # Run r changes the same parcels in each app; the cycle runs change other ones.
        for r in range(args.repeat):
            order = [("emstui", "updates", r), ("cells", "cells", r)]
            for holder, mode, index in (order if r % 2 == 0 else order[::-1]):
                runs[mode].append(holders[holder].run(mode, index))
            if r < 3:  # clear + re-add is slow (DataTable measures every new cell): 3 runs
                runs["rebuild"].append(holders["rebuild"].run("rebuild", r))
            runs["cycle"].append(holders["emstui"].run("cycle", args.repeat + r))
    finally:
        for holder in holders.values():
            holder.close()

    def cpu(mode: str) -> float:
        return median([r[0] for r in runs[mode]])

    def wall(mode: str) -> float:
        return median([r[1] for r in runs[mode]])

    rows = (("plain: update_cell per changed cell, one sort", "cells"),
            ("plain: clear + re-add every row (reference)", "rebuild"),
            (f"emstui: {changed} EngineChange(ParcelUpdated)", "updates"),
            ("emstui: whole cycle, + RefreshStarted/CycleFinished", "cycle"))
    print(f"apply a refresh changing {changed} of {args.update_parcels} parcels: main-thread "
          "CPU from the first message to the rendered frame showing them all")
    print(f"  {'':52}{'CPU':>11}{'wall':>12}")
    for name, mode in rows:
        print(f"  {name:52}{ms(cpu(mode))} {ms(wall(mode))}")
    ratio = cpu("updates") / cpu("cells")
    print(f"  ratio vs update_cell {ratio:.2f}x   target <= {TARGET_APPLY}x   "
          f"{verdict(ratio <= TARGET_APPLY)}")
    print(f"  (vs clear + re-add {cpu('updates') / cpu('rebuild'):.2f}x; "
          f"whole cycle vs update_cell {cpu('cycle') / cpu('cells'):.2f}x)")
    print()


def report_rss(args: argparse.Namespace, env: dict[str, str], config: Path, store: Path,
               changed: int) -> None:
    common = ("--config", str(config), "--store", str(store), "--rows",
              str(args.update_parcels), "--changed", str(changed))
    results = {app: run_child(env, "rss", "--app", app, *common) for app in ("plain", "emstui")}
    print(f"memory, {args.update_parcels} parcels x {EVENTS} events: max RSS (MiB) of a fresh "
          "process")
    print(f"  {'':22}{'imports':>9}{'shown':>9}{'after a refresh':>17}")
    for name, app in (("plain DataTable app", "plain"), ("emstui", "emstui")):
        r = results[app]
        print(f"  {name:22}{r['imports']:9.1f}{r['shown']:9.1f}{r['updated']:17.1f}")
    peak = results["emstui"]["updated"]
    print(f"  emstui {peak:.1f} MiB   target < {TARGET_RSS_MB:.0f} MiB   "
          f"{verdict(peak < TARGET_RSS_MB)}")


if __name__ == "__main__":
    sys.exit(main())
