"""Import benchmark: CPU time to scan and import N lines of mixed text, and the same as CSV.

The text mixes, per line: a valid number printed one of four ways (plain, spaced, hyphenated,
lower case), a near miss (wrong check digit), a number repeated from earlier, and lines with no
number (prose, phone numbers, IBANs). The import writes a fresh config in a temporary directory
once (the figure includes loading it, rendering the TOML and the atomic write).

    python bench/import.py --lines 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from emstui.config.importer import import_scan, scan_input
from emstui.core.s10 import make_number

NOISE = (
    "Thank you for your order! Your parcel left our warehouse today.",
    "Call us on +49 30 12345678 or write to support@example.com.",
    "IBAN DE89370400440532013000, reference 2026-11-20/4711.",
    "Order 1000123 · 2 items · total 54.90 EUR",
    "",
)


def make_lines(count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """(text lines, CSV lines) of `count` lines each with the same numbers."""
    rng = random.Random(seed)
    text: list[str] = []
    rows = ["Order;Tracking;Customer;Comment"]
    issued: list[str] = []
    for i in range(count):
        kind = i % 6
        if kind in (0, 1, 2):
            number = make_number(rng.choice(["EE", "RR", "CP", "LX"]),
                                 f"{rng.randrange(10**8):08d}",
                                 rng.choice(["CN", "DE", "GB", "US"]))
            issued.append(number)
            shown = (number, f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:11]} "
                             f"{number[11:]}", "-".join([number[:2], number[2:11], number[11:]]),
                     number.lower())[rng.randrange(4)]
            text.append(f"Order {i}: your tracking number is {shown}, thanks!")
            rows.append(f'{i};{shown};"Customer {i}";"ships from warehouse {i % 7}"')
        elif kind == 3:
            good = make_number("EE", f"{rng.randrange(10**8):08d}", "CN")
            typo = f"{good[:10]}{(int(good[10]) + 1) % 10}{good[11:]}"
            text.append(f"Express (please check): {typo}")
            rows.append(f'{i};{typo};"Customer {i}";""')
        elif kind == 4 and issued:
            text.append(f"Reminder for {rng.choice(issued)}")
            rows.append(f'{i};{rng.choice(issued)};"Again {i}";""')
        else:
            text.append(NOISE[i % len(NOISE)])
            rows.append(f'{i};;"{NOISE[i % len(NOISE)]}";""')
    return text, rows


def cpu(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text_lines, csv_lines = make_lines(args.lines)
    text = "\n".join(text_lines).encode()
    table = "\n".join(csv_lines).encode()
    scan = scan_input(text, "bench")
    print(f"{args.lines} lines: {len(scan.found)} valid numbers, {len(scan.near_misses)} near "
          f"misses, {scan.repeats} repeats")

    def full_import(data: bytes, **columns: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            found = scan_input(data, "bench", **columns)
            result = import_scan(Path(tmp) / "config.toml", found, source="bench",
                                 today=date(2026, 12, 2))
            assert len(result.added) == len(found.found)

    figures = {
        "scan text": lambda: scan_input(text, "bench"),
        "scan CSV (label, note columns)": lambda: scan_input(
            table, "bench", label_column="Customer", note_column="Comment"),
        "import text (scan + one config write)": lambda: full_import(text),
        "import CSV (scan + one config write)": lambda: full_import(
            table, label_column="Customer", note_column="Comment"),
    }
    for name, action in figures.items():
        times = [cpu(action) for _ in range(args.repeat)]
        print(f"{name:<40} CPU median {statistics.median(times) * 1000:7.1f} ms  "
              f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {args.repeat} runs)")


if __name__ == "__main__":
    main()
