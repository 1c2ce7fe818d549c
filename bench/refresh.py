"""Refresh-engine benchmark against the simulator (run in its own process).

Prints, for N parcels through simulated 17TRACK with added latency: wall time, requests made,
429s received, CPU time per parcel (this process only: the simulator runs in another one), and
the ratio of wall time to the ideal bound for the provider's limits. With `--fault-429`, the
same pass with 17TRACK answering one request 429 (Retry-After: 1) when half the parcels are
done, the EMS tracker configured as the fallback: prints how many parcels went to the EMS
tracker (target: none) and the ratio to the bound. Then an outage: 17TRACK answers 503 for ten
minutes of simulated time; prints how many requests that cost and whether the first success
after it recovered the provider.

With `--tui`, the same passes run inside the monitor (headless, 120x35, its own engine and
listener): a full pass is asked for with the engine's "refresh all", timed until every parcel
is done, and the event loop's longest stall during it is printed (a 10 ms ticker's lateness).

    python bench/refresh.py --parcels 1000 --latency 0.1 [--fault-429] [--tui]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from emstui.core.clock import FakeClock, SystemClock
from emstui.core.s10 import make_number
from emstui.engine.engine import EngineSettings, RefreshEngine, WatchItem
from emstui.engine.events import Change, ParcelUpdated
from emstui.providers import make_provider
from emstui.sim import SimServer
from emstui.store import Store
from emstui.store.shared_limits import OTHERS_FRESH

KEY = "bench-key"

SIM_SCRIPT = textwrap.dedent("""
    import sys, threading
    from emstui.sim import SimServer
    sim = SimServer(api_key=sys.argv[1], quota=10**7, rate_limit=3.0)
    sim.start()
    sim.faults.set_latency(float(sys.argv[2]))
    print(sim.url_17track, sim.url_ems, flush=True)
    for line in sys.stdin:   # runs until the benchmark closes our stdin
        if line.strip() == "429":
            sim.faults.burst_429(1, retry_after=1.0, protocol="17track")
    sim.stop()
""")


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests and response statuses on the client side."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.statuses: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def start_sim(latency: float) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen([sys.executable, "-c", SIM_SCRIPT, KEY, str(latency)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    urls = proc.stdout.readline().split()
    if len(urls) != 2:
        raise SystemExit("the simulator did not start")
    return proc, urls[0], urls[1]


async def throughput(sim: subprocess.Popen[str], url: str, ems_url: str, parcels: int,
                     latency: float, data: Path, *, fault_429: bool) -> None:
    numbers = [make_number("EE", f"{10_000_000 + i:08d}", "CN") for i in range(parcels)]
    clock = SystemClock()
    store = Store(data / f"throughput-{fault_429}.sqlite3", clock=clock)
    transport = CountingTransport()
    provider = make_provider("17track", clock=clock, registrations=store, api_key=KEY,
                             base_url=url, timeout=30.0, transport=transport)
    ems = make_provider("ems", clock=clock, registrations=store, base_url=ems_url,
                        timeout=30.0)
    assert provider is not None and ems is not None
    done = 0
    injected = False

    def on_change(change: Change) -> None:
        nonlocal done, injected
        if not isinstance(change, ParcelUpdated) or not timing:
            return
        done += 1
        if fault_429 and not injected and done >= parcels // 2:
            injected = True
            assert sim.stdin is not None
            sim.stdin.write("429\n")
            sim.stdin.flush()

    timing = False
    engine = RefreshEngine(store=store, providers={"17track": provider, "ems": ems},
                           clock=clock, settings=EngineSettings(order=("17track", "ems")),
                           watch=[WatchItem(n) for n in numbers], listener=on_change)
    # Registration is a one-off cost per number (one more request per batch, once):
    # register everything in an untimed first pass, then measure the steady state, polling.
    first = await engine.refresh()
    transport.statuses.clear()
    timing = True
    cpu0, wall0 = time.process_time(), time.perf_counter()
    report = await engine.refresh(numbers, force=True)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    by_ems = sum(1 for s in store.states(numbers).values() if s.provider == "ems")
    await provider.aclose()
    await ems.aclose()
    store.close()
    requests = sum(transport.statuses.values())
    ideal_requests = math.ceil(parcels / 40)
    # Ideal: the requests at 3 per second (the first three at once), plus one round trip.
    ideal = (ideal_requests - 1) // 3 + latency if ideal_requests > 3 else latency
    ideal = max(ideal, ideal_requests / 3)
    fault = ", one 429 (Retry-After: 1) mid-pass" if fault_429 else ""
    print(f"throughput: {parcels} parcels via 17TRACK, {latency * 1000:.0f} ms latency{fault}")
    print(f"  registered first   {len(first.refreshed)} ({len(first.failed)} failed), untimed")
    print(f"  refreshed          {len(report.refreshed)} ({len(report.failed)} failed)")
    print(f"  wall time          {wall:.2f} s")
    print(f"  requests           {requests} (ideal {ideal_requests})")
    print(f"  429s received      {transport.statuses.get(429, 0)}")
    print(f"  via EMS tracker    {by_ems}")
    print(f"  CPU per parcel     {cpu / parcels * 1000:.3f} ms")
    print(f"  wall / ideal bound {wall / ideal:.3f}  (ideal {ideal:.2f} s = "
          f"{ideal_requests} requests at 3/s)")


def write_config(path: Path, numbers: list[str], url: str, ems_url: str) -> None:
    lines = ["[providers]", 'order = ["17track", "ems"]', "", "[providers.17track]",
             f'api_key = "{KEY}"', f'base_url = "{url}"', "", "[providers.ems]",
             f'base_url = "{ems_url}"', ""]
    for number in numbers:
        lines += ["[[parcels]]", f'number = "{number}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)


def done_count(store_path: Path, numbers: list[str], since: datetime) -> int:
    """Parcels checked after `since` (the start of the timed pass)."""
    store = Store(store_path)
    count = sum(1 for st in store.states(numbers).values()
                if st.last_checked is not None and st.last_checked > since)
    store.close()
    return count


def tui_pass(sim: subprocess.Popen[str], url: str, ems_url: str, parcels: int,
             latency: float, data: Path, *, fault_429: bool, profile: bool = False) -> None:
    """A full pass inside the monitor: wall time against the bound, and the longest stall."""
    from emstui.config import load_config
    from emstui.services import build_services
    from emstui.tui.app import EmstuiApp

    numbers = [make_number("EE", f"{20_000_000 + i:08d}", "CN") for i in range(parcels)]
    config_path = data / f"tui-{fault_429}.toml"
    store_path = data / f"tui-{fault_429}.sqlite3"
    write_config(config_path, numbers, url, ems_url)
    # Registration first, untimed, by a plain engine on the same store (as in `throughput`).
    setup = build_services(config=load_config(config_path), store_path=store_path,
                           clock=SystemClock())

    async def register() -> None:
        await setup.engine.refresh()
        for provider in setup.providers.values():
            await provider.aclose()

    asyncio.run(register())
    setup.store.close()
    # Parcels another process refreshed moments ago count as fresh (shared_limits.OTHERS_FRESH):
    # let that window pass, or the monitor would rightly skip them.
    time.sleep(OTHERS_FRESH.total_seconds() + 1)
    services = build_services(config=load_config(config_path), store_path=store_path,
                              clock=SystemClock())
    app = EmstuiApp(services, config_file=config_path, start_engine=True, watch_config=False)
    result: dict[str, float] = {}
    started = SystemClock().now()

    async def pilot(p: object) -> None:
        engine = app.engine
        for _ in range(50):  # the engine's first wake: nothing is due after registration
            await asyncio.sleep(0.1)
            if not engine.in_flight:
                break
        stall = 0.0
        running = True

        async def ticker() -> None:
            nonlocal stall
            while running:
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                stall = max(stall, time.perf_counter() - before - 0.01)

        done = 0
        injected = False

        def count(change: Change) -> None:
            nonlocal done, injected
            if isinstance(change, ParcelUpdated):
                done += 1
                if fault_429 and not injected and done >= parcels // 2:
                    injected = True
                    assert sim.stdin is not None
                    sim.stdin.write("429\n")
                    sim.stdin.flush()

        engine.subscribe(count)
        watch = None
        if profile:
            from stallwatch import StallWatch, census  # bench/, beside this script
            census()
            watch = StallWatch()
            watch.start()
        tick = asyncio.ensure_future(ticker())
        nonlocal started
        started = SystemClock().now()
        wall0 = time.perf_counter()
        engine.request_refresh()
        while not engine.in_flight:
            await asyncio.sleep(0.01)
        while engine.in_flight:
            await asyncio.sleep(0.05)
        result["wall"] = time.perf_counter() - wall0
        running = False
        await tick
        result["stall"] = stall
        if watch is not None:
            watch.stop()
            census()
            watch.report()
        app.exit()

    asyncio.run(app.run_async(headless=True, size=(120, 35), auto_pilot=pilot))  # type: ignore[arg-type]
    store = Store(store_path)
    by_ems = sum(1 for st in store.states(numbers).values() if st.provider == "ems")
    store.close()
    requests = math.ceil(parcels / 40)
    ideal = max((requests - 1) // 3 + latency if requests > 3 else latency, requests / 3)
    fault = ", one 429 (Retry-After: 1) mid-pass" if fault_429 else ""
    print(f"in the monitor: {parcels} parcels via 17TRACK, {latency * 1000:.0f} ms latency{fault}")
    print(f"  refreshed          {done_count(store_path, numbers, started)} of {parcels}")
    print(f"  wall time          {result['wall']:.2f} s")
    print(f"  via EMS tracker    {by_ems}")
    print(f"  longest loop stall {result['stall'] * 1000:.0f} ms")
    print(f"  wall / ideal bound {result['wall'] / ideal:.3f}  (ideal {ideal:.2f} s)")


async def outage(data: Path, max_backoff: int, base: float) -> None:
    """503 for ten simulated minutes; the fake clock makes backoff sleeps instant."""
    clock = FakeClock()
    store = Store(data / "outage.sqlite3", clock=clock)
    number = make_number("EE", "20000000", "CN")
    with SimServer(api_key=KEY, quota=1000, rate_limit=0) as sim:
        sim.faults.set_error_rate(1.0, statuses=(503,), protocol="17track")
        provider = make_provider("17track", clock=clock, registrations=store, api_key=KEY,
                                 base_url=sim.url_17track, timeout=30.0)
        assert provider is not None
        engine = RefreshEngine(
            store=store, providers={"17track": provider}, clock=clock,
            settings=EngineSettings(order=("17track",), max_backoff=max_backoff,
                                    backoff_base=base),
            watch=[WatchItem(number)])
        outage_ends = clock.now() + timedelta(minutes=10)
        during = 0
        recovered = False
        while clock.now() < outage_ends + timedelta(seconds=max_backoff * 2):
            if clock.now() >= outage_ends:
                sim.faults.clear()
            before = sim.request_count()
            report = await engine.refresh([number], force=True)
            if clock.now() < outage_ends:
                during += sim.request_count() - before
            if report.refreshed:
                recovered = engine.health()["17track"].state == "ok"
                break
            until = engine.health()["17track"].until or clock.now()
            clock.set(max(until, clock.now() + timedelta(seconds=1)))
        await provider.aclose()
    store.close()
    bound = math.log2(max_backoff / base)
    print(f"outage: 503 for 10 simulated minutes, base {base:.0f} s, max_backoff {max_backoff} s")
    print(f"  requests during outage {during} (log2(max_backoff/base) = {bound:.1f})")
    print(f"  recovered on first success: {recovered}")


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per answer")
    parser.add_argument("--max-backoff", type=int, default=7200)
    parser.add_argument("--base", type=float, default=30.0)
    parser.add_argument("--fault-429", action="store_true",
                        help="also a pass with one 429 mid-pass (EMS tracker as fallback)")
    parser.add_argument("--skip-outage", action="store_true")
    parser.add_argument("--tui", action="store_true",
                        help="run the passes inside the monitor instead of a bare engine")
    parser.add_argument("--stalls", action="store_true",
                        help="with --tui: sample the loop's stack during each stall over 50 ms "
                             "(bench/stallwatch.py) and print what it was doing")
    args = parser.parse_args()
    proc, url, ems_url = start_sim(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for fault in (False, True) if args.fault_429 else (False,):
                if args.tui:
                    tui_pass(proc, url, ems_url, args.parcels, args.latency, Path(tmp),
                             fault_429=fault, profile=args.stalls)
                else:
                    asyncio.run(throughput(proc, url, ems_url, args.parcels, args.latency,
                                           Path(tmp), fault_429=fault))
            if not args.skip_outage:
                asyncio.run(outage(Path(tmp), args.max_backoff, args.base))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
