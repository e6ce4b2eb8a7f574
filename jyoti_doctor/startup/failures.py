"""What a predicted start-up is made of: the failures an import raises, the ones a handler
swallows, and the prediction as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..rules import Rule
from .syspath import Launch


class Resolution(StrEnum):
    """Where an absolute top-level import outside the first-party path resolves."""

    STDLIB = "stdlib"
    INSTALLED = "installed"
    NOT_CHECKED = "not checked"
    MISSING = "missing"


@dataclass(frozen=True)
class Failure:
    """One exception an import statement raises."""

    code: Rule  # JD201 / JD202 / JD203 / JD205 / JD190
    exc_type: str  # ModuleNotFoundError, ImportError, SyntaxError...
    message: str  # str(exc), exactly as CPython (or the launcher) words it
    chain: tuple[str, ...]  # entry → ... → the target of the failing statement
    path: Path | None = None
    line: int | None = None
    col: int | None = None
    end_line: int | None = None
    end_col: int | None = None
    statement: str | None = None
    missing: str | None = None  # ModuleNotFoundError.name
    # A package the project's environment was asked about and lacks (not a project module).
    not_installed: bool = False

    @property
    def text(self) -> str:
        return f"{self.exc_type}: {self.message}"


@dataclass(frozen=True)
class Swallowed:
    """A failure caught by ``try/except``: the app starts without what that import brought."""

    failure: Failure
    catches: str  # the except clause, e.g. "Exception"
    path: Path
    line: int
    logged: tuple[str, ...]  # the handler's log/print messages, rendered with the exception
    fallback: bool  # the handler imports something itself (and that worked)


@dataclass(frozen=True)
class Prediction:
    launch: Launch
    fatal: Failure | None
    swallowed: tuple[Swallowed, ...]
    executed: tuple[str, ...]  # first-party modules that ran to the end, in order
    # Top-level names found outside the first-party path, and where: stdlib, installed, or
    # not checked (no environment to ask).
    external: tuple[tuple[str, Resolution], ...]
    latent: tuple[Failure, ...] = ()  # failing imports the start-up does not reach (yet)
    app_found: bool | None = None
    notes: tuple[str, ...] = ()  # what this prediction does not cover, and why
    complete: bool = True  # False: the walk had to stop (nothing is claimed about the start-up)

    @property
    def starts(self) -> bool:
        return self.fatal is None
