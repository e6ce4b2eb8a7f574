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


# CI runs the property tests with a fixed seed, so a run is reproducible; local runs keep
# exploring new examples (and the regressions they found are pinned with @example).
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    import os as _os

    if _os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
