"""fix-imports never writes a harmful fix: files run by path keep their absolute imports, a
project whose lint bans relative imports gets none, and a project whose imports are sorted by a
tool stays sorted. Small hand-written projects modelled on common shapes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.findings import ExitCode
from jyoti_doctor.imports import fix as fix_module
from jyoti_doctor.imports.fix import FixOptions, WriteState, run_fix
from jyoti_doctor.imports.lint import Sorter, detect
from jyoti_doctor.imports.run import ImportSettings
from jyoti_doctor.rules import Rule

ENV_PY = b"from app.core.config import DATABASE\n\nprint('migrating', DATABASE)\n"
ROUTES = b"from app.core.config import DATABASE\n"


def write(base: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def service(base: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    """A FastAPI-shaped service: app/ package, alembic migrations inside it, a manage script."""
    write(
        base,
        {
            "pyproject.toml": "[project]\nname = 'svc'\n",
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/config.py": "DATABASE = 'db'\n",
            "app/api/__init__.py": "",
            "app/api/routes.py": ROUTES,
            "app/db/__init__.py": "",
            **(extra or {}),
        },
    )
    return base


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def findings(result_stdout: str) -> list[tuple[str, str, str | None]]:
    doc = json.loads(result_stdout)
    return [
        (f["code"], f["location"]["path"], (f["fix"] or {}).get("reason")) for f in doc["findings"]
    ]


def test_alembic_env_py_is_kept_and_still_runs_by_path(tmp_path: Path, runner: CliRunner) -> None:
    base = service(
        tmp_path,
        {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/app/db/migrations\n"
            "prepend_sys_path = .\n",
            "app/db/migrations/env.py": ENV_PY,
            "app/db/migrations/versions/0001_first.py": ROUTES,
        },
    )
    env_py = base / "app/db/migrations/env.py"
    result = runner.invoke(app, ["fix-imports", str(base), "--write", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert env_py.read_bytes() == ENV_PY
    assert (base / "app/db/migrations/versions/0001_first.py").read_bytes() == ROUTES
    assert (base / "app/api/routes.py").read_bytes() == b"from ..core.config import DATABASE\n"
    kept = [f for f in findings(result.stdout) if f[0] == "JD106"]
    assert len(kept) == 2
    assert all("alembic" in (reason or "") for _, _, reason in kept)
    # What alembic does: the project on sys.path, env.py executed by path.
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import runpy, sys; sys.path.insert(0, '.'); "
                "runpy.run_path('app/db/migrations/env.py')"
            ),
        ],
        cwd=base,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "migrating db" in run.stdout


def test_scan_reports_files_run_by_path_as_information(tmp_path: Path, runner: CliRunner) -> None:
    base = service(
        tmp_path,
        {
            "app/db/migrations/env.py": ENV_PY,
            "app/db/migrations/script.py.mako": "",
            "app/api/routes.py": b"",
        },
    )
    result = runner.invoke(app, ["scan-imports", str(base), "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    [(code, path, reason)] = findings(result.stdout)
    assert code == "JD106" and path.endswith("env.py")
    assert reason is not None and "script.py.mako" in reason
    doc = json.loads(result.stdout)
    assert doc["findings"][0]["fix"]["applicability"] == "none"


@pytest.mark.parametrize(
    ("files", "path", "why"),
    [
        ({"app/scripts/seed.py": ROUTES}, "app/scripts/seed.py", "no __init__.py"),
        ({"app/manage.py": ROUTES}, "app/manage.py", "manage.py"),
        ({"app/noxfile.py": ROUTES}, "app/noxfile.py", "nox"),
        (
            {
                "app/tools/run.py": ROUTES,
                "app/tools/__init__.py": "",
                "Procfile": "web: python app/tools/run.py\n",
            },
            "app/tools/run.py",
            "python app/tools/run.py",
        ),
    ],
)
def test_other_files_run_by_path_are_kept(
    tmp_path: Path, runner: CliRunner, files: dict[str, str | bytes], path: str, why: str
) -> None:
    base = service(tmp_path, files)
    result = runner.invoke(app, ["fix-imports", str(base), "--write", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert (base / path).read_bytes() == ROUTES
    kept = [f for f in findings(result.stdout) if f[0] == "JD106"]
    assert [p for _, p, _ in kept] == [str(base / path)] or [p for _, p, _ in kept] == [
        os.path.relpath(base / path)
    ]
    assert why in (kept[0][2] or "")


def test_banned_relative_imports_are_not_proposed(tmp_path: Path, runner: CliRunner) -> None:
    base = service(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\n[tool.ruff.lint]\nselect = ['E', 'TID']\n"
            "[tool.ruff.lint.flake8-tidy-imports]\nban-relative-imports = 'all'\n",
            "Procfile": "web: cd app && uvicorn main:app\n",
            "app/main.py": ROUTES,
        },
    )
    result = runner.invoke(app, ["fix-imports", str(base), "--write", "--format", "json"])
    assert result.exit_code == 1, result.output
    assert (base / "app/api/routes.py").read_bytes() == ROUTES
    assert (base / "app/main.py").read_bytes() == ROUTES
    doc = json.loads(result.stdout)
    assert doc["summary"]["files_written"] == 0
    reasons = {f["fix"]["reason"] for f in doc["findings"]}
    assert reasons == {
        (
            "the project's lint bans this relative import: ruff TID252 "
            '(pyproject.toml [tool.ruff]: ban-relative-imports = "all")'
        )
    }
    # Which fix: the service starts inside app/, so the launch or --style root.
    assert "starts inside app/" in doc["text"] and "--style root" in doc["text"]
    result = runner.invoke(app, ["fix-imports", str(base), "--write", "--style", "root"])
    assert result.exit_code == 0, result.output
    assert (base / "app/main.py").read_bytes() == b"from core.config import DATABASE\n"


def test_wemake_bans_and_ruff_parents_mode(tmp_path: Path) -> None:
    wemake = tmp_path / "wemake"
    write(wemake, {"setup.cfg": "[flake8]\nformat = wemake\nignore = D, WPS306\n"})
    assert [b.max_dots for b in detect(wemake).bans] == [0]
    write(wemake, {"setup.cfg": "[flake8]\nformat = wemake\nextend-ignore = WPS300\n"})
    assert detect(wemake).bans == ()
    parents = service(
        tmp_path / "parents",
        {
            "pyproject.toml": "[tool.ruff.lint]\nselect = ['TID252']\n",
            "app/api/same.py": ROUTES,
            "app/core/near.py": ROUTES,
        },
    )
    report = run_fix(ImportSettings(paths=(parents,)), FixOptions(), write=True).to_report()
    # One dot is allowed by ruff's default "parents" mode; two are not.
    assert (parents / "app/core/near.py").read_bytes() == b"from .config import DATABASE\n"
    assert (parents / "app/api/same.py").read_bytes() == ROUTES
    assert report.exit_code() is ExitCode.FINDINGS


def test_isort_and_pylint_configs_are_detected(tmp_path: Path) -> None:
    write(tmp_path, {"setup.cfg": "[isort]\nprofile = black\n", ".pylintrc": "[MAIN]\n"})
    policy = detect(tmp_path)
    assert [s.tool for s in policy.sorters] == [Sorter.ISORT]
    assert policy.pylint is not None
    write(tmp_path, {".pylintrc": "[MESSAGES CONTROL]\ndisable = relative-beyond-top-level\n"})
    assert detect(tmp_path).pylint is None


@pytest.mark.parametrize(
    ("files", "source"),
    [
        ({"requirements-dev.txt": "pytest\nisort==5.13.2\n"}, "requirements-dev.txt"),
        ({"Dockerfile.prod": "FROM python:3.12\nRUN isort . --check-only\n"}, "Dockerfile.prod"),
        (
            {"pyproject.toml": "[dependency-groups]\ndev = ['isort>=5']\n"},
            "pyproject.toml",
        ),
        (
            {
                ".pre-commit-config.yaml": "repos:\n- repo: https://github.com/pycqa/isort\n"
                "  rev: 5.13.2\n  hooks:\n  - id: isort\n"
            },
            None,
        ),
    ],
)
def test_isort_used_without_a_config_is_detected(
    tmp_path: Path, files: dict[str, str], source: str | None
) -> None:
    write(tmp_path, files)
    [use] = detect(tmp_path).sorters
    assert use.tool is Sorter.ISORT
    assert use.source == f"isort (run or installed by {source or next(iter(files))})"
    # A configured sorter decides: ruff's I rules beside a leftover isort requirement.
    write(tmp_path, {"ruff.toml": "[lint]\nselect = ['I']\n"})
    assert [s.tool for s in detect(tmp_path).sorters] == [Sorter.RUFF]


@pytest.mark.parametrize(
    "files",
    [
        {"Makefile": "lint:\n\truff check .\n# we moved from isort to ruff\n"},
        {
            ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n"
            "  # - id: isort\n  - id: ruff\n"
        },
    ],
)
def test_isort_named_in_a_comment_is_not_a_sorter(tmp_path: Path, files: dict[str, str]) -> None:
    write(tmp_path, files)
    assert detect(tmp_path).sorters == ()


def test_isort_without_a_config_file_keeps_isort_check_passing(
    tmp_path: Path, runner: CliRunner
) -> None:
    """The shape of a project whose production image runs `isort . --check-only` with isort's
    defaults: the rewritten block must pass that check, or the image build fails."""
    isort = shutil.which("isort") or str(Path(sys.executable).parent / "isort")
    summaries = b"from app.api import crud\nfrom app.models import y\nfrom app.summarizer import z\n\nprint(crud, y, z)\n"
    write(
        tmp_path,
        {
            "requirements-dev.txt": "isort==5.13.2\n",
            "Dockerfile.prod": "FROM python:3.12\nCOPY . .\nRUN isort . --check-only\n",
            "app/__init__.py": "",
            "app/api/__init__.py": "",
            "app/api/crud.py": "x = 1\n",
            "app/models.py": "y = 1\n",
            "app/summarizer.py": "z = 1\n",
            "app/api/summaries.py": summaries,
        },
    )
    check = [isort, "--check-only", "."]
    assert subprocess.run(check, cwd=tmp_path, capture_output=True, check=False).returncode == 0
    result = runner.invoke(app, ["fix-imports", str(tmp_path), "--write", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["sorted_by"] == "isort"
    new = (tmp_path / "app/api/summaries.py").read_bytes()
    assert b"from app." not in new
    done = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


RUFF_SORTED = b"""import os

import requests

from app.core.config import DATABASE
from app.db import session
from common import util

print(os, requests, DATABASE, session, util)
"""


def test_ruff_sorted_project_stays_clean(tmp_path: Path, runner: CliRunner) -> None:
    base = service(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\n[tool.ruff.lint]\nselect = ['E', 'I']\n",
            "app/api/routes.py": RUFF_SORTED,
            "app/db/session.py": "",
            "common/__init__.py": "",
            "common/util.py": "",
        },
    )
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    check = [ruff, "check", "--no-cache", "--select", "I", "."]
    assert subprocess.run(check, cwd=base, capture_output=True, check=False).returncode == 0
    result = runner.invoke(app, ["fix-imports", str(base), "--write"])
    assert result.exit_code == 0, result.output
    new = (base / "app/api/routes.py").read_bytes()
    # The relative imports move to their own section, after the absolute first-party one.
    assert (
        b"from common import util\n\nfrom ..core.config import DATABASE\nfrom ..db import session\n"
        in new
    )
    done = subprocess.run(check, cwd=base, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_sigint_during_writes_reports_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = service(tmp_path, {f"app/api/m{i}.py": ROUTES for i in range(12)})
    real = fix_module.write_atomic
    count = 0

    def write_then_interrupt(path: Path, new: bytes, old: bytes) -> None:
        nonlocal count
        real(path, new, old)
        count += 1
        if count == 3:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(fix_module, "write_atomic", write_then_interrupt)
    result = run_fix(ImportSettings(paths=(base,)), FixOptions(), write=True)
    states = {p: o.state for p, o in result.writes.items()}
    written = [p for p, s in states.items() if s is WriteState.WRITTEN]
    left = [p for p, s in states.items() if s is WriteState.NOT_WRITTEN]
    assert result.interrupted
    assert 3 <= len(written) < 13 and len(written) + len(left) == 13
    for p in written:
        assert Path(p).read_bytes().startswith(b"from ..core")
    for p in left:
        assert Path(p).read_bytes() == ROUTES
    report = result.to_report()
    assert report.exit_code() is ExitCode.INTERRUPTED
    [section] = [s for s in report.sections if s.key == "interrupted"]
    assert len(section.rows) == 13
    assert report.text is not None and "not written" in report.text
    assert Rule.ABSOLUTE_SELF_IMPORT in [f.rule for f in report.findings]


@pytest.mark.parametrize(
    "after",
    [
        b"import os\nfrom .b import c\nx = 1\n",  # an import dropped
        b"import os\nfrom .b import c as d\nfrom .b import e\nx = 1\n",  # a name rebound
        b"from .b import c, e\nx = 1\nimport os\n",  # moved past a statement
        b"import os\nfrom .b import c, e\nx = 2\n",  # another statement changed
        b"import os\nfrom ..b import c, e\nx = 1\n",  # another module
    ],
)
def test_sorter_output_is_verified(after: bytes) -> None:
    from jyoti_doctor.imports.roots import PackageRoot, module_info
    from jyoti_doctor.imports.verify import VerificationError, verify_reordered

    info = module_info(Path("/p/app/api/routes.py"), [PackageRoot("app", Path("/p"))])
    assert info is not None
    before = b"from .b import e\nimport os\nfrom .b import c\nx = 1\n"
    verify_reordered(before, b"import os\nfrom .b import c, e\nx = 1\n", info, "routes.py")
    with pytest.raises(VerificationError):
        verify_reordered(before, after, info, "routes.py")


def test_sorted_project_file_that_does_not_parse_is_left_alone(
    tmp_path: Path, runner: CliRunner
) -> None:
    # Python 3.14's `except A, B:` in a project that targets it, read by an older Python: the
    # imports alone parse, the file does not, so the sorter cannot be verified on it.
    broken = b"import os\n\nfrom app.core.config import DATABASE\n\nprint(os, DATABASE\n"
    base = service(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\n[tool.ruff.lint]\nselect = ['I']\n",
            "app/api/routes.py": broken,
            "app/api/fine.py": ROUTES,
        },
    )
    result = runner.invoke(app, ["fix-imports", str(base), "--write", "--format", "json"])
    assert result.exit_code == 1, result.output
    assert (base / "app/api/routes.py").read_bytes() == broken
    assert (base / "app/api/fine.py").read_bytes() == b"from ..core.config import DATABASE\n"
    doc = json.loads(result.stdout)
    codes = [f["code"] for f in doc["findings"]]
    assert "JD190" in codes and "JD199" not in codes
    # The import kept in the unparsable file is not offered as a safe fix again.
    [kept] = [f for f in doc["findings"] if f["code"] == "JD101"]
    assert kept["location"]["path"].endswith("routes.py")
    assert kept["fix"]["applicability"] == "none" and kept["fix"]["replacement"] is None
    assert "cannot parse" in kept["fix"]["reason"]
