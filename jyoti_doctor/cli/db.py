"""CLI for ``probe-db`` (registered on the shared app). psycopg is imported only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ..config import OutputFormat, Settings, load_config
from ..db.clock import own_process, process_started
from ..db.policy import ProbeSettings, check_seconds
from ..errors import UsageError
from ..findings import Report
from .common import ConfigOpt, DebugOpt, ExitZeroOpt, FormatOpt, NoColorOpt, QuietOpt, app
from .execution import Common, execute, stderr_console

if TYPE_CHECKING:
    from ..db.conninfo import RawUrl

DEFAULTS = ProbeSettings()
# What follows the last attempt: the report, its rendering, the interpreter's exit (measured by
# bench/probe_db.py on a loaded 2-core machine; see docs/db.md).
EXIT_RESERVE = 0.2

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


WatchOpt = Annotated[
    bool,
    typer.Option(
        "--watch",
        help="Keep one connection and sample it every --interval; report outages at the end "
        "(exit 0 none, 3 any, 130 on Ctrl-C).",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option("--interval", help="Seconds between samples with --watch."),
]
DurationOpt = Annotated[
    float | None,
    typer.Option(
        "--duration",
        help="Stop watching after this many seconds (default: until Ctrl-C).",
        show_default=False,
    ),
]
PoolSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--pool-size",
        help="Connections each worker's pool may open (checked against the server's free slots).",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Worker processes, each with its own pool [default: 1 with --pool-size].",
        show_default=False,
    ),
]
# A watch longer than a month is a typo; an interval longer than an hour would never sample.
MAX_WATCH = 31 * 86_400.0
MAX_INTERVAL = 3_600.0


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
    watch: WatchOpt = False,
    interval: IntervalOpt = 10.0,
    duration: DurationOpt = None,
    pool_size: PoolSizeOpt = None,
    workers: WorkersOpt = None,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Connect like the app's startup would, cold-start aware, and classify every failure.

    Exit 0 ready, 3 not ready by the deadline (only transient failures), 4 refused for good.
    With --watch: 0 no outage, 3 an outage, 130 interrupted (the summary is printed first).
    """
    started = process_started()
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)
    found = _find_url(url, list(env_file or []), common)

    def produce(cfg: Settings) -> Report:
        # The flags are checked under their own names; the config's values were checked (with
        # file and line) when it was read.
        for flag, value in (
            ("--deadline", deadline),
            ("--connect-timeout", connect_timeout),
            ("--query-timeout", query_timeout),
        ):
            if value is not None:
                check_seconds(flag, value)
        if retry_auth is not None and not 0 <= retry_auth <= 100:
            raise UsageError(f"--retry-auth must be from 0 to 100 (got {retry_auth})")
        for flag, count in (("--pool-size", pool_size), ("--workers", workers)):
            if count is not None and not 1 <= count <= 100_000:
                raise UsageError(f"{flag} must be from 1 to 100000 (got {count})")
        if watch:
            if pool_size is not None or workers is not None:
                raise UsageError(
                    "--pool-size and --workers are checked by a single probe, not by --watch"
                )
            if deadline is not None:
                raise UsageError(
                    "--deadline does not apply to --watch: each reconnection is bounded by "
                    "--interval, the watch by --duration"
                )
            check_seconds("--interval", interval, MAX_INTERVAL)
            if duration is not None:
                check_seconds("--duration", duration, MAX_WATCH)
        elif duration is not None:
            raise UsageError("--duration needs --watch")
        from ..db.capacity import Capacity
        from ..db.probe import probe_db
        from ..db.report import build_report
        from ..db.view import LiveView

        if isinstance(found, Exception):
            raise found

        db = cfg.db
        capacity = Capacity.of(
            pool_size if pool_size is not None else db.pool_size,
            workers if workers is not None else db.workers,
        )
        if watch:
            return _watch(found, cfg, common, interval, duration, query_timeout, connect_timeout)
        with LiveView(stderr_console(common)) as view:
            return build_report(
                probe_db(
                    raw=found,
                    # Where the Alembic project is looked for: the config's directory, else here.
                    project_dir=cfg.base_dir or Path("."),
                    capacity=capacity,
                    deadline=deadline if deadline is not None else db.deadline,
                    connect_timeout=connect_timeout
                    if connect_timeout is not None
                    else db.connect_timeout,
                    query_timeout=query_timeout if query_timeout is not None else db.query_timeout,
                    retry_auth=retry_auth if retry_auth is not None else db.retry_auth,
                    on_event=view.update,
                    # The deadline holds from the process's start to its exit.
                    started=started,
                    reserve=EXIT_RESERVE,
                )
            )

    try:
        execute("probe-db", common, Path("."), produce, secrets=lambda: _known_secrets(found, url))
    except SystemExit as done:
        if own_process():
            _exit_now(done.code if isinstance(done.code, int) else 1)
        raise


def _exit_now(code: int) -> NoReturn:
    """Exit without the interpreter's clean-up: freeing every loaded module takes 60-200 ms
    (seconds on a loaded machine), past the deadline the user gave. Nothing is left to clean up:
    the connections are closed, and the output is flushed here."""
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: that descriptor was closed when the process started
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _watch(
    found: RawUrl,
    cfg: Settings,
    common: Common,
    interval: float,
    duration: float | None,
    query_timeout: float | None,
    connect_timeout: float | None,
) -> Report:
    import sys
    import time

    from ..db.conninfo import parse_target
    from ..db.report import build_watch_report
    from ..db.view import WatchView
    from ..db.watch import PgLink, Watcher, WatchSettings

    db = cfg.db
    target = parse_target(found)
    probe = ProbeSettings.of(
        connect_timeout=connect_timeout if connect_timeout is not None else db.connect_timeout,
        query_timeout=query_timeout if query_timeout is not None else db.query_timeout,
    )
    settings = WatchSettings(interval=interval, duration=duration, probe=probe)
    as_lines = (common.format or cfg.format) is OutputFormat.JSON
    view = WatchView(
        stderr_console(common), started_at=time.time(), lines=sys.stdout if as_lines else None
    )
    with view:
        watcher = Watcher(
            target,
            settings,
            PgLink(target, probe),
            on_sample=view.sample,
            on_event=view.event,
        )
        view.started_at = watcher.started_at
        result = watcher.run()
    return build_watch_report(result)
