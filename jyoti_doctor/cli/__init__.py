"""The Typer application. Each command lives in its own module and registers itself on ``app``.

``main`` imports only the module of the command being run (``--help`` and ``--version`` import
them all), and installs pydantic-free argument coercion (cli/lightparams.py): start-up time is
most of the time of a small run. ``from jyoti_doctor.cli import app`` gives the full app.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# Which module registers which command.
_MODULES = {
    "scan-imports": "imports",
    "fix-imports": "imports",
    "probe-db": "db",
    "check-env": "env",
    "check-startup": "startup",
    "doctor": "startup",
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


def main() -> None:
    command_name = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    module = _MODULES.get(command_name)
    _register([module] if module else sorted(set(_MODULES.values())))
    import typer.main

    from .common import app
    from .lightparams import lighten

    command = typer.main.get_command(app)
    lighten(command)
    command()


__all__ = ["app", "main"]
