"""A start command may carry secrets inline (`API_TOKEN=… uvicorn …` in a Procfile). Every
command that shows a start command shows it masked, in every format, and `init` never copies
it into pyproject.toml; free text masks short secrets as whole tokens only."""

from __future__ import annotations

from pathlib import Path

import pytest

from jyoti_doctor.masking import mask_text
from tests._cli import bare_env, run_cli

PASSWORD = "Pw0rdXYZ9"
TOKEN = "tok987654abc"
FORMATS = ("rich", "json", "github", "sarif", "markdown")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inline")
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("app = None\n")
    (root / "Procfile").write_text(
        f"web: DATABASE_URL=postgresql://u:{PASSWORD}@127.0.0.1:1/x API_TOKEN={TOKEN} "
        "uvicorn app.main:app\n"
    )
    return root


def run(cwd: Path, *args: str) -> str:
    done = run_cli(cwd, *args, env=bare_env(cwd), timeout=120)
    assert done.returncode in (0, 1, 2), done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", ["check-startup", "doctor"])
def test_inline_secrets_of_a_start_command_are_masked(
    project: Path, command: str, fmt: str
) -> None:
    args = ["--project", "."] if command == "check-startup" else ["."]
    out = run(
        project,
        command,
        *args,
        "--format",
        fmt,
        "--deadline" if command == "doctor" else "--timeout",
        "1",
    )
    if command == "check-startup" and fmt in ("rich", "json"):
        assert "API_TOKEN=******** uvicorn app.main:app" in out
    assert PASSWORD not in out and TOKEN not in out


def test_init_never_copies_an_inline_secret(project: Path, tmp_path: Path) -> None:
    out = run(project, "init", ".")
    assert "API_TOKEN=********" in out
    assert PASSWORD not in out and TOKEN not in out


def test_short_secrets_are_masked_as_whole_tokens_only() -> None:
    text = mask_text(
        "postgresql://postgres:postgres@db/app is a postgres-url; token abc12345x used; "
        "v=abc12345x. file abc12345x.py",
        ("postgres", "abc12345x"),
    )
    assert text == (
        "postgresql://postgres:********@db/app is a postgres-url; token ******** used; "
        "v=********. file abc12345x.py"
    )


def test_secret_assignments_in_free_text() -> None:
    assert (
        mask_text("API_TOKEN=tokvalue SECRET_KEY='a b' AUTH_ENABLED=true DEBUG=1 PORT=80")
        == "API_TOKEN=******** SECRET_KEY=******** AUTH_ENABLED=true DEBUG=1 PORT=80"
    )
