"""A per-tree cache of scan results, keyed by each file's stat, the way ruff and black cache.

Parsing is the whole cost of a scan; a file whose size, mtime and inode are unchanged gives the
same result under the same roots, options and version. The cache lives in the user's cache
directory (never in the project), one pickle per scanned tree, written atomically; a missing,
stale or unreadable cache is simply rebuilt.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import zlib
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from .roots import PackageRoot
from .scan import FileScan, ScanOptions

_Stamp = tuple[int, int, int]


def cache_dir() -> Path:
    explicit = os.environ.get("JYOTI_DOCTOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jyoti-doctor"


def _stamp(path: str) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ScanCache:
    def __init__(self, key_parts: Sequence[object]) -> None:
        # The full key is stored in the file and compared on load, so a short checksum names
        # the file (hashlib's import alone costs more than a small cached scan).
        self.key = repr((__version__, *key_parts))
        digest = f"{zlib.crc32(self.key.encode()):08x}{len(self.key):04x}"
        self.path = cache_dir() / f"scan-{digest}.pickle"
        self.entries: dict[str, tuple[_Stamp, FileScan]] = {}
        self.dirty = False
        try:
            with open(self.path, "rb") as fh:
                loaded = pickle.load(fh)
            if isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == self.key:
                self.entries = loaded[1]
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
            self.entries = {}

    @classmethod
    def for_scan(cls, roots: Sequence[PackageRoot], options: ScanOptions) -> ScanCache:
        return cls([sorted((r.name, str(r.base.absolute())) for r in roots), options])

    def get(self, path: Path) -> tuple[FileScan | None, _Stamp | None]:
        """The cached result if still valid, and the stamp taken *before* any re-read."""
        key = os.path.abspath(path)
        stamp = _stamp(key)
        hit = self.entries.get(key)
        if hit is None or stamp is None or hit[0] != stamp:
            return None, stamp
        return dataclasses.replace(hit[1], path=str(path)), stamp

    def put(self, path: Path, stamp: _Stamp | None, scan: FileScan) -> None:
        if stamp is not None:
            self.entries[os.path.abspath(path)] = (stamp, scan)
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        import tempfile  # here: a scan that changed nothing writes nothing

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".scan-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((self.key, self.entries), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time
