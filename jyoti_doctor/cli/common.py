"""What every command shares: the app, the common options, and the run-report-exit sequence."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from .. import __version__
from ..config import OutputFormat, Settings, load_config
from ..errors import UsageError
from ..findings import ExitCode, Report
from ..masking import mask_text
from ..report import emit

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="jyoti-doctor",
    help="Diagnose and repair the startup failures of small-team Python backends.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jyoti-doctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Diagnose and repair the startup failures of small-team Python backends."""


FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        case_sensitive=False,
        help="Report format: rich, json or github [env: JYOTI_DOCTOR_FORMAT; default: rich].",
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


@dataclass(frozen=True)
class Common:
    format: OutputFormat | None = None
    config: Path | None = None
    quiet: bool = False
    no_color: bool = False
    debug: bool = False
    exit_zero: bool = False


def stderr_console(common: Common) -> Console:
    """A Rich console for progress and chatter; stdout stays for the report."""
    from rich.console import Console

    return Console(
        stderr=True, no_color=common.no_color or None, highlight=False, quiet=common.quiet
    )


def fail(code: ExitCode, message: str) -> NoReturn:
    typer.echo(f"jyoti-doctor: {message}", err=True)
    raise typer.Exit(int(code))


def execute(
    common: Common,
    target: Path,
    produce: Callable[[Settings], Report],
    *,
    secrets: Callable[[], Iterable[str]] = tuple,
    list_findings: bool = True,
) -> NoReturn:
    """Load config, run the command's core, emit the report and exit with its code.

    Usage errors exit 2 with a one-line message; anything unexpected is an internal error
    (exit 70) whose message is masked and says how to see the traceback. Error paths mask the
    secrets of the environment and of ``target``'s ``.env``, plus those ``secrets()`` names;
    they are gathered only when an error is reported, so a run that succeeds reads nothing twice.
    """

    def known() -> tuple[str, ...]:
        from ..secrets import project_secrets

        return (*project_secrets(target), *secrets())

    try:
        settings = load_config(common.config, target)
        fmt = common.format or settings.format
        report = produce(settings)
        emit(
            report,
            fmt,
            quiet=common.quiet,
            color=False if common.no_color else None,
            list_findings=list_findings,
            exit_zero=common.exit_zero,
        )
        code = report.exit_code(exit_zero=common.exit_zero)
    except UsageError as exc:
        fail(ExitCode.USAGE, mask_text(str(exc), known()))
    except KeyboardInterrupt:
        fail(ExitCode.INTERRUPTED, "interrupted")
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001  (the last line of defence: never a bare traceback)
        if common.debug or os.environ.get("JYOTI_DOCTOR_DEBUG"):
            text = "".join(traceback.format_exception(exc))
            sys.stderr.write(mask_text(text, known()))
        fail(
            ExitCode.INTERNAL,
            f"internal error ({type(exc).__name__}: {mask_text(str(exc), known())}); "
            "this is a bug in jyoti-doctor. Rerun with --debug to see the traceback.",
        )
    raise typer.Exit(int(code))
