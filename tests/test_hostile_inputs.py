"""Inputs the fuzz suite found to end in exit 70 or a hang, each now one clear usage error (or a
finding) — pinned here so a regression fails whatever hypothesis draws."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._cli import bare_env, closed_pipe, needs_dev_full, run_cli, run_process


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


# A shell left in a directory someone deleted: the process starts there.
_IN_A_DELETED_DIRECTORY = 'rmdir "$PWD" && exec "$0" -m jyoti_doctor "$@"'


@pytest.mark.parametrize(
    "args",
    [
        ["scan-imports"],
        ["fix-imports", "--format", "json"],
        ["check-env"],
        ["check-startup"],
        ["doctor"],
        ["probe-db", "--url", "postgresql://u:pw@127.0.0.1:1/d", "--deadline", "1"],
    ],
)
def test_a_deleted_working_directory_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    argv = ["sh", "-c", _IN_A_DELETED_DIRECTORY, sys.executable, *args]
    done = run_process(gone, argv, bare_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "cannot use the current directory (No such file or directory)" in done.stderr
    assert "Traceback" not in done.stderr
    if "json" in args:
        assert '"kind":"usage"' in done.stdout


# The directory is deleted while the command runs, then an error is reported: the secrets of
# the project's files can no longer be read, and those known otherwise must still be masked.
_DELETED_MID_RUN = """
import os, sys
from pathlib import Path
from jyoti_doctor.cli.execution import Common, execute
from jyoti_doctor.errors import UsageError

def produce(settings):
    os.rmdir(os.getcwd())
    if sys.argv[1] == "usage":
        raise UsageError(f"cannot use {os.environ['API_KEY']} nor hunter2-given-by-flag")
    raise RuntimeError("boom")

execute("check-env", Common(), Path("."), produce, secrets=lambda: ("hunter2-given-by-flag",))
"""


@pytest.mark.parametrize("kind", ["usage", "internal"])
def test_a_working_directory_deleted_mid_run(tmp_path: Path, kind: str) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    env = {**bare_env(tmp_path), "API_KEY": "sk-live-0123456789abcdef"}
    done = run_process(gone, [sys.executable, "-c", _DELETED_MID_RUN, kind], env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "sk-live-0123456789abcdef" not in done.stderr
    assert "hunter2-given-by-flag" not in done.stderr
    if kind == "usage":
        assert done.stderr.startswith("jyoti-doctor: cannot use ********")
    else:  # not called a bug of jyoti-doctor: the directory went away
        assert "cannot use the current directory" in done.stderr


def _findings_project(project: Path) -> Path:
    (project / "app" / "a.py").write_text("from app.b import x\n")
    (project / "app" / "b.py").write_text("x = 1\n")
    return project


_OUTPUTS = [
    ["scan-imports"],  # clean: the summary line written without Rich
    ["scan-imports", "app/a.py"],  # a finding: Rich renders it
    ["scan-imports", "--format", "json"],
    ["fix-imports", "--format", "sarif"],
    ["check-env", "--format", "markdown"],
    ["check-startup", "uvicorn app.a:x", "--format", "github"],
]


@needs_dev_full
@pytest.mark.parametrize(
    "args", [*_OUTPUTS, ["--version"], ["scan-imports", "--help"], ["scan-imports", "--nope"]]
)
def test_a_full_disk_on_stdout_is_reported(project: Path, args: list[str]) -> None:
    _findings_project(project)
    with open("/dev/full", "w") as full:
        done = run_cli(project, *args, env=bare_env(project), stdout=full)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    full = "jyoti-doctor: cannot write to standard output: No space left on device"
    if "--version" in args or "--help" in args:
        assert done.stderr == full + "\n"
    elif "--nope" not in args:  # the report is lost: stderr says how the run ended
        assert done.stderr.startswith(f"{full}; the run itself ended: {args[0]}: "), done.stderr
        assert len(done.stderr.splitlines()) == 1


@needs_dev_full
def test_a_write_whose_report_is_lost_says_what_it_wrote(project: Path) -> None:
    _findings_project(project)
    with open("/dev/full", "w") as full:
        done = run_cli(project, "fix-imports", "--write", env=bare_env(project), stdout=full)
    assert done.returncode == 2, done.stderr
    assert (project / "app" / "a.py").read_text() == "from .b import x\n"
    assert "files_written: 1, imports_fixed: 1" in done.stderr


@pytest.mark.parametrize("args", _OUTPUTS)
def test_a_reader_gone_ends_the_run_quietly(project: Path, args: list[str]) -> None:
    """`| head -0`: exit 1 and nothing on stderr, as Rich does for the human format."""
    _findings_project(project)
    with closed_pipe() as pipe:
        done = run_cli(project, *args, env=bare_env(project), stdout=pipe)
    assert (done.returncode, done.stderr) == (1, "")


@needs_dev_full
@pytest.mark.parametrize("fmt", ["JSON", "SARIF", "MARKDOWN"])
def test_a_full_disk_under_an_extra_output_is_a_usage_error(project: Path, fmt: str) -> None:
    env = {**bare_env(project), f"JYOTI_DOCTOR_OUTPUT_{fmt}": "/dev/full"}
    done = run_process(project, [sys.executable, "-m", "jyoti_doctor", "scan-imports"], env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        f"jyoti-doctor: JYOTI_DOCTOR_OUTPUT_{fmt}: cannot write /dev/full: No space left on "
        "device; the run itself ended: scan-imports: "
    )


@needs_dev_full
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ("scan-imports no-such-dir", 2),
        ("scan-imports --nope", 2),  # the parser's own message
        ("scan-imports app/a.py", 1),
        # Its progress lines go to stderr as it works: not one may change the verdict.
        ("probe-db --url postgresql://u:p@127.0.0.1:1/x --deadline 1", 3),
    ],
)
def test_a_full_disk_on_stderr_keeps_the_exit_code(project: Path, args: str, code: int) -> None:
    _findings_project(project)
    shell = f'exec "{sys.executable}" -m jyoti_doctor {args} 2>/dev/full'
    done = run_process(project, ["sh", "-c", shell], bare_env(project))
    assert done.returncode == code, done.stdout


def _json_documents(text: str) -> list[object]:
    import json

    decoder, documents, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        while text[at].isspace():
            at += 1
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


@pytest.mark.parametrize(
    "args",
    [
        "scan-imports --format json",
        "scan-imports --format sarif",
        "check-env --format markdown",
        "scan-imports --format json --nope",  # the parser's usage document
    ],
)
def test_a_closed_stdout_is_never_an_internal_error(project: Path, args: str) -> None:
    # `>&-`: the interpreter has no stdout at all (sys.stdout is None), as with a closed stderr.
    shell = f'exec "{sys.executable}" -m jyoti_doctor {args} >&-'
    done = run_process(project, ["sh", "-c", shell], bare_env(project))
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    assert done.returncode not in (70, 120), done.stderr


@needs_dev_full
def test_an_extra_output_on_a_full_disk_leaves_one_json_document_on_stdout(
    project: Path,
) -> None:
    # docs/contract.md: `json` is one document on stdout.
    env = {**bare_env(project), "JYOTI_DOCTOR_OUTPUT_SARIF": "/dev/full"}
    argv = [sys.executable, "-m", "jyoti_doctor", "scan-imports", "--format", "json"]
    done = run_process(project, argv, env)
    assert done.returncode == 2, done.stderr
    assert len(_json_documents(done.stdout)) == 1, done.stdout


@pytest.mark.parametrize("fmt", ["json", "rich"])
def test_a_reader_gone_on_stdout_leaves_no_empty_extra_output(project: Path, fmt: str) -> None:
    # The extra output is opened (truncated) before stdout is written; a reader gone from
    # stdout must not leave it an empty file (a CI step parsing it meets nothing).
    _findings_project(project)
    extra = project / "out.sarif"
    env = {**bare_env(project), "JYOTI_DOCTOR_OUTPUT_SARIF": str(extra)}
    with closed_pipe() as pipe:
        done = run_cli(project, "scan-imports", "--format", fmt, env=env, stdout=pipe)
    assert done.returncode == 1, done.stderr
    assert extra.stat().st_size > 0


def test_an_extra_output_fifo_no_one_reads_is_a_usage_error(project: Path) -> None:
    # Opening a FIFO for writing waits for a reader: without one, the run would never end.
    fifo = project / "report.fifo"
    os.mkfifo(fifo)
    env = {**bare_env(project), "JYOTI_DOCTOR_OUTPUT_JSON": str(fifo)}
    done = run_process(project, [sys.executable, "-m", "jyoti_doctor", "scan-imports"], env, 30)
    assert done.returncode == 2, done.stderr
    assert f"JYOTI_DOCTOR_OUTPUT_JSON: nothing reads the FIFO {fifo}" in done.stderr


def test_an_extra_output_fifo_with_a_reader_gets_the_document(project: Path) -> None:
    fifo = project / "report.fifo"
    os.mkfifo(fifo)
    env = {**bare_env(project), "JYOTI_DOCTOR_OUTPUT_JSON": str(fifo)}
    with subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True) as reader:
        # Wait until `cat` holds the FIFO open: only then may the run find a reader.
        for _ in range(200):
            if any(
                os.path.realpath(f"/proc/{reader.pid}/fd/{fd}") == str(fifo)
                for fd in os.listdir(f"/proc/{reader.pid}/fd")
            ):
                break
            time.sleep(0.01)
        done = run_process(project, [sys.executable, "-m", "jyoti_doctor", "scan-imports"], env, 30)
        received, _ = reader.communicate(timeout=30)
    assert done.returncode == 0, done.stderr
    assert '"command":"scan-imports"' in received


def test_a_completion_that_cannot_be_installed_names_its_file(project: Path) -> None:
    env = {**bare_env(project), "HOME": "/dev/null/home", "SHELL": "/bin/bash"}
    argv = [sys.executable, "-m", "jyoti_doctor", "--install-completion", "bash"]
    done = run_process(project, argv, env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("jyoti-doctor: cannot write /dev/null/home"), done.stderr
    assert "standard output" not in done.stderr and "Traceback" not in done.stderr


_BUG_WHILE_THE_DIRECTORY_IS_GONE = """
import os
from pathlib import Path
from jyoti_doctor.cli.execution import Common, execute

def produce(settings):
    os.rmdir(os.getcwd())
    raise RuntimeError("a bug of ours")

execute("scan-imports", Common(debug=True), Path("."), produce)
"""


def test_debug_shows_the_traceback_even_when_the_directory_is_gone(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    argv = [sys.executable, "-c", _BUG_WHILE_THE_DIRECTORY_IS_GONE]
    done = run_process(gone, argv, bare_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "RuntimeError: a bug of ours" in done.stderr
    assert "cannot use the current directory" in done.stderr
