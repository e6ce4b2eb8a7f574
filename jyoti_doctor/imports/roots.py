"""Package roots and module names: which files belong to which first-party package, and how
an absolute self-import is spelled relatively (docs/contract.md)."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

PROJECT_MARKERS = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    ".git",
    "Procfile",
    "requirements.txt",
)


@dataclass(frozen=True)
class PackageRoot:
    """A top-level package ``name`` whose directory is ``base / name`` (``base`` is its sys.path entry)."""

    name: str
    base: Path

    @property
    def directory(self) -> Path:
        return self.base / self.name


@dataclass(frozen=True)
class ModuleInfo:
    """Where a file sits in its package: ``backend/api/routes.py`` is module ``backend.api.routes``
    in package ``backend.api``; ``backend/__init__.py`` is module and package ``backend``."""

    root: PackageRoot
    module: str
    package: str


def _is_package_dir(path: Path) -> bool:
    return path.is_dir() and path.name.isidentifier() and (path / "__init__.py").is_file()


def _has_modules(path: Path) -> bool:
    try:
        return (
            path.is_dir()
            and path.name.isidentifier()
            and any(p.suffix == ".py" and p.is_file() for p in path.iterdir())
        )
    except OSError:
        return False


def _top_package(directory: Path) -> Path:
    """The outermost ancestor of a regular package directory that is still a regular package."""
    top = directory
    while _is_package_dir(top.parent) and top.parent != top:
        top = top.parent
    return top


def _is_project_root(directory: Path) -> bool:
    return any((directory / marker).exists() for marker in PROJECT_MARKERS)


def _named_root(target: Path, name: str) -> PackageRoot:
    first = name.split(".")[0]
    if not first.isidentifier():
        raise UsageError(f"--package {name!r} is not a valid package name")
    candidates = [target / first, target / "src" / first]
    candidates += [p for p in (target, *target.parents) if p.name == first]
    for candidate in candidates:
        try:
            found = candidate.is_dir()
        except OSError:  # a name the system refuses (longer than a file name may be)
            found = False
        if found:
            return PackageRoot(first, candidate.parent)
    raise UsageError(f"package {first!r} not found in or above {target}")


def infer_roots(target: Path, packages: Sequence[str] = ()) -> tuple[PackageRoot, ...]:
    """The first-party package roots a path given on the command line belongs to.

    A package directory (its topmost ``__init__.py`` ancestor), a ``src/`` layout, a project
    root whose top-level packages are found, or a namespace directory of ``.py`` files.
    ``packages`` (``--package``) names them explicitly instead.
    """
    target = target.absolute()
    if packages:
        return tuple(dict.fromkeys(_named_root(target, name) for name in packages))
    if target.is_file() or not target.is_dir():
        return _roots_for_file(target)
    if _is_package_dir(target):
        top = _top_package(target)
        return (PackageRoot(top.name, top.parent),)
    if target.name == "src" and not _is_project_root(target):
        return _children_roots(target, allow_namespace=True)
    src = target / "src"
    if src.is_dir():
        found = _children_roots(src, allow_namespace=True)
        if found:
            return found
    children = _children_roots(target, allow_namespace=False)
    if children:
        return children
    if not _is_project_root(target) and _has_modules(target):
        return (PackageRoot(target.name, target.parent),)
    return _children_roots(target, allow_namespace=True)


def _children_roots(directory: Path, *, allow_namespace: bool) -> tuple[PackageRoot, ...]:
    found = []
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return ()
    for child in children:
        if child.name.startswith(".") or child.name in ("tests", "test", "docs", "scripts"):
            continue
        if _is_package_dir(child) or (allow_namespace and _has_modules(child)):
            found.append(PackageRoot(child.name, directory))
    return tuple(found)


def _roots_for_file(path: Path) -> tuple[PackageRoot, ...]:
    parent = path.parent
    if _is_package_dir(parent):
        top = _top_package(parent)
        return (PackageRoot(top.name, top.parent),)
    if _is_project_root(parent) or not parent.name.isidentifier():
        return ()
    # A namespace package: the outermost importable directory below the project root.
    top = parent
    while (
        top.parent != top
        and top.parent.name.isidentifier()
        and not _is_project_root(top.parent)
        and _has_modules(top.parent)
    ):
        top = top.parent
    return (PackageRoot(top.name, top.parent),)


def module_info(path: Path, roots: Sequence[PackageRoot]) -> ModuleInfo | None:
    """The module a file is, under the root that contains it; ``None`` outside every root."""
    absolute = os.path.abspath(path)
    directory, name = os.path.split(absolute)
    place = _directory_place(directory, tuple(roots))
    if place is None:
        return None
    root, parts = place
    # The file's own name may be no identifier: Django's `0001_initial.py` migrations are
    # loaded with import_module and their relative imports work like any module's.
    stem = name.removesuffix(".py")
    if not stem or "." in stem:
        return None
    if stem == "__init__":
        module = ".".join(parts)
        return ModuleInfo(root, module, module)
    package = ".".join(parts)
    return ModuleInfo(root, f"{package}.{stem}", package)


@functools.lru_cache(maxsize=4096)
def _directory_place(
    directory: str, roots: tuple[PackageRoot, ...]
) -> tuple[PackageRoot, tuple[str, ...]] | None:
    """The root a directory is under and its package's dotted parts, once per directory."""
    for root in roots:
        top = os.path.abspath(root.directory)
        if directory != top and not directory.startswith(top + os.sep):
            continue
        rel = directory[len(top) + 1 :]
        parts = (root.name, *(rel.split(os.sep) if rel else ()))
        if not all(p.isidentifier() for p in parts):
            return None
        return root, parts
    return None


def in_package(module: str, root: str) -> bool:
    """Whole-component comparison: ``backend.deps`` is in ``backend``; ``backend_utils`` is not."""
    return module == root or module.startswith(root + ".")


def relative_module(package: str, target: str) -> tuple[int, str]:
    """How ``from <target> import ...`` is spelled relative to ``package``: (dots, rest).

    ``relative_module("backend.api", "backend.deps") == (2, "deps")`` — ``from ..deps``.
    Both names share the top-level package, so the result never goes beyond it.
    """
    pkg = package.split(".")
    tgt = target.split(".")
    common = 0
    while common < min(len(pkg), len(tgt)) and pkg[common] == tgt[common]:
        common += 1
    if common == 0:
        raise ValueError(f"{target} is not inside the top-level package of {package}")
    return len(pkg) - common + 1, ".".join(tgt[common:])


def resolve_relative(package: str, level: int, module: str | None) -> str:
    """CPython's rule (``importlib._bootstrap._resolve_name``) for ``from <level dots><module>``."""
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        raise ImportError("attempted relative import beyond top-level package")
    base = bits[0]
    return f"{base}.{module}" if module else base
