"""Inputs the fuzz suite found to end in exit 70 or a hang, each now one clear usage error (or a
finding) — pinned here so a regression fails whatever hypothesis draws."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._cli import bare_env, run_cli, run_process


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, *args, env=bare_env(tmp_path))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    return tmp_path


@pytest.mark.parametrize("pattern", ["\\", "!", "a/[z-a]"])  # the last: a bad range
def test_invalid_exclude_pattern(project: Path, pattern: str) -> None:
    done = run(project, "scan-imports", "--exclude", pattern, ".")
    assert done.returncode == 2, done.stderr
    assert "invalid exclude pattern" in done.stderr


def test_path_that_is_a_symlink_loop(project: Path) -> None:
    os.symlink("loop.py", project / "loop.py")
    for command in ("scan-imports", "check-env"):
        done = run(project, command, "loop.py")
        assert done.returncode == 2, done.stderr
        assert "symlink loop" in done.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@127.0.0.1:1/d?application_name=%ff",
        "postgresql://u:p@127.0.0.1:1/%ff",
        "postgresql://u:p%ff@127.0.0.1:1/d",
    ],
)
def test_url_with_an_invalid_utf8_escape(project: Path, url: str) -> None:
    done = run(project, "probe-db", "--deadline", "0.5", "--url", url)
    assert done.returncode == 2, done.stderr
    assert "not valid UTF-8" in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize("command", ["scan-imports", "fix-imports"])
@pytest.mark.parametrize("kind", ["fifo", "devzero"])
def test_a_special_file_named_as_a_path_is_not_read(project: Path, command: str, kind: str) -> None:
    target = project / "app" / "special.py"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        os.symlink("/dev/zero", target)
    done = run(project, command, str(target.relative_to(project)))
    assert done.returncode == 1, done.stderr
    assert "not a regular file" in done.stdout


def test_a_package_name_longer_than_a_file_name(project: Path) -> None:
    done = run(project, "scan-imports", "--package", "x" * 300, ".")
    assert done.returncode == 2, done.stderr
    assert "not found" in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "devzero"])
def test_a_special_procfile(project: Path, kind: str) -> None:
    procfile = project / "Procfile"
    if kind == "fifo":
        os.mkfifo(procfile)
    else:
        os.symlink("/dev/zero", procfile)
    done = run(project, "check-startup", "--format", "json")
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr


@pytest.mark.parametrize(
    ("name", "args"),
    [
        # The fuzz suite's find: the import lint read pyproject.toml's text whatever it was.
        ("pyproject.toml", ["fix-imports", "app", "--write", "--style", "root"]),
        ("pyproject.toml", ["check-startup", "uvicorn app:app"]),
        (".gitignore", ["scan-imports", "app", "--no-cache"]),
        ("app/.gitignore", ["fix-imports", "app"]),
    ],
)
def test_a_fifo_config_file_is_never_read(project: Path, name: str, args: list[str]) -> None:
    (project / "app/main.py").write_text("from app import x\nx = 1\n")
    os.mkfifo(project / name)
    done = run_cli(project, *args, "--format", "json", env=bare_env(project), timeout=30)
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ("scan-imports no-such-dir", 2),
        ("check-env --env-file no-such-file", 2),
        # Nothing listens on port 1: not ready by the deadline (probe-db exits without the
        # interpreter's clean-up, flushing the streams itself).
        ("probe-db --url postgresql://u:p@127.0.0.1:1/x --deadline 1 --format json", 3),
    ],
)
def test_a_closed_stderr_keeps_the_exit_code(project: Path, args: str, code: int) -> None:
    # `2>&-`: the interpreter has no stderr at all; the exit code must not change.
    shell = f'exec "{sys.executable}" -m jyoti_doctor {args} 2>&-'
    done = run_process(project, ["sh", "-c", shell], bare_env(project))
    assert done.returncode == code, done.stdout


def test_an_escape_sequence_in_an_argument_never_reaches_stderr_raw(project: Path) -> None:
    done = run(project, "scan-imports", "\x1b[31mred")
    assert done.returncode == 2
    assert "\x1b" not in done.stderr
    assert "path does not exist: \\x1b[31mred" in done.stderr
