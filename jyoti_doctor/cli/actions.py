"""What the pre-commit hook commands do once their arguments are parsed: ``scan-imports``,
``fix-imports``, ``check-env`` and ``check-startup``.

Free of typer: the command modules of cli/ declare the options and pass them here by name, and
cli/direct.py calls these straight from a plain command line, without loading typer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..config import OutputFormat, Settings, Style, write_style
from ..findings import Report
from .execution import Common, execute, stderr_console

if TYPE_CHECKING:
    from ..imports.run import ImportSettings, ScanOutcome


def _gathering_common(body: Callable[..., NoReturn]) -> Callable[..., NoReturn]:
    """``body(common, **own)``, called with a command's parameters as typer passes them: the
    six every command shares become one :class:`Common`."""

    def run(
        *,
        fmt: OutputFormat | None,
        config: Path | None,
        quiet: bool,
        no_color: bool,
        exit_zero: bool,
        debug: bool,
        **own: Any,
    ) -> NoReturn:
        body(Common(fmt, config, quiet, no_color, debug, exit_zero), **own)

    return functools.wraps(body)(run)


# Below this many files the progress bar would only flicker.
PROGRESS_THRESHOLD = 200


def run_with_progress(settings: ImportSettings, common: Common) -> ScanOutcome:
    """Collect scan results, showing a progress bar on stderr only when it is a terminal."""
    import sys

    from ..imports.run import collect

    if common.quiet or sys.stderr is None or not sys.stderr.isatty():  # None: stderr closed
        return collect(settings)
    console = stderr_console(common)
    from rich.progress import Progress

    # Refreshed as the scan advances, not by Rich's refresh thread: the scan forks workers
    # only while it is the process's one thread.
    with Progress(console=console, transient=True, auto_refresh=False) as progress:
        task = progress.add_task("scanning", total=None, visible=False)

        def on_total(total: int) -> None:
            progress.update(task, total=total, visible=total >= PROGRESS_THRESHOLD)
            progress.refresh()

        def on_progress(done: int) -> None:
            progress.advance(task, done)
            progress.refresh()

        return collect(settings, on_progress=on_progress, on_total=on_total)


@_gathering_common
def scan_imports(
    common: Common,
    *,
    paths: list[Path] | None,
    package: list[str] | None,
    exclude: list[str] | None,
    extend_exclude: list[str] | None,
    max_level: int | None,
    no_cache: bool,
    check_syntax: bool,
) -> NoReturn:
    targets = list(paths or [Path(".")])

    def produce(cfg: Settings) -> Report:
        from ..imports.run import ImportSettings, ScanResult

        settings = ImportSettings.build(
            targets,
            cfg,
            packages=package or (),
            exclude=exclude or (),
            extend_exclude=extend_exclude or (),
            max_level=max_level,
            use_cache=not no_cache,
            check_syntax=check_syntax,
        )
        return ScanResult.of(run_with_progress(settings, common)).to_report()

    execute("scan-imports", common, targets[0], produce)


@_gathering_common
def fix_imports(
    common: Common,
    *,
    paths: list[Path] | None,
    write: bool,
    unsafe_fixes: bool | None,
    style: str | None,
    force: bool,
    package: list[str] | None,
    exclude: list[str] | None,
    extend_exclude: list[str] | None,
    max_level: int | None,
    check_syntax: bool,
) -> NoReturn:
    targets = list(paths or [Path(".")])

    def produce(cfg: Settings) -> Report:
        from ..imports.fix import FixOptions, apply_fix, plan_fix
        from ..imports.run import ImportSettings

        chosen = write_style(style, "--style") if style else (cfg.style or Style.RELATIVE)
        unsafe = cfg.unsafe_fixes if unsafe_fixes is None else unsafe_fixes
        settings = ImportSettings.build(
            targets,
            cfg,
            packages=package or (),
            exclude=exclude or (),
            extend_exclude=extend_exclude or (),
            max_level=max_level,
        )
        options = FixOptions(
            style=chosen,
            unsafe=unsafe,
            max_level=settings.max_level,
            check_syntax=check_syntax,
        )
        planned = plan_fix(settings, options)
        if not planned.would_change:
            # Nothing to rewrite, so no entry point to guard (a clean tree, most pre-commit runs).
            return (apply_fix(planned) if write else planned).to_report()
        from ..guard import attach, check_rewrite

        # Every entry point predicted before and after, whichever the style: a rewrite that
        # breaks one that works is not written unless forced.
        guard = check_rewrite(planned, cfg)
        refused = write and guard.refused and not force
        result = apply_fix(planned) if write and not refused else planned
        return attach(result.to_report(), guard, forced=force, refused_write=refused)

    execute("fix-imports", common, targets[0], produce)


@_gathering_common
def check_env(
    common: Common,
    *,
    project: Path | None,
    env_file: list[Path] | None,
    schema: str | None,
    require: list[str] | None,
    strict: bool,
) -> NoReturn:
    target = project or Path(".")

    def produce(cfg: Settings) -> Report:
        from ..env.check import check_env

        return check_env(
            target,
            cfg,
            env_files=env_file or (),
            schema=schema,
            require=require or (),
            strict=strict,
        ).to_report()

    from ..env.secrets import file_secrets

    # The project's .env and the environment are masked by execute(); these files may be elsewhere.
    execute("check-env", common, target, produce, secrets=lambda: file_secrets(env_file or ()))


@_gathering_common
def check_startup(
    common: Common,
    *,
    start_command: str | None,
    project: Path,
    cwd: Path | None,
    run: bool,
    serve: bool,
    path: str | None,
    style: Style | None,
    timeout: float,
    python: str | None,
) -> NoReturn:

    def produce(cfg: Settings) -> Report:
        if serve:
            from ..serve.check import check_serve

            return check_serve(
                project, cfg, command=start_command, cwd=cwd, path=path, python=python
            ).to_report()
        from ..startup.check import check_startup

        return check_startup(
            project,
            cfg,
            command=start_command,
            cwd=cwd,
            run=run,
            style=style,
            timeout=timeout,
            python=python,
        ).to_report()

    execute("check-startup", common, project, produce, start_dir=cwd)
