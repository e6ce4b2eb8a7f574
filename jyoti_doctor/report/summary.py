"""The human format's summary line, and a clean run's output written without Rich.

Most runs a hook makes find nothing: the human format then prints the summary line alone, and
where that goes to a file or a pipe (not a terminal by Rich's own rules) Rich writes it as plain
text. :func:`write_plain_summary` writes that same text without importing Rich, which costs more
than the rest of a small scan. tests/test_reporters_plain.py compares it with Rich's output.
"""

from __future__ import annotations

import builtins
import os
from typing import TextIO

from ..files import printable
from ..findings import Report, Severity
from ..output import write_through
from . import RenderOptions


def summary_parts(report: Report, exit_zero: bool) -> tuple[str, str, str]:
    """The summary line as its counts and values, its verdict, and the verdict's Rich style.
    Plain strings: Rich prints them as ``Text``, never as markup, so a value ending in a
    backslash or holding brackets is shown as it is."""
    counts = report.severity_counts()
    code = report.exit_code(exit_zero=exit_zero)
    extras = "".join(
        f", {printable(str(k))}: {printable(str(v))}"
        for k, v in report.summary.items()
        if isinstance(v, (str, int, float))
    )
    text = (
        f"{report.command}: {counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} "
        f"warning(s), {counts[Severity.INFO]} info{extras} — "
    )
    if code == 0:
        return text, "clean", "green"
    return text, f"exit {int(code)}", "bold"


def _only_summary(report: Report, options: RenderOptions) -> bool:
    """The human format would print the summary line and nothing else."""
    quiet = options.quiet
    return (
        (quiet or report.panel is None)
        and (not report.findings or not options.list_findings)
        and (quiet or not report.sections)
        and not report.text
    )


def _not_a_terminal(stream: TextIO) -> bool:
    """Rich would see no terminal (console.Console.is_terminal): no colour, no markup output.
    Only the plain case is decided here; the environment variables that force a terminal,
    and anything unusual, leave the decision to Rich."""
    if hasattr(builtins, "get_ipython"):  # IPython or Jupyter: Rich renders for them
        return False
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible == "1" or (tty_compatible != "0" and "FORCE_COLOR" in os.environ):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:  # closed: Rich treats it as no terminal too, but let it say so
        return False


def write_plain_summary(report: Report, stream: TextIO, options: RenderOptions) -> bool:
    """Write the human format of a report that is only a summary line, to a stream that is not
    a terminal, as Rich would; ``False`` (nothing written) for anything else."""
    if not (_only_summary(report, options) and _not_a_terminal(stream)):
        return False
    text, verdict, _ = summary_parts(report, options.exit_zero)
    write_through(stream, f"{text}{verdict}\n")  # flushed, as Rich does
    return True
