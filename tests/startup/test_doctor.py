"""doctor: the checks in start-up order, one line each, the next command, the combined exit code,
and a check that cannot run is never shown as passing."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.config import Settings
from jyoti_doctor.doctor import Check, doctor
from jyoti_doctor.findings import ExitCode, Finding, Report, Severity
from jyoti_doctor.rules import Rule

JYOTIFLOW = Path(__file__).resolve().parents[2] / "fixtures" / "jyotiflow"


def lines(report: Report) -> list[str]:
    assert report.text is not None
    return report.text.splitlines()


def test_imports_and_startup_on_jyotiflow() -> None:
    report = doctor(JYOTIFLOW, Settings(), skip=frozenset({"env", "db"}))
    text = lines(report)
    assert text[1] == "[-] Environment: skipped (--skip)"
    assert text[2].startswith("[✗] Imports: ")
    assert "packages: backend" in text[2]
    # The fix for the import line is the one that works with the Procfile's start command.
    assert text[3].strip().startswith("→ jyoti-doctor fix-imports --style root --write ")
    # ✗: besides the swallowed imports (warnings), imports that fail once reached are errors.
    assert text[4].startswith(
        "[✗] Start-up: `cd backend && uvicorn main:app --host 0.0.0.0 "
        "--port $PORT` (Procfile:1 (web)): starts, 3 import(s) swallowed"
    )
    assert "JD204" in text[4]
    assert "[-] Database: skipped (--skip)" in text
    assert text[-1].startswith("Next: jyoti-doctor fix-imports --style root --write ")
    assert report.exit_code() is ExitCode.FINDINGS
    codes = {f.code for f in report.findings}
    assert {"JD101", "JD204"} <= codes


def test_unavailable_checks_are_not_passing(monkeypatch: pytest.MonkeyPatch) -> None:
    # A module set to None in sys.modules makes its import fail, as a missing one would.
    monkeypatch.setitem(sys.modules, "jyoti_doctor.env.check", None)
    monkeypatch.setitem(sys.modules, "jyoti_doctor.db.probe", None)
    report = doctor(JYOTIFLOW, Settings(), skip=frozenset({"imports", "startup"}))
    text = lines(report)
    assert text[1].startswith("[✗] Environment: not checked: ")
    assert "not available" in text[1]
    assert any(line.startswith("[✗] Database: not checked: ") for line in text)
    assert "Not checked: Environment, Database (see above)." in text
    assert report.exit_code() is ExitCode.INTERNAL


def _fake(monkeypatch: pytest.MonkeyPatch, name: str, attr: str, fn: object) -> None:
    """Replace one function of a real core module (doctor imports it at call time)."""
    monkeypatch.setattr(importlib.import_module(name), attr, fn)


@dataclass(frozen=True)
class _Result:
    """A stand-in engine result: only ``to_report()`` is read by doctor."""

    report: Report

    def to_report(self) -> Report:
        return self.report


def test_exit_code_combines_the_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pure aggregation: stand-in env/db cores with fixed outcomes (the real ones are tested in
    their own areas)."""
    seen: dict[str, object] = {}

    def check_env(project_dir: Path, config: Settings, **_: object) -> _Result:
        return _Result(
            Report(
                "check-env",
                findings=(Finding.make(Rule.MISSING_VARIABLE, "DATABASE_URL is missing"),),
            )
        )

    db_report = Report(
        "probe-db",
        findings=(Finding.make(Rule.DB_NOT_READY, "not ready after 5 s"),),
        status=ExitCode.DB_NOT_READY,
    )

    def probe_db(**kwargs: object) -> Report:
        seen.update(kwargs)
        return db_report

    _fake(monkeypatch, "jyoti_doctor.env.check", "check_env", check_env)
    _fake(monkeypatch, "jyoti_doctor.db.probe", "probe_db", probe_db)
    _fake(monkeypatch, "jyoti_doctor.db.report", "build_report", lambda result: result)
    (tmp_path / "main.py").write_text("app = 1\n")
    (tmp_path / "Procfile").write_text("web: uvicorn main:app\n")
    report = doctor(tmp_path, Settings(), db_deadline=5.0)
    text = lines(report)
    assert text[1] == "[✗] Environment: 1 error(s) — JD301 DATABASE_URL is missing"
    assert any(line.startswith("[✓] Imports: nothing found") for line in text)
    assert any(
        line.startswith("[✓] Start-up: `uvicorn main:app` (Procfile:1 (web)): starts")
        for line in text
    )
    assert any(line.startswith("[✗] Database: not ready within 5 s") for line in text)
    assert seen["deadline"] == 5.0
    assert report.exit_code() is ExitCode.DB_NOT_READY  # 3 outranks 1
    assert text[-1] == f"Next: jyoti-doctor check-env {tmp_path}"


def test_malformed_database_url_is_a_finding_of_the_db_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The project's own broken setting (check-env reports it too) is not a usage error of
    doctor's: the line says what could not be checked, and doctor exits 1, not 2."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@127.0.0.1:notaport/app")
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.IMPORTS, Check.STARTUP}))
    line = next(x for x in lines(report) if "Database" in x)
    assert line.startswith("[✗] Database: not checked: ")
    assert "notaport" in line or "port" in line
    assert report.exit_code() is ExitCode.FINDINGS


def test_no_database_configured_is_a_finding_of_the_db_check_not_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A project without DATABASE_URL anywhere: the real probe-db's own error, turned into a
    "not configured" line; doctor still summarises and exits 1, not 2."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.IMPORTS, Check.STARTUP}))
    line = next(x for x in lines(report) if "Database" in x)
    assert line.startswith("[!] Database: not configured: no database URL")
    assert "Not checked: Database (see above)." in lines(report)
    assert report.exit_code() is ExitCode.FINDINGS


def test_no_start_command_is_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("app = 1\n")
    report = doctor(tmp_path, Settings(), skip=frozenset({"env", "db", "imports"}))
    line = next(x for x in lines(report) if "Start-up" in x)
    assert line.startswith("[!] Start-up: not checked: no start command found")
    assert report.exit_code() is ExitCode.FINDINGS
    # The exit code has its finding: a warning that says what could not be checked.
    (note,) = report.findings
    assert note.rule is Rule.NOT_CHECKED and note.severity is Severity.WARNING
    assert note.message.startswith("Start-up: not checked: no start command found")


def test_cli(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["doctor", str(JYOTIFLOW), "--skip", "env", "--skip", "db", "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [c["check"] for c in doc["details"]["checks"]] == [
        "Environment",
        "Imports",
        "Start-up",
        "Routes",
        "Database",
    ]
    # The fixture's router include fails inside try/except: the routes line names it.
    assert [c["mark"] for c in doc["details"]["checks"]] == ["-", "✗", "✗", "✗", "-"]
    bad = runner.invoke(app, ["doctor", str(JYOTIFLOW), "--skip", "nothing"])
    assert bad.exit_code == 2


def test_rich_shows_the_summary_and_verbose_the_findings(runner: CliRunner) -> None:
    args = ["doctor", str(JYOTIFLOW), "--skip", "env", "--skip", "db", "--no-color"]
    summary = runner.invoke(app, args).stdout
    verbose = runner.invoke(app, [*args, "-v"]).stdout
    assert "Doctor summary for" in summary and "Doctor summary for" in verbose
    assert "JD101" not in summary.split("Doctor summary for")[0]
    assert "missing_endpoints.py:3:1: JD101" in verbose
    # The counts are the same either way: hiding the list hides nothing from the verdict.
    assert summary.splitlines()[-1] == verbose.splitlines()[-1]
    assert "0 error(s)" not in summary.splitlines()[-1]


def test_start_command_is_discovered_once(deploy_reads: list[str]) -> None:
    # The routes line resolves the launch again for its own subprocess; not counted here.
    report = doctor(JYOTIFLOW, Settings(), skip=frozenset({"env", "imports", "db", "routes"}))
    assert lines(report)[3].startswith("[✗] Start-up: `cd backend && uvicorn main:app")
    assert deploy_reads.count("Procfile") == 1


def test_absolute_self_imports_are_info_when_the_known_launch_works(tmp_path: Path) -> None:
    """`uvicorn backend.main:app` from the root: `from backend.deps import x` works there. One
    info line says so and which launch they would break; scan-imports stays strict."""
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "__init__.py").write_text("")
    (tmp_path / "backend" / "deps.py").write_text("x = 1\n")
    (tmp_path / "backend" / "main.py").write_text("from backend.deps import x\napp = 1\n")
    (tmp_path / "Procfile").write_text("web: uvicorn backend.main:app\n")
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.DB}))
    line = next(x for x in lines(report) if "Imports:" in x)
    assert line.startswith(
        "[✓] Imports: 1 absolute self-import(s): fine for `uvicorn backend.main:app` "
        "(Procfile:1 (web)); they break a launch from inside the package (`cd backend && …`)"
    )
    assert report.exit_code() is ExitCode.OK
    from jyoti_doctor.imports.run import scan_imports

    strict = scan_imports([tmp_path], Settings()).to_report()
    assert strict.exit_code() is ExitCode.FINDINGS


def test_suggested_commands_are_shell_quoted() -> None:
    from jyoti_doctor.doctor import suggest

    assert suggest("check-env", "my project") == "jyoti-doctor check-env 'my project'"
    assert suggest("check-env", "-odd") == "jyoti-doctor check-env -- -odd"
    assert (
        suggest("check-startup", "uvicorn main:app", options=("--project", "a b"))
        == "jyoti-doctor check-startup --project 'a b' 'uvicorn main:app'"
    )


def test_no_start_command_suggests_only_a_command_that_can_work(tmp_path: Path) -> None:
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.DB, Check.IMPORTS}))
    assert not any("uvicorn main:app" in x for x in lines(report))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text("app = object()\n")
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.DB, Check.IMPORTS}))
    assert any(
        "check-startup --project" in x and "'uvicorn app.main:app'" in x for x in lines(report)
    )


def test_a_pathological_entry_module_is_a_finding_and_doctor_still_summarises(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.py").write_text("x = " + " + ".join(["1"] * 20_000) + "\napp = 1\n")
    (tmp_path / "Procfile").write_text("web: uvicorn main:app\n")
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.DB}))
    text = lines(report)
    startup = next(x for x in text if "Start-up:" in x)
    assert startup.startswith("[✗] Start-up:")
    assert "too deeply nested" in startup or "JD190" in startup
    assert text[-1].startswith(("Next:", "No issues"))


def test_a_script_that_starts_the_server_is_suggested(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "import uvicorn\nif __name__ == '__main__':\n    uvicorn.run('app.server:app')\n"
    )
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.DB, Check.IMPORTS}))
    assert any("check-startup --project" in x and "'python main.py'" in x for x in lines(report))


def test_self_imports_with_no_known_launch_are_not_errors(tmp_path: Path) -> None:
    """No start command: no launch can be shown to break on absolute self-imports, so doctor
    does not call them errors (scan-imports still lists them)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "deps.py").write_text("x = 1\n")
    (tmp_path / "app" / "main.py").write_text("from app.deps import x\n")
    report = doctor(tmp_path, Settings(), skip=frozenset({Check.ENV, Check.DB, Check.ROUTES}))
    line = next(x for x in lines(report) if "Imports" in x)
    assert line.startswith("[✓] Imports: 1 absolute self-import(s): not judged, no known start")
    assert all(f.severity is not Severity.ERROR for f in report.findings)


def test_self_imports_unjudged_say_the_start_up_check_was_skipped(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["doctor", str(JYOTIFLOW), "--skip", "env", "--skip", "db", "--skip", "startup"]
    )
    assert "not judged, the start-up check is skipped" in result.stdout
    assert "no known start command" not in result.stdout
