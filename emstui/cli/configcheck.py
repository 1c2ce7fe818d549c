"""`emstui config validate`: every check the app runs on a loaded config, as a list of problems.

Loading already catches syntax, types, ranges and interval minimums (those raise ConfigError).
This adds what the app only finds when it starts: sources without a key, parcels no source in
use can track (built with the app's own wiring, so the answer is the app's), and, through
`emstui.tui.settingscheck` (Textual is only imported there), themes and `[keys]`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from emstui.config import Config
from emstui.config.problems import Problem
from emstui.services import build_services, key_fix


def source_problems(config: Config) -> list[Problem]:
    """Sources in `providers.order` that cannot be used, and parcels no source can track."""
    services = build_services(config=config, store_path=Path(":memory:"))
    try:
        problems = [Problem("warning", "providers.17track", note, key_fix(config))
                    for note in services.notes if note.startswith("17TRACK")]
        if not services.providers:
            problems.append(Problem("error", "providers.order",
                                    "no source in providers.order can be used, so nothing is "
                                    "tracked", 'Add "ems" to providers.order, or give 17TRACK '
                                    "a key"))
        index = {p.number: i for i, p in enumerate(config.parcels)}
        for number, reason in services.engine.untrackable().items():
            problems.append(Problem("error", f"parcels[{index[number]}].number",
                                    f"{number} cannot be tracked: {reason}"))
        return problems
    finally:
        asyncio.run(services.aclose())


def all_problems(config: Config) -> list[Problem]:
    """Source checks, then the app's own checks of themes and `[keys]`."""
    from emstui.tui.settingscheck import ui_problems

    return [*source_problems(config), *ui_problems(config)]
