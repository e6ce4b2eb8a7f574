"""Output formats. One emitter per format, all fed the same :class:`~jyoti_doctor.findings.Report`."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TextIO, assert_never

from ..findings import Report


class OutputFormat(StrEnum):
    RICH = "rich"
    JSON = "json"
    GITHUB = "github"


def emit(
    report: Report,
    fmt: OutputFormat,
    *,
    stream: TextIO | None = None,
    quiet: bool = False,
    color: bool | None = None,
) -> None:
    """Write ``report`` to ``stream`` (stdout by default) in ``fmt``."""
    out = stream if stream is not None else sys.stdout
    if fmt is OutputFormat.JSON:
        from .json import render_json

        out.write(render_json(report))
    elif fmt is OutputFormat.GITHUB:
        from .github import render_github

        out.write(render_github(report))
    elif fmt is OutputFormat.RICH:
        from .rich import render_rich

        render_rich(report, out, quiet=quiet, color=color)
    else:
        assert_never(fmt)
