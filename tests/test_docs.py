"""README, LICENSE, CI and the code agree: exit codes, binding ids, the test command."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from emstui.cli.exitcodes import MEANINGS, ExitCode, markdown_table
from emstui.cli.parser import build_parser
from emstui.tui import keymap

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The modules whose functions return the process exit code.
CLI_MODULES = (*sorted(str(p.relative_to(ROOT)) for p in (ROOT / "emstui" / "cli").glob("*.py")),
               "emstui/__main__.py", "emstui/tui/run.py")


def test_readme_holds_exactly_the_exit_code_table_of_the_code() -> None:
    assert markdown_table() in README
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", README, flags=re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}
    assert set(MEANINGS) == set(ExitCode)


def test_help_lists_every_exit_code() -> None:
    epilog = build_parser().epilog or ""
    for code in ExitCode:
        assert re.search(rf"^\s*{int(code)}\s", epilog, flags=re.MULTILINE), code


def _bare_codes(path: Path) -> list[str]:
    """`return 3`, `sys.exit(1)`, `SystemExit(2)`: exit codes not taken from ExitCode."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        value = None
        if isinstance(node, ast.Return):
            value = node.value
        elif isinstance(node, ast.Call) and node.args and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "exit")
                or (isinstance(node.func, ast.Name) and node.func.id == "SystemExit")):
            value = node.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, int) \
                and not isinstance(value.value, bool):
            found.append(f"{path.name}:{node.lineno}: {value.value}")
    return found


def test_every_exit_code_the_cli_returns_comes_from_the_documented_table() -> None:
    bare = [hit for module in CLI_MODULES for hit in _bare_codes(ROOT / module)]
    assert bare == []


def test_readme_lists_every_binding_id() -> None:
    keys_section = README[README.index("## Keys"):README.index("## Command line")]
    missing = [spec.id for spec in keymap.SPECS if f"`{spec.id}`" not in keys_section]
    assert missing == []
    assert "`?` shows each binding's id" in keys_section


def test_ci_runs_the_readme_test_command_and_keeps_the_try_it_venv() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r"^(python3 -m venv \.venv && .*pytest -q)$", README,
                        flags=re.MULTILINE)
    assert command is not None
    assert command.group(1) in ci.splitlines()
    removed = [line for line in ci.splitlines() if line.startswith("rm ")]
    assert all(not re.search(r"(^|\s)\.venv(\s|$)", line) for line in removed)


def test_readme_starts_from_a_clone_and_says_where_the_log_is() -> None:
    try_it = README[README.index("## Try it"):README.index("## Keys")]
    assert "git clone" in try_it and "Until the full-screen monitor lands" not in README
    assert "emstui locate log" in README


def test_license_file_matches_the_declared_license() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
