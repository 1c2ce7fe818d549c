"""Start-up cost of `emstui check`: wall time against an empty interpreter (fresh processes).

Prints the best and median of `--repeat` runs of each, and their ratio (target: within 3x).

    python bench/cli_start.py --repeat 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timings(argv: list[str], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    empty = timings([sys.executable, "-c", "pass"], args.repeat)
    check = timings([sys.executable, "-m", "emstui", "check", "EE123456785CN"], args.repeat)
    for name, runs in (("empty interpreter", empty), ("emstui check", check)):
        print(f"{name:18} best {min(runs) * 1000:6.1f} ms  median "
              f"{statistics.median(runs) * 1000:6.1f} ms")
    print(f"ratio (best)       {min(check) / min(empty):.2f}x  (median "
          f"{statistics.median(check) / statistics.median(empty):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
