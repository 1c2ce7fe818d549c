"""Builders for tests of the whole running app: simulator, config file, services, screen text."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static

from emstui.config import load_config
from emstui.core.clock import FakeClock
from emstui.services import Services, build_services
from emstui.sim import SimServer
from emstui.tui.app import EmstuiApp

# The simulator's epoch and the fake clock's start: a day that is not today, so that a date
# taken from the real clock instead of the injected one shows.
EPOCH = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
SIM_KEY = "sim-app-key-0123456789"
SIZE = (120, 35)

# Demo parcels (emstui.sim.demo) the tests single out, as they stand at the epoch.
TEA = "EE123456785CN"  # "Tea from Hangzhou": in customs; delivered ten days later
PHONE = "EA202611249CN"  # "Phone case": delivered
CAMERA = "EB271828189CN"  # "Camera lens": held by import customs
KYOTO = "EM314159268JP"  # "Ceramics from Kyoto": in transit
SEOUL = "EL555123453KR"  # "Skincare from Seoul": in transit
HOSTILE = "EK300000012CN"  # "Hostile carrier text": markup, escapes and bidi in its events
RADIO = "ED141421354CN"  # "Vintage radio": being returned (an exception)
# A smaller watch list keeps the interactive tests quick; the snapshots show all twelve.
FEW = (RADIO, TEA, CAMERA, HOSTILE, KYOTO, SEOUL, PHONE)


@dataclass
class World:
    """A temporary home: a simulator on loopback, its config file, a fake clock."""

    tmp: Path
    clock: FakeClock
    sim: SimServer
    parcels: list[tuple[str, str, str]]  # (number, label, scenario) of the watch list
    requests_before_app: int = 0  # simulator requests made before the app started

    @property
    def config_file(self) -> Path:
        return self.tmp / "config.toml"

    @property
    def store_path(self) -> Path:
        return self.tmp / "history.sqlite3"

    def label(self, number: str) -> str:
        return next(label for n, label, _ in self.parcels if n == number)

    def write_config(self) -> None:
        pairs = [(n, label) for n, label, _ in self.parcels]
        self.config_file.write_text(config_text(self.sim, pairs), encoding="utf-8")
        self.config_file.chmod(0o600)  # it holds an API key

    def services(self, clock: FakeClock | None = None) -> Services:
        """Built exactly as the program builds them, from the config file on disk."""
        return build_services(config=load_config(self.config_file), store_path=self.store_path,
                              clock=clock or self.clock)

    def app(self, services: Services, *, banner: str | None = None,
            badge: str | None = None) -> EmstuiApp:
        """The monitor with its engine not started: tests drive refreshes themselves."""
        return EmstuiApp(services, config_file=self.config_file, tz=UTC, start_engine=False,
                         watch_config=False, banner=banner, badge=badge)


def config_text(sim: SimServer, parcels: Iterable[tuple[str, str]]) -> str:
    """A config whose providers talk to the simulator; 17TRACK first, EMS as fallback."""
    document: dict[str, Any] = {
        "refresh": {"interval": "1h", "max_backoff": "2h"},
        "providers": {
            "order": ["17track", "ems"],
            "17track": {"api_key": SIM_KEY, "base_url": sim.url_17track},
            "ems": {"base_url": sim.url_ems},
        },
        "parcels": [{"number": n, "label": label} for n, label in parcels],
    }
    return tomli_w.dumps(document)


@contextmanager
def make_world(tmp: Path, numbers: Sequence[str] | None = FEW) -> Iterator[World]:
    """Demo parcels and journeys (fixed posting times before EPOCH) on a fresh simulator.

    `numbers` picks which demo parcels are watched (None: all twelve).
    The simulator reads the same fake clock as the app, so advancing it moves the journeys on.
    """
    clock = FakeClock(EPOCH)
    sim = SimServer(api_key=SIM_KEY, quota=10_000, clock=clock, epoch=EPOCH,
                    rate_limit=1000.0)  # its limiter counts real seconds; ours fake ones
    sim.start()
    try:
        demo = sim.load_demo()
        world = World(tmp, clock, sim,
                      [p for p in demo if numbers is None or p[0] in numbers])
        world.write_config()
        yield world
    finally:
        sim.stop()


@asynccontextmanager
async def running(world: World, *, banner: str | None = None, badge: str | None = None,
                  toasts: bool = False) -> AsyncIterator[tuple[EmstuiApp, Pilot[int]]]:
    """The app on the test's loop, its store filled first by one engine pass at the epoch.

    `toasts` shows notifications as toasts (Textual's test mode only records them).
    """
    services = world.services()
    try:
        report = await services.engine.refresh()
        assert not report.failed, report.failed
        world.requests_before_app = len(world.sim.requests)
        app = world.app(services, banner=banner, badge=badge)
        app.animation_level = "none"  # scrolling animations would only make the tests wait
        async with app.run_test(size=SIZE, notifications=toasts) as pilot:
            await pilot.pause()
            yield app, pilot
    finally:
        await services.aclose()


def prefill_store(world: World) -> None:
    """One engine pass against the simulator, on a loop and services of its own."""
    services = world.services(FakeClock(world.clock.now()))

    async def fill() -> None:
        try:
            report = await services.engine.refresh()
            assert not report.failed, report.failed
        finally:
            await services.aclose()

    asyncio.run(fill())


# ---- waiting and reading --------------------------------------------------------------------


async def drain(pilot: Pilot[Any], *, rounds: int = 10) -> None:
    """Process queued messages until the app has applied every pending change (bounded)."""
    app = pilot.app
    main = app.main if isinstance(app, EmstuiApp) else None
    for _ in range(rounds):
        await pilot.pause()
        if main is None or not main._apply_pending:
            await pilot.pause()  # the highlight message of the last apply
            return
    raise AssertionError(f"the app still had changes to apply after {rounds} pauses")


async def settle(pilot: Pilot[Any]) -> None:
    """Let config edits (thread workers) finish and their results reach the screen."""
    await pilot.app.workers.wait_for_complete()
    await drain(pilot)


def notifications(app: EmstuiApp) -> list[str]:
    """Every notification's title and message, oldest first."""
    return [f"{n.title}: {n.message}" if n.title else n.message for n in app._notifications]


def screen_text(app: EmstuiApp) -> str:
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in line) for line in update.strips)


def static_text(app: EmstuiApp, selector: str) -> str:
    """The plain text a Static shows (its whole content, scrolled into view or not)."""
    content = app.screen.query_one(selector, Static).content
    assert isinstance(content, Content)
    return content.plain


def detail_text(app: EmstuiApp) -> str:
    return "\n".join(static_text(app, f"#detail-{part}")
                     for part in ("facts", "advice", "official", "events"))


def row_text(app: EmstuiApp, number: str) -> str:
    """One table row's cells, joined as they are shown."""
    table = app.main.table
    return "".join(cell.plain for cell in table.get_row(number))


def spaced(number: str) -> str:
    return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:11]} {number[11:]}"


def parcels_in_file(path: Path) -> dict[str, dict[str, Any]]:
    """The [[parcels]] of a config file as tomllib reads it, by number."""
    with path.open("rb") as f:
        document = tomllib.load(f)
    return {p["number"]: p for p in document.get("parcels", [])}
