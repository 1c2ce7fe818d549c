"""`emstui` / `python -m emstui`: the command-line entry point."""

from __future__ import annotations

import os
import sys

from emstui.cli import run


def main() -> int:
    try:
        code = run(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`emstui list | head -1`): not an error worth a traceback.
        # Point stdout at /dev/null so the interpreter's final flush stays quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
