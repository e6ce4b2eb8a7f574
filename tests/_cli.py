"""The CLI run as users start it (``python -m jyoti_doctor``), in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def bare_env(home: Path) -> dict[str, str]:
    """An environment holding nothing of this machine's but PATH (HOME is ``home``)."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONPATH": str(REPO)}


def run_process(
    cwd: Path, argv: list[str], env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_cli(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return run_process(cwd, [sys.executable, "-m", "jyoti_doctor", *args], env, timeout)
