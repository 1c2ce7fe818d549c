"""emstui's loggers, quiet until the program configures logging (the monitor and `--once` do).

Every module that logs takes its logger here, so `logging` is imported by the commands that
log and not by the ones that never do (`emstui check` starts without it: bench/cli_start.py).
"""

from __future__ import annotations

import logging

# A library stays quiet unless the program configures logging: without a handler, Python's
# last-resort handler would print warnings (a damaged history moved aside, ...) to stderr.
logging.getLogger("emstui").addHandler(logging.NullHandler())


def logger(name: str) -> logging.Logger:
    """The logger `name` (under "emstui"), with the package's quiet default in place."""
    return logging.getLogger(name)
