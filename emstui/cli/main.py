"""Running one command line: the fast path for `emstui check`, parsing (`emstui.cli.parser`),
dispatch to the command, and the one-line report of whatever went wrong.

Exit codes are `emstui.cli.exitcodes.ExitCode` (the one table README.md shows). stdout carries data
only; diagnostics go to stderr, one line each; no traceback reaches the user (an unexpected
error is written to the log file and named in one line).
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO, cast

from emstui.cli.commands import (
    UsageError,
    cmd_add,
    cmd_check,
    cmd_completion,
    cmd_config,
    cmd_list,
    cmd_locate,
    cmd_remove,
)
from emstui.cli.exitcodes import ExitCode
from emstui.core import s10
from emstui.present.output import safe

# Each command imports what it needs when it runs; `emstui check` does not even import argparse
# when its line is plain (`_plain_check`): bench/cli_start.py measures it.
if TYPE_CHECKING:
    import argparse

ONCE_GC_THRESHOLD = 20_000  # allocations between young-generation collections in `--once`
NOT_A_TERMINAL = "not a terminal: use `emstui --once` for cron and scripts"


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


def _plain_check(argv: Sequence[str]) -> list[str] | None:
    """The numbers of a line argparse would read as `check NUMBER...` with nothing else, or
    None. Only lines whose meaning is beyond doubt qualify: `check` first, then at least one
    argument, none empty or starting with "-" (an option, `--help`, `--`, a negative number).
    Every other line, errors included, goes through argparse (`emstui.cli.parser`)."""
    if len(argv) < 2 or argv[0] != "check":
        return None
    numbers = list(argv[1:])
    if not all(number and not number.startswith("-") for number in numbers):
        return None
    return numbers


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
    line = [_decodable(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    numbers = _plain_check(line)
    if numbers is not None:
        return _reported(lambda: cmd_check(numbers, out), err)
    from emstui.cli.parser import parse_args

    args = parse_args(line, out, err)
    if isinstance(args, int):
        return args
    return _reported(lambda: _dispatch(args, out, err, terminal), err)


def _reported(command: Callable[[], int], err: TextIO) -> int:
    """Run a parsed command: its exit code, or one line on stderr and the code of its error."""
    try:
        return command()
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
