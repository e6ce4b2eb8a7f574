"""The Typer application. Each command lives in its own module and registers itself on ``app``."""

from __future__ import annotations

import sys
from typing import Protocol, cast

import typer

from . import db, env, imports, init, serve, startup  # noqa: F401  (registration side effects)
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


# Typer re-exports click's exceptions, from click itself or from its own copy of it: the
# parser's base class is found through a public subclass rather than imported by name.
class _ParserError(Protocol):
    exit_code: int

    def show(self) -> None: ...

    def format_message(self) -> str: ...


_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def main() -> None:
    argv = sys.argv[1:]
    try:
        code = app(args=argv, prog_name="jyoti-doctor", standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("jyoti-doctor: interrupted\n")
        sys.exit(130)
    except _ClickException as exc:
        error = cast(_ParserError, exc)
        error.show()
        _usage_document(argv, error.format_message())
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
