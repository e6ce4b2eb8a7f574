"""The options of ``check-env`` (registered on the shared app); what it does is cli/actions.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import actions
from .common import ConfigOpt, DebugOpt, ExitZeroOpt, FormatOpt, NoColorOpt, QuietOpt, app

ProjectArg = Annotated[
    Path | None,
    typer.Argument(help="The project directory (default: .).", file_okay=False, show_default=False),
]
EnvFileOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--env-file",
        help="A .env file to check (repeatable; a later file wins, and named files win over "
        "the process environment). Default: the config's env-file, else the settings class's "
        "env_file, else ./.env (docs/env.md: Which value wins).",
    ),
]
SchemaOpt = Annotated[
    str | None,
    typer.Option(
        "--schema",
        help="Where the schema comes from: `pyproject` ([tool.jyoti-doctor.env]) or a file "
        "(.env.example style, or a .toml). Default: pyproject over .env.example over the "
        "app's code (settings classes, os.environ reads), else built-in.",
    ),
]
RequireOpt = Annotated[
    list[str] | None,
    typer.Option("--require", help="Require this variable too (repeatable)."),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict", help="Advice (BOM, CRLF, duplicates, git) becomes warnings and fails too."
    ),
]


@app.command("check-env")
def check_env_command(
    project: ProjectArg = None,
    env_file: EnvFileOpt = None,
    schema: SchemaOpt = None,
    require: RequireOpt = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Validate the environment and .env files against a schema; never print a secret."""
    actions.check_env(**locals())
