"""Running a per-file job over many files, in worker processes when there are enough of them.

Scanning and fixing share this: both are CPU-bound ``ast`` work per file, with frozen, picklable
results. Workers are forked so they inherit the imported modules instead of importing them again.
"""

from __future__ import annotations

import gc
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from .roots import ModuleInfo, PackageRoot, module_info

R = TypeVar("R")

# Below this many files a process pool costs more than it saves (measured on 2 cores).
PARALLEL_THRESHOLD = 200
# Scanning import statements alone is about as fast as pickling its results to another
# process: below this many files one process is faster (bench/scan_imports.py).
QUICK_PARALLEL_THRESHOLD = 20_000


def read_module(path: Path, roots: Sequence[PackageRoot]) -> tuple[ModuleInfo | None, bytes | str]:
    """The file's place in its package and its bytes, or the reason it could not be read."""
    info = module_info(path, roots)
    if info is None:
        return None, b""
    try:
        # A path named on the command line may be a FIFO or a device: never read one (it would
        # hang, or never end); a source file is a regular file.
        if not stat.S_ISREG(path.stat().st_mode):
            return info, "cannot read: not a regular file (a device, FIFO or socket)"
        return info, path.read_bytes()
    except OSError as exc:
        return info, f"cannot read: {exc.strerror or exc}"


def _run_chunk(job: tuple[Callable[[Path], R], list[Path]]) -> list[R]:
    one, paths = job
    # The parse trees are short-lived and acyclic: the cyclic collector only costs time here.
    gc.disable()
    try:
        return [one(p) for p in paths]
    finally:
        gc.enable()


def map_files(
    one: Callable[[Path], R],
    files: Sequence[Path],
    *,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> list[R]:
    """``[one(f) for f in files]``, in order; ``one`` must be picklable (a module-level function
    or a ``functools.partial`` of one)."""
    workers = jobs or os.cpu_count() or 1
    size = max(16, len(files) // (workers * 8))
    chunks = [list(files[i : i + size]) for i in range(0, len(files), size)]
    results: list[R] = []
    if workers <= 1 or len(files) < threshold:
        for chunk in chunks:
            part = _run_chunk((one, chunk))
            results.extend(part)
            if on_progress:
                on_progress(len(part))
        return results

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for part in pool.map(_run_chunk, [(one, chunk) for chunk in chunks]):
            results.extend(part)
            if on_progress:
                on_progress(len(part))
    return results
