"""check-startup --run and doctor never show a secret of the project's environment, in any form
the app may print it (URL password, stripped key, secret-looking value under any name), in any
format, on stdout or stderr."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.env.secrets import project_secrets, secret_values
from tests import _cli

PASSWORD = "Pw7Qz@Xk9Lm"  # percent-encoded in the URL; the app prints it decoded
KEY = "sk-proj-Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A"
TOKEN = "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78"  # under a name that says nothing
REDIS_PASSWORD = "Rd5hiddenVAL"  # in a URL under a name that says nothing
SECRETS = (PASSWORD, KEY, TOKEN, REDIS_PASSWORD)

DOTENV = (
    "DATABASE_URL=postgresql://appuser:Pw7Qz%40Xk9Lm@127.0.0.1:5432/db\n"
    f'OPENAI_API_KEY=" {KEY}"\n'  # the stray space: the app strips it
    f"WEIRD={TOKEN}\n"
    f"SERVICE_CONF=redis://:{REDIS_PASSWORD}@localhost:6379/0\n"
)

# Logs two secrets (not predicted: JD204) and raises with a third (JD205).
FAILING_APP = """\
import logging, os
from urllib.parse import unquote, urlparse
log = logging.getLogger("app")
log.warning("connecting with password %s", unquote(urlparse(os.environ["DATABASE_URL"]).password))
log.error("token=%s redis=%s", os.environ["WEIRD"], urlparse(os.environ["SERVICE_CONF"]).password)
raise RuntimeError("bad key:" + os.environ["OPENAI_API_KEY"].strip())
"""

# Dies without a result: the last line it printed becomes the observed message.
CRASHING_APP = """\
import os, sys
from urllib.parse import urlparse
print(urlparse(os.environ["SERVICE_CONF"]).password, flush=True)
print("key=" + os.environ["OPENAI_API_KEY"].strip(), file=sys.stderr, flush=True)
os._exit(3)
"""


def pieces(secret: str, size: int = 6) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_no_secret(text: str) -> None:
    leaked = sorted(p for s in SECRETS for p in pieces(s) if p in text)
    assert not leaked, f"secret pieces in output: {leaked}"


def project(tmp_path: Path, main: str) -> Path:
    (tmp_path / "main.py").write_text(main)
    (tmp_path / ".env").write_text(DOTENV)
    # uvicorn loads a .env only when told to: --env-file makes the real launch read it.
    (tmp_path / "Procfile").write_text("web: uvicorn main:app --env-file .env\n")
    return tmp_path


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORMAT", "NO_COLOR")}
    return _cli.run_cli(root, *args, env=env)


@pytest.mark.parametrize("fmt", ["rich", "json", "github"])
def test_run_masks_secrets_the_app_logs_and_raises(tmp_path: Path, fmt: str) -> None:
    root = project(tmp_path, FAILING_APP)
    proc = run_cli(root, "check-startup", "--run", "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout + proc.stderr
    assert "JD205" in out and "JD204" in out  # the app really ran and its messages are shown
    assert "bad key:********" in out
    assert "password ********" in out
    assert_no_secret(out)


@pytest.mark.parametrize("fmt", ["rich", "json", "github"])
def test_run_masks_the_output_of_a_crashing_app(tmp_path: Path, fmt: str) -> None:
    root = project(tmp_path, CRASHING_APP)
    proc = run_cli(root, "check-startup", "--run", "--format", fmt)
    out = proc.stdout + proc.stderr
    if fmt != "github":  # github shows findings only
        assert "crashed" in out
    assert "key=********" in out  # the last line the app printed, masked
    assert_no_secret(out)


@pytest.mark.parametrize("command", ["check-startup", "doctor"])
def test_error_paths_mask_the_project_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    root = project(tmp_path, "app = 1\n")
    message = f"boom {KEY} {PASSWORD} {TOKEN} {REDIS_PASSWORD}"

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(message)

    if command == "doctor":
        monkeypatch.setattr("jyoti_doctor.doctor.doctor", explode)
        args = ["doctor", str(root), "--debug"]
    else:
        monkeypatch.setattr("jyoti_doctor.startup.check.check_startup", explode)
        args = ["check-startup", "--project", str(root), "--debug"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 70
    out = result.stdout + result.stderr
    assert "internal error (RuntimeError: boom" in out
    assert "Traceback" in out  # --debug: the masked traceback is shown
    assert_no_secret(out)


def test_secret_values_cover_every_form() -> None:
    found = secret_values(
        [
            ("DATABASE_URL", "postgresql://u:Pw7Qz%40Xk9Lm@h/db"),
            ("OPENAI_API_KEY", f" '{KEY}' "),
            ("WEIRD", TOKEN),
            ("NOTE", f"see {TOKEN[::-1]}1 and redis://:{REDIS_PASSWORD}@h"),
            ("AUTH_ENABLED", "true"),
            ("HOME", "/home/someone"),
        ]
    )
    for expected in ("Pw7Qz%40Xk9Lm", PASSWORD, KEY, f" '{KEY}' ", TOKEN, REDIS_PASSWORD):
        assert expected in found
    assert "true" not in found
    assert "/home/someone" not in found


def test_project_secrets_survive_a_dotenv_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(
        f"OPENAI_API_KEY={KEY}\n".encode() + b"DB_PASSWORD=Pw1\xffsecretXYZ\n"
    )
    found = project_secrets(tmp_path, environ={})
    assert KEY in found
    assert "secretXYZ" in found


def test_module_name_with_an_empty_component_does_not_start(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "__init__.py").write_text("")
    (tmp_path / "backend" / "ok.py").write_text("")
    for command, expected in (
        ("python -m backend..ok", "No module named 'backend.'"),
        ("python -m .backend.ok", "Relative module names not supported"),
        ("uvicorn backend..ok:app", "No module named 'backend.'"),
    ):
        proc = run_cli(tmp_path, "check-startup", command, "--run", "--format", "github")
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        assert "JD205" in proc.stdout and expected in proc.stdout, command
        # The prediction agrees with what the real launch does: no unpredicted-failure finding.
        assert "observed with --run" not in proc.stdout, command
