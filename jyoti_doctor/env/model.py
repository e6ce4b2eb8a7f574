"""The small result types the env modules pass around before they become findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..rules import Rule


class Level(StrEnum):
    """How much a problem matters; ``check`` maps it to a severity.

    ``ERROR`` breaks the app (or leaks a secret). ``ADVISORY`` is worth fixing but the app still
    starts: a warning under ``--strict``, information otherwise. ``INFO`` never fails.
    """

    ERROR = "error"
    # Always a warning (exit 1), whatever --strict says: a placeholder secret in a dev .env.
    WARNING = "warning"
    ADVISORY = "advisory"
    INFO = "info"


@dataclass(frozen=True)
class Issue:
    """One problem with a value or a line. ``message`` never contains the value itself."""

    rule: Rule
    message: str
    level: Level = Level.ERROR
    fix: str | None = None
    line: int | None = None


class Source(StrEnum):
    """Where a value came from; the value is the word a report shows."""

    FLAG = "flag"
    ENV_FILE_FLAG = "--env-file"
    ENVIRONMENT = "environment"
    CONFIG_ENV_FILE = "config env-file"
    SETTINGS_ENV_FILE = "settings env_file"
    DOTENV = ".env"
    DEFAULT = "default"
    MISSING = "missing"
