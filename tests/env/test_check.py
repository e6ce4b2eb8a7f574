"""check_env as a whole: required variables, sources, shadowing, git, client-exposed secrets."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from envhelpers import (
    DB_URL,
    OPENAI_KEY,
    SENTRY,
    codes_lines,
    counted,
    jwt,
    make_project,
    run_check,
)

from jyoti_doctor.config import load_config
from jyoti_doctor.env.resolve import Source, read_database_url, read_variable
from jyoti_doctor.errors import UsageError
from jyoti_doctor.findings import ExitCode, Severity
from tests.conftest import require

GOOD_ENV = f"DATABASE_URL={DB_URL}\nOPENAI_API_KEY={OPENAI_KEY}\nSENTRY_DSN={SENTRY}\n"


def rows(report):  # type: ignore[no-untyped-def]
    return {row[0]: row for row in report.sections[0].rows}


def test_default_schema_clean(tmp_path: Path) -> None:
    report = run_check(make_project(tmp_path, env=GOOD_ENV))
    assert report.findings == ()
    assert report.exit_code() is ExitCode.OK
    table = rows(report)
    assert set(table) == {"DATABASE_URL", "OPENAI_API_KEY", "SENTRY_DSN"}
    assert table["OPENAI_API_KEY"][2:5] == (".env:2", "ok", "sk-proj-…Vw8A")
    assert table["DATABASE_URL"][4] == "postgresql://app:********@db.example.internal:5432/app"
    assert table["SENTRY_DSN"][4] == "https://********@o123456.ingest.sentry.io/4505"
    assert report.summary["schema"] == "built-in default"


def test_missing_required_and_optional(tmp_path: Path) -> None:
    report = run_check(make_project(tmp_path))
    assert codes_lines(report) == [("JD301", None), ("JD301", None)]
    table = rows(report)
    assert table["DATABASE_URL"][2:4] == ("missing", "missing")
    assert table["SENTRY_DSN"][3] == "unset (optional)"
    assert "and no .env file" in report.findings[0].message
    assert report.exit_code() is ExitCode.FINDINGS


def test_empty_required(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=f"DATABASE_URL={DB_URL}\nOPENAI_API_KEY=\nSENTRY_DSN=\n")
    report = run_check(root)
    assert codes_lines(report) == [("JD301", 2)]
    assert rows(report)["SENTRY_DSN"][3] == "empty (optional)"


def test_environment_wins_and_shadowing_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV + "APP_MODE=dev\n")
    other_key = "sk-proj-" + "Q" * 30 + "ZZ9x"
    report = run_check(root, environ={"OPENAI_API_KEY": other_key, "APP_MODE": "prod"})
    table = rows(report)
    assert table["OPENAI_API_KEY"][2] == Source.ENVIRONMENT.value
    assert table["OPENAI_API_KEY"][4] == "sk-proj-…ZZ9x"
    shadow = [f for f in report.findings if f.code == "JD305"]
    assert [(f.location.line, f.severity) for f in shadow] == [
        (2, Severity.INFO),
        (4, Severity.INFO),
    ]
    # A non-secret may show both values; a secret shows neither.
    assert "`prod`" in shadow[1].message and "`dev`" in shadow[1].message
    assert other_key not in shadow[0].message and OPENAI_KEY not in shadow[0].message
    assert report.exit_code() is ExitCode.OK


def test_empty_environment_value_hides_the_env_file(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV)
    report = run_check(root, environ={"OPENAI_API_KEY": ""}, strict=True)
    assert ("JD305", 2) in counted(report)
    assert ("JD301", None) in counted(report)  # the app sees an empty key


def test_default_value_is_a_source(tmp_path: Path) -> None:
    pyproject = '[tool.jyoti-doctor.env]\nAPP_MODE = { type = "enum", choices = ["dev", "prod"], default = "dev" }\n'
    root = make_project(tmp_path, pyproject=pyproject)
    report = run_check(
        root,
        config=load_config(None, root),
    )
    assert rows(report)["APP_MODE"][2:5] == ("default", "ok", "dev")


def test_require_flag_adds_a_variable(tmp_path: Path) -> None:
    report = run_check(make_project(tmp_path, env=GOOD_ENV), require=["SUPABASE_URL"])
    assert codes_lines(report) == [("JD301", None)]
    assert rows(report)["SUPABASE_URL"][1] == "supabase-url"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (f"NEXT_PUBLIC_OPENAI_API_KEY={OPENAI_KEY}", "JD308"),
        (f"VITE_SUPABASE_KEY={jwt({'role': 'service_role'})}", "JD308"),
        ("VITE_STRIPE_SECRET=abc", "JD308"),
        (f"NEXT_PUBLIC_SUPABASE_ANON_KEY={jwt({'role': 'anon'})}", None),
        (f"NEXT_PUBLIC_SENTRY_DSN={SENTRY}", None),
        ("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_live_abc123", None),
        ("VITE_API_URL=https://api.example.org", None),
    ],
)
def test_client_exposed_secrets(tmp_path: Path, line: str, code: str | None) -> None:
    report = run_check(make_project(tmp_path, env=GOOD_ENV + line + "\n"))
    found = [
        (f.code, f.location.line if f.location else None)
        for f in report.findings
        if f.code == "JD308"
    ]
    assert found == ([(code, 4)] if code else [])
    if code:
        finding = next(f for f in report.findings if f.code == "JD308")
        value = line.split("=", 1)[1]
        assert value not in finding.message and value not in (finding.source or "")


def test_undeclared_values_get_generic_checks_as_advice(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV + 'STRIPE_KEY="your-key-here"\nNAME=x\u200by\n')
    report = run_check(root)
    assert {(f.code, f.location.line) for f in report.findings} == {("JD303", 4), ("JD304", 5)}
    # A placeholder in a secret is a warning in a development .env (an error in a production
    # one); the rest of the generic checks on undeclared values are advice.
    assert counted(report) == [("JD303", 4)]
    assert counted(run_check(root, strict=True)) == [("JD303", 4), ("JD304", 5)]


def test_placeholder_secret_is_an_error_in_a_production_env(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV + "SECRET_KEY=changethis\n")
    (root / ".env.production").write_text(GOOD_ENV + "SECRET_KEY=changethis\n")
    dev = [f for f in run_check(root).findings if f.code == "JD303"]
    assert [f.severity for f in dev] == [Severity.WARNING]
    prod = run_check(root, env_files=[root / ".env.production"]).findings
    assert [f.severity for f in prod if f.code == "JD303"] == [Severity.ERROR]
    flagged = run_check(root, environ={"ENVIRONMENT": "production"}).findings
    assert [f.severity for f in flagged if f.code == "JD303"] == [Severity.ERROR]
    named = make_project(tmp_path / "n", env=GOOD_ENV + "API_TOKEN=api_token\n")
    assert [f.code for f in run_check(named).findings] == ["JD303"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_git_tracking(tmp_path: Path) -> None:
    require(shutil.which("git") is not None, "git is not installed")
    root = make_project(tmp_path, env=GOOD_ENV)
    _git(root, "init", "-q")
    report = run_check(root, strict=True)
    assert [(f.code, f.severity) for f in report.findings] == [("JD307", Severity.WARNING)]
    assert "not ignored" in report.findings[0].message
    assert [f.severity for f in run_check(root).findings] == [Severity.INFO]

    (root / ".gitignore").write_text(".env\n")
    assert run_check(root, strict=True).findings == ()

    _git(root, "add", "-f", ".env")
    report = run_check(root)
    assert [(f.code, f.severity) for f in report.findings] == [("JD307", Severity.ERROR)]
    assert "tracked by git" in report.findings[0].message


def test_outside_git_the_check_is_said_to_be_skipped(tmp_path: Path) -> None:
    report = run_check(make_project(tmp_path, env=GOOD_ENV))
    assert "not checked" in report.details["git"][".env"]


def test_explicit_missing_env_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="env file not found"):
        run_check(make_project(tmp_path), env_files=[tmp_path / "nope.env"])


def test_read_variable_helper(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=GOOD_ENV)
    got = read_variable("DATABASE_URL", root, environ={})
    assert (got.value, got.source, got.where) == (DB_URL, Source.DOTENV, ".env:1")
    got = read_variable("DATABASE_URL", root, environ={"DATABASE_URL": "postgresql://other/db"})
    assert (got.value, got.source) == ("postgresql://other/db", Source.ENVIRONMENT)
    assert read_variable("NOPE", root, environ={}).source is Source.MISSING
    assert read_database_url(root, environ={}).value == DB_URL


def test_internal_failure_message_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jyoti_doctor.env import check

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot handle {OPENAI_KEY}")

    monkeypatch.setattr(check, "validate", boom)
    with pytest.raises(check.EnvCheckFailed) as info:
        run_check(make_project(tmp_path, env=GOOD_ENV))
    assert OPENAI_KEY not in str(info.value)
    assert "ValueError" in str(info.value)
