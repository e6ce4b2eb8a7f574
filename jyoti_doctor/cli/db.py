"""CLI for ``probe-db`` (registered on the shared app). psycopg is imported only when it runs."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Config
from ..errors import UsageError
from ..findings import Report
from ..report import OutputFormat
from .common import (
    Common,
    ConfigOpt,
    DebugOpt,
    ExitZeroOpt,
    FormatOpt,
    NoColorOpt,
    QuietOpt,
    app,
    execute,
    stderr_console,
)

DEFAULT_DEADLINE = 120.0
DEFAULT_QUERY_TIMEOUT = 5.0

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help="Connection URL (default: DATABASE_URL from the environment, then .env)."
    ),
]
EnvFileOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--env-file",
        help="Read DATABASE_URL from this file (repeatable; later files win).",
        dir_okay=False,
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        help=f"Give up after this many seconds [default: {DEFAULT_DEADLINE:g}].",
        show_default=False,
    ),
]
ConnectTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--connect-timeout",
        help="Fixed per-attempt connect timeout (default: growing, 2 s to 30 s).",
    ),
]
QueryTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--query-timeout",
        help=f"Client-side timeout of the first queries [default: {DEFAULT_QUERY_TIMEOUT:g}].",
        show_default=False,
    ),
]
RetryAuthOpt = Annotated[
    int | None,
    typer.Option(
        "--retry-auth",
        help="Retry authentication failures N times (an init script still creating the role).",
        show_default=False,
    ),
]


def _number(cfg: Config, key: str, flag: Any, default: Any, kind: type) -> Any:
    if flag is not None:
        return flag
    table = cfg.table("db")
    if key not in table:
        return default
    value = table[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (kind is int and not isinstance(value, int))
    ):
        raise UsageError(f"{cfg.path}: [tool.jyoti-doctor.db] `{key}` must be a {kind.__name__}")
    return kind(value)


def _known_secrets(url: str | None, env_files: list[Path]) -> tuple[str, ...]:
    """Passwords to mask in any error path, found before anything can fail.

    This runs outside the command's guarded path, so it must never raise: whatever went wrong
    happens again inside the command and is reported there (masked), not as a traceback.
    """
    from ..db.conninfo import find_url
    from ..masking import password_candidates

    try:
        return password_candidates(find_url(url, env_files).value)
    except Exception:  # noqa: BLE001
        try:
            return password_candidates(url) if url else ()
        except Exception:  # noqa: BLE001
            return ()


@app.command("probe-db")
def probe_db_cmd(
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    deadline: DeadlineOpt = None,
    connect_timeout: ConnectTimeoutOpt = None,
    query_timeout: QueryTimeoutOpt = None,
    retry_auth: RetryAuthOpt = None,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Connect like the app's startup would, cold-start aware, and classify every failure.

    Exit 0 ready, 3 not ready by the deadline (only transient failures), 4 refused for good.
    """
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)
    env_files = list(env_file or [])

    def produce(cfg: Config, fmt: OutputFormat) -> Report:
        from ..db.probe import probe_db
        from ..db.view import LiveView, render_panel

        console = stderr_console(common)
        with LiveView(console) as view:
            report = probe_db(
                url,
                env_files=env_files,
                project_dir=Path("."),
                deadline=_number(cfg, "deadline", deadline, DEFAULT_DEADLINE, float),
                connect_timeout=_number(cfg, "connect-timeout", connect_timeout, None, float),
                query_timeout=_number(
                    cfg, "query-timeout", query_timeout, DEFAULT_QUERY_TIMEOUT, float
                ),
                retry_auth=_number(cfg, "retry-auth", retry_auth, 0, int),
                on_event=view.update,
            )
        if fmt is OutputFormat.RICH and not common.quiet:
            from ..report.rich import make_console

            color = False if common.no_color else None
            render_panel(report, make_console(sys.stdout, color))
            # The panel already shows the timeline.
            report = dataclasses.replace(
                report, sections=tuple(s for s in report.sections if s.title != "Timeline")
            )
        return report

    execute(common, Path("."), produce, secrets=_known_secrets(url, env_files))
