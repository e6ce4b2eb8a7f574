"""An import fallback (`try: from backend.deps … except ImportError: from deps …`) supports two
launches; under the launch whose try succeeds, the fallback never runs and is no finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from jyoti_doctor.config import Settings
from jyoti_doctor.findings import ExitCode
from jyoti_doctor.startup.check import check_startup


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "__init__.py").write_text("")
    (tmp_path / "backend" / "deps.py").write_text("def get_db():\n    return 1\n")
    (tmp_path / "backend" / "main.py").write_text(
        "try:\n"
        "    from backend.deps import get_db\n"
        "except ImportError:\n"
        "    from deps import get_db\n"
        "app = object()\n"
    )
    return tmp_path


@pytest.mark.parametrize("command", ["uvicorn backend.main:app", "cd backend && uvicorn main:app"])
def test_a_fallback_import_is_no_finding_under_either_launch(project: Path, command: str) -> None:
    report = check_startup(project, Settings(), command=command).to_report()
    assert report.exit_code() is ExitCode.OK, [f"{f.code} {f.message}" for f in report.findings]
    assert report.summary["predicted"] == "starts"
