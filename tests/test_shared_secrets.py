"""The shared secrets collection: every command masks the project's secrets in its error paths,
and a ``.env`` is read as check-env reads it, whatever its encoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.env.secrets import file_secrets, project_secrets, variants

# Named like secrets, but nothing in the values themselves looks like a credential: only the
# collected secrets can mask them.
DB_PASSWORD = "hunter2hunter2plain"
SECRET_KEY = "correct horse battery"


def test_project_secrets_read_a_utf16_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(f"DB_PASSWORD={DB_PASSWORD}\n".encode("utf-16"))
    assert DB_PASSWORD in project_secrets(tmp_path, environ={})


def test_file_secrets_skip_missing_files_and_plain_values(tmp_path: Path) -> None:
    env = tmp_path / "prod.env"
    env.write_text(f"SECRET_KEY={SECRET_KEY}\nAUTH_ENABLED=true\nPORT=8000\n")
    found = file_secrets([tmp_path / "missing.env", env], environ={})
    assert SECRET_KEY in found
    assert "true" not in found and "8000" not in found


def test_variants_share_one_rule() -> None:
    found = variants(' "postgresql://u:Pw7%40Qz9@h/db" ')
    assert "Pw7%40Qz9" in found and "Pw7@Qz9" in found  # the URL's password, decoded too
    assert "postgresql://u:Pw7%40Qz9@h/db" in found  # stripped and unquoted
    assert "Zq3T9vLmW2xY" in variants("Zq3T9v\u200bLmW2xY")  # invisible character dropped
    assert variants("on") == set()  # a flag, not a secret
    assert variants("abc") == set()  # too short to mask without garbling text


def _explode(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    def emit(*args: object, **kwargs: object) -> None:
        raise RuntimeError(message)

    monkeypatch.setattr("jyoti_doctor.cli.execution.emit", emit)


@pytest.mark.parametrize("command", ["scan-imports", "check-env"])
def test_every_command_masks_the_project_dotenv_in_error_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (tmp_path / "main.py").write_text("app = 1\n")
    (tmp_path / ".env").write_text(f"DB_PASSWORD={DB_PASSWORD}\n")
    _explode(monkeypatch, f"boom {DB_PASSWORD}")
    result = CliRunner().invoke(app, [command, str(tmp_path), "--debug"])
    out = result.stdout + result.stderr
    assert result.exit_code == 70, out
    assert "internal error (RuntimeError: boom ********" in out
    assert "Traceback" in out
    assert DB_PASSWORD not in out


def test_check_env_masks_its_env_files_in_error_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    elsewhere = tmp_path / "prod.env"
    elsewhere.write_text(f'SECRET_KEY="{SECRET_KEY}"\n')
    _explode(monkeypatch, f"boom {SECRET_KEY}")
    result = CliRunner().invoke(app, ["check-env", str(project), "--env-file", str(elsewhere)])
    out = result.stdout + result.stderr
    assert result.exit_code == 70, out
    assert "RuntimeError: boom ********" in out
    assert SECRET_KEY not in out


@pytest.mark.parametrize("command", ["scan-imports", "check-env"])
def test_a_path_the_system_refuses_is_no_traceback(command: str) -> None:
    result = CliRunner().invoke(app, [command, "a" * 300])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
