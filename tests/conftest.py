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
