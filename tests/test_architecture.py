"""The package graph stays what the layout promises: no cycles, reporters never reach into a
command's core, cores never reach up into the CLI. Imports inside functions count too (a cycle
hidden by a function-local import is still a cycle); ``if TYPE_CHECKING:`` blocks do not."""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "jyoti_doctor"
CORES = {"imports", "startup", "env", "db", "serve"}

# unit -> units it must never import. A unit is a top-level module or subpackage.
FORBIDDEN: dict[str, set[str]] = {
    "report": CORES | {"cli", "doctor"},
    **{core: {"cli", "report", "doctor"} for core in CORES},
    "doctor": {"cli", "report"},
    **{
        base: CORES | {"cli", "report", "doctor"}
        for base in (
            "rules",
            "findings",
            "errors",
            "files",
            "textfile",
            "config",
            "masking",
            "output",
        )
    },
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """Every jyoti_doctor module ``path`` imports, at any depth outside TYPE_CHECKING blocks."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("jyoti_doctor"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("jyoti_doctor"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


@functools.cache
def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in files.items():
        for target in _imports(path):
            # `from .x import name` names a module only when x.name is one.
            while target not in files and "." in target:
                target = target.rpartition(".")[0]
            if target in files and target != name:
                graph[name].add(target)
        graph.setdefault(name, set())
    return graph


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    # A package's __init__ may import its own submodules; that is not a cycle of concern.
    pruned = {
        m: {t for t in targets if not (m.count(".") and t.startswith(m + "."))}
        for m, targets in graph.items()
    }
    assert _cycles(pruned) == []


def test_no_cycles_between_packages() -> None:
    units: dict[str, set[str]] = defaultdict(set)
    for module, targets in _graph().items():
        for target in targets:
            if _unit(module) != _unit(target):
                units[_unit(module)].add(_unit(target))
        units.setdefault(_unit(module), set())
    assert _cycles(units) == []


@pytest.mark.parametrize("unit", sorted(FORBIDDEN))
def test_allowed_import_directions(unit: str) -> None:
    bad = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if _unit(module) == unit
        for target in targets
        if _unit(target) in FORBIDDEN[unit]
    )
    assert bad == []


def test_no_rule_code_literals_outside_the_registry() -> None:
    """Rules are objects; a bare "JD101" string in the code is a rule nobody type-checks."""
    import re

    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "rules.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""["']JD\d{3}["']""", line)
    ]
    assert offenders == []
