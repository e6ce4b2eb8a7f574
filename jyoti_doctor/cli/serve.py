"""CLI for ``check-serve`` (check-startup's serve mode) and ``check-routes``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import Settings
from ..findings import Report
from .common import ConfigOpt, DebugOpt, ExitZeroOpt, FormatOpt, NoColorOpt, QuietOpt, app
from .execution import Common, execute

StartArg = Annotated[
    str | None,
    typer.Argument(
        help="The start command, e.g. 'cd backend && uvicorn main:app' "
        "(default: [tool.jyoti-doctor] start, Procfile, render.yaml, Dockerfile)."
    ),
]
ProjectOpt = Annotated[
    Path, typer.Option("--project", help="The project directory.", file_okay=False)
]
CwdOpt = Annotated[
    Path | None,
    typer.Option(
        "--cwd", help="Directory the start command runs in [default: the project].", file_okay=False
    ),
]
PythonOpt = Annotated[
    str | None,
    typer.Option("--python", help="Interpreter [default: the project's .venv, else this one]."),
]


@app.command("check-serve")
def check_serve_cmd(
    start_command: StartArg = None,
    project: ProjectOpt = Path("."),
    cwd: CwdOpt = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            help="Health path to request once ready "
            "[default: /openapi.json for FastAPI, / otherwise].",
        ),
    ] = None,
    deadline: Annotated[
        float,
        typer.Option("--deadline", min=0.1, help="Seconds the server has to become ready."),
    ] = 60.0,
    grace: Annotated[
        float,
        typer.Option("--grace", min=0.0, help="Seconds between SIGTERM and SIGKILL at the stop."),
    ] = 5.0,
    python: PythonOpt = None,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """check-startup's serve mode: start the real server on 127.0.0.1, wait until it answers,
    request a health path, read its start-up log, stop it."""
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)

    def produce(cfg: Settings) -> Report:
        from ..serve.check import check_serve

        return check_serve(
            project,
            cfg,
            command=start_command,
            cwd=cwd,
            path=path,
            deadline=deadline,
            grace=grace,
            python=python,
        ).to_report()

    execute("check-serve", common, project, produce, start_dir=cwd)


@app.command("check-routes")
def check_routes_cmd(
    start_command: StartArg = None,
    project: ProjectOpt = Path("."),
    cwd: CwdOpt = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="A routes snapshot to compare with (vanished routes are errors).",
            dir_okay=False,
        ),
    ] = None,
    write_baseline: Annotated[
        bool,
        typer.Option(
            "--write-baseline",
            help="Write the routes to --baseline (default routes.json in the project).",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds allowed for importing the app.")
    ] = 30.0,
    python: PythonOpt = None,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """List every route the app registers, find routers that are never included or whose
    include swallows its failure, and compare with a committed baseline."""
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)

    def produce(cfg: Settings) -> Report:
        from ..serve.routes import check_routes

        return check_routes(
            project,
            cfg,
            command=start_command,
            cwd=cwd,
            baseline=baseline,
            write_baseline=write_baseline,
            timeout=timeout,
            python=python,
        ).to_report()

    execute("check-routes", common, project, produce, start_dir=cwd)
