"""Alembic migration state: revision files read statically, alembic_version read from a real
server. The projects are hand-written: a chain a1 <- b2 <- c3, and a branch d4 off b2."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jyoti_doctor.db.migrations import find_project, parse_revision
from jyoti_doctor.db.probe import probe_db
from jyoti_doctor.db.report import build_report
from jyoti_doctor.findings import Report
from testing_servers import PASSWORD, PgServer, url

# Every revision file imports something that does not exist: reading one must never import it.
REVISIONS = {
    "a1": '"""first"""\nimport not_installed_anywhere\n\nrevision = "a1"\ndown_revision = None\n',
    "b2": (
        "from typing import Union\nimport not_installed_anywhere\n\n"
        'revision: str = "b2"\ndown_revision: Union[str, None] = "a1"\n'
        "branch_labels = None\n\n\ndef upgrade() -> None:\n    not_installed_anywhere.go()\n"
    ),
    "c3": "import not_installed_anywhere\nrevision = 'c3'\ndown_revision = 'b2'\n",
}
BRANCH = {"d4": 'revision = "d4"\ndown_revision = ("b2",)\n'}
_numbers = itertools.count()


def project(tmp_path: Path, files: dict[str, str], ini_dir: str = "") -> Path:
    root = tmp_path / "proj"
    base = root / ini_dir if ini_dir else root
    versions = base / "migrations" / "versions"
    versions.mkdir(parents=True)
    (base / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = driver://x\n"
    )
    (base / "migrations" / "env.py").write_text('raise SystemExit("env.py was imported")\n')
    for name, text in files.items():
        (versions / f"{name}_rev.py").write_text(text)
    (versions / "__init__.py").write_text("")
    return root


def test_heads_from_the_files_alone(tmp_path: Path) -> None:
    found = find_project(project(tmp_path, {**REVISIONS, **BRANCH}, ini_dir="backend"))
    assert found is not None and found.problems == ()
    assert set(found.revisions) == {"a1", "b2", "c3", "d4"}
    assert found.heads == ("c3", "d4")
    assert found.ancestors("c3") == {"a1", "b2", "c3"}
    assert find_project(tmp_path / "nothing-here") is None


def test_a_computed_revision_is_named_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text("revision = make_id()\n")
    with pytest.raises(ValueError, match="not a literal"):
        parse_revision(path)
    found = find_project(project(tmp_path, {**REVISIONS, "bad": "revision = make_id()\n"}))
    assert found is not None and len(found.problems) == 1 and "bad_rev.py" in found.problems[0]


def database(server: PgServer, revisions: tuple[str, ...] | None) -> str:
    import psycopg

    name = f"mig{next(_numbers)}"
    with psycopg.connect(server.url(user="postgres", dbname="postgres"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name} OWNER app")
    if revisions is not None:
        with psycopg.connect(server.url(dbname=name), autocommit=True) as c:
            c.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
            for rev in revisions:
                c.execute("INSERT INTO alembic_version VALUES (%s)", (rev,))
    return url(server.port, dbname=name)


def run(server: PgServer, root: Path, revisions: tuple[str, ...] | None) -> Report:
    report = build_report(probe_db(database(server, revisions), project_dir=root, deadline=10))
    assert PASSWORD not in repr(report)
    return report


def codes(report: Report) -> list[str]:
    return sorted(f.code for f in report.findings)


@pytest.mark.db
def test_at_head(pg: PgServer, tmp_path: Path) -> None:
    report = run(pg, project(tmp_path, REVISIONS), ("c3",))
    assert codes(report) == []
    migrations = report.details["migrations"]
    assert migrations["at_head"] is True and migrations["pending"] == 0  # type: ignore[index]
    assert report.panel is not None
    assert ("migrations", "at head c3") in [(x.label, x.value) for x in report.panel.lines]


@pytest.mark.db
def test_behind(pg: PgServer, tmp_path: Path) -> None:
    report = run(pg, project(tmp_path, REVISIONS), ("a1",))
    assert codes(report) == ["JD410"]
    assert "database at a1, code at c3: 2 migration(s) pending" in report.findings[0].message
    assert report.findings[0].location is not None
    assert report.findings[0].location.path.endswith("alembic.ini")


@pytest.mark.db
def test_no_migration_ever_ran(pg: PgServer, tmp_path: Path) -> None:
    report = run(pg, project(tmp_path, REVISIONS), None)
    assert codes(report) == ["JD410"]
    assert "no alembic_version table" in report.findings[0].message
    assert "3 migration(s) pending" in report.findings[0].message


@pytest.mark.db
def test_ahead_code_older_than_the_database(pg: PgServer, tmp_path: Path) -> None:
    report = run(pg, project(tmp_path, REVISIONS), ("e5",))
    assert codes(report) == ["JD411"]
    assert "database at e5" in report.findings[0].message
    assert report.details["migrations"]["pending"] is None  # type: ignore[index]


@pytest.mark.db
def test_branched(pg: PgServer, tmp_path: Path) -> None:
    report = run(pg, project(tmp_path, {**REVISIONS, **BRANCH}), ("c3",))
    assert codes(report) == ["JD410", "JD412"]
    heads = next(f for f in report.findings if f.code == "JD412")
    assert "2 migration heads (c3, d4)" in heads.message
    pending = next(f for f in report.findings if f.code == "JD410")
    assert "1 migration(s) pending" in pending.message
    # Both branches applied: nothing pending, but still two heads in the code.
    report = run(pg, project(tmp_path / "two", {**REVISIONS, **BRANCH}), ("c3", "d4"))
    assert codes(report) == ["JD412"]


@pytest.mark.db
def test_the_cli_finds_the_project_next_to_its_config(
    pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from jyoti_doctor.cli import app

    root = project(tmp_path, REVISIONS)
    (root / "pyproject.toml").write_text("[tool.jyoti-doctor.db]\ndeadline = 10\n")
    target = database(pg, ("b2",))
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")  # run from below the project: the config's directory counts
    result = CliRunner().invoke(app, ["probe-db", "--url", target, "--format", "json"])
    assert result.exit_code == 1, result.output
    assert '"JD410"' in result.stdout and "1 migration(s) pending" in result.stdout
    assert PASSWORD not in result.output
