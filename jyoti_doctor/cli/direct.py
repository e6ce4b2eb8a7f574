"""The commands the pre-commit hooks run, without typer: ``scan-imports``, ``fix-imports``,
``check-env`` and ``check-startup``.

Loading typer costs 70-90 ms, more than a scan of a small package takes. So :func:`parse` reads a
command line made only of paths and the plain options listed here, and returns the command to
call with the parameters typer would have passed. Anything else is left to typer, which parses
it and reports its errors: help, shell completion, an unknown or misspelt option, a missing
value, ``--``, a value typer checks (``--max-level``, ``--config``, ``--timeout``, a directory
that must not be a file), a choice it would reject. tests/test_direct.py checks that every line accepted here gives typer's
parameters exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

from ..config import OutputFormat, Style


class Kind(Enum):
    FLAG = "flag"  # False unless given
    SWITCH = "switch"  # None unless given (the config decides), True when given
    VALUE = "value"  # a string; the last one given counts
    VALUES = "values"  # a list of strings, one per use
    PATHS = "paths"  # a list of paths, one per use
    CHOICE = (
        "choice"  # a member of the parameter's enum (CHOICES), case-insensitive; the last counts
    )
    TYPER_ONLY = "typer only"  # None here; given, it sends the line to typer


_COMMON: dict[str, tuple[str, Kind]] = {
    "--format": ("fmt", Kind.CHOICE),
    "--config": ("config", Kind.TYPER_ONLY),
    "-q": ("quiet", Kind.FLAG),
    "--quiet": ("quiet", Kind.FLAG),
    "--no-color": ("no_color", Kind.FLAG),
    "--exit-zero": ("exit_zero", Kind.FLAG),
    "--debug": ("debug", Kind.FLAG),
}
_SELECTION: dict[str, tuple[str, Kind]] = {
    "--package": ("package", Kind.VALUES),
    "--exclude": ("exclude", Kind.VALUES),
    "--extend-exclude": ("extend_exclude", Kind.VALUES),
    "--max-level": ("max_level", Kind.TYPER_ONLY),
    "--check-syntax": ("check_syntax", Kind.FLAG),
}
OPTIONS: dict[str, dict[str, tuple[str, Kind]]] = {
    "scan-imports": {**_SELECTION, "--no-cache": ("no_cache", Kind.FLAG), **_COMMON},
    "fix-imports": {
        "--write": ("write", Kind.FLAG),
        "--unsafe-fixes": ("unsafe_fixes", Kind.SWITCH),
        "--style": ("style", Kind.VALUE),
        "--force": ("force", Kind.FLAG),
        **_SELECTION,
        **_COMMON,
    },
    "check-env": {
        "--env-file": ("env_file", Kind.PATHS),
        "--schema": ("schema", Kind.VALUE),
        "--require": ("require", Kind.VALUES),
        "--strict": ("strict", Kind.FLAG),
        **_COMMON,
    },
    "check-startup": {
        "--project": ("project", Kind.TYPER_ONLY),
        "--cwd": ("cwd", Kind.TYPER_ONLY),
        "--run": ("run", Kind.FLAG),
        "--serve": ("serve", Kind.FLAG),
        "--path": ("path", Kind.VALUE),
        "--style": ("style", Kind.CHOICE),
        "--timeout": ("timeout", Kind.TYPER_ONLY),
        "--python": ("python", Kind.VALUE),
        **_COMMON,
    },
}
# Defaults other than False (flags) and None (everything else).
DEFAULTS: dict[str, dict[str, Any]] = {"check-startup": {"project": Path("."), "timeout": 20.0}}
# Each command's arguments: a list of paths, one string, or one that typer checks (check-env's
# directory must not be a file), which sends the line to typer.
ARGUMENTS: dict[str, tuple[str, Kind]] = {
    "scan-imports": ("paths", Kind.PATHS),
    "fix-imports": ("paths", Kind.PATHS),
    "check-env": ("project", Kind.TYPER_ONLY),
    "check-startup": ("start_command", Kind.VALUE),
}
CHOICES: dict[str, dict[str, Enum]] = {
    "fmt": {f.value: f for f in OutputFormat},
    "style": {s.value: s for s in Style},
}
# typer's shell completion is driven by this variable; it needs typer.
_COMPLETION = "_JYOTI_DOCTOR_COMPLETE"


def parse(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
    """The command and its parameters, when ``argv`` is a line this module runs; else None."""
    if not argv or argv[0] not in OPTIONS or _COMPLETION in environ:
        return None
    options = OPTIONS[argv[0]]
    argument, argument_kind = ARGUMENTS[argv[0]]
    params: dict[str, Any] = {argument: None}
    for name, kind in options.values():
        params[name] = False if kind is Kind.FLAG else None
    params.update(DEFAULTS.get(argv[0], {}))
    tokens = iter(argv[1:])
    for token in tokens:
        if not token.startswith("-"):
            if argument_kind is Kind.TYPER_ONLY:
                return None
            if argument_kind is Kind.VALUE:
                if params[argument] is not None:  # a second one: typer's usage error
                    return None
                params[argument] = token
            else:
                params[argument] = [*(params[argument] or []), Path(token)]
            continue
        option, equals, value = token.partition("=")
        if option not in options or (equals and not option.startswith("--")):
            return None
        name, kind = options[option]
        if kind in (Kind.FLAG, Kind.SWITCH):
            if equals:
                return None
            params[name] = True
            continue
        if kind is Kind.TYPER_ONLY:
            return None
        if not equals:
            following = next(tokens, None)
            if following is None:
                return None
            value = following
        # An empty value, or one that looks like an option, is rare and parsed by typer.
        if not value or value.startswith("-"):
            return None
        if kind is Kind.CHOICE:
            # ASCII only: typer's case folding and str.lower agree there.
            member = CHOICES[name].get(value.lower()) if value.isascii() else None
            if member is None:
                return None
            params[name] = member
        elif kind is Kind.VALUES:
            params[name] = [*(params[name] or []), value]
        elif kind is Kind.PATHS:
            params[name] = [*(params[name] or []), Path(value)]
        else:
            params[name] = value
    return argv[0], params


def command(name: str) -> Callable[..., NoReturn]:
    from . import actions

    run: Callable[..., NoReturn] = getattr(actions, name.replace("-", "_"))
    return run
