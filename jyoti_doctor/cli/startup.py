"""CLI for ``check-startup`` and ``doctor`` (registered on the shared app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import Settings, Style
from ..doctor import Check
from ..findings import Report
from . import actions
from .common import ConfigOpt, DebugOpt, ExitZeroOpt, FormatOpt, NoColorOpt, QuietOpt, app
from .execution import Common, execute


@app.command("check-startup")
def check_startup_cmd(
    start_command: Annotated[
        str | None,
        typer.Argument(
            help="The start command, e.g. 'cd backend && uvicorn main:app' "
            "(default: [tool.jyoti-doctor] start, Procfile, render.yaml, compose file, "
            "Dockerfile)."
        ),
    ] = None,
    project: Annotated[
        Path, typer.Option("--project", help="The project directory.", file_okay=False)
    ] = Path("."),
    cwd: Annotated[
        Path | None,
        typer.Option(
            "--cwd",
            help="Directory the start command runs in [default: the project].",
            file_okay=False,
        ),
    ] = None,
    run: Annotated[
        bool,
        typer.Option(
            "--run",
            help="Also import the app for real in a subprocess and compare with the prediction.",
        ),
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Start the real server on 127.0.0.1 instead, wait until it answers, read its "
            "start-up log and stop it (the same as check-serve; 60 s deadline).",
        ),
    ] = False,
    path: Annotated[
        str | None,
        typer.Option("--path", help="With --serve: the health path to request."),
    ] = None,
    style: Annotated[
        Style | None,
        typer.Option(
            "--style",
            case_sensitive=False,
            help="The import style you intend to use; warns when it cannot work with "
            "the start command [config: style].",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds allowed for --run's import.")
    ] = 20.0,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="The interpreter the app runs under (a path, relative to here, or a name on "
            "PATH): decides which third-party imports exist, and runs --run [default: "
            "VIRTUAL_ENV, the project's .venv/ or venv/, its poetry env; without one, "
            "third-party imports are not checked].",
        ),
    ] = None,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Predict (and with --run, observe) the import errors a start command will hit."""
    actions.check_startup(**locals())


@app.command("doctor")
def doctor_cmd(
    project_dir: Annotated[
        Path, typer.Argument(help="The project directory (default: .).", file_okay=False)
    ] = Path("."),
    skip: Annotated[
        list[Check] | None,
        typer.Option("--skip", case_sensitive=False, help="Skip a check (repeatable)."),
    ] = None,
    deadline: Annotated[
        float, typer.Option("--deadline", min=0.1, help="Seconds the database check may take.")
    ] = 5.0,
    verbose: Annotated[
        bool,
        typer.Option("-v", "--verbose", help="List every finding above the summary (rich format)."),
    ] = False,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Run env → imports → startup → database, in the app's own start-up order; one summary."""
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)

    def produce(cfg: Settings) -> Report:
        from ..doctor import doctor

        return doctor(project_dir, cfg, skip=frozenset(skip or ()), db_deadline=deadline)

    # Like `flutter doctor`: people get the summary, `-v` the details; machines get everything.
    execute("doctor", common, project_dir, produce, list_findings=verbose)
