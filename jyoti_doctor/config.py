"""``[tool.jyoti-doctor]``: parsed once into frozen, typed settings.

Every table is checked here, at every level, with the file and line of a bad key (ruff and
black reject unknown settings the same way); commands receive :class:`Settings`, never a dict.
The CLI applies its flags on top with :func:`dataclasses.replace` (black's ``Mode`` fed from
pyproject through click's ``default_map`` is the model). Precedence: flag > environment
(``JYOTI_DOCTOR_*``) > pyproject > default.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from .errors import UsageError
from .textfile import read_bounded_text

ENV_PREFIX = "JYOTI_DOCTOR_"
_E = TypeVar("_E", bound=StrEnum)

# Durations beyond a day are a typo (or `inf`), never a plan: they would wait for ever.
MAX_SECONDS = 86_400.0


class OutputFormat(StrEnum):
    RICH = "rich"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"
    MARKDOWN = "markdown"


class Style(StrEnum):
    """The import style: ``relative`` (``from ..deps import x``), ``root`` (``from deps import
    x``, for a service started from inside its package directory) or ``absolute`` (keep
    ``from backend.deps import x``; only meaningful as check-startup's intent)."""

    RELATIVE = "relative"
    ROOT = "root"
    ABSOLUTE = "absolute"


# The styles fix-imports can write, hence the only ones the config may choose.
WRITE_STYLES = (Style.RELATIVE, Style.ROOT)


def write_style(value: str, where: str) -> Style:
    """A style fix-imports can write, from a flag; a usage error otherwise."""
    try:
        style = Style(value.lower())
    except ValueError:
        style = None
    if style not in WRITE_STYLES:
        names = ", ".join(s.value for s in WRITE_STYLES)
        raise UsageError(f"{where}: fix-imports cannot write style {value!r} (choose from {names})")
    return style


@dataclass(frozen=True)
class DbSettings:
    """``[tool.jyoti-doctor.db]``: probe-db's defaults (None: the built-in default)."""

    deadline: float | None = None
    connect_timeout: float | None = None
    query_timeout: float | None = None
    retry_auth: int | None = None
    pool_size: int | None = None  # connections per worker's pool (capacity check)
    workers: int | None = None  # worker processes, each with its own pool


@dataclass(frozen=True)
class EnvVarSetting:
    """One variable of ``[tool.jyoti-doctor.env]``, as written (env/schema checks the names of
    types and consumers, which belong to it)."""

    type: str | None = None
    required: bool | None = None
    secret: bool | None = None
    consumer: str | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything the config can say, typed; the defaults are the built-in behaviour."""

    path: Path | None = None
    package: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    max_level: int | None = None
    format: OutputFormat = OutputFormat.RICH
    unsafe_fixes: bool = False
    style: Style | None = None
    start: str | None = None
    cwd: str | None = None
    env_file: tuple[str, ...] | None = None
    env: Mapping[str, EnvVarSetting] = field(default_factory=dict)
    db: DbSettings = DbSettings()

    @property
    def base_dir(self) -> Path | None:
        """The directory relative paths in the config are resolved against."""
        return self.path.parent if self.path else None

    def where(self) -> str:
        return str(self.path) if self.path else "[tool.jyoti-doctor]"


class _Table:
    """A TOML table being read: every key must be consumed, and errors name file and line."""

    def __init__(self, data: Mapping[str, object], name: str, path: Path, text: str) -> None:
        self.data = data
        self.name = name
        self.path = path
        self.text = text
        self.used: set[str] = set()

    def error(self, key: str, message: str) -> UsageError:
        line = _line_of(self.text, self.name, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        return UsageError(f"{where}: [{self.name}] `{key}` {message}")

    def get(self, key: str) -> object:
        self.used.add(key)
        return self.data.get(key)

    def string(self, key: str) -> str | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value

    def strings(self, key: str, *, single: bool = True) -> tuple[str, ...] | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, str) and single:
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return tuple(value)

    def boolean(self, key: str) -> bool | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def integer(self, key: str, *, maximum: int = 1_000_000, minimum: int = 0) -> int | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(key, f"must be an integer from {minimum} to {maximum}")
        return value

    def seconds(self, key: str) -> float | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, "must be a number of seconds")
        number = float(value)
        if not math.isfinite(number) or not 0 < number <= MAX_SECONDS:
            raise self.error(
                key, f"must be a finite number of seconds, above 0 and at most {MAX_SECONDS:g}"
            )
        return number

    def choice(self, key: str, enum: type[_E], allowed: tuple[_E, ...]) -> _E | None:
        value = self.get(key)
        if value is None:
            return None
        names = ", ".join(a.value for a in allowed)
        if not isinstance(value, str):
            raise self.error(key, f"must be one of {names}")
        try:
            member = enum(value.lower())
        except ValueError:
            member = None
        if member is None or member not in allowed:
            raise self.error(key, f"must be one of {names} (got {value!r})")
        return member

    def table(self, key: str) -> Mapping[str, object]:
        value = self.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return value

    def finish(self) -> None:
        """Reject what nobody read: a typo never goes unnoticed."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise self.error(
                unknown[0], f"is not a known key (unknown: {', '.join(unknown)}; known: {known})"
            )


_ENV_KEYS = ("type", "required", "secret", "consumer", "choices", "pattern", "default")


def _env_variables(table: _Table) -> dict[str, EnvVarSetting]:
    out: dict[str, EnvVarSetting] = {}
    for name, value in table.data.items():
        table.used.add(name)
        if isinstance(value, str):
            out[name] = EnvVarSetting(type=value)
            continue
        if not isinstance(value, dict):
            raise table.error(name, "must be a type name or a table")
        var = _Table(value, f"{table.name}.{name}", table.path, table.text)
        spec = EnvVarSetting(
            type=var.string("type"),
            required=var.boolean("required"),
            secret=var.boolean("secret"),
            consumer=var.string("consumer"),
            # "a,b" would silently become one choice named "a,b".
            choices=var.strings("choices", single=False) or (),
            pattern=var.string("pattern"),
            default=_plain_string(var, "default"),
        )
        var.finish()
        out[name] = spec
    return out


def _plain_string(table: _Table, key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise table.error(key, "must be a string")
    return value


def parse_settings(table: Mapping[str, object], path: Path, text: str) -> Settings:
    """The typed settings of one ``[tool.jyoti-doctor]`` table; a usage error names the line."""
    top = _Table(table, "tool.jyoti-doctor", path, text)
    db = _Table(top.table("db"), "tool.jyoti-doctor.db", path, text)
    db_settings = DbSettings(
        deadline=db.seconds("deadline"),
        connect_timeout=db.seconds("connect-timeout"),
        query_timeout=db.seconds("query-timeout"),
        retry_auth=db.integer("retry-auth", maximum=100),
        pool_size=db.integer("pool-size", minimum=1, maximum=100_000),
        workers=db.integer("workers", minimum=1, maximum=100_000),
    )
    db.finish()
    env = _env_variables(_Table(top.table("env"), "tool.jyoti-doctor.env", path, text))
    settings = Settings(
        path=path,
        package=top.strings("package") or (),
        exclude=top.strings("exclude"),
        extend_exclude=top.strings("extend-exclude") or (),
        max_level=top.integer("max-level", maximum=100),
        format=top.choice("format", OutputFormat, tuple(OutputFormat)) or OutputFormat.RICH,
        unsafe_fixes=bool(top.boolean("unsafe-fixes")),
        style=top.choice("style", Style, WRITE_STYLES),
        start=top.string("start"),
        cwd=top.string("cwd"),
        env_file=top.strings("env-file"),
        env=env,
        db=db_settings,
    )
    top.finish()
    return settings


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line of ``key`` inside ``[table]`` (or written dotted above it), for error messages."""
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    wanted = re.compile(rf"""^\s*(?:[\w.-]+\.)?["']?{re.escape(key)}["']?\s*=""")
    current = ""
    fallback = None
    for number, line in enumerate(text.splitlines(), 1):
        match = header.match(line)
        if match:
            current = match.group(1).replace('"', "").replace("'", "").replace(" ", "")
            continue
        if wanted.match(line):
            if current == table:
                return number
            if fallback is None and table.startswith(current):
                fallback = number
    return fallback


def read_settings(path: Path) -> Settings | None:
    """The settings of one TOML file's ``[tool.jyoti-doctor]``, ``None`` if it has none."""
    import tomllib  # only when there is a file to read

    text = read_bounded_text(path, what="config file")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise UsageError(f"{path}: invalid TOML: nested too deeply") from None
    tool = doc.get("tool", {})
    if not isinstance(tool, dict) or "jyoti-doctor" not in tool:
        return None
    table = tool["jyoti-doctor"]
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.jyoti-doctor] must be a table")
    return parse_settings(table, path, text)


def find_config(start: Path) -> Settings:
    """The nearest ``pyproject.toml`` holding ``[tool.jyoti-doctor]``, searched upward from ``start``."""
    try:
        here = start.resolve()
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        raise UsageError(f"{start} is a symlink loop") from None
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            settings = read_settings(candidate)
            if settings is not None:
                return settings
    return Settings()


def load_config(explicit: Path | None, start: Path) -> Settings:
    """The settings from ``--config``, else from the nearest pyproject, with the environment's
    ``JYOTI_DOCTOR_FORMAT`` applied on top."""
    try:
        if explicit is not None:
            # read_settings says what is wrong with a path that is not a small regular file.
            settings = read_settings(explicit) or Settings(path=explicit.absolute())
        else:
            settings = find_config(start)
    except OSError as exc:  # a path the system refuses (too long, a loop)
        raise UsageError(f"cannot use {exc.filename or start}: {exc.strerror or exc}") from None
    from_env = os.environ.get(ENV_PREFIX + "FORMAT")
    if from_env:
        try:
            fmt = OutputFormat(from_env.lower())
        except ValueError:
            raise UsageError(
                f"{ENV_PREFIX}FORMAT: unknown format {from_env!r} "
                f"(choose from {', '.join(OutputFormat)})"
            ) from None
        settings = replace(settings, format=fmt)
    return settings
