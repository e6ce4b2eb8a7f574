"""Helpers for the import tests: small package trees on disk."""

from __future__ import annotations

from pathlib import Path

# Every module the case files import from, so that root-style checks find real submodules.
PACKAGE_FILES = (
    "backend/__init__.py",
    "backend/deps/__init__.py",
    "backend/deps/sub.py",
    "backend/api/__init__.py",
    "backend/api/models.py",
    "backend/api/v1/__init__.py",
    "backend/api/v1/handlers.py",
    "backend/apiv2.py",
    "backend_utils/__init__.py",
)


def make_tree(base: Path, kind: str = "package") -> Path:
    """A project at ``base`` with a ``backend`` package; returns the directory holding it.

    ``kind``: ``package`` (``__init__.py`` everywhere), ``namespace`` (none), ``src`` (under src/).
    """
    base.mkdir(parents=True, exist_ok=True)
    (base / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    top = base / "src" if kind == "src" else base
    for rel in PACKAGE_FILES:
        if kind == "namespace" and rel.endswith("__init__.py"):
            if rel.count("/") == 1 and rel.startswith("backend/"):
                continue
            rel = rel.replace("/__init__.py", "/mod.py")
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return top
