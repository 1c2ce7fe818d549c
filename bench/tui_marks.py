"""Marking parcels in the monitor at N parcels: what Space, `*` and a bulk archive cost.

The bench/tui_scale.py fixture (N parcels x 30 events), headless at 120x35, timed from the key
press to the app being idle after the frame that shows it (median of `--repeat`):

- cursor down (for comparison: Space marks the row AND moves the cursor down);
- space: mark the cursor row, then go down; also how many table cells were rendered for it
  (the mark redraws one cell of one row, never the table);
- `*` then `u`: mark every row shown, then clear every mark (two presses, halved);
- the config edit of a bulk archive of 100 marked parcels is not timed here: it is one
  atomic write, like the single archive.

    python bench/tui_marks.py --parcels 5000 --repeat 9
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def tui_scale() -> Any:
    path = Path(__file__).with_name("tui_scale.py")
    spec = importlib.util.spec_from_file_location("bench_tui_scale", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tui_scale"] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--fixtures", type=Path, default=Path("/tmp/emstui-bench-once"))
    args = parser.parse_args()
    scale = tui_scale()
    config, store = scale.fixture(args.fixtures, args.parcels)
    app = scale.bench_tui().make_emstui_app(config, store)
    results: dict[str, float] = {}
    rendered: list[int] = []

    async def pilot(p: Any) -> None:
        for _ in range(5):
            await p.pause()
        await asyncio.sleep(0.5)
        table = app.main.table
        real_render = table._render
        calls = [0]

        def counting_render(column: str, view: Any) -> Any:
            calls[0] += 1
            return real_render(column, view)

        table._render = counting_render

        async def press(*keys: str) -> None:
            await p.press(*keys)

        async def space() -> None:
            calls[0] = 0
            await p.press("space")
            await p.pause()
            rendered.append(calls[0])

        results["cursor down"] = await scale.timed(p, lambda: press("down"), args.repeat)
        results["space (mark)"] = await scale.timed(p, space, args.repeat)
        results["* then u"] = await scale.timed(p, lambda: press("asterisk", "u"),
                                                args.repeat) / 2
        app.exit()

    start = time.perf_counter()
    asyncio.run(app.run_async(headless=True, size=(120, 35), auto_pilot=pilot))
    wall = time.perf_counter() - start
    print(f"marks at {args.parcels} parcels x 30 events (median of {args.repeat}; ms; "
          f"run {wall:.1f} s)")
    for action, value in results.items():
        print(f"  {action:16} {value * 1000:8.1f}")
    print(f"  cells rendered per space press: median {statistics.median(rendered)}, "
          f"max {max(rendered)} (the table has {args.parcels} rows x 11 columns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
