"""The Typer application. Each command lives in its own module and registers itself on ``app``."""

from __future__ import annotations

from . import db, env, imports, serve, startup  # noqa: F401  (registration side effects)
from .common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
