"""Shared test helpers: the CLI runner and the bundled fixture project."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Scan results are cached in the user's cache directory; tests use a private one."""
    import os

    os.environ["JYOTI_DOCTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
