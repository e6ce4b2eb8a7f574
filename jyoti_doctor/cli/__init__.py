"""The Typer application. Each command lives in its own module and registers itself on ``app``.

``main`` runs a plain command line of a pre-commit hook (``scan-imports``, ``fix-imports``,
``check-env``, ``check-startup``) without loading typer at all (cli/direct.py); otherwise it
imports only the module of the command being run (``--help`` and ``--version`` import them all),
and installs pydantic-free argument coercion (cli/lightparams.py): start-up time is most of the
time of a small run. ``from jyoti_doctor.cli import app`` gives the full app. A bad flag is still
a usage error (exit 2), and a CI step that asked for a machine format gets its document even
then.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any, Protocol, cast

# Which module registers which command.
_MODULES = {
    "scan-imports": "imports",
    "fix-imports": "imports",
    "probe-db": "db",
    "check-env": "env",
    "check-startup": "startup",
    "doctor": "startup",
    "check-serve": "serve",
    "check-routes": "serve",
    "init": "init",
}


def _register(modules: list[str]) -> None:
    for name in modules:
        importlib.import_module(f"{__name__}.{name}")


def __getattr__(name: str) -> Any:
    if name == "app":
        _register(sorted(set(_MODULES.values())))
        from .common import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    """Write the machine document of a usage error the parser found, when one was asked for."""
    from ..config import OutputFormat
    from ..report import emit_error
    from .execution import env_format, sarif_help_base

    typed = _format_in(argv)
    try:
        fmt = OutputFormat(typed.lower()) if typed else env_format()
    except ValueError:
        fmt = None
    if fmt is None:
        return
    command = next((a for a in argv if a in _MODULES), "jyoti-doctor")
    emit_error(command, fmt, 2, message, sarif_help_base=sarif_help_base())


# Typer re-exports click's exceptions, from click itself or from its own copy of it: the
# parser's base class is found through a public subclass rather than imported by name.
class _ParserError(Protocol):
    exit_code: int

    def show(self) -> None: ...

    def format_message(self) -> str: ...


def main() -> None:
    argv = sys.argv[1:]
    from . import direct
    from .execution import say

    plain = direct.parse(argv, os.environ)
    if plain is not None:
        name, params = plain
        try:
            direct.command(name)(**params)  # never returns: every run ends in SystemExit
        except KeyboardInterrupt:  # before the command's own handling starts
            say("interrupted")
            sys.exit(130)
    command_name = next((a for a in argv if not a.startswith("-")), "")
    module = _MODULES.get(command_name)
    _register([module] if module else sorted(set(_MODULES.values())))
    import typer
    import typer.main

    from .common import app
    from .lightparams import lighten

    click_exception: type[Exception] = next(
        c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
    )
    command = typer.main.get_command(app)
    lighten(command)
    try:
        code = command.main(args=argv, prog_name="jyoti-doctor", standalone_mode=False)
    except typer.Abort:
        say("interrupted")
        sys.exit(130)
    except click_exception as exc:
        error = cast(_ParserError, exc)
        try:
            error.show()
        except OSError:  # stderr cannot take it (a full disk): the exit code still tells
            from ..output import detach

            detach(sys.stderr)
        _usage_document(argv, error.format_message())
        sys.exit(error.exit_code)
    except OSError as exc:
        # What the parser itself writes (a command reports its own failures): help or the
        # version to a full disk, or the shell's file the completion is installed into.
        from ..output import cannot_write_stdout, detach

        if exc.filename is None:
            detach(sys.stdout)
            say(cannot_write_stdout(exc))
        else:
            say(f"cannot write {exc.filename}: {exc.strerror or exc}")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def run() -> None:
    """The console script (and ``python -m jyoti_doctor``): :func:`main`, then an exit that
    skips the interpreter's teardown. Freeing every object of a large run costs tens of
    milliseconds and serves nothing: the report is written and flushed, the cache saved, every
    thread and child process joined, and nothing registers an exit handler (mypy exits the
    same way). If flushing fails, the ordinary exit reports it."""
    code: str | int | None = 0
    # A run allocates many small objects that are never cyclic (parse trees, findings, JSON
    # dicts): with the default threshold (700) the cyclic collector traverses them again and
    # again, nearly a fifth of a 50,000-file scan. It still runs, only less often (nothing
    # here relies on prompt collection: connections and files are closed explicitly).
    gc.set_threshold(100_000, 20, 100)
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        sys.exit(code)  # a message: printed by the ordinary exit
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the descriptor was closed before the start
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code or 0)


__all__ = ["app", "main", "run"]
