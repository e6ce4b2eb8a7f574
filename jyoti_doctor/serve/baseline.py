"""The routes snapshot a project commits (``routes.json``): written stable, read strictly, compared.

One entry per method and path, sorted by path then method, two-space indented with a final
newline, so a change to the app is a small, readable diff. Endpoints are kept for people
reading the diff; the comparison is by method and path alone, because an endpoint's module name
depends on how the app is launched (``routers.health`` from inside ``backend/``,
``backend.routers.health`` from above it).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..textfile import read_bounded_text
from .live import Route

SCHEMA = 1
DEFAULT_NAME = "routes.json"


@dataclass(frozen=True, order=True)
class Entry:
    path: str
    method: str
    name: str = ""
    endpoint: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


@dataclass(frozen=True)
class Comparison:
    vanished: tuple[Entry, ...]
    added: tuple[Entry, ...]
    kept: int


def entries(routes: Iterable[Route]) -> tuple[Entry, ...]:
    out = {
        (method, r.path): Entry(r.path, method, r.name, r.endpoint)
        for r in routes
        for method in r.methods
    }
    return tuple(sorted(out.values()))


def render(items: Iterable[Entry]) -> str:
    doc = {
        "schema": SCHEMA,
        "routes": [
            {"method": e.method, "path": e.path, "name": e.name, "endpoint": e.endpoint}
            for e in sorted(items)
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def read(path: Path) -> tuple[Entry, ...]:
    """A baseline file's entries; a :class:`UsageError` naming the problem otherwise."""
    text = read_bounded_text(path, what="routes baseline")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path}: not a routes baseline (invalid JSON: {exc})") from None
    if (
        not isinstance(doc, dict)
        or doc.get("schema") != SCHEMA
        or not isinstance(doc.get("routes"), list)
    ):
        raise UsageError(
            f'{path}: not a routes baseline (expected {{"schema": {SCHEMA}, "routes": [...]}}); '
            "write one with --write-baseline"
        )
    out = []
    for number, item in enumerate(doc["routes"], 1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("method"), str)
            or not isinstance(item.get("path"), str)
        ):
            raise UsageError(f"{path}: route #{number} needs a string method and path")
        out.append(
            Entry(
                item["path"],
                item["method"],
                str(item.get("name", "")),
                str(item.get("endpoint", "")),
            )
        )
    return tuple(sorted(out))


def write(path: Path, items: Iterable[Entry]) -> bool:
    """Write the baseline atomically; ``False`` when the file already says exactly this."""
    text = render(items)
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeError):
        pass
    directory = path.absolute().parent
    if not directory.is_dir():
        raise UsageError(f"cannot write {path}: {directory} is not a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".jyoti-tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException as exc:
        # Never leave a half-written baseline or a stray temporary file behind.
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return True


def compare(baseline: Iterable[Entry], current: Iterable[Entry]) -> Comparison:
    old = {e.key: e for e in baseline}
    new = {e.key: e for e in current}
    return Comparison(
        tuple(sorted(old[k] for k in old.keys() - new.keys())),
        tuple(sorted(new[k] for k in new.keys() - old.keys())),
        len(old.keys() & new.keys()),
    )
