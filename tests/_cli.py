"""The CLI run as users start it (``python -m jyoti_doctor``), in a process of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

REPO = Path(__file__).resolve().parent.parent
# What a copy of the checkout (or of a fixture) leaves out: what `pip install .` would not build
# from, and what the other test workers may be writing while the copy runs.
CHECKOUT_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "bench",
    ".hypothesis",
)


def bare_env(home: Path) -> dict[str, str]:
    """An environment holding nothing of this machine's but PATH (HOME is ``home``)."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONPATH": str(REPO)}


def run_process(
    cwd: Path,
    argv: list[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    stdout: int | IO[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``argv`` run to its end, stderr captured; stdout too, unless ``stdout`` says where it goes
    (a descriptor or a file: a closed pipe, /dev/full)."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    stdout: int | IO[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return run_process(cwd, [sys.executable, "-m", "jyoti_doctor", *args], env, timeout, stdout)


@contextmanager
def closed_pipe() -> Iterator[int]:
    """The writing end of a pipe whose reader has gone (``| head -0``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        yield write_end
    finally:
        os.close(write_end)


# /dev/full (every write fails with ENOSPC) is a Linux device; CI runs on Linux, so these tests
# run there, and a missing /dev/full on Linux fails them instead of skipping them.
needs_dev_full = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/dev/full is a Linux device"
)
