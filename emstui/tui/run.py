"""Starting the monitor: for real, or as `--demo` against the simulator in a temporary home."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from emstui.config import load_config, paths
from emstui.present.output import CleanLogFormatter
from emstui.services import Services, build_services
from emstui.sim import SimServer
from emstui.tui.app import EmstuiApp

DEMO_KEY = "demo-key"
DEMO_TIME_SCALE = 1440.0  # one simulated day per real minute
DEMO_TICK_SECONDS = 2.0  # ages move by ~48 simulated minutes between redraws


class SimulatedClock:
    """The demo's clock: the simulator's compressed time, so ages, due times, backoff and the
    header all agree with the journeys. Sleeping N simulated seconds takes N/scale real ones."""

    def __init__(self, sim: SimServer) -> None:
        self._sim = sim
        self._scale = sim.time_scale

    def now(self) -> datetime:
        return self._sim.sim_now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._scale)


def setup_logging(directory: Path) -> Path:
    """Log warnings to a file: the terminal belongs to the UI. Keys never reach the log."""
    directory.mkdir(parents=True, exist_ok=True)
    log_file = directory / "emstui.log"
    handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=2,
                                                   encoding="utf-8")
    handler.setFormatter(CleanLogFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("emstui")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return log_file


def demo_config_text(sim: SimServer, demo: list[tuple[str, str, str]]) -> str:
    lines = [
        "# emstui --demo: a temporary config for the simulator; deleted on exit.",
        "# Simulated time: 8 h pass in 20 real seconds.",
        "[refresh]",
        'interval = "8h"',
        'delivered_interval = "off"',
        'max_backoff = "2d"',
        "",
        "[providers]",
        'order = ["17track", "ems"]',
        "",
        "[providers.17track]",
        f'api_key = "{DEMO_KEY}"',
        f'base_url = "{sim.url_17track}"',
        "",
        "[providers.ems]",
        f'base_url = "{sim.url_ems}"',
        "",
    ]
    for number, label, _scenario in demo:
        safe_label = label.replace("\\", "\\\\").replace('"', '\\"')
        lines += ["[[parcels]]", f'number = "{number}"', f'label = "{safe_label}"', ""]
    return "\n".join(lines)


def run_tui(config_file: Path, *, demo: bool = False, err: TextIO | None = None) -> int:
    if demo:
        return run_demo()
    config = load_config(config_file)
    services = build_services(config=config)  # opens the store: a bad data dir is one line
    try:
        setup_logging(paths.data_dir())
    except OSError:
        services.store.close()
        raise
    app = EmstuiApp(services, config_file=config_file)
    return run_app(app, services)


def run_app(app: EmstuiApp, services: Services, **run_options: Any) -> int:
    """Run the monitor, then close its services in the same event loop (HTTP clients too).
    `run_options` go to Textual's `App.run_async` (tests run it headless)."""

    async def main() -> int | None:
        try:
            return await app.run_async(**run_options)
        finally:
            await services.aclose()

    return asyncio.run(main()) or 0


def run_demo() -> int:
    home = Path(tempfile.mkdtemp(prefix="emstui-demo-"))
    # The simulator's own 3/s limit counts real seconds, but the demo's clients pace themselves
    # in simulated ones; turn the limit off rather than fight the time scale.
    sim = SimServer(api_key=DEMO_KEY, quota=10_000, time_scale=DEMO_TIME_SCALE, rate_limit=0)
    sim.start()
    try:
        demo = sim.load_demo()
        config_file = home / "config.toml"
        config_file.write_text(demo_config_text(sim, demo), encoding="utf-8")
        config_file.chmod(0o600)  # it holds the (simulator's) API key
        setup_logging(home)
        services = build_services(config=load_config(config_file), clock=SimulatedClock(sim),
                                  store_path=home / "history.sqlite3")
        banner = (f"Demo: {len(demo)} parcels on the built-in simulator ({sim.base_url}), "
                  "one simulated day per minute. Temporary files in "
                  f"{home}; your own config and history are not touched.")
        app = EmstuiApp(services, config_file=config_file, banner=banner,
                        badge="DEMO", tick_seconds=DEMO_TICK_SECONDS)
        return run_app(app, services)
    finally:
        sim.stop()
        shutil.rmtree(home, ignore_errors=True)
