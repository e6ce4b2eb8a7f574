"""File discovery (paths, ``.gitignore``, excludes, symlinks) and atomic writes."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .errors import UsageError

# Directories nobody wants scanned; `--exclude` replaces this list, `--extend-exclude` adds to it.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    "__pypackages__",
    "node_modules",
    "site-packages",
    "build",
    "dist",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


def _spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(lines))


def _read_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return _spec(text.splitlines())


def _parent_gitignores(directory: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    """The ``.gitignore`` files above ``directory`` up to its repository root, outermost first."""
    found: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for parent in directory.parents:
        spec = _read_gitignore(parent)
        if spec is not None:
            found.append((parent, spec))
        if (parent / ".git").exists():
            break
    else:
        # Not inside a repository: ignore files above the tree would not apply to it.
        return []
    found.reverse()
    return found


def _ignored(path: Path, is_dir: bool, specs: Sequence[tuple[Path, pathspec.GitIgnoreSpec]]) -> bool:
    for base, spec in specs:
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


def discover(
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    suffixes: tuple[str, ...] = (".py",),
) -> Discovery:
    """All source files under ``paths``, sorted, with the reasons anything was skipped.

    Files named explicitly are always included, as black and ruff do. Inside directories,
    ignored and excluded entries are pruned, and symlinks that leave the tree are not followed.
    """
    excludes = _spec([*(DEFAULT_EXCLUDES if exclude is None else exclude), *extend_exclude])
    files: list[Path] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()

    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise UsageError(f"path does not exist: {given}")
        if not given.is_dir():
            if given not in seen:
                seen.add(given)
                files.append(given)
            continue
        root_real = Path(os.path.realpath(given))
        parents = _parent_gitignores(given.absolute()) if respect_gitignore else []
        _walk(given, given, root_real, excludes, parents, respect_gitignore, suffixes,
              files, skipped, seen, {root_real})

    return Discovery(tuple(files), tuple(skipped))


def _walk(
    directory: Path,
    root: Path,
    root_real: Path,
    excludes: pathspec.GitIgnoreSpec,
    gitignores: list[tuple[Path, pathspec.GitIgnoreSpec]],
    respect_gitignore: bool,
    suffixes: tuple[str, ...],
    files: list[Path],
    skipped: list[Skipped],
    seen: set[Path],
    visited: set[Path],
) -> None:
    if respect_gitignore:
        own = _read_gitignore(directory)
        if own is not None:
            gitignores = [*gitignores, (directory.absolute(), own)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        skipped.append(Skipped(str(directory), f"cannot list directory: {exc.strerror or exc}"))
        return
    for entry in entries:
        path = directory / entry.name
        try:
            is_link = entry.is_symlink()
        except OSError as exc:
            skipped.append(Skipped(str(path), f"cannot stat: {exc.strerror or exc}"))
            continue
        if is_link:
            try:
                real = Path(os.path.realpath(path, strict=True))
            except (OSError, RuntimeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                skipped.append(Skipped(str(path), f"broken or looping symlink: {reason}"))
                continue
            if real != root_real and root_real not in real.parents:
                skipped.append(Skipped(str(path), "symlink leaves the tree; not followed"))
                continue
        try:
            is_dir = entry.is_dir()  # follows symlinks
            is_file = entry.is_file()
        except OSError as exc:
            skipped.append(Skipped(str(path), f"cannot stat: {exc.strerror or exc}"))
            continue
        rel = path.relative_to(root).as_posix()
        if excludes.match_file(rel + "/" if is_dir else rel):
            continue
        if respect_gitignore and _ignored(path.absolute(), is_dir, gitignores):
            continue
        if is_dir:
            real_dir = Path(os.path.realpath(path))
            if real_dir in visited:
                skipped.append(Skipped(str(path), "symlink loop; not followed"))
                continue
            _walk(path, root, root_real, excludes, gitignores, respect_gitignore, suffixes,
                  files, skipped, seen, visited | {real_dir})
        elif is_file and entry.name.endswith(suffixes):
            if path not in seen:
                seen.add(path)
                files.append(path)
        elif not is_file and not is_dir and entry.name.endswith(suffixes):
            skipped.append(Skipped(str(path), "not a regular file"))


class ChangedOnDisk(Exception):
    """The file no longer holds the bytes it was read with; writing would lose someone's edit."""


def write_atomic(path: Path, new: bytes, expected_old: bytes) -> None:
    """Replace ``path`` with ``new`` via a temporary file in the same directory and ``os.replace``.

    Keeps the file's mode bits. Refuses (``ChangedOnDisk``) if the current content is not
    ``expected_old``; the check and the replace are as close together as the OS allows.
    """
    st = path.stat()
    if path.read_bytes() != expected_old:
        raise ChangedOnDisk(str(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".jyoti-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, stat.S_IMODE(st.st_mode))
        if path.read_bytes() != expected_old:
            raise ChangedOnDisk(str(path))
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
