"""CLI for ``probe-db`` (registered on the shared app). psycopg is imported only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import Settings, load_config
from ..db.policy import ProbeSettings
from ..findings import Report
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

if TYPE_CHECKING:
    from ..db.conninfo import RawUrl

DEFAULTS = ProbeSettings()

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
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        help=f"Give up after this many seconds [default: {DEFAULTS.deadline:g}].",
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
        help=f"Client-side timeout of the first queries [default: {DEFAULTS.query_timeout:g}].",
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


def _find_url(url: str | None, env_files: list[Path], common: Common) -> RawUrl | Exception:
    """The URL, looked up once before anything can fail, or what went wrong looking it up.

    This runs outside the command's guarded path, so it never raises: the error is raised again
    inside the command and reported there (masked), not as a traceback.
    """
    from ..db.conninfo import find_url

    try:
        config = load_config(common.config, Path("."))
        return find_url(url, env_files, Path("."), config=config)
    except Exception as exc:  # noqa: BLE001
        return exc


def _known_secrets(found: RawUrl | Exception, url: str | None) -> tuple[str, ...]:
    """Passwords to mask in any error path; never raises, for the same reason as :func:`_find_url`."""
    from ..masking import password_candidates

    value = url if isinstance(found, Exception) else found.value
    try:
        return password_candidates(value) if value else ()
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
    found = _find_url(url, list(env_file or []), common)

    def produce(cfg: Settings) -> Report:
        from ..db.probe import probe_db
        from ..db.report import build_report
        from ..db.view import LiveView

        if isinstance(found, Exception):
            raise found

        db = cfg.db
        with LiveView(stderr_console(common)) as view:
            return build_report(
                probe_db(
                    raw=found,
                    deadline=deadline if deadline is not None else db.deadline,
                    connect_timeout=connect_timeout
                    if connect_timeout is not None
                    else db.connect_timeout,
                    query_timeout=query_timeout if query_timeout is not None else db.query_timeout,
                    retry_auth=retry_auth if retry_auth is not None else db.retry_auth,
                    on_event=view.update,
                )
            )

    execute(common, Path("."), produce, secrets=lambda: _known_secrets(found, url))
