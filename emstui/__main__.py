"""`emstui` / `python -m emstui`: the command-line entry point."""

from __future__ import annotations

import os
import sys

from emstui.cli.exitcodes import ExitCode
from emstui.cli.main import run


def _silence_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's final flush stays quiet too.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> int:
    try:
        code = run(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`emstui list | head -1`): not an error worth a traceback.
        _silence_stdout()
        return ExitCode.OK
    except OSError as exc:  # the output could not be written when flushed (disk full, ...)
        _silence_stdout()
        sys.stderr.write(f"emstui: cannot write the output: {exc.strerror or exc}\n")
        return ExitCode.IO
    return code


if __name__ == "__main__":
    sys.exit(main())
