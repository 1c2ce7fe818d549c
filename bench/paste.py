"""Paste benchmark: a 10,000-line block pasted into the add dialog, until its preview shows.

Prints the importer's scan time for the text (CPU, as the dialog's thread worker pays it), the
wall time from the paste to the rendered preview, and the longest stall of the UI's event loop
meanwhile (a 2 ms ticker on the loop records how late it runs: a stall that long is a frozen
screen). The text is bench/import.py's mix of valid numbers, near misses, repeats and prose.
Headless at 80x24, the dialog on a bare App (no engine, no store).

    python bench/paste.py --lines 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import time
from pathlib import Path

from textual import events
from textual.app import App

from emstui.tui.screens.parcel_form import ParcelFormScreen
from emstui.tui.screens.paste_preview import PastePreviewScreen
from emstui.tui.widgets.number_field import scan_pasted

_IMPORT_BENCH = Path(__file__).with_name("import.py")  # its mixed text; "import" is a keyword
_spec = importlib.util.spec_from_file_location("bench_import", _IMPORT_BENCH)
assert _spec is not None and _spec.loader is not None
bench_import = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_import)


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(ParcelFormScreen({}))


async def one_run(text: str) -> tuple[float, float]:
    """(wall seconds from paste to a rendered preview, longest loop stall in seconds)."""
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        stalls: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                stalls.append(now - last)
                last = now

        task = asyncio.create_task(ticker())
        start = time.perf_counter()
        focused = app.focused
        assert focused is not None
        focused.post_message(events.Paste(text))
        while not isinstance(app.screen, PastePreviewScreen):
            await asyncio.sleep(0.001)
        await pilot.pause()  # its first frame
        wall = time.perf_counter() - start
        stop.set()
        await task
    return wall, max(stalls, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = "\n".join(bench_import.make_lines(args.lines)[0])
    scans = []
    for _ in range(args.repeat):
        start = time.process_time()
        scan = scan_pasted(text)
        scans.append(time.process_time() - start)
    print(f"{args.lines} lines, {len(text):,} characters: {len(scan.found)} valid, "
          f"{len(scan.near_misses)} near misses, {scan.repeats} repeats")
    print(f"scan (CPU, in the dialog's worker thread): median {statistics.median(scans):.3f} s")
    runs = [asyncio.run(one_run(text)) for _ in range(args.repeat)]
    print(f"paste to rendered preview (wall): median {statistics.median(r[0] for r in runs):.3f} s")
    print(f"longest UI loop stall meanwhile: median {statistics.median(r[1] for r in runs):.3f} s,"
          f" worst {max(r[1] for r in runs):.3f} s")


if __name__ == "__main__":
    main()
