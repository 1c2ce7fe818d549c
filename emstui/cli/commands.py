"""The small commands: check, add, remove, list, locate, config and completion.

Each imports what it needs when it runs: `emstui check` (offline, often typed by hand or run
over many numbers from a script) needs s10 only, not the config, the store or asyncio
(bench/cli_start.py measures it). Errors are raised, not printed: `emstui.cli.main` reports
them in one line with their exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from emstui.cli.exitcodes import ExitCode
from emstui.core import s10
from emstui.core.sanitize import clean_line, json_dumps

if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import TextIO

    from emstui.config import Config
    from emstui.store import Store


class UsageError(Exception):
    """Bad command-line input: printed to stderr, exit 2."""


def describe_number(parsed: s10.TrackingNumber) -> str:
    """What kind of number was recognised, in one line."""
    if parsed.is_s10:
        return f"{parsed.value}  valid S10 number  ({parsed.spaced()})"
    return (f"{parsed.value}  not an S10 number: accepted as another carrier's number "
            f"({parsed.shape}); only 17TRACK can track it")


def cmd_check(numbers: Sequence[str], out: TextIO) -> int:
    code = ExitCode.OK
    for raw in numbers:
        try:
            parsed = s10.parse(raw)
        except s10.InvalidNumber as exc:
            out.write(f"{exc.normalized or raw!s}  INVALID\n  {exc}\n")
            code = ExitCode.INVALID
            continue
        out.write(describe_number(parsed) + "\n")
        if parsed.is_s10:
            country = parsed.country_name or "unknown country"
            out.write(f"  service  {parsed.service_label}\n"
                      f"  origin   {country} ({parsed.country_code}): the country of the "
                      f"posting operator\n")
        for warning in parsed.warnings:
            out.write(f"  warning  {warning}\n")
    return code


def cmd_add(config_file: Path, args: argparse.Namespace, out: TextIO) -> int:
    from datetime import UTC, datetime

    from emstui.config import (
        add_parcel,
        check_interval,
        load_config,
        save_config,
        update_config,
    )
    from emstui.core.durations import DurationError, parse_duration

    interval = None
    if args.interval:
        try:
            interval = check_interval(parse_duration(args.interval, key="--interval"))
        except DurationError as exc:
            raise UsageError(str(exc)) from exc
        except ValueError as exc:
            raise UsageError(f"--interval: {exc}") from exc
    parsed = s10.parse(args.number)  # InvalidNumber -> exit 3 with its message
    current = load_config(config_file)
    if not current.exists:
        # Start the file empty so that, like every later edit, this one leaves the previous
        # version (here: the empty config) in config.toml.bak.
        current.fingerprint = None
        current.fingerprint = save_config(current, expected=None)

    def edit(config: Config) -> None:
        add_parcel(config, parsed.value, label=args.label, note=args.note, interval=interval,
                   provider=args.provider, added=datetime.now(UTC).date())

    update_config(config_file, edit, expected=current.fingerprint)
    label = f" ({clean_line(args.label)})" if args.label else ""
    kind = "" if parsed.is_s10 else f"; another carrier's number ({parsed.shape})"
    out.write(f"added {parsed.value}{label} to {config_file}{kind}\n")
    return ExitCode.OK


def open_store(store_file: Path, err: TextIO) -> Store:
    """Open the history; a damaged one moved aside is told on stderr, in one line."""
    from emstui.store import Store

    store = Store(store_file)
    notice = store.take_recovery_notice("cli")
    if notice:
        err.write(f"emstui: {notice}\n")
    return store


def cmd_remove(config_file: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from emstui.config import load_config, paths, remove_parcel, update_config

    current = load_config(config_file)
    number = s10.normalize(args.number)
    update_config(config_file, lambda config: remove_parcel(config, number),
                  expected=current.fingerprint)
    if args.purge:
        store_file = paths.store_path()
        if store_file.exists():
            with open_store(store_file, err) as store:
                store.purge(number)
    kept = "" if args.purge else " (its history is kept; --purge deletes it)"
    out.write(f"removed {number}{kept}\n")
    return ExitCode.OK


def _require_config(config: Config) -> None:
    from emstui.config import ConfigError

    if not config.exists:
        raise ConfigError("no config file here", path=config.path,
                          hint="Check --config and EMSTUI_CONFIG (`emstui locate config`), or "
                               "start one with `emstui add NUMBER` or `emstui config init`")


def cmd_list(config_file: Path, as_json: bool, out: TextIO, err: TextIO, *,
             as_csv: bool = False) -> int:
    from emstui.config import load_config, paths
    from emstui.present import eta

    config = load_config(config_file)
    _require_config(config)
    states = {}
    arrivals: dict[str, eta.Estimate] = {}
    store_file = paths.store_path()
    if store_file.exists():
        with open_store(store_file, err) as store:
            states = store.states([p.number for p in config.parcels])
            if as_csv:
                arrivals = eta.from_store(store, {n: s.facts for n, s in states.items()})
    if as_csv:
        from emstui.present.csvexport import ExportRow, to_csv

        rows = []
        for p in config.parcels:
            state = states.get(p.number)
            # A delivered parcel has no computed window; the source's own may still be known.
            estimate = arrivals.get(p.number) or eta.source_estimate(
                state.facts if state else None)
            rows.append(ExportRow(p.number, p.label, p.note, state, estimate,
                                  archived=p.archived))
        out.write(to_csv(rows))
        return ExitCode.OK
    if as_json:
        rows = []
        for p in config.parcels:
            state = states.get(p.number)
            rows.append({"number": p.number, "label": p.label, "note": p.note,
                         "archived": p.archived, "provider": p.provider,
                         "interval": p.interval,
                         "added": p.added.isoformat() if p.added else None,
                         "status": state.status.value if state else None})
        out.write(json_dumps({"parcels": rows}) + "\n")
        return ExitCode.OK
    if not config.parcels:
        err.write("emstui: the watchlist is empty: `emstui add NUMBER` (or `a` in the "
                  "monitor) starts watching a parcel\n")
    shown = []
    for p in config.parcels:
        state = states.get(p.number)
        shown.append((p.number, state.status.value if state else "-", clean_line(p.label),
                      "  (archived)" if p.archived else ""))
    number_width = max((len(row[0]) for row in shown), default=0)
    status_width = max((len(row[1]) for row in shown), default=0)
    for number, status, label, flag in shown:
        out.write(f"{number.ljust(number_width)}  {status.ljust(status_width)}  "
                  f"{label}{flag}".rstrip() + "\n")
    return ExitCode.OK


def cmd_locate(config_file: Path, what: str, out: TextIO) -> int:
    from emstui.cli.crashlog import log_file
    from emstui.config import paths

    where = {"config": config_file, "data": paths.data_dir(),
             "themes": paths.user_themes_dir(config_file), "log": log_file()}[what]
    out.write(f"{where}\n")
    return ExitCode.OK


def cmd_config(config_file: Path, action: str, out: TextIO, err: TextIO) -> int:
    from emstui.config import ConfigError, example_config_text, init_config, load_config

    if action == "example":
        out.write(example_config_text())
        return ExitCode.OK
    if action == "init":
        target = init_config(config_file)
        out.write(f"wrote {target}: a starter that watches nothing yet. Next: "
                  "`emstui add NUMBER`, or `emstui` and press a\n")
        return ExitCode.OK
    from emstui.cli.configcheck import all_problems

    config = load_config(config_file)
    if not config.exists:
        raise ConfigError("no config file here yet; `emstui config init` writes a starter",
                          path=config_file)
    for warning in config.warnings:
        err.write(f"warning: {warning}\n")
    problems = all_problems(config)
    for problem in problems:
        err.write(problem.describe(config) + "\n")
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        err.write(f"{config_file}: {errors} error{'' if errors == 1 else 's'}\n")
        return ExitCode.USAGE
    count = len(config.parcels)
    out.write(f"{config_file}: ok, {count} parcel{'' if count == 1 else 's'}\n")
    return ExitCode.OK


def cmd_completion(shell: str, out: TextIO) -> int:
    from emstui.cli.completion import script
    from emstui.cli.parser import build_parser

    out.write(script(shell, build_parser()))
    return ExitCode.OK


