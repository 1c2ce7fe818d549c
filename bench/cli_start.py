"""Start-up cost of `emstui check`: wall time and CPU against an empty interpreter.

Fresh processes, `--repeat` runs of each, interleaved; prints the best and median of each and
their ratios (target: within 3x). The package is byte-compiled first, as an installed one is
(the team's environment sets PYTHONDONTWRITEBYTECODE, which would otherwise make every run
compile every module). CPU (user + system) is steadier than wall time on a busy machine.

    python bench/cli_start.py --repeat 20
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def one_run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "emstui", quiet=1)
    commands = {"empty interpreter": [sys.executable, "-c", "pass"],
                "emstui check": [sys.executable, "-m", "emstui", "check", "EE123456785CN"]}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, argv in commands.items():
            runs[name].append(one_run(argv))
    for name, measured in runs.items():
        wall = [r[0] * 1000 for r in measured]
        cpu = [r[1] * 1000 for r in measured]
        print(f"{name:18} wall best {min(wall):6.1f} ms  median {statistics.median(wall):6.1f} ms"
              f"   CPU best {min(cpu):6.1f} ms  median {statistics.median(cpu):6.1f} ms")
    empty, check = runs["empty interpreter"], runs["emstui check"]
    for label, i in (("wall", 0), ("CPU", 1)):
        best = min(r[i] for r in check) / min(r[i] for r in empty)
        median = statistics.median(r[i] for r in check) / statistics.median(r[i] for r in empty)
        print(f"ratio {label:4}         best {best:.2f}x  median {median:.2f}x  (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
