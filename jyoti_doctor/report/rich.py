"""The human format: Rich tables and panels. Colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..findings import Report, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def make_console(stream: TextIO, color: bool | None) -> Console:
    # color=None lets Rich decide (a terminal, and NO_COLOR unset); False forces plain text.
    return Console(
        file=stream,
        no_color=True if color is False else None,
        color_system=None if color is False else "auto",
        highlight=False,
        soft_wrap=True,
        # `:name:` in reported source or a diff is text, never an emoji code.
        emoji=False,
    )


def render_rich(report: Report, stream: TextIO, *, quiet: bool, color: bool | None) -> None:
    console = make_console(stream, color)
    panel = not quiet and report.command == "probe-db"
    if panel:
        from ..db.view import render_panel

        render_panel(report, console)
    for f in report.findings if report.list_findings else ():
        where = str(f.location) if f.location else report.command
        console.print(
            f"[bold]{escape(where)}[/]: [{_STYLE[f.severity]}]{f.code}[/] "
            f"[dim]{f.severity.value}[/] {escape(f.message)}"
        )
        if f.source and not quiet:
            for line in f.source.splitlines():
                console.print(f"    {escape(line)}", style="dim")
        if f.fix is not None and not quiet:
            if f.fix.replacement is not None:
                label = "fix" if f.fix.applicability.value == "safe" else "unsafe fix"
                console.print(f"  [green]{label}:[/] {escape(f.fix.replacement)}")
            if f.fix.reason:
                # A fix with nothing to apply carries an instruction rather than a rationale.
                manual = f.fix.replacement is None and f.fix.applicability.value == "none"
                console.print(f"  [dim]{'help' if manual else 'why'}:[/] {escape(f.fix.reason)}")
    if not quiet:
        for section in report.sections:
            if panel and section.panel:
                continue
            sec = Table(title=section.title, title_justify="left")
            for column in section.columns:
                # Fold rather than truncate: a cut-off variable name or hint hides what matters.
                sec.add_column(column, overflow="fold")
            for row in section.rows:
                sec.add_row(*(escape(cell) for cell in row))
            console.print(sec)
    if report.text:
        console.print(escape(report.text), end="" if report.text.endswith("\n") else "\n")
    counts = report.severity_counts()
    code = report.exit_code()
    verdict = "[green]clean[/]" if code == 0 else f"[bold]exit {int(code)}[/]"
    extras = "".join(
        f", {escape(str(k))}: {escape(str(v))}"
        for k, v in report.summary.items()
        if isinstance(v, (str, int, float))
    )
    console.print(
        f"{report.command}: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info{extras} — {verdict}"
    )
