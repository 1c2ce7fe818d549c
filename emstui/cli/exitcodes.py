"""The process exit codes: one table shared by the code, `emstui --help` and README.md.

Every code the command line can return is a member here (a test checks that the CLI modules
return no bare number and that README's table lists exactly these codes and meanings).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PROVIDER = 1
    USAGE = 2
    INVALID = 3
    NO_SOURCE = 4
    IO = 5
    DISK_FULL = 6
    INTERNAL = 70
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "ok",
    ExitCode.PROVIDER: "some parcels could not be refreshed or show an error (provider "
                       "errors; the output says which provider and when it retries); "
                       "`notify test`: a notification target failed",
    ExitCode.USAGE: "usage or configuration error (the message names the file, line or key, "
                    "and what to do); also `emstui` without a terminal",
    ExitCode.INVALID: "a number failed validation (`check`, `add`; `import` when it "
                      "reported near misses)",
    ExitCode.NO_SOURCE: "some parcels cannot be tracked by any source in use (most often: a "
                        "non-EMS number without a 17TRACK key); wins over 1",
    ExitCode.IO: "a file, directory or the output could not be read or written (permissions, "
                 "a path that is a file, disk full)",
    ExitCode.DISK_FULL: "the disk holding the history database is full: nothing already "
                        "stored was lost; free space and run again",
    ExitCode.INTERNAL: "internal error: a bug; the traceback is in the log file named on stderr",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); everything fetched before is saved",
}


def epilog(width: int = 79) -> str:
    """The exit-code table as `emstui --help` prints it, wrapped to `width` columns."""
    import textwrap  # here: only help needs it, and it compiles patterns on import

    rows = [textwrap.fill(text, width, initial_indent=f"  {int(code):>3}  ",
                          subsequent_indent=" " * 7, break_on_hyphens=False)
            for code, text in MEANINGS.items()]
    return "exit codes:\n" + "\n".join(rows)


def markdown_table() -> str:
    """The exit-code table as README.md holds it."""
    rows = [f"| {int(code)} | {text} |" for code, text in MEANINGS.items()]
    return "\n".join(["| code | meaning |", "|---|---|", *rows])
