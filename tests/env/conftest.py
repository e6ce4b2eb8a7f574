"""check-env tests: no variable of the machine may leak into a test's verdict."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from envhelpers import CLIENT_PREFIXES, NAMES

from jyoti_doctor.masking import is_secret_name


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads os.environ: no variable of the machine may leak into a test's verdict."""
    for name in list(os.environ):
        if name in NAMES or name.startswith(CLIENT_PREFIXES) or is_secret_name(name):
            monkeypatch.delenv(name, raising=False)
    yield
