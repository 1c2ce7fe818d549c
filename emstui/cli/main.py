"""The command line: argument parsing and the small commands (check, add, list, ...).

Exit codes are `emstui.cli.exitcodes.ExitCode` (the one table README.md shows). stdout carries data
only; diagnostics go to stderr, one line each; no traceback reaches the user (an unexpected
error is written to the log file and named in one line).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from emstui import __version__
from emstui.cli.exitcodes import ExitCode, epilog
from emstui.core import s10
from emstui.core.sanitize import clean_line, json_dumps
from emstui.present.output import safe
from emstui.providers import PROVIDER_IDS

# Each command imports what it needs when it runs: `emstui check` (offline, often typed by
# hand or run over many numbers from a script) needs s10 only, not the config, the store or
# asyncio (bench/cli_start.py measures it).
if TYPE_CHECKING:
    from pathlib import Path

    from emstui.config import Config
    from emstui.store import Store

ONCE_GC_THRESHOLD = 20_000  # allocations between young-generation collections in `--once`
NOT_A_TERMINAL = "not a terminal: use `emstui --once` for cron and scripts"


class UsageError(Exception):
    """Bad command-line input: printed to stderr, exit 2."""


def _config_option(parser: argparse.ArgumentParser) -> None:
    # Also accepted after the subcommand (`emstui list --config F`); SUPPRESS keeps a value
    # given before the subcommand.
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (as `emstui --config PATH`)")


def _help_width() -> int:
    """What `shutil.get_terminal_size().columns` answers ($COLUMNS, else the terminal's
    width, else 80), without importing shutil (and with it bz2 and lzma): argparse builds a
    help formatter for every `add_argument`, so every command would pay for it."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _help_width() - 2 if width is None else width)


class _RawDescriptionFormatter(_HelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse's parser with `_HelpFormatter` by default (subcommands' parsers included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emstui",
        description="A terminal monitor for international EMS and postal (UPU S10) parcels. "
                    "Without a command: the full-screen monitor (needs a terminal).",
        epilog=epilog(), formatter_class=_RawDescriptionFormatter)
    parser.add_argument("--version", action="version", version=f"emstui {__version__}")
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $EMSTUI_CONFIG, then the platform config "
                             "dir; see `emstui locate config`)")
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in simulator with demo parcels; your files "
                             "are not touched")
    parser.add_argument("--once", action="store_true",
                        help="refresh due parcels once, print them and exit (for cron)")
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="with --once: print JSON")
    formats.add_argument("--csv", action="store_true",
                         help="with --once: print CSV for spreadsheets")
    parser.add_argument("--changed", action="store_true",
                        help="with --once: print only parcels that changed since the last run")
    parser.add_argument("--all", action="store_true",
                        help="with --once: refresh every non-archived parcel, due or not")
    # prog given (what argparse would compute): computing it loads the help formatter, and
    # with it shutil, bz2 and lzma, for every command (bench/cli_start.py).
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog=parser.prog)

    p = sub.add_parser("check", help="validate tracking numbers offline",
                       description="Validate tracking numbers offline: S10 check digit, shape "
                                   "and typo suggestions. Exit 3 when any is invalid.")
    p.add_argument("numbers", nargs="+", metavar="NUMBER", help="tracking numbers to check")
    _config_option(p)

    p = sub.add_parser("add", help="add a parcel to the watchlist",
                       description="Add a parcel to the config's watchlist. The number is "
                                   "validated first (exit 3 when it is not a tracking number).")
    p.add_argument("number", metavar="NUMBER", help="tracking number, e.g. EE123456785CN")
    p.add_argument("--label", default="", help="a short name shown in the table")
    p.add_argument("--note", default="", help="anything to remember; shown in the detail panel")
    p.add_argument("--interval", metavar="DURATION",
                   help='check it on its own schedule, e.g. "30m", "2h" (at least 15m)')
    p.add_argument("--provider", choices=PROVIDER_IDS,
                   help="use only this source for the parcel")
    _config_option(p)

    p = sub.add_parser("import", help="add every tracking number found in a text or CSV file",
                       description="Add every valid S10 number in FILE (or stdin with -): an "
                                   "e-mail, a chat, a shop's CSV export. Reports numbers "
                                   "already watched and near misses with their fix; exit 3 "
                                   "when there were near misses.")
    p.add_argument("file", metavar="FILE|-", help="the text or CSV file; - reads stdin")
    p.add_argument("--label-column", metavar="COLUMN",
                   help="read FILE as CSV; the label of each row's numbers is in this column "
                        "(header name or 1-based position)")
    p.add_argument("--note-column", metavar="COLUMN",
                   help="read FILE as CSV; the note is in this column")
    p.add_argument("--dry-run", action="store_true",
                   help="report what would be added without changing the config")
    _config_option(p)

    p = sub.add_parser("notify", help="send a sample notification to every [notify] target",
                       description="`emstui notify test` sends a sample notification to "
                                   "every target in [notify] now. Exit 1 when one failed.")
    p.add_argument("action", choices=("test",), help="test: send a sample")
    _config_option(p)

    p = sub.add_parser("remove", help="remove a parcel from the watchlist",
                       description="Remove a parcel from the config's watchlist.")
    p.add_argument("number", metavar="NUMBER", help="the tracking number to stop watching")
    p.add_argument("--purge", action="store_true", help="also delete its stored history")
    _config_option(p)

    p = sub.add_parser("list", help="list watched parcels",
                       description="List the watched parcels with their last known status "
                                   "(no network).")
    formats = p.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", dest="list_json",
                         help="print JSON instead of a table")
    formats.add_argument("--csv", action="store_true", dest="list_csv",
                         help="print CSV for spreadsheets: status, last event, ETA, "
                              "destination and dates")
    _config_option(p)

    p = sub.add_parser("locate", help="print where emstui keeps its files",
                       description="Print where emstui keeps its files.")
    p.add_argument("what", choices=("config", "data", "themes", "log"),
                   help="config file, data directory (history), themes directory, or log file")
    _config_option(p)

    p = sub.add_parser("config", help="create, check or show the config file",
                       description="Create, check or show the config file.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, prog=p.prog)
    a = actions.add_parser("init", help="write a starter config that watches nothing",
                           description="Write a starter config (every setting commented out "
                                       "with its default). Never replaces an existing file.")
    _config_option(a)
    a = actions.add_parser("validate", help="run every check the app runs; exit 2 on errors",
                           description="Check the config as the app would: syntax, values, "
                                       "interval minimums, sources and keys, themes, [keys]. "
                                       "Prints each problem with file, line and fix; exits 2 "
                                       "when any is an error.")
    _config_option(a)
    actions.add_parser("example", help="print the full commented reference config",
                       description="Print the commented reference config (every key "
                                   "explained).")

    p = sub.add_parser("completion", help="print a shell completion script",
                       description="Print a completion script. bash: add `eval \"$(emstui "
                                   "completion bash)\"` to ~/.bashrc; zsh: `emstui completion "
                                   "zsh > ~/.zfunc/_emstui` (with ~/.zfunc in fpath); fish: "
                                   "`emstui completion fish > "
                                   "~/.config/fish/completions/emstui.fish`.")
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell to complete for")

    p = sub.add_parser("doctor", help="check the config, the key and every source for real",
                       description="Check the config, the 17TRACK key and each configured "
                                   "source with one real request. Exit 0 when every "
                                   "configured source works, 1 otherwise, 2 for a config "
                                   "that cannot be read.")
    p.add_argument("--number", metavar="NUMBER",
                   help="track this number (default: the first watched one each source "
                        "supports)")
    p.add_argument("--capture", metavar="DIR",
                   help="save every raw response to DIR, keys and tokens redacted, for a "
                        "bug report")
    _config_option(p)
    return parser


# ---- commands ---------------------------------------------------------------------------------


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

    out.write(script(shell, build_parser()))
    return ExitCode.OK


# ---- entry point ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, out: TextIO,
               err: TextIO) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code when argparse has already answered (usage
    errors: 2; --help and --version: 0). argparse's own output goes to `out` and `err`."""
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
            if (args.json or args.csv or args.changed or args.all) and not args.once:
                if (args.json or args.csv) and args.command == "list":
                    flag = "--json" if args.json else "--csv"
                    parser.error(f"{flag} before `list` is --once's option: write "
                                 f"`emstui list {flag}`")
                parser.error("--json, --csv, --changed and --all go with --once "
                             "(`emstui --once --json`)")
            if args.once and args.command:
                parser.error("--once does not take a command")
            if args.demo and (args.once or args.command):
                parser.error("--demo runs the monitor; it does not combine with --once or "
                             "commands")
    except SystemExit as exc:
        if exc.code is None or exc.code == 0:
            return ExitCode.OK
        return ExitCode.USAGE
    return args


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # closed
        return False


def _os_error_line(exc: OSError) -> str:
    """One line for a file-system error: what, where, and what to do."""
    cause = exc.strerror or str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        fix = "free some disk space and try again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = ("make it writable, or point EMSTUI_DATA_DIR / --config somewhere writable "
               "(`emstui locate data` and `emstui locate config` print where they are)")
    elif exc.errno in (errno.EEXIST, errno.ENOTDIR):
        fix = ("a file is where a directory should be: move it, or point EMSTUI_DATA_DIR / "
               "--config elsewhere")
    else:
        fix = "check the path and its permissions"
    if not exc.filename:
        return f"cannot write the output: {cause}; {fix}"
    return f"{where}{cause}; {fix}"


def _decodable(arg: str) -> str:
    """An argument as text every writer accepts. Bytes that are not UTF-8 (a label typed in
    another encoding, `$'\\x9b'`) reach Python as lone surrogates, which no UTF-8 file or
    terminal takes: they become U+FFFD, so the text is kept, visibly damaged, instead of
    failing the config write with an encoder message."""
    try:
        return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return arg.encode("utf-8", "replace").decode("utf-8")


def run(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
        err: TextIO | None = None, terminal: bool | None = None) -> int:
    """Run one command line; returns the process exit code (never raises SystemExit).

    `terminal` says whether stdin and stdout are a terminal (default: ask sys.stdin and
    sys.stdout); the full-screen monitor needs one.
    """
    # Both streams go through the output layer (`emstui.present.output`): nothing written can
    # carry a terminal escape, whatever text it holds.
    out = cast(TextIO, safe(out or sys.stdout))
    err = cast(TextIO, safe(err or sys.stderr))
    args = parse_args([_decodable(arg) for arg in (sys.argv[1:] if argv is None else argv)],
                      out, err)
    if isinstance(args, int):
        return args
    try:
        return _dispatch(args, out, err, terminal)
    except s10.InvalidNumber as exc:
        err.write(f"emstui: {exc}\n")
        return ExitCode.INVALID
    except BrokenPipeError:
        raise  # the entry point ends quietly: the reader went away
    except KeyboardInterrupt:
        err.write("emstui: interrupted\n")
        return ExitCode.INTERRUPTED
    except Exception as exc:
        return _report_error(exc, err)


def _report_error(exc: Exception, err: TextIO) -> int:
    """One line for a failed command, and its exit code. The config and store modules are
    imported here, not at start-up: a command that never loaded them cannot raise their
    errors, and `check` stays cheap."""
    from emstui.config import ConfigError, ConfigWriteError
    from emstui.store import StoreError, StoreFullError

    try:
        raise exc
    except ConfigWriteError as exc:
        err.write(f"emstui: {exc.describe()}\n")
        return ExitCode.IO
    except ConfigError as exc:
        err.write(f"emstui: {exc.describe()}\n")
        return ExitCode.USAGE
    except (UsageError, ValueError) as exc:
        err.write(f"emstui: {exc}\n")
        return ExitCode.USAGE
    except StoreFullError as exc:
        err.write(f"emstui: {exc}\n")
        return ExitCode.DISK_FULL
    except StoreError as exc:
        err.write(f"emstui: history store: {exc}\n")
        return ExitCode.IO
    except OSError as exc:
        err.write(f"emstui: {_os_error_line(exc)}\n")
        return ExitCode.IO
    except Exception as exc:  # a bug: never a traceback on the user's terminal
        from emstui.cli.crashlog import record_crash

        where = record_crash(exc)
        saved = f"; the details are in {where}" if where else ""
        err.write(f"emstui: internal error ({type(exc).__name__}){saved}. Please report it "
                  "with that file\n")
        return ExitCode.INTERNAL


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO,
              terminal: bool | None) -> int:
    if args.command == "check":
        return cmd_check(args.numbers, out)
    from emstui.config import paths

    config_file = paths.config_path(args.config)
    if args.command == "add":
        return cmd_add(config_file, args, out)
    if args.command == "import":
        from emstui.cli.import_cmd import cmd_import

        return cmd_import(config_file, args, out, err)
    if args.command == "notify":
        from emstui.cli.notify_cmd import cmd_notify_test

        return cmd_notify_test(config_file, out, err)
    if args.command == "remove":
        return cmd_remove(config_file, args, out, err)
    if args.command == "list":
        return cmd_list(config_file, args.list_json, out, err, as_csv=args.list_csv)
    if args.command == "locate":
        return cmd_locate(config_file, args.what, out)
    if args.command == "config":
        return cmd_config(config_file, args.action, out, err)
    if args.command == "completion":
        return cmd_completion(args.shell, out)
    if args.command == "doctor":
        from pathlib import Path

        from emstui.cli.doctor import normalise_number, run_doctor

        number = normalise_number(args.number) if args.number else None
        return run_doctor(config_file, number=number, out=out,
                          capture=Path(args.capture) if args.capture else None)
    if args.once:
        import gc

        from emstui.cli.once import run_once

        # Reading a large watchlist and its store allocates a few objects per parcel, nearly
        # all kept to the end of the run: collecting garbage every 700 allocations (the
        # default) then costs ~15 % of a run with nothing due (bench/once.py). Cycles are still
        # collected, less often.
        thresholds = gc.get_threshold()
        gc.set_threshold(ONCE_GC_THRESHOLD, *thresholds[1:])
        try:
            return run_once(config_file, as_json=args.json, as_csv=args.csv,
                            changed_only=args.changed,
                            include_all=args.all, out=out, err=err)
        finally:
            gc.set_threshold(*thresholds)
    if terminal is None:
        terminal = _is_terminal(sys.stdin) and _is_terminal(sys.stdout)
    if not terminal:
        err.write(f"emstui: {NOT_A_TERMINAL}\n")
        return ExitCode.USAGE
    from emstui.tui.run import run_tui

    return run_tui(config_file, demo=args.demo, err=err)
