"""Architecture rules: the folders are the layers, and imports run one way.

    core ← config, store, providers ← engine ← present ← notify ← services ← tui ← cli

A module may import its own package and any package of a lower layer; packages on the same
layer do not import each other. `emstui.sim` (the loopback services) imports only `core`, and
only the faces (`tui`, `cli`) start it. Lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emstui"

LAYERS: dict[str, int] = {
    "core": 0,
    "config": 1, "store": 1, "providers": 1,
    "engine": 2,
    "present": 3,
    "notify": 4,  # stall notices speak the advice's language
    "services": 5,
    "tui": 6,
    "cli": 7,
    "__main__": 8,
}
SIM_MAY_IMPORT = {"core", "sim"}
MAY_IMPORT_SIM = {"tui", "cli", "sim"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every emstui (and other) module `path` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            # `from emstui.cli import once` imports the module emstui.cli.once
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the root package (__version__)


def layer_violations(graph: Mapping[str, set[str]]) -> list[str]:
    """Each import that breaks the layer rules, as 'importer -> imported (why)'."""
    bad = []
    for module, imported in sorted(graph.items()):
        mine = _layer(module)
        for other in sorted(imported):
            theirs = _layer(other)
            if theirs is None or theirs == mine or mine is None:
                continue
            if mine == "sim" or theirs == "sim":
                ok = theirs in SIM_MAY_IMPORT if mine == "sim" else mine in MAY_IMPORT_SIM
                if not ok:
                    bad.append(f"{module} -> {other} (only the faces start the simulator, "
                               "which imports only core)")
                continue
            if mine not in LAYERS or theirs not in LAYERS:
                bad.append(f"{module} -> {other} (a package with no place in LAYERS)")
            elif LAYERS[theirs] >= LAYERS[mine]:
                bad.append(f"{module} -> {other} ({mine} may not import {theirs})")
    return bad


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _package_import_of_own_submodules(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    # A package's __init__ re-exporting its own modules is not a cycle with them.
    return {m: {o for o in imported if not o.startswith(f"{m}.")} for m, imported in graph.items()}


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir()
                if (p / "__init__.py").exists() or p.suffix == ".py"}
    packages = {p.removesuffix(".py") for p in packages} - {"__init__", "sim"}
    assert packages <= set(LAYERS)


def test_imports_run_one_way_down_the_layers() -> None:
    assert layer_violations(_graph()) == []


def test_no_import_cycles() -> None:
    assert import_cycles(_package_import_of_own_submodules(_graph())) == []


def test_the_layer_check_catches_an_upward_import() -> None:
    graph = {"emstui.core.model": {"emstui.engine.engine"},
             "emstui.store.history": {"emstui.config.load"},
             "emstui.engine.engine": {"emstui.core.model", "emstui.sim.server"},
             "emstui.sim.server": {"emstui.store.history"},
             "emstui.tui.run": {"emstui.sim.server", "emstui.services"}}
    assert layer_violations(graph) == [
        "emstui.core.model -> emstui.engine.engine (core may not import engine)",
        "emstui.engine.engine -> emstui.sim.server (only the faces start the simulator, "
        "which imports only core)",
        "emstui.sim.server -> emstui.store.history (only the faces start the simulator, "
        "which imports only core)",
        "emstui.store.history -> emstui.config.load (store may not import config)",
    ]


def test_the_cycle_check_catches_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]


def test_the_scan_sees_the_real_graph() -> None:
    # Guards the rules above against passing because the scan finds nothing.
    graph = _graph()
    assert "emstui.core.model" in graph["emstui.engine.core"]
    assert "emstui.cli.once" in graph["emstui.cli.main"]


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


def test_only_the_entry_point_imports_the_tui_app() -> None:
    # The main screen, its actions and widgets reach the app through `emstui.tui.host`.
    importers = sorted(name for name, imported in _graph().items()
                       if "emstui.tui.app" in imported)
    assert importers == ["emstui.tui.run"]


# A module longer than this is doing more than one job, unless its docstring says why it is one.
MAX_MODULE_LINES = 500
ONE_JOB_AT_LENGTH = {"emstui/core/s10.py": "One job, kept in one module on purpose"}


def long_modules(limit: int = MAX_MODULE_LINES) -> dict[str, int]:
    """Modules of the package over `limit` lines, by path from the repository root."""
    lengths = {str(p.relative_to(PACKAGE.parent)): len(p.read_text(encoding="utf-8").splitlines())
               for p in PACKAGE.rglob("*.py")}
    return {path: n for path, n in lengths.items() if n > limit}


def test_no_module_is_over_the_length_limit_unless_it_says_why() -> None:
    unexplained = {path: n for path, n in long_modules().items()
                   if path not in ONE_JOB_AT_LENGTH}
    assert unexplained == {}, "split these by job, or say in the docstring why they are one"
    for path, reason in ONE_JOB_AT_LENGTH.items():
        assert reason in (PACKAGE.parent / path).read_text(encoding="utf-8")


def test_the_length_check_sees_long_modules() -> None:
    # Guards the test above against passing because it counts nothing.
    assert "emstui/core/s10.py" in long_modules()
    assert "emstui/tui/screens/main.py" in long_modules(limit=100)
