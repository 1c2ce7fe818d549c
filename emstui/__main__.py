"""`emstui` / `python -m emstui`: the command-line entry point."""

from __future__ import annotations

import sys

from emstui.cli import run


def main() -> int:
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
