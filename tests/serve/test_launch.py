"""The start command rewritten to listen on 127.0.0.1 and the chosen port, per launcher."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jyoti_doctor.config import Settings
from jyoti_doctor.serve.launch import CannotRun, build
from jyoti_doctor.startup.check import resolve_launch

PY = sys.executable


def argv(tmp_path: Path, command: str) -> tuple[list[str], dict[str, str], bool]:
    (tmp_path / "main.py").write_text("app = None\n")
    resolved = resolve_launch(tmp_path, Settings(), command=command)
    cmd = build(resolved, PY, 5555, base_env={"PATH": str(Path(PY).parent)})
    return [Path(cmd.argv[0]).name, *cmd.argv[1:]], dict(cmd.env), cmd.address_rewritten


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "uvicorn main:app --host 0.0.0.0 --port $PORT --workers 2",
            ["uvicorn", "main:app", "--workers", "2", "--host", "127.0.0.1", "--port", "5555"],
        ),
        (
            "uvicorn main:app --host=0.0.0.0 --port=8000",
            ["uvicorn", "main:app", "--host", "127.0.0.1", "--port", "5555"],
        ),
        (
            "gunicorn -w 2 -k uvicorn.workers.UvicornWorker -b 0.0.0.0:$PORT main:app",
            [
                "gunicorn",
                "-w",
                "2",
                "-k",
                "uvicorn.workers.UvicornWorker",
                "main:app",
                "--bind",
                "127.0.0.1:5555",
            ],
        ),
        (
            "gunicorn main:app --bind=0.0.0.0:10000",
            ["gunicorn", "main:app", "--bind", "127.0.0.1:5555"],
        ),
        (
            "gunicorn main:app",  # no bind: gunicorn would read $PORT; the bind is explicit here
            ["gunicorn", "main:app", "--bind", "127.0.0.1:5555"],
        ),
        (
            "hypercorn main:app --bind 0.0.0.0:8080",
            ["hypercorn", "main:app", "--bind", "127.0.0.1:5555"],
        ),
        (
            "fastapi run main.py --port 80",
            ["fastapi", "run", "main.py", "--host", "127.0.0.1", "--port", "5555"],
        ),
        (
            "python -m uvicorn main:app --port 9000",
            [Path(PY).name, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "5555"],
        ),
    ],
)
def test_launcher_address_options_are_replaced(
    tmp_path: Path, command: str, expected: list[str]
) -> None:
    got, env, rewritten = argv(tmp_path, command)
    assert got == expected
    assert env["PORT"] == "5555" and rewritten


def test_a_script_gets_port_from_the_environment_only(tmp_path: Path) -> None:
    got, env, rewritten = argv(tmp_path, "PORT=80 APP_MODE=prod python main.py --verbose")
    assert got == [Path(PY).name, "main.py", "--verbose"]
    assert env["PORT"] == "5555" and env["APP_MODE"] == "prod" and not rewritten


def test_no_dotenv_is_injected(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SECRET_FROM_DOTENV=1\n")
    _, env, _ = argv(tmp_path, "uvicorn main:app")
    assert "SECRET_FROM_DOTENV" not in env


def test_a_launcher_that_is_not_installed_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("app = None\n")
    resolved = resolve_launch(tmp_path, Settings(), command="hypercorn main:app")
    fake_python = tmp_path / "bin" / "python"
    fake_python.parent.mkdir()
    fake_python.write_text("")
    with pytest.raises(CannotRun, match="hypercorn"):
        build(resolved, str(fake_python), 5555, base_env={"PATH": str(tmp_path / "nowhere")})
