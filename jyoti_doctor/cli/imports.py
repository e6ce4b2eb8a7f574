"""The options of ``scan-imports`` and ``fix-imports``; what they do is cli/actions.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import actions
from .common import ConfigOpt, DebugOpt, ExitZeroOpt, FormatOpt, NoColorOpt, QuietOpt, app

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
    actions.scan_imports(**locals())


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
    actions.fix_imports(**locals())
