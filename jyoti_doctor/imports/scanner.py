"""Scanning a file or a tree: the statement scanner (``quick.py``) first, the whole-file scan
(``scan.py``) when it is unsure or when ``--check-syntax`` asks for it. Never raises: a file that
cannot be read or parsed becomes a :class:`FileScan` with an ``error``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

from .parallel import PARALLEL_THRESHOLD, QUICK_PARALLEL_THRESHOLD, map_files, read_module
from .quick import quick_scan
from .roots import ModuleInfo, PackageRoot
from .scan import FileScan, ScanOptions, parse_source, scan_tree


def scan_source(data: bytes, path: str, info: ModuleInfo | None, options: ScanOptions) -> FileScan:
    """All self-imports in one file's bytes. Never raises: a bad file becomes ``error``."""
    if info is None:
        return FileScan(path, None)
    if not options.check_syntax:
        quick = quick_scan(data, path, info, options)
        if quick is not None:
            return quick
    tree = parse_source(data, path, info.module)
    if isinstance(tree, FileScan):
        return tree
    return scan_tree(tree, data, path, info, options)


def scan_file(path: Path, roots: Sequence[PackageRoot], options: ScanOptions) -> FileScan:
    """Read and scan one file; unreadable files become an ``error``, never an exception."""
    info, data = read_module(path, roots)
    if info is None:
        return FileScan(str(path), None)
    if isinstance(data, str):
        return FileScan(str(path), info.module, error=data)
    return scan_source(data, str(path), info, options)


def scan_paths(
    files: Sequence[Path],
    roots: Sequence[PackageRoot],
    options: ScanOptions,
    *,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[FileScan]:
    """Scan ``files`` in order; uses worker processes for large trees."""
    one = functools.partial(scan_file, roots=tuple(roots), options=options)
    threshold = PARALLEL_THRESHOLD if options.check_syntax else QUICK_PARALLEL_THRESHOLD
    return map_files(one, files, jobs=jobs, on_progress=on_progress, threshold=threshold)
