"""The output formats, fed the same report: JSON structure, GitHub escaping, Rich without colour."""

from __future__ import annotations

import io
import json

import pytest

from jyoti_doctor.findings import (
    Applicability,
    ExitCode,
    Finding,
    Fix,
    Location,
    Report,
    Section,
    Severity,
    combine_exit_codes,
)
from jyoti_doctor.report import OutputFormat, emit
from jyoti_doctor.report.github import annotation, escape_data, escape_property
from jyoti_doctor.rules import Rule

REPORT = Report(
    command="scan-imports",
    findings=(
        Finding.make(
            Rule.ABSOLUTE_SELF_IMPORT,
            "100% bad\r\nsecond line",
            location=Location("a,b:c.py", 3, 1, 3, 32),
            fix=Fix(Applicability.SAFE, "from .deps import x"),
            source="from backend.deps import x",
        ),
        Finding.make(Rule.DYNAMIC_SELF_REFERENCE, "dynamic", location=Location("d.py", 1, 5)),
    ),
    summary={"files": 2},
    sections=(Section("skipped", "Skipped", ("path", "reason"), (("x", "symlink loop"),)),),
)


def render(fmt: OutputFormat) -> str:
    buf = io.StringIO()
    emit(REPORT, fmt, stream=buf, color=False)
    return buf.getvalue()


def test_json_document() -> None:
    doc = json.loads(render(OutputFormat.JSON))
    assert doc["schema_version"] == 1
    assert doc["command"] == "scan-imports"
    first = doc["findings"][0]
    assert first["location"] == {
        "path": "a,b:c.py",
        "line": 3,
        "column": 1,
        "end_line": 3,
        "end_column": 32,
    }
    assert first["fix"] == {
        "applicability": "safe",
        "replacement": "from .deps import x",
        "reason": None,
    }
    assert doc["summary"]["counts"] == {"error": 1, "warning": 0, "info": 1}
    assert doc["summary"]["exit_code"] == 1
    assert doc["sections"]["skipped"] == [{"path": "x", "reason": "symlink loop"}]


def test_github_escaping() -> None:
    assert escape_data("100%\r\n") == "100%25%0D%0A"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    line = annotation(REPORT.findings[0])
    assert line == (
        "::error file=a%2Cb%3Ac.py,line=3,col=1,endLine=3,endColumn=32,"
        "title=jyoti-doctor (JD101)::100%25 bad%0D%0Asecond line"
    )
    assert annotation(REPORT.findings[1]).startswith("::notice file=d.py,line=1,col=5,title=")


def test_rich_plain_text() -> None:
    out = render(OutputFormat.RICH)
    assert "a,b:c.py:3:1: JD101 error 100% bad" in out
    assert "fix: from .deps import x" in out
    assert "symlink loop" in out
    assert "\x1b[" not in out


def test_exit_code_rule() -> None:
    info_only = Report("x", findings=(Finding.make(Rule.DYNAMIC_SELF_REFERENCE, "m"),))
    assert info_only.exit_code() is ExitCode.OK
    warning = Report(
        "x", findings=(Finding.make(Rule.DYNAMIC_SELF_REFERENCE, "m", severity=Severity.WARNING),)
    )
    assert warning.exit_code() is ExitCode.FINDINGS
    assert warning.exit_code(exit_zero=True) is ExitCode.OK
    refused = Report("x", findings=warning.findings, status=ExitCode.DB_REFUSED)
    assert refused.exit_code(exit_zero=True) is ExitCode.DB_REFUSED
    order = [
        ExitCode.FINDINGS,
        ExitCode.DB_NOT_READY,
        ExitCode.DB_REFUSED,
        ExitCode.INTERNAL,
        ExitCode.USAGE,
    ]
    for i in range(len(order)):
        assert combine_exit_codes(order[: i + 1]) is order[i]
    assert combine_exit_codes([]) is ExitCode.OK


def test_every_format_has_an_emitter() -> None:
    for fmt in OutputFormat:
        assert render(fmt).strip()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    coloured = _Terminal()
    emit(REPORT, OutputFormat.RICH, stream=coloured)
    red = "31m"  # the error severity's colour; NO_COLOR removes colours, not bold or dim
    assert red in coloured.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    emit(REPORT, OutputFormat.RICH, stream=plain)
    assert red not in plain.getvalue()
