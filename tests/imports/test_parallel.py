"""The forked workers of ``map_files``: same results in the same order as one process, and a
worker that fails costs time, never results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jyoti_doctor.imports import parallel

pytestmark = pytest.mark.skipif(not parallel.CAN_FORK, reason="workers are forked on Linux only")

FILES = [Path(f"pkg/m{i}.py") for i in range(300)]
PARENT = os.getpid()


def _stem_and_pid(path: Path) -> tuple[str, int]:
    return path.stem, os.getpid()


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The workers forked during the test. Other tests may leave a thread behind in this
    process, and map_files forks only when alone: it is told it is (the jobs here take no lock,
    so a forked copy cannot hang on one)."""
    started: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(parallel, "_alone", lambda: True)
    monkeypatch.setattr(parallel.os, "fork", fork)
    return started


def test_workers_return_every_result_in_order(forks: list[int]) -> None:
    results = parallel.map_files(_stem_and_pid, FILES, jobs=2, threshold=0)
    assert len(forks) == 1
    assert [stem for stem, _ in results] == [p.stem for p in FILES]
    # It really ran in two processes (every other file in the worker).
    pids = {pid for _, pid in results}
    assert len(pids) == 2 and PARENT in pids


def _dies_in_a_worker(path: Path) -> str:
    if os.getpid() != PARENT:
        os._exit(3)
    return path.stem


def _unpicklable_in_a_worker(path: Path) -> object:
    if os.getpid() != PARENT:
        return lambda: path  # cannot be sent back
    return path.stem


def _raises_in_a_worker(path: Path) -> str:
    if os.getpid() != PARENT:
        raise RuntimeError("worker failure")
    return path.stem


@pytest.mark.parametrize("job", [_dies_in_a_worker, _unpicklable_in_a_worker, _raises_in_a_worker])
def test_a_failed_worker_share_is_done_again_here(job: object, forks: list[int]) -> None:
    progress: list[int] = []
    results = parallel.map_files(job, FILES, jobs=2, threshold=0, on_progress=progress.append)  # type: ignore[arg-type]
    assert len(forks) == 1  # the worker ran, and failed
    assert results == [p.stem for p in FILES]
    assert sum(progress) == len(FILES)


def test_below_the_threshold_one_process_does_it_all(forks: list[int]) -> None:
    results = parallel.map_files(_stem_and_pid, FILES, jobs=2, threshold=len(FILES) + 1)
    assert {pid for _, pid in results} == {PARENT} and forks == []


def test_no_fork_while_another_thread_runs() -> None:
    # A worker would inherit whatever lock that thread holds, held for ever.
    import threading

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        results = parallel.map_files(_stem_and_pid, FILES, jobs=2, threshold=0)
    finally:
        release.set()
        other.join()
    assert {pid for _, pid in results} == {PARENT}


def test_a_refused_fork_leaves_the_share_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel, "_alone", lambda: True)
    monkeypatch.setattr(parallel.os, "fork", refuse)
    fds = len(os.listdir("/proc/self/fd"))
    results = parallel.map_files(_stem_and_pid, FILES, jobs=2, threshold=0)
    assert results == [(p.stem, PARENT) for p in FILES]
    assert len(os.listdir("/proc/self/fd")) == fds  # its pipe closed


INTERRUPTED_WHILE_WORKERS_WRITE = """
from pathlib import Path
from jyoti_doctor.imports import parallel

def big(path):
    return b"x" * 5000  # 64 files of it fill a pipe many times over

def stop(done):
    raise RuntimeError("stopped")

try:
    parallel.map_files(big, [Path(f"m{i}.py") for i in range(256)], jobs=4, threshold=0,
                       on_progress=stop)
except RuntimeError:
    print("stopped, every worker reaped")
"""


def test_an_error_here_while_workers_write_ends_them_all() -> None:
    # Three workers blocked writing more than a pipe holds: each must see its pipe closed
    # (no later worker may hold a copy of its read end), or reaping them hangs.
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WHILE_WORKERS_WRITE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "stopped, every worker reaped", done.stderr
