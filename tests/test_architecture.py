"""Architecture rules that keep the parts separable."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emstui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_tui_package_imports_textual() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "tui" in path.relative_to(PACKAGE).parts:
            continue
        textual = sorted(n for n in _imports(path)
                         if n == "textual" or n.startswith("textual."))
        if textual:
            offenders.append(f"{path.relative_to(PACKAGE.parent)}: {', '.join(textual)}")
    assert offenders == []


def test_the_scan_sees_textual_imports_where_they_are() -> None:
    # Guards the test above against passing because it looks in the wrong place.
    app = PACKAGE / "tui" / "app.py"
    assert any(n.startswith("textual") for n in _imports(app))


def test_domain_modules_do_not_import_the_ui_or_the_simulator() -> None:
    domain = ["s10", "config", "store", "model", "refresh", "once", "advice", "sanitize",
              "statusmap", "views", "services"]
    for name in domain:
        imported = _imports(PACKAGE / f"{name}.py")
        assert not any(n.startswith(("emstui.tui", "emstui.sim")) for n in imported), name
