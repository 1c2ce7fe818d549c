"""`emstui check` starts cheaply: it imports S10 and the output layer, not what other commands
need (bench/cli_start.py measures the cost; this keeps the heavy imports from coming back)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import pytest

from emstui.cli.main import _plain_check, run
from emstui.cli.parser import _help_width

NOT_FOR_CHECK = ("asyncio", "sqlite3", "logging", "json", "dataclasses", "shutil", "datetime",
                 "pathlib", "emstui.config", "emstui.store", "emstui.engine", "httpx",
                 # a plain `check NUMBER...` line is not given to argparse, and no pattern is
                 # compiled for clean ASCII output
                 "argparse", "gettext", "locale", "textwrap", "string", "emstui.cli.parser")


def test_check_imports_nothing_it_does_not_use() -> None:
    code = ("import sys; from emstui.cli.main import run; "
            "code = run(['check', 'EE123456785CN']); "
            f"print(sorted(m for m in {NOT_FOR_CHECK!r} if m in sys.modules)); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("columns", [None, "50", "200", "0", "-3", "wide"])
def test_help_width_is_what_shutil_answers(monkeypatch: pytest.MonkeyPatch,
                                           columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _help_width() == shutil.get_terminal_size().columns


NUMBERS = ["EE123456785CN", "ee 123 456 785 cn", "EE123456784CN", "ＥＥ１２３４５６７８５ＣＮ",
           "1Z999AA10123456784", "ABC", "XX123456785ZZ", "EE12345678SCN", "EE123456785C"]


@pytest.mark.parametrize("numbers", [[n] for n in NUMBERS] + [NUMBERS])
def test_a_plain_check_line_answers_as_argparse_does(numbers: list[str]) -> None:
    assert _plain_check(["check", *numbers]) == numbers
    outputs = []
    # `--config` is an option of `check` that changes nothing: that line goes through argparse.
    for line in (["check", *numbers], ["check", *numbers, "--config", "unused.toml"]):
        out, err = io.StringIO(), io.StringIO()
        outputs.append((run(line, out=out, err=err), out.getvalue(), err.getvalue()))
    assert outputs[0] == outputs[1]
    assert outputs[0][1]


@pytest.mark.parametrize("line", [
    [], ["check"], ["check", "--help"], ["check", "-h", "EE123456785CN"],
    ["check", "EE123456785CN", "--config", "x"], ["check", "--", "EE123456785CN"],
    ["check", ""], ["check", "-5"], ["--config", "x", "check", "EE123456785CN"],
    ["--json", "check", "EE123456785CN"], ["chec", "EE123456785CN"], ["list"],
])
def test_only_plain_check_lines_skip_argparse(line: list[str]) -> None:
    assert _plain_check(line) is None
