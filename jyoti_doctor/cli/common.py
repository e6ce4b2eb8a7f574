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
from ..config import ENV_PREFIX, OutputFormat, Settings, load_config
from ..errors import UsageError
from ..findings import ExitCode, Report
from ..masking import mask_text
from ..report import emit, emit_error

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


def env_format() -> OutputFormat | None:
    """``JYOTI_DOCTOR_FORMAT`` when it names a format (load_config reports a bad one)."""
    try:
        return OutputFormat(os.environ.get(ENV_PREFIX + "FORMAT", "").lower())
    except ValueError:
        return None


def sarif_help_base() -> str | None:
    return os.environ.get(ENV_PREFIX + "SARIF_HELP_BASE") or None


def command_name() -> str:
    import click

    ctx = click.get_current_context(silent=True)
    return ctx.info_name if ctx is not None and ctx.info_name else "jyoti-doctor"


def fail_with_document(fmt: OutputFormat | None, code: ExitCode, message: str) -> NoReturn:
    """Exit with ``code``: the message on stderr and, for a machine format, a document on
    stdout that says the run failed, so a CI step parsing stdout never meets an empty file."""
    if fmt is not None:
        try:
            emit_error(command_name(), fmt, int(code), message, sarif_help_base=sarif_help_base())
        except Exception:  # noqa: BLE001, S110  (stdout gone: the message below still goes out)
            pass
    fail(code, message)


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

    # The format is known before the config is read, so a bad config still gets its document.
    fmt: OutputFormat | None = common.format or env_format()
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
            sarif_help_base=sarif_help_base(),
        )
        code = report.exit_code(exit_zero=common.exit_zero)
    except UsageError as exc:
        fail_with_document(fmt, ExitCode.USAGE, mask_text(str(exc), known()))
    except KeyboardInterrupt:
        fail_with_document(fmt, ExitCode.INTERRUPTED, "interrupted")
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001  (the last line of defence: never a bare traceback)
        if common.debug or os.environ.get("JYOTI_DOCTOR_DEBUG"):
            text = "".join(traceback.format_exception(exc))
            sys.stderr.write(mask_text(text, known()))
        fail_with_document(
            fmt,
            ExitCode.INTERNAL,
            f"internal error ({type(exc).__name__}: {mask_text(str(exc), known())}); "
            "this is a bug in jyoti-doctor. Rerun with --debug to see the traceback.",
        )
    raise typer.Exit(int(code))
