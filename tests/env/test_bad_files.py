"""An env or schema file that is not a small regular file ends every command with exit 2 and one
clear line, whether it was named with --env-file or found as the project's .env."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.textfile import MAX_TEXT_FILE_BYTES


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _directory(path: Path) -> None:
    path.mkdir()


def _loop(path: Path) -> None:
    other = path.with_name(path.name + ".other")
    path.symlink_to(other)
    other.symlink_to(path)


def _huge(path: Path) -> None:
    with path.open("wb") as fh:
        fh.truncate(MAX_TEXT_FILE_BYTES + 1)


KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "not a regular file"),
    "dev-zero": (_dev_zero, "not a regular file"),
    "directory": (_directory, "is a directory"),
    "loop": (_loop, "symbolic links"),
    "huge": (_huge, "at most"),
}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("named", [True, False], ids=["--env-file", "implicit .env"])
@pytest.mark.parametrize("command", ["check-env", "probe-db"])
def test_bad_env_file_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, named: bool, command: str
) -> None:
    make, words = KINDS[kind]
    make(tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    args = ["--env-file", ".env"] if named else []
    code, out = _run(command, *(["."] if command == "check-env" else []), *args)
    assert code == 2, out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and ".env" in lines[0], out
    assert "Traceback" not in out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_bad_schema_file_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    make, words = KINDS[kind]
    make(tmp_path / ".env.example")
    code, out = _run("check-env", str(tmp_path))
    assert code == 2 and words in out and ".env.example" in out, out
    assert len(out.strip().splitlines()) == 1


def test_probe_db_rejects_a_dotenv_directory_as_check_env_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Docker creates a directory when it bind-mounts a .env that does not exist yet.
    (tmp_path / ".env").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/x")
    for command in (["check-env", "."], ["probe-db", "--deadline", "0.1"]):
        code, out = _run(*command)
        assert code == 2 and ".env is a directory" in out, (command, out)
