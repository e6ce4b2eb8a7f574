"""The output formats, fed the same report: JSON structure, GitHub escaping, Rich without colour,
Markdown tables, error documents, and hostile file names in every format."""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from jyoti_doctor.report import OutputFormat, RenderOptions, emit, emit_error
from jyoti_doctor.report.github import annotation, escape_data, escape_property
from jyoti_doctor.report.markdown import MAX_ROWS, render_markdown
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


HOSTILE = "pkg/new\nline|<b>`x`\udcff.py"
HOSTILE_REPORT = Report(
    command="scan-imports",
    findings=(
        Finding.make(
            Rule.UNPARSABLE_FILE,
            f"cannot parse {HOSTILE}\x1b[31m",
            location=Location(HOSTILE, 2, 1),
            source="x = 1\n\x1b]0;title\x07",
        ),
    ),
    sections=(Section("skipped", "Skipped", ("path", "reason"), ((HOSTILE, "odd\nname"),)),),
    text=f"--- a/{HOSTILE}\n+++ b/x\n",
)


def render_hostile(fmt: OutputFormat) -> str:
    buf = io.StringIO()
    emit(HOSTILE_REPORT, fmt, stream=buf, color=False)
    return buf.getvalue()


def test_json_is_utf8_whatever_the_file_names() -> None:
    out = render_hostile(OutputFormat.JSON)
    out.encode("utf-8")  # a lone surrogate would raise here
    doc = json.loads(out)
    # The undecodable byte is written as the text \xff; the newline is JSON's own escape.
    assert doc["findings"][0]["location"]["path"] == "pkg/new\nline|<b>`x`\\xff.py"


@pytest.mark.parametrize("fmt", [f for f in OutputFormat if f is not OutputFormat.JSON])
def test_no_format_lets_a_name_split_a_line_or_reach_the_terminal(fmt: OutputFormat) -> None:
    out = render_hostile(fmt)
    out.encode("utf-8")
    assert "\x1b" not in out and "\x07" not in out
    if fmt is OutputFormat.SARIF:
        return  # one JSON document; its escaping is checked in tests/test_sarif.py
    finding_lines = [line for line in out.splitlines() if "JD190" in line]
    assert len(finding_lines) == 1, out
    # GitHub's own escape for a line break inside an annotation; `\n` as text elsewhere.
    assert ("new%0Aline" if fmt is OutputFormat.GITHUB else "new\\nline") in finding_lines[0]


def test_rich_sections_and_diff_headers_stay_on_one_line() -> None:
    from jyoti_doctor.imports.fix import unified_diff

    assert "odd\\nname" in render_hostile(OutputFormat.RICH)
    diff = unified_diff(HOSTILE, b"a = 1\n", b"a = 2\n").splitlines()
    assert diff[0] == "--- a/pkg/new\\nline|<b>`x`\\xff.py"
    assert diff[1] == "+++ b/pkg/new\\nline|<b>`x`\\xff.py"
    assert diff[2].startswith("@@")


def test_markdown_summary_table() -> None:
    out = render(OutputFormat.MARKDOWN)
    assert out.startswith("### jyoti-doctor scan-imports: exit 1\n")
    assert "1 error(s), 0 warning(s), 1 info" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Severity | Code | Where | Message |"
    # The message's \r\n shown escaped, its backslashes escaped for Markdown.
    assert rows[2] == "| error | JD101 | `a,b:c.py:3:1` | 100% bad\\\\r\\\\nsecond line |"


def test_markdown_cells_cannot_break_the_table() -> None:
    out = render_hostile(OutputFormat.MARKDOWN)
    row = next(line for line in out.splitlines() if "JD190" in line)
    # Four cells exactly: the `|` of the name is escaped, the markup is inert.
    assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    where, message = cells[2].strip(), cells[3]
    assert where.startswith("``") and where.endswith("``")  # a code span: markup is inert
    assert "<b>" not in message and "\\<b\\>" in message


def test_markdown_shows_doctor_check_lines() -> None:
    report = Report(
        command="doctor",
        details={
            "checks": [
                {"mark": "✓", "check": "Environment", "found": "clean", "next": ""},
                {
                    "mark": "✗",
                    "check": "Imports",
                    "found": "9 error(s)",
                    "next": "jyoti-doctor fix-imports --write .",
                },
            ]
        },
        status=ExitCode.FINDINGS,
    )
    out = render_markdown(report, RenderOptions())
    assert "| ✅ | Environment | clean |  |" in out
    assert "| ❌ | Imports | 9 error(s) | `jyoti-doctor fix-imports --write .` |" in out


def test_markdown_keeps_comments_short() -> None:
    many = Report(
        "scan-imports",
        findings=tuple(
            Finding.make(Rule.DYNAMIC_SELF_REFERENCE, f"m{i}", location=Location("a.py", i + 1))
            for i in range(MAX_ROWS + 7)
        ),
    )
    out = render_markdown(many, RenderOptions())
    assert f"m{MAX_ROWS - 1} |" in out and f"m{MAX_ROWS} |" not in out
    assert "… and 7 more" in out


@pytest.mark.parametrize("code", [ExitCode.USAGE, ExitCode.INTERNAL])
def test_machine_formats_write_a_document_on_errors(code: ExitCode) -> None:
    buf = io.StringIO()
    assert emit_error("check-env", OutputFormat.JSON, int(code), "bad \udcff", stream=buf)
    doc = json.loads(buf.getvalue())
    assert doc["summary"]["exit_code"] == int(code) and doc["findings"] == []
    assert doc["error"] == {
        "kind": "usage" if code is ExitCode.USAGE else "internal",
        "message": "bad \\xff",
    }
    assert not emit_error("check-env", OutputFormat.RICH, int(code), "m", stream=io.StringIO())


def test_hostile_file_names_end_to_end(tmp_path: Path) -> None:
    """Real files named with undecodable bytes and a newline, through the real CLI."""
    from typer.testing import CliRunner

    from jyoti_doctor.cli import app

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "deps.py").write_text("x = 1\n")
    try:
        with open(os.path.join(os.fsencode(pkg), b"\xff\xfe.py"), "wb") as fh:
            fh.write(b"from pkg.deps import x\n")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (pkg / "new\nline.py").write_text("from pkg.deps import x\n")

    def out(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, str(tmp_path), "--no-color"])
        assert result.exit_code == 1, result.output
        result.stdout_bytes.decode("utf-8")  # strict: every format is valid UTF-8
        return result.stdout

    paths = sorted(
        f["location"]["path"]
        for f in json.loads(out("scan-imports", "--format", "json"))["findings"]
    )
    assert [p.rsplit("/", 1)[1] for p in paths] == ["\\xff\\xfe.py", "new\nline.py"]
    diff = out("fix-imports", "--format", "rich")
    headers = [line for line in diff.splitlines() if line.startswith(("--- a/", "+++ b/"))]
    assert len(headers) == 4 and all(h.endswith((r"\xff\xfe.py", r"new\nline.py")) for h in headers)


CORES = ("imports", "startup", "env", "db")


def _imported_packages(path: Path) -> set[str]:
    """The first-level jyoti_doctor modules a file imports (relative or absolute)."""
    import ast

    package = path.parent.relative_to(REPO_ROOT).parts  # ("jyoti_doctor", "report")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                parts = [*base, *(node.module.split(".") if node.module else [])]
                names = [parts] if node.module else [[*base, a.name] for a in node.names]
            else:
                names = [(node.module or "").split(".")]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".") for a in node.names]
        else:
            continue
        for parts in names:
            if len(parts) > 1 and parts[0] == "jyoti_doctor":
                found.add(parts[1])
    return found


REPO_ROOT = Path(__file__).resolve().parent.parent


def test_reporters_never_import_a_core() -> None:
    files = sorted((REPO_ROOT / "jyoti_doctor" / "report").glob("*.py"))
    assert len(files) >= 6
    for path in files:
        assert not _imported_packages(path) & {*CORES, "cli", "doctor", "init"}, path


def test_cores_never_import_the_cli_or_the_reporters() -> None:
    root = REPO_ROOT / "jyoti_doctor"
    files = [p for core in CORES for p in (root / core).glob("*.py")]
    files += [root / "doctor.py", root / "init.py"]
    for path in files:
        assert not _imported_packages(path) & {"cli", "report"}, path


def test_every_non_human_format_says_the_run_failed() -> None:
    for fmt, expected in (
        (OutputFormat.GITHUB, "::error title=jyoti-doctor check-env::bad%0Aname\n"),
        (OutputFormat.MARKDOWN, "### jyoti-doctor check-env: exit 2\n\nbad\\\\nname\n"),
    ):
        buf = io.StringIO()
        assert emit_error("check-env", fmt, 2, "bad\nname", stream=buf)
        assert buf.getvalue() == expected, fmt


@given(st.text())
def test_printable_is_one_utf8_line_without_controls(text: str) -> None:
    from jyoti_doctor.files import printable

    shown = printable(text)
    shown.encode("utf-8")
    assert len(shown.splitlines()) <= 1
    assert not any(unicodedata.category(c) == "Cc" for c in shown)
    assert printable(shown) == shown  # already printable text passes through unchanged


@given(st.text())
def test_a_markdown_cell_never_breaks_its_row(text: str) -> None:
    from jyoti_doctor.report.markdown import cell

    shown = cell(text)
    assert len(shown.splitlines()) <= 1
    assert not re.search(r"(?<!\\)(?:\\\\)*\|", shown.replace("\\\\", "")), shown
    outside_code = re.sub(r"(`+).*?\1", "", shown)
    assert not re.search(r"(?<!\\)<", outside_code), shown
