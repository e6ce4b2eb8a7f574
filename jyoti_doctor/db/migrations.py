"""Alembic migration state, read without running any of the project's code.

The code's side comes from the revision files alone: ``alembic.ini`` (or ``[tool.alembic]`` in
``pyproject.toml``) names ``script_location``; every ``versions/*.py`` is parsed with :mod:`ast`
for its ``revision`` and ``down_revision`` assignments (annotated or not, a string, ``None`` or a
tuple for a merge). The heads are the revisions no other one names as its parent. The database's
side is ``SELECT version_num FROM alembic_version`` (Alembic's default table; a project that
renames it in env.py is reported as "not checked").
"""

from __future__ import annotations

import ast
import configparser
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..textfile import read_bounded_text

VERSION_SQL = "SELECT version_num FROM alembic_version"
# Directories below the project to look for alembic.ini in (a backend/ next to a frontend/).
_SUBDIRS = ("backend", "src", "app", "server", "api")
MAX_REVISION_FILES = 10_000


@dataclass(frozen=True)
class Revision:
    id: str
    parents: tuple[str, ...]
    path: Path


@dataclass(frozen=True)
class AlembicProject:
    config: Path  # alembic.ini or pyproject.toml
    versions: tuple[Path, ...]  # the directories read
    revisions: dict[str, Revision]
    problems: tuple[str, ...] = ()  # files that could not be read (named, never guessed)

    @property
    def heads(self) -> tuple[str, ...]:
        named = {p for r in self.revisions.values() for p in r.parents}
        return tuple(sorted(r for r in self.revisions if r not in named))

    def ancestors(self, revision: str) -> set[str]:
        """``revision`` and every revision it builds on."""
        seen: set[str] = set()
        stack = [revision]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.revisions:
                continue
            seen.add(current)
            stack.extend(self.revisions[current].parents)
        return seen


def _script_location(project: Path) -> tuple[Path, str, list[str]] | None:
    """``(config file, script_location, version_locations)`` of the project, or ``None``."""
    candidates = [project / "alembic.ini"] + [project / d / "alembic.ini" for d in _SUBDIRS]
    for ini in candidates:
        if not ini.is_file():
            continue
        parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
        try:
            parser.read_string(read_bounded_text(ini, what="alembic config"))
        except configparser.Error as exc:
            raise UsageError(f"{ini}: unreadable alembic config: {exc}") from None
        if parser.has_option("alembic", "script_location"):
            location = parser.get("alembic", "script_location")
            extra = parser.get("alembic", "version_locations", fallback="") or ""
            return ini, location, extra.replace(",", " ").split()
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        try:
            doc = tomllib.loads(read_bounded_text(pyproject, what="pyproject.toml"))
        except tomllib.TOMLDecodeError:
            return None  # the config loader reports a broken pyproject, with its line
        table = doc.get("tool", {}).get("alembic")
        if isinstance(table, dict) and isinstance(table.get("script_location"), str):
            here = str(project)
            location = table["script_location"].replace("%(here)s", here)
            given = table.get("version_locations") or []
            names = given.replace(",", " ").split() if isinstance(given, str) else given
            more = [e.replace("%(here)s", here) for e in names if isinstance(e, str)]
            return pyproject, location, more
    return None


def _resolve(base: Path, location: str) -> Path | None:
    if ":" in location and not Path(location).is_absolute():
        # package:path form: a package of the project, found on disk without importing it.
        package, _, sub = location.partition(":")
        for root in (base, base / "src"):
            candidate = root.joinpath(*package.split("."), sub)
            if candidate.is_dir():
                return candidate
        return None
    path = Path(location)
    return path if path.is_absolute() else base / path


def find_project(project: Path) -> AlembicProject | None:
    """The project's Alembic revisions, or ``None`` when it does not use Alembic."""
    found = _script_location(project)
    if found is None:
        return None
    config, location, extra = found
    script_dir = _resolve(config.parent, location)
    directories = [script_dir / "versions"] if script_dir is not None else []
    directories += [d for e in extra if (d := _resolve(config.parent, e)) is not None]
    revisions: dict[str, Revision] = {}
    problems: list[str] = []
    read_dirs = tuple(d for d in directories if d.is_dir())
    if not read_dirs:
        problems.append(f"{config}: script_location {location!r} has no versions directory")
    files = sorted({f for d in read_dirs for f in d.rglob("*.py")})
    if len(files) > MAX_REVISION_FILES:
        problems.append(f"more than {MAX_REVISION_FILES} revision files; not read")
        files = []
    for path in files:
        try:
            parsed = parse_revision(path)
        except (UsageError, SyntaxError, ValueError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if parsed is not None:
            revisions[parsed.id] = parsed
    return AlembicProject(config, read_dirs, revisions, tuple(problems))


def parse_revision(path: Path) -> Revision | None:
    """The ``revision`` and ``down_revision`` a file assigns at module level, or ``None``."""
    tree = ast.parse(read_bounded_text(path, what="revision file"), filename=str(path))
    values: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            values[node.target.id] = node.value
    if "revision" not in values:
        return None
    revision = _literal(values["revision"])
    if not isinstance(revision, str) or not revision:
        raise ValueError("`revision` is not a string literal")
    parents = _literal(values["down_revision"]) if "down_revision" in values else None
    if parents is None:
        chain: tuple[str, ...] = ()
    elif isinstance(parents, str):
        chain = (parents,)
    elif isinstance(parents, (tuple, list)) and all(isinstance(p, str) for p in parents):
        chain = tuple(parents)
    else:
        raise ValueError("`down_revision` is not a string, a tuple of strings or None")
    return Revision(revision, chain, path)


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError("not a literal (computed revision ids are not read)") from None


@dataclass(frozen=True)
class MigrationState:
    """The database's revisions against the code's."""

    project: AlembicProject
    database: tuple[str, ...] | None  # None: alembic_version not read (see ``error``)
    error: str | None = None  # why the table could not be read
    no_table: bool = False  # the table does not exist: no migration ever ran

    @property
    def heads(self) -> tuple[str, ...]:
        return self.project.heads

    @property
    def unknown(self) -> tuple[str, ...]:
        """Database revisions the code has no file for: the code is older than the database."""
        return tuple(r for r in self.database or () if r not in self.project.revisions)

    @property
    def pending(self) -> int | None:
        """Revisions in the code that the database has not applied (``None``: cannot tell)."""
        if self.database is None and not self.no_table:
            return None
        if self.unknown:
            return None
        applied: set[str] = set()
        for revision in self.database or ():
            applied |= self.project.ancestors(revision)
        return len(set(self.project.revisions) - applied)

    @property
    def at_head(self) -> bool:
        return self.pending == 0 and not self.unknown and len(self.heads) == 1
