"""A model of Python's module finder over the modelled first-party ``sys.path``, and the module
names the project defines (found with the same discovery as every other command)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from ..files import discover


@dataclass(frozen=True)
class Spec:
    """What ``importlib.util.find_spec`` would return, for a first-party module."""

    name: str
    origin: Path | None  # None: namespace package
    locations: tuple[Path, ...] = ()  # submodule search locations (packages only)

    @property
    def is_package(self) -> bool:
        return bool(self.locations)

    @property
    def kind(self) -> str:
        if self.origin is None:
            return "namespace package"
        return "package" if self.locations else "module"


class Finder:
    """``PathFinder`` over the modelled first-party ``sys.path``."""

    def __init__(self, sys_path: Sequence[Path]) -> None:
        self.sys_path = tuple(sys_path)

    def find(self, name: str, parent: Spec | None) -> Spec | None:
        tail = name.rpartition(".")[2]
        paths = parent.locations if parent is not None else self.sys_path
        portions: list[Path] = []
        for directory in paths:
            base = directory / tail
            is_dir = base.is_dir()
            if is_dir and (base / "__init__.py").is_file():
                return Spec(name, base / "__init__.py", (base,))
            for suffix in (*EXTENSION_SUFFIXES, ".py", ".pyc"):
                candidate = directory / (tail + suffix)
                if candidate.is_file():
                    return Spec(name, candidate)
            if is_dir:
                portions.append(base)
        if portions:
            return Spec(name, None, tuple(portions))
        return None


# Virtualenvs named `env` and hidden directories hold no project module either.
_EXTRA_EXCLUDES = ("env", ".*")


@dataclass(frozen=True)
class ProjectIndex:
    """The project's Python files, found once with the shared discovery (``.gitignore`` and
    the default excludes honoured, no cap), and what was skipped while finding them."""

    directory: Path
    files: tuple[Path, ...]
    skipped: tuple[str, ...] = ()

    @classmethod
    def of(cls, directory: Path) -> ProjectIndex:
        found = discover([directory], extend_exclude=_EXTRA_EXCLUDES)
        return cls(
            directory,
            tuple(Path(f).absolute() for f in found.files),
            tuple(f"{s.path}: {s.reason}" for s in found.skipped),
        )

    @cached_property
    def names(self) -> frozenset[str]:
        """Every name the project defines as a module or package anywhere in its tree."""
        names: set[str] = set()
        for path in self.files:
            try:
                rel = path.relative_to(self.directory)
            except ValueError:
                continue
            names.update(p for p in rel.parent.parts if p.isidentifier())
            if path.stem.isidentifier() and path.stem != "__init__":
                names.add(path.stem)
        return frozenset(names)

    def self_names(self, entries: Iterable[Path]) -> frozenset[str]:
        """The modules and packages directly inside the project directory and each directory
        between it and a first-party ``sys.path`` entry: the top-level names the project
        itself defines for this launch. A name deeper down (``app/services/jwt.py``) is never
        one: Python 3 has no implicit relative imports."""
        dirs: set[Path] = set()
        for entry in entries:
            try:
                rel = entry.relative_to(self.directory)
            except ValueError:
                continue
            current = self.directory
            dirs.add(current)
            for part in rel.parts:
                current = current / part
                dirs.add(current)
        names: set[str] = set()
        for path in self.files:
            for directory in dirs:
                try:
                    parts = path.relative_to(directory).parts
                except ValueError:
                    continue
                first = parts[0]
                name = first[:-3] if len(parts) == 1 and first.endswith(".py") else first
                if name.isidentifier() and name != "__init__":
                    names.add(name)
        return frozenset(names)


def project_module_names(project_dir: Path) -> frozenset[str]:
    """Every name the project defines as a module or package anywhere in its tree."""
    return ProjectIndex.of(project_dir.absolute()).names
