"""The real-world shaped fixtures (fixtures/realworld/*/README.md says what each models): the
start command found the way the deployment finds it, the verdict, and where the project's code
is importable with this interpreter, --run confirming the prediction by importing it for real."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jyoti_doctor.config import Settings
from jyoti_doctor.errors import UsageError
from jyoti_doctor.findings import ExitCode, Severity
from jyoti_doctor.startup.check import UnknownStartDirectory, check_startup
from jyoti_doctor.startup.failures import Resolution

REALWORLD = Path(__file__).resolve().parents[2] / "fixtures" / "realworld"


@pytest.fixture(autouse=True)
def _no_active_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


def test_every_fixture_says_what_it_models() -> None:
    for directory in REALWORLD.iterdir():
        if directory.is_dir():
            assert (directory / "README.md").read_text().startswith("Models ")


def test_template_backend_fastapi_run_from_the_compose_built_dockerfile() -> None:
    result = check_startup(REALWORLD / "template-backend", Settings(), run=True)
    assert result.start_command == "fastapi run --workers 4 app/main.py"
    assert result.source == "backend/Dockerfile:6 (WORKDIR /app)"
    assert result.prediction.launch.cwd == REALWORLD / "template-backend" / "backend"
    assert result.predicted == "starts"
    assert result.observed == "imported"
    assert result.to_report().exit_code() is ExitCode.OK


def test_jwt_beside_the_projects_own_jwt_module_is_not_a_missing_module() -> None:
    result = check_startup(REALWORLD / "jwt-sibling", Settings())
    assert result.prediction.fatal is None and result.prediction.latent == ()
    assert ("jwt", Resolution.NOT_CHECKED) in result.prediction.external
    assert result.to_report().exit_code() is ExitCode.OK
    # A known environment without PyJWT: missing, from the environment.
    known = check_startup(REALWORLD / "jwt-sibling", Settings(), python=sys.executable)
    assert known.prediction.fatal is not None
    assert known.prediction.fatal.message == "No module named 'jwt'"


def test_compose_volume_is_the_start_directory() -> None:
    result = check_startup(REALWORLD / "compose-volume", Settings(), run=True)
    assert result.start_command == "uvicorn main:app --host 0.0.0.0 --reload"
    assert result.source == "compose.yml: service 'web' command (WORKDIR /code)"
    assert result.prediction.launch.cwd == REALWORLD / "compose-volume" / "src"
    # The app reads APP_MODE (compose env_file) and APP_REGION (environment) at import: --run
    # gives it what the container has, and nothing compose would interpolate from elsewhere.
    assert (result.predicted, result.observed) == ("starts", "imported")
    assert ("APP_REGION", "local") in result.prediction.launch.command.env
    assert all(key != "DATABASE_URL" for key, _ in result.prediction.launch.command.env)


def test_a_workdir_nothing_reaches_is_unknown_not_the_repo_root() -> None:
    with pytest.raises(UnknownStartDirectory, match="nothing of the project is copied"):
        check_startup(REALWORLD / "workdir-empty", Settings())
    assert issubclass(UnknownStartDirectory, UsageError)
    given = check_startup(REALWORLD / "workdir-empty", Settings(), cwd=REALWORLD / "workdir-empty")
    assert given.predicted == "starts"


def test_flask_factory_started_by_boot_sh() -> None:
    result = check_startup(REALWORLD / "flask-boot", Settings(), run=True)
    assert result.start_command.startswith("exec gunicorn -b :5000")
    assert result.source == "boot.sh (via Dockerfile:9 (WORKDIR /))"
    # create_app() runs at import: the blueprint's modules are part of the start-up.
    assert {"app.main", "app.main.routes", "app.models"} <= set(result.prediction.executed)
    assert (result.predicted, result.observed) == ("starts", "imported")


def test_django_config_package_is_never_django() -> None:
    result = check_startup(REALWORLD / "django-config", Settings())
    assert result.prediction.fatal is None
    assert ("django", Resolution.NOT_CHECKED) in result.prediction.external
    # `django` is never the project's config/django/; that package runs only as what it is,
    # config.django, the parent of the settings module Django imports at set-up.
    assert "django" not in result.prediction.executed
    assert "config.django.base" in result.prediction.executed


def test_code_for_a_newer_python_is_not_checked_and_nothing_false_is_predicted() -> None:
    result = check_startup(REALWORLD / "py314", Settings())
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if sys.version_info >= (3, 14):
        pytest.skip("this interpreter parses 3.14 code")
    notes = [f for f in result.findings if f.code == "JD206"]
    assert [f.message for f in notes] == [
        f"parsed with {ours}; the project targets 3.14: run under 3.14 or pass --python"
    ]
    assert notes[0].severity is Severity.INFO
    assert result.prediction.fatal is None
    assert result.to_report().exit_code() is ExitCode.OK


def test_an_interpreter_older_than_the_target_fails_on_newer_syntax_as_predicted() -> None:
    """Given the project's interpreter (here: this one, older than the 3.14 the project targets),
    what it can parse decides: the real import fails with SyntaxError, and so does the
    prediction, with the mismatch said (it was "starts" and a note to pass --python)."""
    if sys.version_info >= (3, 14):
        pytest.skip("this interpreter parses 3.14 code")
    result = check_startup(REALWORLD / "py314", Settings(), python=sys.executable, run=True)
    assert result.prediction.fatal is not None
    assert result.prediction.fatal.exc_type == "SyntaxError"
    assert (result.predicted.split(":")[0], result.observed) == ("fails", "failed")
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    notes = [f.message for f in result.findings if f.code == "JD206"]
    assert f"the project's interpreter is older than the Python it targets ({ours} < 3.14)" in notes
    assert not any("pass --python" in note for note in notes)
    assert result.to_report().exit_code() is ExitCode.FINDINGS
