"""The human format: Rich tables and panels. Colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel as RichPanel
from rich.table import Table
from rich.text import Text

from ..files import printable
from ..findings import Applicability, Panel, Report, Severity
from . import RenderOptions
from .summary import summary_parts

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


def render_panel(panel: Panel, console: Console) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for line in panel.lines:
        grid.add_row(printable(line.label), Text(printable(line.value), style=line.style or ""))
    console.print(RichPanel(Group(grid), title=panel.title, border_style=panel.style, expand=False))


def render_rich(report: Report, stream: TextIO, options: RenderOptions) -> None:
    console = make_console(stream, options.color)
    quiet = options.quiet
    panel = None if quiet else report.panel
    if panel is not None:
        render_panel(panel, console)
    for f in report.findings if options.list_findings else ():
        # One finding, one line: a file named `a\nb.py` or a message quoting one stays whole.
        where = printable(str(f.location) if f.location else report.command)
        console.print(
            f"[bold]{escape(where)}[/]: [{_STYLE[f.severity]}]{f.code}[/] "
            f"[dim]{f.severity.value}[/] {escape(printable(f.message))}"
        )
        if f.source and not quiet:
            for line in f.source.splitlines():
                console.print(f"    {escape(printable(line, keep=chr(9)))}", style="dim")
        if f.fix is not None and not quiet:
            if f.fix.replacement is not None:
                label = "fix" if f.fix.applicability is Applicability.SAFE else "unsafe fix"
                console.print(f"  [green]{label}:[/] {escape(printable(f.fix.replacement))}")
            if f.fix.reason:
                # A fix with nothing to apply carries an instruction rather than a rationale.
                manual = f.fix.replacement is None and f.fix.applicability is Applicability.NONE
                reason = escape(printable(f.fix.reason))
                console.print(f"  [dim]{'help' if manual else 'why'}:[/] {reason}")
    if not quiet:
        for section in report.sections:
            if panel is not None and section.key in panel.replaces:
                continue
            sec = Table(title=section.title, title_justify="left")
            for column in section.columns:
                # Fold rather than truncate: a cut-off variable name or hint hides what matters.
                sec.add_column(column, overflow="fold")
            for row in section.rows:
                sec.add_row(*(escape(printable(cell)) for cell in row))
            console.print(sec)
    if report.text:
        # Free text keeps its lines and tabs; any other control character is shown escaped.
        text = printable(report.text, keep="\n\t")
        console.print(escape(text), end="" if text.endswith("\n") else "\n")
    text, verdict, style = summary_parts(report, options.exit_zero)
    console.print(Text.assemble(text, (verdict, style)))
