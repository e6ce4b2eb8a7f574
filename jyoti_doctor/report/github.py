"""GitHub Actions workflow commands (``::error file=..,line=..::message``) with GitHub's escaping."""

from __future__ import annotations

from ..files import printable
from ..findings import Finding, Report, Severity
from . import RenderOptions

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    # GitHub decodes %0A to a line break inside one annotation; other control characters
    # (a terminal escape in a file name) are shown escaped, never passed to the log.
    text = printable(text, keep="\r\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    props: list[tuple[str, object]] = []
    loc = finding.location
    if loc is not None:
        props.append(("file", loc.path))
        for key, value in (
            ("line", loc.line),
            ("col", loc.col),
            ("endLine", loc.end_line),
            ("endColumn", loc.end_col),
        ):
            if value is not None:
                props.append((key, value))
    props.append(("title", f"jyoti-doctor ({finding.code})"))
    rendered = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
    return f"::{_LEVEL[finding.severity]} {rendered}::{escape_data(finding.message)}"


def render_github(report: Report, options: RenderOptions) -> str:
    lines = [annotation(f) for f in report.findings]
    counts = report.severity_counts()
    lines.append(
        f"jyoti-doctor {report.command}: {counts[Severity.ERROR]} error(s), "
        f"{counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info"
    )
    return "\n".join(lines) + "\n"
