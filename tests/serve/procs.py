"""Finding processes a test started, by a marker in their environment (read from /proc)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def marked(marker: str) -> list[int]:
    found = []
    needle = f"JYOTI_DOCTOR_TEST_MARK={marker}".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes()
            state = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        zombie = state[state.rfind(")") + 2 :].startswith("Z")
        if needle in environ.split(b"\0") and not zombie:
            found.append(int(entry.name))
    return found


@contextmanager
def no_survivors(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every process started inside the block carries a marker; none may outlive the block."""
    marker = uuid.uuid4().hex
    monkeypatch.setenv("JYOTI_DOCTOR_TEST_MARK", marker)
    yield marker
    left = marked(marker)
    for pid in left:  # never leave them running, even when the assertion fails
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    assert left == [], f"processes left running: {left}"
