"""CLI for ``init``: show what would be added (a diff), ``--write`` to add it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import Settings
from ..findings import Report
from .common import ConfigOpt, DebugOpt, FormatOpt, NoColorOpt, QuietOpt, app
from .execution import Common, execute


@app.command("init")
def init_cmd(
    project: Annotated[
        Path, typer.Argument(help="The project directory (default: .).", file_okay=False)
    ] = Path("."),
    write: Annotated[
        bool, typer.Option("--write", help="Create the files (default: show a diff).")
    ] = False,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="owner/repo@ref of the jyoti-doctor Action for the workflow to use "
            "(default: a workflow that installs the release from the package index).",
        ),
    ] = None,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Add a [tool.jyoti-doctor] table, a pre-commit entry and a CI workflow, each only if
    absent; nothing is ever overwritten."""
    common = Common(fmt, config, quiet, no_color, debug)

    def produce(cfg: Settings) -> Report:
        from ..init import apply, plan

        result = plan(project, cfg, action=action)
        return (apply(result) if write else result).to_report()

    execute("init", common, project, produce)
