"""The command line's grammar: every option and command `argparse` knows, and how one line is
parsed into them (with the option combinations argparse cannot express checked here too).

Help is wrapped to the terminal's width, computed without `shutil` (see `_help_width`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from emstui import __version__
from emstui.cli.exitcodes import ExitCode, epilog
from emstui.providers import PROVIDER_IDS

if TYPE_CHECKING:
    from typing import TextIO


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


