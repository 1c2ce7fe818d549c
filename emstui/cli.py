"""The command line: argument parsing and the small commands (check, add, list, ...).

Exit codes: 0 ok; 1 some parcels could not be refreshed; 2 usage or config error; 3 a number
failed validation; 130 interrupted. stdout carries data only; diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from emstui import __version__, paths, s10
from emstui.config import (
    Config,
    ConfigError,
    add_parcel,
    init_config,
    load_config,
    remove_parcel,
    save_config,
    update_config,
)
from emstui.durations import DurationError, parse_duration
from emstui.providers import PROVIDER_IDS
from emstui.store import Store, StoreError

EXIT_OK = 0
EXIT_PROVIDER = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input: printed to stderr, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emstui",
        description="A terminal monitor for international EMS and postal (UPU S10) parcels.",
        epilog="Exit codes: 0 ok, 1 some parcels could not be refreshed, 2 usage or config "
               "error, 3 a number failed validation, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"emstui {__version__}")
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $EMSTUI_CONFIG, then the platform config "
                             "dir; see `emstui locate config`)")
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in simulator with demo parcels; your files "
                             "are not touched")
    parser.add_argument("--once", action="store_true",
                        help="refresh due parcels once, print them and exit (for cron)")
    parser.add_argument("--json", action="store_true", help="with --once: print JSON")
    parser.add_argument("--changed", action="store_true",
                        help="with --once: print only parcels that changed since the last run")
    parser.add_argument("--all", action="store_true",
                        help="with --once: refresh every non-archived parcel, due or not")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="validate tracking numbers offline")
    p.add_argument("numbers", nargs="+", metavar="NUMBER")

    p = sub.add_parser("add", help="add a parcel to the config")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--label", default="")
    p.add_argument("--note", default="")
    p.add_argument("--interval", help='refresh interval, e.g. "30m", "2h"')
    p.add_argument("--provider", choices=PROVIDER_IDS)

    p = sub.add_parser("import", help="add every tracking number found in a text or CSV file",
                       description="Add every valid S10 number in FILE (or stdin with -): an "
                                   "e-mail, a chat, a shop's CSV export. Reports numbers "
                                   "already watched and near misses with their fix; exit 3 "
                                   "when there were near misses.")
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--label-column", metavar="COLUMN",
                   help="read FILE as CSV; the label of each row's numbers is in this column "
                        "(header name or 1-based position)")
    p.add_argument("--note-column", metavar="COLUMN",
                   help="read FILE as CSV; the note is in this column")
    p.add_argument("--dry-run", action="store_true",
                   help="report what would be added without changing the config")

    p = sub.add_parser("notify", help="notifications: `notify test` sends a sample to every "
                                      "target in [notify]")
    p.add_argument("action", choices=("test",))

    p = sub.add_parser("remove", help="remove a parcel from the config")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--purge", action="store_true", help="also delete its stored history")

    p = sub.add_parser("list", help="list watched parcels")
    p.add_argument("--json", action="store_true", dest="list_json")

    p = sub.add_parser("locate", help="print where emstui keeps its files")
    p.add_argument("what", choices=("config", "data", "themes"))

    p = sub.add_parser("config", help="create or validate the config file")
    p.add_argument("action", choices=("init", "validate"))
    return parser


# ---- commands ---------------------------------------------------------------------------------


def cmd_check(numbers: Sequence[str], out: TextIO) -> int:
    code = EXIT_OK
    for raw in numbers:
        try:
            parsed = s10.parse(raw)
        except s10.InvalidNumber as exc:
            out.write(f"{exc.normalized or raw!s}  INVALID\n  {exc}\n")
            code = EXIT_INVALID
            continue
        if parsed.is_s10:
            country = parsed.country_name or "unknown country"
            out.write(f"{parsed.value}  valid  ({parsed.spaced()})\n"
                      f"  service  {parsed.service_label}\n"
                      f"  origin   {country} ({parsed.country_code}): the country of the "
                      f"posting operator\n")
        else:
            out.write(f"{parsed.value}  not an S10 number: accepted as another carrier's "
                      "number (17TRACK can track many of these)\n")
        for warning in parsed.warnings:
            out.write(f"  warning  {warning}\n")
    return code


def cmd_add(config_file: Path, args: argparse.Namespace, out: TextIO) -> int:
    interval = None
    if args.interval:
        try:
            interval = parse_duration(args.interval, key="--interval")
        except DurationError as exc:
            raise UsageError(str(exc)) from exc
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
    label = f" ({args.label})" if args.label else ""
    out.write(f"added {parsed.value}{label} to {config_file}\n")
    return EXIT_OK


def cmd_remove(config_file: Path, args: argparse.Namespace, out: TextIO) -> int:
    current = load_config(config_file)
    number = s10.normalize(args.number)
    update_config(config_file, lambda config: remove_parcel(config, number),
                  expected=current.fingerprint)
    if args.purge:
        store_file = paths.store_path()
        if store_file.exists():
            with Store(store_file) as store:
                store.purge(number)
    kept = "" if args.purge else " (its history is kept; --purge deletes it)"
    out.write(f"removed {number}{kept}\n")
    return EXIT_OK


def cmd_list(config_file: Path, as_json: bool, out: TextIO) -> int:
    config = load_config(config_file)
    states = {}
    store_file = paths.store_path()
    if store_file.exists():
        with Store(store_file) as store:
            states = store.states([p.number for p in config.parcels])
    if as_json:
        rows = []
        for p in config.parcels:
            state = states.get(p.number)
            rows.append({"number": p.number, "label": p.label, "note": p.note,
                         "archived": p.archived, "provider": p.provider,
                         "interval": p.interval,
                         "added": p.added.isoformat() if p.added else None,
                         "status": state.status.value if state else None})
        out.write(json.dumps({"parcels": rows}, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for p in config.parcels:
        state = states.get(p.number)
        status = state.status.value if state else "-"
        flag = "  (archived)" if p.archived else ""
        out.write(f"{p.number}  {status:<20}  {p.label}{flag}".rstrip() + "\n")
    return EXIT_OK


def cmd_locate(config_file: Path, what: str, out: TextIO) -> int:
    where = {"config": config_file, "data": paths.data_dir(),
             "themes": paths.user_themes_dir(config_file)}[what]
    out.write(f"{where}\n")
    return EXIT_OK


def cmd_config(config_file: Path, action: str, out: TextIO, err: TextIO) -> int:
    if action == "init":
        target = init_config(config_file)
        out.write(f"wrote {target}\n")
        return EXIT_OK
    config = load_config(config_file)
    if not config.exists:
        raise ConfigError("no config file here yet; `emstui config init` writes a starter",
                          path=config_file)
    for warning in config.warnings:
        err.write(f"warning: {warning}\n")
    count = len(config.parcels)
    out.write(f"{config_file}: ok, {count} parcel{'' if count == 1 else 's'}\n")
    return EXIT_OK


# ---- entry point ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, out: TextIO,
               err: TextIO) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code when argparse has already answered (usage
    errors: 2; --help and --version: 0). argparse's own output goes to `out` and `err`."""
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
            if (args.json or args.changed or args.all) and not args.once:
                parser.error("--json, --changed and --all go with --once")
            if args.once and args.command:
                parser.error("--once does not take a command")
            if args.demo and (args.once or args.command):
                parser.error("--demo runs the monitor; it does not combine with --once or "
                             "commands")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return args


def run(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
        err: TextIO | None = None) -> int:
    """Run one command line; returns the process exit code (never raises SystemExit)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = parse_args(argv, out, err)
    if isinstance(args, int):
        return args
    try:
        config_file = paths.config_path(args.config)
        if args.command == "check":
            return cmd_check(args.numbers, out)
        if args.command == "add":
            return cmd_add(config_file, args, out)
        if args.command == "import":
            from emstui.cli_import import cmd_import

            return cmd_import(config_file, args, out, err)
        if args.command == "notify":
            from emstui.cli_notify import cmd_notify_test

            return cmd_notify_test(config_file, out, err)
        if args.command == "remove":
            return cmd_remove(config_file, args, out)
        if args.command == "list":
            return cmd_list(config_file, args.list_json, out)
        if args.command == "locate":
            return cmd_locate(config_file, args.what, out)
        if args.command == "config":
            return cmd_config(config_file, args.action, out, err)
        if args.once:
            from emstui.once import run_once

            return run_once(config_file, as_json=args.json, changed_only=args.changed,
                            include_all=args.all, out=out, err=err)
        from emstui.tui.run import run_tui

        return run_tui(config_file, demo=args.demo, err=err)
    except s10.InvalidNumber as exc:
        err.write(f"emstui: {exc}\n")
        return EXIT_INVALID
    except ConfigError as exc:
        err.write(f"emstui: {exc.describe() if hasattr(exc, 'describe') else exc}\n")
        return EXIT_USAGE
    except (UsageError, ValueError) as exc:
        err.write(f"emstui: {exc}\n")
        return EXIT_USAGE
    except StoreError as exc:
        err.write(f"emstui: history store: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("emstui: interrupted\n")
        return EXIT_INTERRUPTED
