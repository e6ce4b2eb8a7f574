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


def _ignored(
    path: Path, is_dir: bool, specs: Sequence[tuple[Path, pathspec.GitIgnoreSpec]]
) -> bool:
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
    """All source files under ``paths``, in walk order, with the reasons anything was skipped.

    Files named explicitly are always included, as black and ruff do. Inside directories,
    ignored and excluded entries are pruned, and symlinks that leave the tree are not followed.
    """
    walker = _Walker(
        excludes=_spec([*(DEFAULT_EXCLUDES if exclude is None else exclude), *extend_exclude]),
        respect_gitignore=respect_gitignore,
        suffixes=suffixes,
    )
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise UsageError(f"path does not exist: {given}")
        if not given.is_dir():
            walker.add(str(given))
            continue
        parents = _parent_gitignores(given.absolute()) if respect_gitignore else []
        if _ignored(given.absolute(), True, parents):
            # Named explicitly: scan it even though an enclosing .gitignore covers it (as ruff does).
            parents = []
        specs = [(str(base), spec) for base, spec in parents]
        root_real = os.path.realpath(given)
        walker.walk(str(given), root_real, root_real, specs)
    return Discovery(tuple(Path(f) for f in walker.files), tuple(walker.skipped))


class _Walker:
    """One discovery run. Works on strings: pathlib costs more than the walk itself."""

    def __init__(
        self, excludes: pathspec.GitIgnoreSpec, respect_gitignore: bool, suffixes: tuple[str, ...]
    ) -> None:
        self.excludes = excludes
        self.respect_gitignore = respect_gitignore
        self.suffixes = suffixes
        self.files: list[str] = []
        self.skipped: list[Skipped] = []
        self.seen: set[str] = set()

    def add(self, path: str, real: str | None = None) -> None:
        # One entry per file on disk, however many names lead to it.
        key = real or os.path.realpath(path)
        if key not in self.seen:
            self.seen.add(key)
            self.files.append(path)

    def ignored(
        self, abspath: str, is_dir: bool, specs: list[tuple[str, pathspec.GitIgnoreSpec]]
    ) -> bool:
        for base, spec in specs:
            rel = os.path.relpath(abspath, base)
            if rel.startswith(".."):
                continue
            if spec.match_file(rel + "/" if is_dir else rel):
                return True
        return False

    def walk(
        self,
        directory: str,
        real_dir: str,
        root_real: str,
        specs: list[tuple[str, pathspec.GitIgnoreSpec]],
        rel_dir: str = "",
        ancestors: frozenset[str] = frozenset(),
    ) -> None:
        """Walk ``directory`` (whose resolved path is ``real_dir``); ``ancestors`` holds the
        resolved paths above it, so a symlink back up the tree is seen as a loop."""
        ancestors = ancestors | {real_dir}
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            self.skipped.append(Skipped(directory, f"cannot list directory: {exc.strerror or exc}"))
            return
        if self.respect_gitignore and any(e.name == ".gitignore" for e in entries):
            own = _read_gitignore(Path(directory))
            if own is not None:
                specs = [*specs, (os.path.abspath(directory), own)]
        for entry in entries:
            path = entry.path
            real = f"{real_dir}{os.sep}{entry.name}"
            try:
                is_link = entry.is_symlink()
                if is_link:
                    real = os.path.realpath(path, strict=True)
                    if real != root_real and not real.startswith(root_real + os.sep):
                        self.skipped.append(Skipped(path, "symlink leaves the tree; not followed"))
                        continue
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
            except (OSError, RuntimeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                if entry.is_symlink():
                    reason = f"broken or looping symlink: {reason}"
                else:
                    reason = f"cannot stat: {reason}"
                self.skipped.append(Skipped(path, reason))
                continue
            rel = f"{rel_dir}{entry.name}"
            if not is_dir and not entry.name.endswith(self.suffixes):
                continue
            if self.excludes.match_file(rel + "/" if is_dir else rel):
                continue
            if specs and self.ignored(os.path.abspath(path), is_dir, specs):
                continue
            if is_dir:
                if real in ancestors:
                    self.skipped.append(Skipped(path, "symlink loop; not followed"))
                    continue
                self.walk(path, real, root_real, specs, rel + "/", ancestors)
            elif is_file and is_link:
                target = os.path.relpath(real, root_real)
                self.skipped.append(
                    Skipped(path, f"symlink to {target}; the file is checked under its own name")
                )
            elif is_file:
                self.add(path, real)
            else:
                self.skipped.append(Skipped(path, "not a regular file"))


def display_path(path: str) -> str:
    """Paths relative to the working directory when below it, as ruff and pytest show them."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class ChangedOnDisk(Exception):
    """The file no longer holds the bytes it was read with; writing would lose someone's edit."""


def write_atomic(path: Path, new: bytes, expected_old: bytes) -> None:
    """Replace ``path`` with ``new`` via a temporary file in the same directory and ``os.replace``.

    Keeps the file's mode bits. Refuses (``ChangedOnDisk``) if the current content is not
    ``expected_old``; the check and the replace are as close together as the OS allows. A
    symlink is written through, to its target, and stays a symlink.
    """
    path = Path(os.path.realpath(path))
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


# Settings, schema and .env files are small; anything larger is a mistake (or /dev/zero).
MAX_TEXT_FILE_BYTES = 8 * 1024 * 1024


def read_bounded_text(path: Path, *, what: str, encoding: str = "utf-8") -> str:
    """The text of a small regular file, or a usage error that says exactly what is wrong.

    A FIFO, a device or a directory would hang or never end, a symlink loop cannot be opened,
    and a huge file is not a config: each is refused before anything is read.
    """
    from .errors import UsageError

    data = read_bounded_bytes(path, what=what)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path} is not valid {encoding} (byte {exc.start})") from None
    except LookupError:
        raise UsageError(f"{what} {path}: unknown encoding {encoding!r}") from None


def read_bounded_bytes(path: Path, *, what: str) -> bytes:
    """The bytes of a small regular file (see :func:`read_bounded_text`), for readers that must
    see a BOM or undecodable bytes themselves (``.env`` files)."""
    import stat

    from .errors import UsageError

    try:
        info = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{what} {path} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{what} {path} is not a regular file (a device, FIFO or socket)")
    if info.st_size > MAX_TEXT_FILE_BYTES:
        raise UsageError(
            f"{what} {path} is {info.st_size:,} bytes; at most {MAX_TEXT_FILE_BYTES:,} are read"
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_TEXT_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise UsageError(f"{what} {path} grew past {MAX_TEXT_FILE_BYTES:,} bytes while read")
    return data
