"""Markdown for a CI job summary (``$GITHUB_STEP_SUMMARY``) or a pull-request comment.

Short on purpose: the verdict, doctor's check lines when there are any, then a table of the
first findings. Every cell is one line (control characters escaped, ``|`` and HTML neutralised),
so a hostile file name cannot break the table or inject markup.
"""

from __future__ import annotations

import re

from ..files import printable
from ..findings import Report, Severity
from . import RenderOptions

# GitHub caps a comment at 65,536 characters; a summary that long helps nobody anyway.
MAX_ROWS = 50
_ICON = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}
_MARK = {"✓": "✅", "✗": "❌", "!": "⚠️", "-": "⏭️"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def cell(text: str) -> str:
    """One table cell: a single line, Markdown and HTML characters escaped; the messages'
    own `code` spans stay code spans (a `|` inside one is escaped as GFM tables need)."""
    text = printable(text)
    parts: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        parts += [_escape(text[pos : match.start()]), code(match[1])]
        pos = match.end()
    parts.append(_escape(text[pos:]))
    return "".join(parts)


def code(text: str) -> str:
    """Inline code that no backtick inside ``text`` can close early."""
    text = printable(text).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _checks(report: Report) -> list[str]:
    """doctor's per-check lines, from its machine details."""
    checks = report.details.get("checks")
    if not isinstance(checks, list) or not checks:
        return []
    rows = ["| | Check | Result | Next |", "| --- | --- | --- | --- |"]
    for item in checks:
        if not isinstance(item, dict):
            continue
        mark = str(item.get("mark", ""))
        nxt = str(item.get("next") or "")
        rows.append(
            f"| {_MARK.get(mark, cell(mark))} | {cell(str(item.get('check', '')))} "
            f"| {cell(str(item.get('found', '')))} | {code(nxt) if nxt else ''} |"
        )
    return [*rows, ""]


def render_markdown(report: Report, options: RenderOptions) -> str:
    counts = report.severity_counts()
    exit_code = int(report.exit_code(exit_zero=options.exit_zero))
    verdict = "clean" if exit_code == 0 else f"exit {exit_code}"
    lines = [
        f"### jyoti-doctor {cell(report.command)}: {verdict}",
        "",
        (
            f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
            f"{counts[Severity.INFO]} info"
        ),
        "",
    ]
    lines += _checks(report)
    if report.findings:
        lines += ["| Severity | Code | Where | Message |", "| --- | --- | --- | --- |"]
        for f in report.findings[:MAX_ROWS]:
            where = code(str(f.location)) if f.location else ""
            lines.append(f"| {_ICON[f.severity]} | {f.code} | {where} | {cell(f.message)} |")
        hidden = len(report.findings) - MAX_ROWS
        if hidden > 0:
            lines += ["", f"… and {hidden} more (run with `--format json` for all of them)."]
        lines.append("")
    return "\n".join(lines)


def render_markdown_error(command: str, exit_code: int, message: str) -> str:
    return f"### jyoti-doctor {cell(command)}: exit {exit_code}\n\n{cell(message)}\n"
