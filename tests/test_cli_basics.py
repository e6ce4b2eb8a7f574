"""The CLI's shared behaviour: version, help, usage errors, lazy imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from jyoti_doctor import __version__
from jyoti_doctor.cli import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_version(runner: CliRunner) -> None:
    import platform
    from importlib import metadata

    import psycopg

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"jyoti-doctor {__version__}"
    assert lines[1].startswith(f"Python {platform.python_version()} ")
    assert lines[2] == f"libcst {metadata.version('libcst')}"
    number = psycopg.pq.version()
    assert lines[3] == (
        f"psycopg {metadata.version('psycopg')}, libpq {number // 10000}.{number % 10000} "
        f"({psycopg.pq.__impl__})"
    )


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0
    assert out.stdout.splitlines()[0] == f"jyoti-doctor {__version__}"


def test_only_version_imports_psycopg() -> None:
    """--version asks psycopg for libpq's version; a command's start-up never imports it."""
    code = (
        "import sys\n"
        "from jyoti_doctor.cli import app\n"
        "try:\n    app(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('PSYCOPG', 'psycopg' in sys.modules)\n"
    )
    for args, imported in ((["scan-imports", "--help"], False), (["--version"], True)):
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
        )
        assert f"PSYCOPG {imported}" in out.stdout, out.stdout + out.stderr


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from jyoti_doctor.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'psycopg'))\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_the_guard_loads_only_when_there_is_something_to_rewrite(tmp_path: Path) -> None:
    """A fix that rewrites nothing has no entry point to guard, and does not load the guard;
    one that rewrites does. A rewrite in a project that names no start command does not load
    the secret masking (a start command's own parsing needs it)."""
    code = (
        "import sys\n"
        "from jyoti_doctor.cli import main\n"
        "sys.argv = ['jyoti-doctor', 'fix-imports', 'app', '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('GUARD', 'jyoti_doctor.guard' in sys.modules, file=sys.stderr)\n"
        "print('MASKING', 'jyoti_doctor.masking' in sys.modules, file=sys.stderr)\n"
    )
    cases = [(".", True, False, None), ("app", True, True, True), ("app", False, True, False)]
    for i, (head, procfile, guard, masking) in enumerate(cases):
        project = tmp_path / str(i)
        (project / "app").mkdir(parents=True)
        (project / "app" / "__init__.py").write_text("")
        (project / "app" / "a.py").write_text(f"from {head}.b import x\n")
        (project / "app" / "b.py").write_text("x = 1\n")
        (project / ".git").mkdir()  # the project's top: no start command is looked for above
        if procfile:
            (project / "Procfile").write_text("web: uvicorn app.a:x\n")
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
        )
        assert f"GUARD {guard}" in out.stderr, out.stdout + out.stderr
        if masking is not None:
            assert f"MASKING {masking}" in out.stderr, out.stdout + out.stderr


def test_unknown_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan-imports", "--no-such-flag"])
    assert result.exit_code == 2


def test_a_parser_error_still_writes_the_machine_document() -> None:
    """An unknown flag is rejected before any command runs: exit 2, the usual message on
    stderr, and still a JSON document on stdout for the CI step that parses it."""
    import json

    out = subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", "scan-imports", "--format", "json", "--nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "--nope" in out.stderr
    doc = json.loads(out.stdout)
    assert doc["command"] == "scan-imports"
    assert doc["summary"]["exit_code"] == 2
    assert doc["error"]["kind"] == "usage" and "--nope" in doc["error"]["message"]
    plain = subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", "scan-imports", "--nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == 2 and plain.stdout == ""


def test_one_run_writes_every_extra_document(runner: CliRunner, tmp_path: Path) -> None:
    import json

    project = tmp_path / "p"
    shutil.copytree(FIXTURES / "jyotiflow", project)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {
        "JYOTI_DOCTOR_OUTPUT_JSON": str(tmp_path / "out.json"),
        "JYOTI_DOCTOR_OUTPUT_SARIF": str(tmp_path / "out.sarif"),
        "JYOTI_DOCTOR_OUTPUT_MARKDOWN": str(summary),
    }
    result = runner.invoke(app, ["scan-imports", str(project), "--format", "json"], env=env)
    assert result.exit_code == 1
    assert (tmp_path / "out.json").read_text() == result.stdout
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(json.loads(result.stdout)["findings"])
    text = summary.read_text()
    assert text.startswith("earlier step\n### jyoti-doctor scan-imports: exit 1")  # appended


def test_an_unwritable_extra_document_is_one_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    import json

    env = {"JYOTI_DOCTOR_OUTPUT_SARIF": str(tmp_path / "no" / "such" / "dir.sarif")}
    result = runner.invoke(
        app, ["scan-imports", str(FIXTURES / "jyotiflow"), "--format", "json"], env=env
    )
    assert result.exit_code == 2
    doc = json.loads(result.stdout)  # one document, the error's: nothing printed before it
    assert (
        doc["error"]["kind"] == "usage" and "JYOTI_DOCTOR_OUTPUT_SARIF" in doc["error"]["message"]
    )
