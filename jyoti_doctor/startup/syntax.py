"""What the walk reads from a file's syntax tree: parsing (once per file), the names a body
binds, its imports, relative-import resolution, the root-style rewrite fix-imports would make,
and the calls that matter at import time (Django's settings, ``uvicorn.run("mod:app")``)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from ..imports.roots import PackageRoot, module_info, resolve_relative
from ..rules import Rule

# A parsed file (its tree and text) or why it could not be parsed, per path.
Trees: TypeAlias = dict[Path, tuple[ast.Module, str] | SyntaxError]


class TooDeep(SyntaxError):
    """A file CPython's compiler gives up on with RecursionError (and so does the analysis)."""


def parse_file(path: Path, trees: Trees) -> tuple[ast.Module, str] | SyntaxError:
    """The file's tree and text, parsed once per ``trees``; why not, as a SyntaxError."""
    if path not in trees:
        try:
            data = path.read_bytes()
            tree = ast.parse(data, filename=str(path))
            trees[path] = (tree, data.decode("utf-8", errors="replace"))
        except SyntaxError as exc:
            trees[path] = exc
        except (OSError, ValueError) as exc:
            trees[path] = SyntaxError(str(exc))
        except (RecursionError, MemoryError):
            # CPython's own compiler gives up on such a file too ("too complex"): the file
            # cannot be analysed, which is a finding, never a crash of the tool.
            trees[path] = TooDeep(
                "maximum recursion depth exceeded during compilation (the file is too deeply "
                "nested to be analysed)"
            )
    return trees[path]


def top_level_imports(tree: ast.Module) -> set[str]:
    """The top-level names of the absolute imports anywhere in a file."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def as_root_style(
    stmt: ast.Import | ast.ImportFrom, path: Path, package_dir: Path
) -> ast.Import | ast.ImportFrom:
    """The statement as ``fix-imports --style root`` spells it, for a file under ``package_dir``."""
    name = package_dir.name
    info = module_info(path, (PackageRoot(name, package_dir.parent),))
    if info is None:
        return stmt  # not a file of the package: fix-imports leaves it as it is

    def strip(module: str) -> str | None:
        if module == name:
            return ""
        return module[len(name) + 1 :] if module.startswith(name + ".") else None

    if isinstance(stmt, ast.Import):
        names = []
        for alias in stmt.names:
            rest = strip(alias.name)
            # `import backend.deps` binds `backend`: no root-style form binds the same name.
            names.append(ast.alias(rest, alias.asname) if rest and alias.asname else alias)
        new: ast.Import | ast.ImportFrom = ast.Import(names=names)
    else:
        module = from_module(stmt, info.package)
        if isinstance(module, Unresolved):
            return stmt
        rest = strip(module)
        if rest is None:
            return stmt
        if rest == "":
            new = ast.Import(names=[ast.alias(a.name, a.asname) for a in stmt.names])
        else:
            new = ast.ImportFrom(module=rest, names=stmt.names, level=0)
    return ast.copy_location(new, stmt)


# --- helpers on the AST -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unresolved:
    """The ImportError CPython raises for a relative import it cannot resolve."""

    code: Rule  # JD202 (no parent package) / JD203 (beyond the top-level package)
    message: str


def from_module(stmt: ast.ImportFrom, package: str) -> str | Unresolved:
    """The absolute module ``stmt`` imports from, run in a module whose __package__ is
    ``package``, or why CPython refuses it."""
    if not stmt.level:
        return stmt.module or ""
    if not package:
        return Unresolved(
            Rule.NO_PARENT_PACKAGE, "attempted relative import with no known parent package"
        )
    try:
        return resolve_relative(package, stmt.level, stmt.module)
    except ImportError as exc:
        return Unresolved(Rule.BEYOND_TOP_LEVEL, str(exc))


def spelled(stmt: ast.ImportFrom) -> str:
    return "." * stmt.level + (stmt.module or "")


def server_run_target(call: ast.Call) -> str | None:
    """The import string of ``uvicorn.run("pkg.mod:app", ...)`` (or ``app=...``)."""
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == "run"
        and isinstance(func.value, ast.Name)
        and func.value.id == "uvicorn"
    ):
        return None
    value: ast.expr | None = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "app":
            value = keyword.value
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and ":" in value.value:
        return value.value
    return None


def beside(importer: Path, name: str) -> bool:
    """A module or package ``name`` in the same directory as ``importer`` (not the importer
    itself: `import pydantic` in models/pydantic.py means the installed one)."""
    if importer.stem == name:
        return False
    directory = importer.parent
    return (directory / f"{name}.py").is_file() or (directory / name / "__init__.py").is_file()


def sets_django_settings(call: ast.Call) -> bool:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")``."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "setdefault"
        and len(call.args) == 2
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value == "DJANGO_SETTINGS_MODULE"
    )


def bindings(body: Sequence[ast.stmt]) -> set[str]:
    """Names a module body binds at top level (any branch; not inside functions)."""
    names: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is None:
                continue
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
        for sub in ast.walk(node) if isinstance(node, ast.stmt) else ():
            if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                names.add(sub.target.id)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            for sub in ast.walk(node.target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    for sub in ast.walk(item.optional_vars):
                        if isinstance(sub, ast.Name):
                            names.add(sub.id)
        if isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        for attr in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, attr, None)
            if isinstance(block, list):
                stack.extend(block)
    return names


def has_open_names(body: Sequence[ast.stmt]) -> bool:
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and any(a.name == "*" for a in sub.names):
                return True
            if isinstance(sub, ast.FunctionDef) and sub.name == "__getattr__" and node is sub:
                return True
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id in ("globals", "exec", "setattr")
            ):
                return True
    return False


def imports_in(body: Sequence[ast.stmt]) -> bool:
    return any(isinstance(s, (ast.Import, ast.ImportFrom)) for b in body for s in ast.walk(b))


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def exc_names(node: ast.expr | None) -> list[str] | None:
    if node is None:
        return None
    if isinstance(node, ast.Tuple):
        out: list[str] = []
        for elt in node.elts:
            out.extend(exc_names(elt) or [])
        return out
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    return []
