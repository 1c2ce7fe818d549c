"""Helper process for test_shared_limits: `emstui ARGS...`, started on a signal.

Usage: once_proc.py ARGS... Imports everything first, then waits for a line on stdin, so that
several of them start their run at the same moment (as overlapping cron jobs would).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import emstui.cli.once  # noqa: F401  (imported before the start signal, like the rest)
from emstui.__main__ import main

if __name__ == "__main__":
    sys.stdin.readline()
    sys.argv = ["emstui", *sys.argv[1:]]
    sys.exit(main())
