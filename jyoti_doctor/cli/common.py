"""The Typer app and the options every command declares (their run-report-exit sequence is
cli/execution.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from ..config import OutputFormat

app = typer.Typer(
    name="jyoti-doctor",
    help="Diagnose and repair the startup failures of small-team Python backends.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def version_text() -> str:
    """The versions a bug report needs. Read from installed metadata, so no library is imported
    for it, except psycopg, which alone knows the libpq it loaded; only ``--version`` pays."""
    import platform
    from importlib import metadata

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    try:
        import psycopg

        libpq_number = psycopg.pq.version()
        libpq = f"{libpq_number // 10000}.{libpq_number % 10000} ({psycopg.pq.__impl__})"
    except Exception as exc:  # noqa: BLE001  (a missing libpq is a fact to report, not a crash)
        libpq = f"unavailable ({type(exc).__name__})"
    return "\n".join(
        (
            f"jyoti-doctor {__version__}",
            f"Python {platform.python_version()} ({platform.python_implementation()})",
            f"libcst {installed('libcst')}",
            f"psycopg {installed('psycopg')}, libpq {libpq}",
        )
    )


def _version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the version, with those of Python, libcst, psycopg and libpq, and exit.",
        ),
    ] = False,
) -> None:
    """Diagnose and repair the startup failures of small-team Python backends."""


FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        case_sensitive=False,
        help="Report format: rich, json, github, sarif or markdown "
        "[env: JYOTI_DOCTOR_FORMAT; default: rich].",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="pyproject.toml to read [tool.jyoti-doctor] from.", dir_okay=False
    ),
]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="Only the findings and the summary.")]
NoColorOpt = Annotated[
    bool, typer.Option("--no-color", help="Plain text, no colours (NO_COLOR is honoured too).")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")]
ExitZeroOpt = Annotated[
    bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")
]
