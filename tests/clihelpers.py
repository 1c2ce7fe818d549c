"""Running the command line in-process, as every CLI test does."""

from __future__ import annotations

from io import StringIO
from typing import NamedTuple

from emstui.cli.main import run


class Result(NamedTuple):
    """What one command line gave: exit code, stdout, stderr (unpacks as a tuple too)."""

    code: int
    out: str
    err: str


def cli(*argv: str, terminal: bool | None = None) -> Result:
    out, err = StringIO(), StringIO()
    code = run(list(argv), out=out, err=err, terminal=terminal)
    return Result(code, out.getvalue(), err.getvalue())
