"""Output formats. One emitter per format, all fed the same :class:`~jyoti_doctor.findings.Report`.

Reporters see only findings, typed sections, the panel and the summary; they never import a
command's core (a test holds them to that).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO, assert_never

from ..config import OutputFormat
from ..findings import Report
from ..output import detach, write_through

__all__ = ["OutputFormat", "RenderOptions", "emit", "emit_error"]


@dataclass(frozen=True)
class RenderOptions:
    """How to show a report; none of this is part of the result itself."""

    quiet: bool = False
    # None lets Rich decide (a terminal and NO_COLOR unset); False forces plain text.
    color: bool | None = None
    # The human format may show only the counts and the text (doctor without -v); the machine
    # formats always carry every finding.
    list_findings: bool = True
    # --exit-zero: findings do not fail the command; every format shows the same exit code.
    exit_zero: bool = False
    # Where docs/ is served (JYOTI_DOCTOR_SARIF_HELP_BASE); SARIF's helpUri must be absolute.
    sarif_help_base: str | None = None


def emit(
    report: Report,
    fmt: OutputFormat,
    *,
    stream: TextIO | None = None,
    quiet: bool = False,
    color: bool | None = None,
    list_findings: bool = True,
    exit_zero: bool = False,
    sarif_help_base: str | None = None,
) -> None:
    """Write ``report`` to ``stream`` (stdout by default) in ``fmt``."""
    out = stream if stream is not None else sys.stdout
    options = RenderOptions(quiet, color, list_findings, exit_zero, sarif_help_base)
    if fmt is OutputFormat.JSON:
        from .json import render_json

        write_through(out, render_json(report, options))
    elif fmt is OutputFormat.GITHUB:
        from .github import render_github

        write_through(out, render_github(report, options))
    elif fmt is OutputFormat.SARIF:
        from .sarif import render_sarif

        write_through(out, render_sarif(report, options))
    elif fmt is OutputFormat.MARKDOWN:
        from .markdown import render_markdown

        write_through(out, render_markdown(report, options))
    elif fmt is OutputFormat.RICH:
        from .summary import write_plain_summary

        if not write_plain_summary(report, out, options):
            from .rich import render_rich

            render_rich(report, out, options)
    else:
        assert_never(fmt)


def emit_error(
    command: str,
    fmt: OutputFormat,
    code: int,
    message: str,
    *,
    stream: TextIO | None = None,
    sarif_help_base: str | None = None,
) -> bool:
    """For a run that ended in an error (exit 2, 70, 130), write the document a CI step parses:
    JSON and SARIF always, Markdown for the job summary, an annotation for GitHub. ``False`` for
    the human formats, whose message goes to stderr alone. ``message`` must already be masked."""
    out = stream if stream is not None else sys.stdout
    if fmt is OutputFormat.JSON:
        from .json import render_json_error

        text = render_json_error(command, code, message)
    elif fmt is OutputFormat.SARIF:
        from .sarif import render_sarif_error

        text = render_sarif_error(
            command, code, message, RenderOptions(sarif_help_base=sarif_help_base)
        )
    elif fmt is OutputFormat.MARKDOWN:
        from .markdown import render_markdown_error

        text = render_markdown_error(command, code, message)
    elif fmt is OutputFormat.GITHUB:
        from .github import escape_data

        text = f"::error title=jyoti-doctor {command}::{escape_data(message)}\n"
    elif fmt is OutputFormat.RICH:
        return False
    else:
        assert_never(fmt)
    if out is None:  # stdout closed before the start (`>&-`)
        return True
    try:
        out.write(text)
        out.flush()
    except OSError:
        if out is not sys.stdout:
            raise
        # A reader gone, a full disk: the error itself still reaches stderr, with its own code.
        detach(sys.stdout)
    return True
