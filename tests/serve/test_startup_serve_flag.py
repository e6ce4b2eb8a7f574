"""``check-startup --serve`` is check-serve under check-startup's name: the same verdict on the
incident fixture (ready, and the vanished router observed as JD204), nothing left running."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app

from .procs import no_survivors

SERVED = Path(__file__).resolve().parents[2] / "fixtures" / "jyotiflow-served"


@pytest.mark.slow
def test_check_startup_serve_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "served"
    shutil.copytree(SERVED, project)
    with no_survivors(monkeypatch):
        result = CliRunner().invoke(
            app, ["check-startup", "--serve", "--project", str(project), "--format", "json"]
        )
    doc = json.loads(result.stdout)
    assert result.exit_code == 1, result.output
    assert doc["summary"]["outcome"] == "ready"
    assert doc["summary"]["processes_left"] == 0
    assert [f["code"] for f in doc["findings"]] == ["JD204"]
