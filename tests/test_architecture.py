"""The house has no circles, and the core never imports an edge.

Every `import` counts, including the ones inside functions (a lazy import is still a dependency: it only
moves the cycle from import time to call time).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nexus_action"

# The pure core: plain data in, plain data out. It may not reach for GitHub, the webhook sender, the runner's
# files or the command line.
CORE = ("nexus_action.classify", "nexus_action.report", "nexus_action.notify.payloads")
EDGES = ("nexus_action.github", "nexus_action.notify.send", "nexus_action.runner.io", "nexus_action.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import mod` imports pkg.mod when that is a module, else a name of pkg.
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names
            ]
        else:
            continue
        yield from (n for n in names if n.startswith("nexus_action"))


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: {m for m in _imports(path, modules) if m in modules and m != name} for name, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_import_graph_has_no_circles() -> None:
    assert circles(import_graph()) == []


def test_nothing_imports_the_command_line() -> None:
    importers = sorted(m for m, deps in import_graph().items() if "nexus_action.cli" in deps)
    assert importers == ["nexus_action.__main__"]


@pytest.mark.parametrize("core", CORE)
def test_the_core_imports_no_edge(core: str) -> None:
    graph = import_graph()
    leaks = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if _within(module, (core,))
        for dep in deps
        if _within(dep, EDGES)
    )
    assert leaks == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
