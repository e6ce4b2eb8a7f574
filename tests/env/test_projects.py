"""check-env and doctor on small projects shaped like two well-known FastAPI templates
(tests/env/projects/README.md): the schema comes from their settings classes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app

PROJECTS = Path(__file__).parent / "projects"

FULLSTACK_FIELDS = {
    "API_V1_STR", "SECRET_KEY", "ACCESS_TOKEN_EXPIRE_MINUTES", "FRONTEND_HOST", "ENVIRONMENT",
    "BACKEND_CORS_ORIGINS", "PROJECT_NAME", "SENTRY_DSN", "POSTGRES_SERVER", "POSTGRES_PORT",
    "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "SMTP_TLS", "SMTP_SSL", "SMTP_PORT",
    "SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "EMAILS_FROM_EMAIL", "FIRST_SUPERUSER",
    "FIRST_SUPERUSER_PASSWORD",
}  # fmt: skip
REALWORLD_FIELDS = {
    "APP_ENV", "DEBUG", "TITLE", "DATABASE_URL", "MAX_CONNECTION_COUNT", "MIN_CONNECTION_COUNT",
    "SECRET_KEY", "API_PREFIX", "ALLOWED_HOSTS",
}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    root = tmp_path / request.param
    shutil.copytree(PROJECTS / request.param, root)
    return root


def _check_env(root: Path) -> dict[str, object]:
    result = CliRunner().invoke(app, ["check-env", str(root), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("project", ["fullstack"], indirect=True)
def test_fullstack_schema_is_the_settings_class(project: Path) -> None:
    doc = _check_env(project)
    rows = {r["variable"]: r for r in doc["sections"]["environment_variables"]}  # type: ignore[index]
    # Exactly the fields: no computed field, nothing from .env that the class does not declare.
    assert set(rows) == FULLSTACK_FIELDS
    assert doc["summary"]["schema"] == "the code"  # type: ignore[index]
    # The settings class reads ../.env from backend/, which is the repository's root .env.
    assert rows["PROJECT_NAME"]["source"].endswith(".env:5")
    assert rows["BACKEND_CORS_ORIGINS"]["status"] == "not checked"
    placeholders = {
        f["message"].split()[0]: f["severity"]
        for f in doc["findings"]  # type: ignore[attr-defined]
        if f["code"] == "JD303"
    }
    assert placeholders == {
        "SECRET_KEY": "warning",
        "FIRST_SUPERUSER_PASSWORD": "warning",
        "POSTGRES_PASSWORD": "warning",
    }
    assert "changethis" not in json.dumps(doc)
    unused = {f["message"].split()[0] for f in doc["findings"] if f["code"] == "JD310"}  # type: ignore[attr-defined]
    assert unused == {"DOMAIN", "STACK_NAME", "DOCKER_IMAGE_BACKEND"}


def test_a_direct_read_declared_nowhere_and_a_declared_variable_never_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.py").write_text(
        "import os\nfrom os import getenv\n"
        "DB = os.environ['DATABASE_URL']\nLEVEL = getenv('LOG_LEVEL', 'info')\n"
    )
    (tmp_path / ".env.example").write_text("DATABASE_URL=\nFEATURE_X=\n")
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u@h/d\nFEATURE_X=1\n")
    doc = _check_env(tmp_path)
    codes = sorted(
        (f["code"], f["message"].split()[0])
        for f in doc["findings"]
        if f["code"] in ("JD309", "JD310")
    )  # type: ignore[attr-defined]
    assert codes == [("JD309", "LOG_LEVEL"), ("JD310", "FEATURE_X")]
    # A name the code computes makes "never read" undecidable: said, not guessed.
    (tmp_path / "more.py").write_text("import os\nname = 'X'\nvalue = os.environ[name]\n")
    doc = _check_env(tmp_path)
    assert not [f for f in doc["findings"] if f["code"] == "JD310"]  # type: ignore[attr-defined]
    assert doc["details"]["code_reads"].startswith("never-read variables: not checked")  # type: ignore[index]


@pytest.mark.parametrize("project", ["fullstack"], indirect=True)
def test_fullstack_in_production_the_placeholders_are_errors(project: Path) -> None:
    dotenv = project / ".env"
    dotenv.write_text(dotenv.read_text().replace("ENVIRONMENT=local", "ENVIRONMENT=production"))
    doc = _check_env(project)
    severities = {f["severity"] for f in doc["findings"] if f["code"] == "JD303"}  # type: ignore[attr-defined]
    assert severities == {"error"}


@pytest.mark.parametrize("project", ["realworld"], indirect=True)
def test_realworld_schema_merges_the_classes_and_the_example(project: Path) -> None:
    doc = _check_env(project)
    rows = {r["variable"]: r for r in doc["sections"]["environment_variables"]}  # type: ignore[index]
    assert set(rows) == REALWORLD_FIELDS
    assert doc["summary"]["schema"] == "the code + .env.example"  # type: ignore[index]
    assert rows["DATABASE_URL"]["type"].startswith("postgres-url")
    assert rows["DEBUG"]["status"] == "ok"  # `True` is a boolean pydantic accepts
    assert rows["SECRET_KEY"]["status"] == "placeholder"


@pytest.mark.parametrize("project", ["fullstack", "realworld"], indirect=True)
def test_doctor_never_exits_2(project: Path) -> None:
    result = CliRunner().invoke(
        app, ["doctor", str(project), "--deadline", "0.3", "--format", "json"]
    )
    assert result.exit_code not in (2, 70), result.output
    doc = json.loads(result.stdout)
    # The database was found the app's way (POSTGRES_* parts or DATABASE_URL), and probed.
    assert "127.0.0.1:1" in result.stdout, doc
