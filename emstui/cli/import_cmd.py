"""`emstui import FILE|-`: read the input, add what it holds, print the report."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from emstui.cli.exitcodes import ExitCode
from emstui.config.importer import ImportInputError, import_scan, report_lines, scan_input


def read_source(name: str) -> tuple[bytes, str]:
    """The bytes of FILE, or of stdin for "-", and the name to use in messages."""
    if name == "-":
        return sys.stdin.buffer.read(), "stdin"
    path = Path(name).expanduser()
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise ImportInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportInputError(f"{path}: is a directory; give a text or CSV file") from None
    except OSError as exc:
        raise ImportInputError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def cmd_import(config_file: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Exit 0, or 3 when near misses were reported; 2 when the input cannot be read."""
    try:
        data, source = read_source(args.file)
        scan = scan_input(data, source, label_column=args.label_column,
                          note_column=args.note_column)
    except ImportInputError as exc:
        err.write(f"emstui: {exc}\n")
        return ExitCode.USAGE
    result = import_scan(config_file, scan, source=source, today=datetime.now(UTC).date(),
                         dry_run=args.dry_run)
    out.write("".join(f"{line}\n" for line in report_lines(result)))
    return ExitCode.INVALID if result.near_misses else ExitCode.OK
