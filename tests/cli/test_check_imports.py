"""`emstui check` starts cheaply: it imports S10 and the output layer, not what other commands
need (bench/cli_start.py measures the cost; this keeps the heavy imports from coming back)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from emstui.cli.parser import _help_width

NOT_FOR_CHECK = ("asyncio", "sqlite3", "logging", "json", "dataclasses", "shutil", "datetime",
                 "pathlib", "emstui.config", "emstui.store", "emstui.engine", "httpx")


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
