"""File discovery (paths, ``.gitignore``, excludes, symlinks) and atomic writes."""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
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
    """A file or directory discovery left out, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    """The files to check, in order, and those left out."""

    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


def _spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(lines))


@functools.lru_cache(maxsize=8)
def _excluder(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """The matcher of the exclude patterns a user gave; one that is not a valid gitignore
    pattern is a usage error naming it (a .gitignore's own bad lines are git's business: those
    are skipped). Kept per pattern list: a fix discovers the tree twice (its files, then the
    guard's tests), and compiling the patterns costs more than walking a small package."""
    try:
        spec = _spec(patterns)
    except (ValueError, TypeError, re.error):
        for pattern in patterns:
            try:
                _spec([pattern])
            except (ValueError, TypeError, re.error) as exc:
                raise UsageError(f"invalid exclude pattern {pattern!r}: {exc}") from None
        raise
    return exclude_matcher(spec)


def _read_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        path = directory / ".gitignore"
        if not path.is_file():  # a FIFO or a device: reading it would not end
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
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
        excluded=_excluder((*(DEFAULT_EXCLUDES if exclude is None else exclude), *extend_exclude)),
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


def exclude_matcher(spec: pathspec.GitIgnoreSpec) -> Callable[[str], bool]:
    """``spec.match_file`` as one compiled regular expression when no pattern negates another
    (the default excludes): one search per path instead of one per pattern."""
    patterns = [p for p in spec.patterns if getattr(p, "include", None) is not None]
    regexes = [getattr(p, "regex", None) for p in patterns]
    if (
        patterns
        and all(p.include for p in patterns)
        and all(isinstance(r, re.Pattern) and isinstance(r.pattern, str) for r in regexes)
    ):
        # Group names repeat between patterns; the groups themselves are not used here.
        parts = [re.sub(r"\(\?P<\w+>", "(?:", r.pattern) for r in regexes]  # type: ignore[union-attr]
        try:
            combined = re.compile("|".join(f"(?:{part})" for part in parts))
        except re.error:
            return spec.match_file
        return lambda path: combined.search(path) is not None
    return spec.match_file


class _Walker:
    """One discovery run. Works on strings: pathlib costs more than the walk itself."""

    def __init__(
        self,
        excluded: Callable[[str], bool],
        respect_gitignore: bool,
        suffixes: tuple[str, ...],
    ) -> None:
        self.excluded = excluded
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
            if self.excluded(rel + "/" if is_dir else rel):
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
    if path and not os.path.isabs(path):
        # What relpath gives, without asking for the working directory, for a relative path
        # that stays below it (a `..` may climb out and back in: relpath decides those).
        rel = os.path.normpath(path)
        if not rel.startswith(".."):
            return rel
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# What would split a line or drive a terminal (C0/C1 controls, DEL, the separators
# str.splitlines() honours) and lone surrogates, which no UTF-8 stream can carry. Backslashes
# are left alone, so a shown path stays readable.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str, *, keep: str = "") -> str:
    """``text`` on one line: control characters (but those in ``keep``) as ``\\n``, ``\\x1b``...

    A file named ``new\\nline.py`` is shown as ``new\\nline.py`` in every human format and diff
    header, never as two lines; lone surrogates (undecodable bytes of a file name) are shown as
    ``\\xNN``, the byte they stand for.
    """

    def sub(match: re.Match[str]) -> str:
        char = match[0]
        if char in keep:
            return char
        if char in _NAMED:
            return _NAMED[char]
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            return f"\\x{code - 0xDC00:02x}"
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(sub, text)


def create_new(path: Path, content: bytes) -> bool:
    """Create ``path`` with ``content`` only if it does not exist; ``False`` if it does.

    Written to a temporary file first and linked into place, so the file appears whole or not
    at all, and an existing file (even one created a moment ago) is never replaced.
    """
    import tempfile  # here, not at the top: a dry run does not pay for it

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".jyoti-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return False
        except OSError:
            # No hard links here (some mounted file systems): claim the name exclusively,
            # then move the complete file over the empty placeholder that is ours.
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                return False
            os.replace(tmp_name, path)
        return True
    finally:
        if os.path.lexists(tmp_name):
            os.unlink(tmp_name)


class ChangedOnDisk(Exception):
    """The file no longer holds the bytes it was read with; writing would lose someone's edit."""


def write_atomic(path: Path, new: bytes, expected_old: bytes) -> None:
    """Replace ``path`` with ``new`` via a temporary file in the same directory and ``os.replace``.

    Keeps the file's mode bits. Refuses (``ChangedOnDisk``) if the current content is not
    ``expected_old``; the check and the replace are as close together as the OS allows. A
    symlink is written through, to its target, and stays a symlink.
    """
    if os.path.islink(path):
        # Only the last component matters: the temporary file beside the target keeps the
        # replace on one file system, and the link itself is left as it is.
        path = Path(os.path.realpath(path))
    st = path.stat()
    if path.read_bytes() != expected_old:
        raise ChangedOnDisk(str(path))
    import tempfile  # here, not at the top: a dry run does not pay for it

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
