"""check-env through the real CLI: exit codes, the three formats, the bundled fixture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from envhelpers import DB_URL, OPENAI_KEY, SENTRY, make_project
from typer.testing import CliRunner

from jyoti_doctor.cli import app

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "jyotiflow"
GOOD_ENV = f"DATABASE_URL={DB_URL}\nOPENAI_API_KEY={OPENAI_KEY}\nSENTRY_DSN={SENTRY}\n"


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check-env", *args], env=env, catch_exceptions=False)


@pytest.fixture
def jyotiflow(tmp_path: Path) -> Path:
    """A copy of the fixture outside any git repository (JD307 is tested on its own)."""
    root = tmp_path / "jyotiflow"
    shutil.copytree(FIXTURE, root)
    return root


def test_fixture_report(runner: CliRunner, jyotiflow: Path) -> None:
    result = invoke(runner, str(jyotiflow), "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    got = sorted(
        (f["code"], f["severity"], f["location"]["line"] if f["location"] else None)
        for f in doc["findings"]
    )
    assert got == [
        ("JD302", "error", 1),  # postgres:// with SQLAlchemy
        ("JD302", "error", 1),  # unencoded @ in the password
        ("JD302", "error", 1),  # unencoded # in the password
        ("JD302", "error", 3),  # Sentry project id is not an integer
        ("JD302", "error", 4),  # PORT=80a0
        ("JD306", "info", 2),  # spaces around =
        ("JD306", "info", 5),  # OPENAI_API_KEY set twice
    ]
    table = {row["variable"]: row for row in doc["sections"]["environment_variables"]}
    assert (
        table["OPENAI_API_KEY"]["source"] == ".env:5" and table["OPENAI_API_KEY"]["status"] == "ok"
    )
    assert table["DATABASE_URL"]["status"] == "invalid"
    assert table["DATABASE_URL"]["type"] == "postgres-url (sqlalchemy)"
    assert (
        "p@ss#word1" not in result.stdout
        and "Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A" not in result.stdout
    )
    assert (
        doc["summary"]["exit_code"] == 1 and doc["summary"]["schema"] == "the code + .env.example"
    )


def test_fixture_strict_counts_advice(runner: CliRunner, jyotiflow: Path) -> None:
    doc = json.loads(invoke(runner, str(jyotiflow), "--format", "json", "--strict").stdout)
    assert {f["severity"] for f in doc["findings"] if f["code"] == "JD306"} == {"warning"}


def test_rich_output(runner: CliRunner, jyotiflow: Path) -> None:
    result = invoke(runner, str(jyotiflow), "--no-color", env={"COLUMNS": "200"})
    assert result.exit_code == 1
    out = result.stdout
    assert ".env:4: JD302 error PORT `80a0` is not a port number" in out
    assert "help: encode it as %40" in out
    assert "Environment variables" in out and "sk-proj-…Vw8A" in out
    assert "5 error(s)" in out and "exit 1" in out


def test_github_output(runner: CliRunner, jyotiflow: Path) -> None:
    result = invoke(runner, str(jyotiflow), "--format", "github")
    lines = result.stdout.splitlines()
    assert (
        "::error file=.env,line=4,title=jyoti-doctor (JD302)::PORT `80a0` is not a port number (1-65535)"
        in lines
    )
    assert any(line.startswith("::notice file=.env,line=5,") for line in lines)
    assert lines[-1].startswith("jyoti-doctor check-env: 5 error(s)")


def test_clean_project_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV)
    result = invoke(runner, str(root))
    assert result.exit_code == 0, result.output
    assert "clean" in result.stdout


def test_advice_fails_only_under_strict(runner: CliRunner, tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV.replace("\n", "\r\n"))
    assert invoke(runner, str(root)).exit_code == 0
    assert invoke(runner, str(root), "--strict").exit_code == 1
    assert invoke(runner, str(root), "--strict", "--exit-zero").exit_code == 0


def test_environment_is_read(runner: CliRunner, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    env = {"DATABASE_URL": DB_URL, "OPENAI_API_KEY": OPENAI_KEY}
    result = invoke(runner, str(root), "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)["sections"]["environment_variables"]
    assert {r["variable"]: r["source"] for r in table}["OPENAI_API_KEY"] == "environment"


def test_require_and_env_file_flags(runner: CliRunner, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "prod.env").write_text(GOOD_ENV)
    result = invoke(
        runner,
        str(root),
        "--env-file",
        str(root / "prod.env"),
        "--require",
        "REDIS_URL",
        "--format",
        "json",
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(f["code"], f["message"].split()[0]) for f in doc["findings"]] == [
        ("JD301", "REDIS_URL")
    ]
    assert doc["summary"]["env_files"] == "prod.env"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env-file", "missing.env"], "env file not found"),
        (["--schema", "missing.example"], "schema file not found"),
        (["--schema", "pyproject"], "no [tool.jyoti-doctor.env] table"),
    ],
)
def test_usage_errors_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    root = make_project(tmp_path, env=GOOD_ENV)
    result = invoke(runner, str(root), *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_missing_project_dir_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, str(tmp_path / "nope"))
    assert result.exit_code == 2 and "project directory not found" in result.stderr


def test_malformed_schema_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV, example="# @type=nope\nA=1\n")
    result = invoke(runner, str(root))
    assert result.exit_code == 2
    assert ".env.example:1: unknown type 'nope'" in result.stderr


def test_config_env_file_key(runner: CliRunner, tmp_path: Path) -> None:
    root = make_project(tmp_path, pyproject='[tool.jyoti-doctor]\nenv-file = ["conf/app.env"]\n')
    (root / "conf").mkdir()
    (root / "conf" / "app.env").write_text(GOOD_ENV)
    result = invoke(runner, str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["env_files"].endswith("app.env")


def test_internal_error_exit_70_is_masked(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jyoti_doctor.env import check

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot handle {OPENAI_KEY}")

    monkeypatch.setattr(check, "validate", boom)
    root = make_project(tmp_path, env=GOOD_ENV)
    for extra in ([], ["--debug"]):
        result = invoke(runner, str(root), *extra)
        assert result.exit_code == 70
        assert OPENAI_KEY not in result.output and OPENAI_KEY not in result.stderr
        assert "ValueError" in result.stderr
