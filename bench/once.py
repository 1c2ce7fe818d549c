"""`emstui --once` with nothing due: wall time and max RSS of a fresh process, by watchlist size.

Every parcel holds 30 events and was checked ten minutes ago (due in 50 minutes, or never for
delivered ones), so the run makes no request: what it costs is opening the store, reading
what it prints and printing it. Targets: 5000 parcels under 0.5 s and 80 MiB; 20,000 under
1.5 s. The fixture (config + store, filled through `Store.apply_tracking`, as in
bench/tui.py) is built once per size into `--fixtures` and reused; it is not measured.
Before each size is measured its due times are set again (checked ten minutes ago, no
error, the daily integrity check done), so a fixture built hours ago is still "nothing due";
after the runs the script fails if any parcel was checked (a request was made). The package
is byte-compiled first, as an installed one is. CPU (user + system) is printed beside the wall
time: on a busy machine it is the steadier figure.

    python bench/once.py --sizes 1000 5000 20000 --repeat 3 [--json]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import importlib.util
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGETS = {5000: (0.5, 80.0), 20000: (1.5, None)}


def load_fixture_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_tui", Path(__file__).with_name("tui.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tui"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def fixture(root: Path, size: int) -> tuple[Path, dict[str, str]]:
    home = root / f"n{size}"
    config = home / "config.toml"
    store = home / "data" / "history.sqlite3"
    if not store.exists():
        tui = load_fixture_module()
        store.parent.mkdir(parents=True, exist_ok=True)
        print(f"building the {size}-parcel fixture (not measured)...", file=sys.stderr)
        tui.build_store(store, size)
        tui.write_config(config, size)
    env = dict(os.environ)
    env.pop("EMSTUI_CONFIG", None)
    env.update(HOME=str(home), EMSTUI_DATA_DIR=str(store.parent),
               XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"))
    return config, env


def nothing_due(store: Path) -> str:
    """Make every parcel "checked ten minutes ago, due in 50" again (delivered ones stay never
    due), without errors or pauses, and the daily integrity check done. Returns the check
    time written, which no measured run may go past."""
    now = datetime.now(UTC)
    checked = (now - timedelta(minutes=10)).isoformat(timespec="microseconds")
    due = (now + timedelta(minutes=50)).isoformat(timespec="microseconds")
    with contextlib.closing(sqlite3.connect(store)) as conn, conn:
        conn.execute("UPDATE parcels SET last_checked = ?, last_error = NULL, error_kind = NULL, "
                     "backoff_level = 0, next_due = CASE WHEN status = 'delivered' THEN NULL "
                     "ELSE ? END", (checked, due))
        conn.execute("DELETE FROM provider_pauses")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES "
                     "('integrity.quick_check_at', ?)", (now.isoformat(timespec="microseconds"),))
    return checked


def checked_after(store: Path, checked: str) -> int:
    """How many parcels a measured run checked (it should have checked none)."""
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return int(conn.execute("SELECT count(*) FROM parcels WHERE last_checked > ?",
                                (checked,)).fetchone()[0])


def run_once(config: Path, env: dict[str, str], as_json: bool) -> tuple[float, float, float]:
    """(wall seconds, max RSS MiB, CPU seconds) of one `emstui --once` process."""
    argv = [sys.executable, "-m", "emstui", "--config", str(config), "--once"]
    if as_json:
        argv.append("--json")
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"emstui --once failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also measure `--once --json`")
    parser.add_argument("--fixtures", type=Path, default=Path("/tmp/emstui-bench-once"))
    args = parser.parse_args()
    modes = [False, True] if args.json else [False]
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "emstui", quiet=1)
    for size in args.sizes:
        config, env = fixture(args.fixtures, size)
        store = Path(env["EMSTUI_DATA_DIR"]) / "history.sqlite3"
        for as_json in modes:
            checked = nothing_due(store)
            runs = [run_once(config, env, as_json) for _ in range(args.repeat)]
            if checked_after(store, checked):
                raise SystemExit(f"{size} parcels: a run checked parcels (something was due)")
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            target = TARGETS.get(size) if not as_json else None
            goal = ""
            if target:
                goal = f"  (target < {target[0]} s" + (f", < {target[1]:.0f} MiB)"
                                                      if target[1] else ")")
            mode = "--once --json" if as_json else "--once"
            print(f"{mode:14} {size:6d} parcels, nothing due: {wall:6.2f} s  (CPU {cpu:5.2f} s)  "
                  f"{rss:6.0f} MiB max RSS{goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
