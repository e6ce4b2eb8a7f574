"""Reading the small text files a command is given (config, schema, ``.env``): regular files of
bounded size only, each problem one clear usage error. Kept apart from ``files.py`` so that reading
the config does not load the discovery machinery (pathspec)."""

from __future__ import annotations

import stat
from pathlib import Path

from .errors import UsageError

# Settings, schema and .env files are small; anything larger is a mistake (or /dev/zero).
MAX_TEXT_FILE_BYTES = 8 * 1024 * 1024


def read_bounded_text(path: Path, *, what: str, encoding: str = "utf-8") -> str:
    """The text of a small regular file, or a usage error that says exactly what is wrong.

    A FIFO, a device or a directory would hang or never end, a symlink loop cannot be opened,
    and a huge file is not a config: each is refused before anything is read.
    """
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
