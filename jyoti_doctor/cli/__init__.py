"""The Typer application. Each command lives in its own module and registers itself on ``app``."""

from __future__ import annotations

import sys

from . import db, env, imports, init, startup  # noqa: F401  (registration side effects)
from .common import app, env_format


def _format_in(argv: list[str]) -> str | None:
    """The value of ``--format`` as typed, for an error met before the options were parsed."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg.startswith("--format="):
            return arg.split("=", 1)[1]
        if arg == "--format" and i + 1 < len(argv):
            return argv[i + 1]
    return None


def _usage_document(argv: list[str], message: str) -> None:
    """A bad flag is a usage error (exit 2) found by the parser, before any command runs;
    a CI step that asked for a machine format still gets its document."""
    from ..config import OutputFormat
    from ..report import emit_error
    from .common import sarif_help_base

    typed = _format_in(argv)
    try:
        fmt = OutputFormat(typed.lower()) if typed else env_format()
    except ValueError:
        fmt = None
    if fmt is None:
        return
    names = {c.name for c in app.registered_commands}
    command = next((a for a in argv if a in names), "jyoti-doctor")
    emit_error(command, fmt, 2, message, sarif_help_base=sarif_help_base())


def main() -> None:
    import click

    argv = sys.argv[1:]
    try:
        code = app(args=argv, prog_name="jyoti-doctor", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        _usage_document(argv, exc.format_message())
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("jyoti-doctor: interrupted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
