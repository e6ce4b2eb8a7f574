"""A clean run's human output written without Rich (report/summary.py) against Rich itself."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jyoti_doctor.findings import ExitCode, Finding, Location, Panel, Report, Section
from jyoti_doctor.report import OutputFormat, RenderOptions, emit
from jyoti_doctor.report.rich import render_rich
from jyoti_doctor.report.summary import write_plain_summary
from jyoti_doctor.rules import Rule
from tests._cli import bare_env, closed_pipe, run_cli, run_process

# Names and values as a summary may carry them: markup brackets, backslashes, tabs and other
# controls, wide and combining characters, emoji, undecodable bytes of a file name.
TEXT = st.text(
    alphabet=st.sampled_from([*"ab[]/\\:=, \t\r\n\x1b", "界", "\u0301", "🙂", "\udcff", "\u200b"]),
    max_size=40,
)
SUMMARY = st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.floats(allow_nan=False)))
FINDING = Finding.make(Rule.ABSOLUTE_SELF_IMPORT, "m", location=Location("a.py", 1, 1))


def rich_output(report: Report, options: RenderOptions) -> str:
    out = io.StringIO()
    render_rich(report, out, options)
    return out.getvalue()


def plain_output(report: Report, options: RenderOptions) -> str | None:
    out = io.StringIO()
    return out.getvalue() if write_plain_summary(report, out, options) else None


@settings(max_examples=300, deadline=None)
@given(
    summary=SUMMARY,
    command=st.sampled_from(["scan-imports", "fix-imports", "check-env", "doctor"]),
    status=st.sampled_from(list(ExitCode)),
    findings=st.booleans(),
    quiet=st.booleans(),
    list_findings=st.booleans(),
    exit_zero=st.booleans(),
    color=st.sampled_from([None, False]),
    long_line=st.booleans(),
)
def test_a_summary_alone_is_written_as_rich_writes_it(
    summary: dict[str, object],
    command: str,
    status: ExitCode,
    findings: bool,
    quiet: bool,
    list_findings: bool,
    exit_zero: bool,
    color: bool | None,
    long_line: bool,
) -> None:
    if long_line:  # wider than any terminal: Rich must not wrap it, nor may we
        summary = {**summary, "files": "x" * 300}
    report = Report(
        command,
        findings=(FINDING,) if findings else (),
        summary=summary,  # type: ignore[arg-type]
        status=status,
    )
    options = RenderOptions(
        quiet=quiet, color=color, list_findings=list_findings, exit_zero=exit_zero
    )
    plain = plain_output(report, options)
    if findings and list_findings:
        assert plain is None  # a finding line needs Rich
    else:
        assert plain is not None
        assert plain == rich_output(report, options)


@pytest.mark.parametrize(
    ("env", "value"), [("NO_COLOR", "1"), ("COLUMNS", "12"), ("TERM", "dumb"), ("FORCE_COLOR", "")]
)
def test_the_environment_rich_reads_changes_nothing_here(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str
) -> None:
    monkeypatch.setenv(env, value)
    report = Report("scan-imports", summary={"packages": "backend, [shared]"})
    options = RenderOptions()
    plain = plain_output(report, options)
    if env == "FORCE_COLOR":  # any value: left to Rich
        assert plain is None
    else:
        assert plain == rich_output(report, options)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "env", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}, {"TTY_COMPATIBLE": "1", "NO_COLOR": "1"}]
)
def test_a_forced_terminal_is_left_to_rich(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert plain_output(Report("scan-imports"), RenderOptions()) is None


def test_a_terminal_is_left_to_rich() -> None:
    assert not write_plain_summary(Report("scan-imports"), _Terminal(), RenderOptions())


@pytest.mark.parametrize(
    "report",
    [
        Report("fix-imports", text="--- a/x.py\n"),
        Report("scan-imports", sections=(Section("skipped", "Skipped", ("path",), (("x",),)),)),
        Report("doctor", panel=Panel("Database", "green", ())),
        Report("scan-imports", findings=(FINDING,)),
    ],
)
def test_anything_more_than_a_summary_is_left_to_rich(report: Report) -> None:
    assert plain_output(report, RenderOptions()) is None


def test_quiet_drops_what_rich_drops() -> None:
    report = Report(
        "scan-imports",
        sections=(Section("skipped", "Skipped", ("path",), (("x",),)),),
        panel=Panel("Database", "green", ()),
    )
    options = RenderOptions(quiet=True)
    assert plain_output(report, options) == rich_output(report, options)


def test_emit_takes_the_plain_path_for_a_clean_report() -> None:
    out = io.StringIO()
    emit(Report("scan-imports", summary={"files": 3}), OutputFormat.RICH, stream=out)
    assert out.getvalue() == "scan-imports: 0 error(s), 0 warning(s), 0 info, files: 3 — clean\n"


# A clean package, scanned in the default format with the output to a pipe.
_PROBE = (
    "import sys\nfrom jyoti_doctor.cli import main\nsys.argv[0] = 'jyoti-doctor'\n"
    "try:\n    main()\nfinally:\n    print('rich loaded:', 'rich' in sys.modules, file=sys.stderr)"
)


@pytest.mark.parametrize("command", ["scan-imports", "fix-imports"])
def test_a_clean_run_prints_without_rich_what_rich_prints(tmp_path: Path, command: str) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("")

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-c", _PROBE, command, "pkg"]
        return run_process(tmp_path, argv, {**bare_env(tmp_path), **extra})

    plain, through_rich = run(), run(FORCE_COLOR="")  # empty: Rich sees no terminal
    assert "rich loaded: False" in plain.stderr
    assert "rich loaded: True" in through_rich.stderr
    assert plain.returncode == through_rich.returncode == 0
    assert plain.stdout == through_rich.stdout
    assert plain.stdout.endswith("— clean\n")


@pytest.mark.parametrize("value", ["a\\", "[bold]x[/]", "\\[y]"])
def test_values_are_shown_as_they_are_not_as_markup(value: str) -> None:
    # Rich's markup escaping doubles a trailing backslash; the summary is never markup.
    report = Report("scan-imports", summary={"packages": value})
    expected = f"packages: {value} — clean\n"
    assert rich_output(report, RenderOptions()).endswith(expected)
    assert (plain_output(report, RenderOptions()) or "").endswith(expected)


@pytest.mark.parametrize("through_rich", [False, True])
def test_a_reader_gone_away_is_a_quiet_exit_1_as_with_rich(
    tmp_path: Path, through_rich: bool
) -> None:
    # `jyoti-doctor scan-imports | head -0`: the pipe's reading end is closed before the write.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    env = {**bare_env(tmp_path), **({"FORCE_COLOR": ""} if through_rich else {})}
    with closed_pipe() as pipe:
        done = run_cli(tmp_path, "scan-imports", "pkg", env=env, stdout=pipe)
    assert (done.returncode, done.stderr) == (1, "")
