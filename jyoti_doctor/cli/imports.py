"""CLI for ``scan-imports`` (and the import rewrite)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import Settings, Style, write_style
from ..findings import Report

if TYPE_CHECKING:
    from ..imports.run import ImportSettings, ScanOutcome

from .common import ConfigOpt, DebugOpt, ExitZeroOpt, FormatOpt, NoColorOpt, QuietOpt, app
from .execution import Common, execute, stderr_console

PathsArg = Annotated[list[Path] | None, typer.Argument(help="Files or directories (default: .).")]
PackageOpt = Annotated[
    list[str] | None,
    typer.Option("--package", help="Name a first-party package explicitly (repeatable)."),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Gitignore-style patterns replacing the default excludes."),
]
ExtendExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--extend-exclude", help="Patterns excluded in addition to the defaults."),
]
MaxLevelOpt = Annotated[
    int | None,
    typer.Option(
        "--max-level", min=1, help="Keep imports that would need more than N dots absolute."
    ),
]

NoCacheOpt = Annotated[
    bool,
    typer.Option("--no-cache", help="Parse every file again instead of reusing cached results."),
]

CheckSyntaxOpt = Annotated[
    bool,
    typer.Option(
        "--check-syntax",
        help="Parse every whole file and report any syntax error (default: parse only the "
        "import statements, which is faster).",
    ),
]

# Below this many files the progress bar would only flicker.
PROGRESS_THRESHOLD = 200


def run_with_progress(settings: ImportSettings, common: Common) -> ScanOutcome:
    """Collect scan results, showing a progress bar on stderr only when it is a terminal."""
    import sys

    from ..imports.run import collect

    if common.quiet or not sys.stderr.isatty():
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


@app.command("scan-imports")
def scan_imports(
    paths: PathsArg = None,
    package: PackageOpt = None,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    max_level: MaxLevelOpt = None,
    no_cache: NoCacheOpt = False,
    check_syntax: CheckSyntaxOpt = False,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Find absolute self-imports (and imports with no relative form) in a package tree."""
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)
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


StyleOpt = Annotated[
    str | None,
    typer.Option(
        "--style",
        help="relative: `from ..deps import x`; root: `from deps import x`, for a service "
        "started from inside its package directory [config: style; default: relative].",
    ),
]


@app.command("fix-imports")
def fix_imports(
    paths: PathsArg = None,
    write: Annotated[
        bool, typer.Option("--write", help="Apply the fixes (default: show a diff).")
    ] = False,
    unsafe_fixes: Annotated[
        bool | None,
        typer.Option(
            "--unsafe-fixes",
            help="Also apply unsafe fixes (files with a __main__ block) [config: unsafe-fixes].",
            show_default=False,
        ),
    ] = None,
    style: StyleOpt = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write even when the rewrite would break an entry point that works now (a "
            "start command, pytest, alembic; JD107).",
        ),
    ] = False,
    package: PackageOpt = None,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    max_level: MaxLevelOpt = None,
    check_syntax: CheckSyntaxOpt = False,
    fmt: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    exit_zero: ExitZeroOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Rewrite absolute self-imports exactly (relative, or root-absolute with --style root)."""
    common = Common(fmt, config, quiet, no_color, debug, exit_zero)
    targets = list(paths or [Path(".")])

    def produce(cfg: Settings) -> Report:
        from ..guard import attach, check_rewrite
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
        # Every entry point predicted before and after, whichever the style: a rewrite that
        # breaks one that works is not written unless forced.
        guard = check_rewrite(planned, cfg)
        refused = write and guard.refused and not force
        result = apply_fix(planned) if write and not refused else planned
        return attach(result.to_report(), guard, forced=force, refused_write=refused)

    execute("fix-imports", common, targets[0], produce)
