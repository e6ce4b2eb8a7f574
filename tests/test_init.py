"""init: a diff first, --write creates each piece only if absent, and nothing is overwritten."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.config import find_config
from jyoti_doctor.init import PRE_COMMIT, PYPROJECT, WORKFLOW, Status, apply, plan, workflow

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "jyotiflow"
PIECES = (PYPROJECT, PRE_COMMIT, WORKFLOW)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def run_init(root: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["init", str(root), "--no-color", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "jyotiflow"
    shutil.copytree(FIXTURE, root)
    return root


def test_a_diff_and_nothing_written_without_write(project: Path) -> None:
    before = snapshot(project)
    out = run_init(project)
    assert snapshot(project) == before
    for name in PIECES:
        assert f"+++ b/{name}" in out
    assert "init --write" in out


def test_write_creates_each_piece_from_what_discovery_found(project: Path) -> None:
    run_init(project, "--write")
    table = tomllib.loads((project / PYPROJECT).read_text())["tool"]["jyoti-doctor"]
    assert table == {"package": ["backend"]}
    text = (project / PYPROJECT).read_text()
    # The start command the Procfile gives, shown (commented: the Procfile stays the source).
    assert '# start = "cd backend && uvicorn main:app --host 0.0.0.0 --port $PORT"' in text
    assert "Procfile:1" in text and ".env.example" in text
    settings = find_config(project)  # the config accepts what init wrote
    assert settings.package == ("backend",)
    hooks = yaml.safe_load((project / PRE_COMMIT).read_text())
    ids = {h["id"] for repo in hooks["repos"] for h in repo["hooks"]}
    assert ids == {"jyoti-doctor-imports", "jyoti-doctor-env"}
    flow = yaml.safe_load((project / WORKFLOW).read_text())
    assert "doctor" in flow["jobs"]
    # A second run finds everything present and changes nothing.
    before = snapshot(project)
    doc = json.loads(run_init(project, "--write", "--format", "json"))
    assert snapshot(project) == before
    assert {row["status"] for row in doc["sections"]["files"]} == {Status.PRESENT.value}


def test_an_existing_piece_is_never_overwritten(project: Path) -> None:
    (project / PYPROJECT).write_text('[tool.jyoti-doctor]\nstyle = "root"\n')
    (project / PRE_COMMIT).write_text("repos: []  # mine\n")
    (project / WORKFLOW).parent.mkdir(parents=True)
    (project / WORKFLOW).write_text("name: mine\n")
    before = snapshot(project)
    doc = json.loads(run_init(project, "--write", "--format", "json"))
    assert snapshot(project) == before
    status = {row["file"]: row["status"] for row in doc["sections"]["files"]}
    assert status == {
        PYPROJECT: Status.PRESENT.value,
        # No jyoti-doctor entry in it: the lines are shown to add by hand, the file untouched.
        PRE_COMMIT: Status.BY_HAND.value,
        WORKFLOW: Status.PRESENT.value,
    }
    assert "jyoti-doctor-imports" in doc["text"]


def test_an_existing_pyproject_is_only_appended_to(project: Path) -> None:
    original = '[project]\nname = "app"\nversion = "1"\n\n[tool.ruff]\nline-length = 99'
    (project / PYPROJECT).write_text(original)
    run_init(project, "--write")
    text = (project / PYPROJECT).read_text()
    assert text.startswith(original + "\n\n[tool.jyoti-doctor]\n")
    doc = tomllib.loads(text)
    assert doc["project"] == {"name": "app", "version": "1"}
    assert doc["tool"]["ruff"] == {"line-length": 99}


def test_a_dotted_tool_table_is_left_to_the_user(project: Path) -> None:
    """Appending a [tool.jyoti-doctor] header after `tool = {...}` would be invalid TOML:
    init sees that before writing and shows the table instead."""
    original = "tool = { ruff = { line-length = 99 } }\n"
    (project / PYPROJECT).write_text(original)
    out = run_init(project, "--write")
    assert (project / PYPROJECT).read_text() == original
    assert "add to pyproject.toml" in out


def test_no_pyproject_created_beside_setup_py(project: Path) -> None:
    """A new pyproject.toml would switch pip to PEP 517 builds for a setup.py project."""
    (project / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    run_init(project, "--write")
    assert not (project / PYPROJECT).exists()
    assert (project / PRE_COMMIT).exists()


def test_empty_project(tmp_path: Path) -> None:
    run_init(tmp_path, "--write")
    text = (tmp_path / PYPROJECT).read_text()
    assert tomllib.loads(text)["tool"]["jyoti-doctor"] == {}
    assert "No start command found" in text and "built-in schema" in text
    assert (tmp_path / WORKFLOW).is_file()


def test_a_file_that_appears_meanwhile_is_not_replaced(project: Path) -> None:
    planned = plan(project, find_config(project))
    (project / PRE_COMMIT).write_text("repos: []  # written in between\n")
    done = apply(planned)
    status = {p.shown: p.status for p in done.pieces}
    assert status[PRE_COMMIT] is Status.RACED
    assert (project / PRE_COMMIT).read_text() == "repos: []  # written in between\n"
    assert status[WORKFLOW] is Status.CREATED
    assert not list(project.rglob("*.jyoti-tmp"))


@pytest.mark.parametrize("action", [None, "your-org/jyoti-doctor@v0.1.0"])
def test_the_workflow_is_a_valid_github_workflow(tmp_path: Path, action: str | None) -> None:
    path = tmp_path / "jyoti-doctor.yml"
    path.write_text(workflow(action))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_an_unreadable_procfile_does_not_stop_init(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_bytes(b"web: \xff\xfe uvicorn\n")
    run_init(tmp_path, "--write")
    text = (tmp_path / PYPROJECT).read_text()
    assert (
        "No start command found (Procfile, render.yaml, Dockerfile) "
        "(deploy file Procfile is not valid utf-8" in text
    )
    assert str(tmp_path) not in text
    assert tomllib.loads(text)["tool"]["jyoti-doctor"] == {}


def test_a_path_that_cannot_be_created_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / ".github").write_text("a file where the directory would go\n")
    result = CliRunner().invoke(app, ["init", str(tmp_path), "--write"])
    assert result.exit_code == 2
    assert "cannot create" in result.stderr and "jyoti-doctor.yml" in result.stderr
    assert (tmp_path / ".github").read_text() == "a file where the directory would go\n"
