"""Running a per-file job over many files, in forked worker processes when there are enough.

Scanning and fixing share this: both are CPU-bound ``ast`` work per file, with frozen, picklable
results. Each worker is a bare ``fork`` of this process (it inherits the imported modules and the
job itself, so nothing is pickled on the way in) that takes every N-th file and sends its results
back through a pipe, while this process does its own share. A worker that fails for any reason
costs time, never results: its share is done again here.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .roots import ModuleInfo, PackageRoot, module_info

R = TypeVar("R")

# Below this many files a worker costs more (the fork, pickling the results back) than it
# saves. Measured on 2 cores with bench/parallel.py on Django's files: a scan of the import
# statements pays from about 200 files, a fix from about 300; whole-file parsing from about 200.
QUICK_PARALLEL_THRESHOLD = 300
PARALLEL_THRESHOLD = 200
# A forked copy of a process is cheap on Linux; elsewhere (macOS's frameworks, Windows) it is
# unsafe or missing, and the job runs in this process.
CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")


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


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # The parse trees are short-lived and acyclic: the cyclic collector only costs time here.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(
    one: Callable[[Path], R], files: Sequence[Path], on_progress: Callable[[int], None] | None
) -> list[R]:
    results: list[R] = []
    step = 64
    with _no_cyclic_gc():
        for at in range(0, len(files), step):
            part = [one(p) for p in files[at : at + step]]
            results.extend(part)
            if on_progress:
                on_progress(len(part))
    return results


def _fork_worker(
    one: Callable[[Path], R], share: Sequence[Path], earlier: Sequence[int]
) -> tuple[int, int] | None:
    """Start a worker on ``share``; its pid and the pipe its pickled results come through, or
    ``None`` when the system refuses another process (the share is then done here).
    ``earlier``: the read ends of the workers started before, which this one must not hold
    (a worker writing to a pipe that another worker still reads from would never see it
    closed)."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return pid, read_end
    import pickle  # imported by map_files before the fork: the worker only looks it up

    # The worker. It never returns into the caller's code: whatever happens (an exception, an
    # interrupt) ends it here, and a share not delivered is redone by the parent.
    code = 1
    try:
        for fd in (read_end, *earlier):
            os.close(fd)
        gc.disable()
        payload = pickle.dumps([one(p) for p in share], protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        code = 0
    finally:
        os._exit(code)


def _collect(pid: int, read_end: int) -> list[object] | None:
    """A worker's results, or ``None`` when it did not deliver all of them. The worker is
    reaped whatever happens (interrupted, the closed pipe ends its write)."""
    try:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    import pickle

    try:
        results = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a truncated payload: redo the share
        return None
    return results if isinstance(results, list) else None


def _alone() -> bool:
    """No other thread runs. A fork copies only the calling thread: a lock another thread holds
    (an import in progress, a stream) would stay held in the worker for ever."""
    import threading  # here: most runs are too small to fork, and never ask

    return threading.active_count() == 1


def _usable_cpus() -> int:
    # The CPUs this process may run on (taskset, a container's cpuset), not all the machine's.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def map_files(
    one: Callable[[Path], R],
    files: Sequence[Path],
    *,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> list[R]:
    """``[one(f) for f in files]``, in order. ``one``'s results must be picklable."""
    workers = min(jobs or _usable_cpus(), max(1, len(files) // 64))
    if workers <= 1 or len(files) < threshold or not CAN_FORK or not _alone():
        return _run(one, files, on_progress)
    # Imported only here, once, before the workers inherit it: a run that forks none (most
    # runs are small) does not pay for it.
    import pickle  # noqa: F401

    # Every N-th file: neighbouring files tend to be alike in size, so strides balance the work.
    shares = [files[k::workers] for k in range(workers)]
    started: list[tuple[tuple[int, int] | None, Sequence[Path]]] = []
    try:
        for share in shares[1:]:
            earlier = [w[1] for w, _ in started if w is not None]
            started.append((_fork_worker(one, share, earlier), share))
        mine = _run(one, shares[0], on_progress)
        theirs: list[list[R]] = []
        while started:
            worker, share = started.pop(0)
            got = _collect(*worker) if worker is not None else None
            theirs.append(got if got is not None else _run(one, share, None))  # type: ignore[arg-type]
            if on_progress:
                on_progress(len(share))
    finally:
        # Interrupted: every pipe closed first (a worker blocked writing then ends), then
        # every worker not collected is reaped.
        workers_left = [w for w, _ in started if w is not None]
        for _, read_end in workers_left:
            os.close(read_end)
        for pid, _ in workers_left:
            os.waitpid(pid, 0)
    results: list[R] = [None] * len(files)  # type: ignore[list-item]
    for k, part in enumerate([mine, *theirs]):
        results[k::workers] = part
    return results
