"""Shared test helpers: the CLI runner and the bundled fixture project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

# The hooks that print some tests' lines after the summary, from every test worker.
from tests._end_of_run import (
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)

__all__ = [
    "in_ci",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "require",
]

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, reason: str) -> None:
    """Skip a test whose real dependency (a server, a launcher, git) is missing on a developer
    machine; fail it in CI, where a check that did not run must never pass for one that did."""
    if available:
        return
    if in_ci():
        pytest.fail(f"cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Scan results are cached in the user's cache directory; tests use a private one."""
    os.environ["JYOTI_DOCTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


# CI runs the property tests with a fixed seed, so a run is reproducible; local runs keep
# exploring new examples (and the regressions they found are pinned with @example).
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    if in_ci():
        _hypothesis_settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
