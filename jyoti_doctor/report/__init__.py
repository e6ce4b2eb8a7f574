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

__all__ = ["OutputFormat", "RenderOptions", "emit"]


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


def emit(
    report: Report,
    fmt: OutputFormat,
    *,
    stream: TextIO | None = None,
    quiet: bool = False,
    color: bool | None = None,
    list_findings: bool = True,
    exit_zero: bool = False,
) -> None:
    """Write ``report`` to ``stream`` (stdout by default) in ``fmt``."""
    out = stream if stream is not None else sys.stdout
    options = RenderOptions(quiet, color, list_findings, exit_zero)
    if fmt is OutputFormat.JSON:
        from .json import render_json

        out.write(render_json(report, options))
    elif fmt is OutputFormat.GITHUB:
        from .github import render_github

        out.write(render_github(report, options))
    elif fmt is OutputFormat.RICH:
        from .rich import render_rich

        render_rich(report, out, options)
    else:
        assert_never(fmt)
