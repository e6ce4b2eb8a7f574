"""``[tool.jyoti-doctor]`` loading and precedence: flag > environment > pyproject > default."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError

# Every key a user may write in [tool.jyoti-doctor]; anything else is a configuration error,
# the way ruff rejects unknown settings rather than silently ignoring a typo.
KNOWN_KEYS = frozenset(
    {
        "package",
        "exclude",
        "extend-exclude",
        "max-level",
        "format",
        "unsafe-fixes",
        "style",
        "start",
        "cwd",
        "env",
        "env-file",
        "db",
    }
)

ENV_PREFIX = "JYOTI_DOCTOR_"


@dataclass(frozen=True)
class Config:
    """The ``[tool.jyoti-doctor]`` table of one ``pyproject.toml`` (empty when there is none)."""

    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path | None:
        return self.path.parent if self.path else None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise UsageError(f"{self.path}: [tool.jyoti-doctor] `{key}` must be a table")
        return value

    def str_list(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{self.path}: [tool.jyoti-doctor] `{key}` must be a list of strings")
        return value

    def int_value(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UsageError(
                f"{self.path}: [tool.jyoti-doctor] `{key}` must be a non-negative integer"
            )
        return value

    def number(self, key: str, kind: type[int | float], *, table: str | None = None) -> Any:
        """A non-negative number of ``kind`` (a float setting also takes an int); ``None`` if unset."""
        data = self.table(table) if table else self.data
        if key not in data:
            return None
        value = data[key]
        wrong_type = isinstance(value, bool) or not isinstance(value, (int, float))
        if wrong_type or (kind is int and not isinstance(value, int)) or value < 0:
            where = f"[tool.jyoti-doctor.{table}]" if table else "[tool.jyoti-doctor]"
            noun = "integer" if kind is int else "number"
            raise UsageError(f"{self.path}: {where} `{key}` must be a non-negative {noun}")
        return kind(value)


def _read_table(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: invalid TOML: the file is not UTF-8") from None
    tool = doc.get("tool", {})
    if not isinstance(tool, dict) or "jyoti-doctor" not in tool:
        return None
    table = tool["jyoti-doctor"]
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.jyoti-doctor] must be a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s) in [tool.jyoti-doctor]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    return table


def find_config(start: Path) -> Config:
    """The nearest ``pyproject.toml`` holding ``[tool.jyoti-doctor]``, searched upward from ``start``."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            table = _read_table(candidate)
            if table is not None:
                return Config(candidate, table)
    return Config()


def load_config(explicit: Path | None, start: Path) -> Config:
    try:
        if explicit is not None:
            if not explicit.is_file():
                raise UsageError(f"config file not found: {explicit}")
            return Config(explicit.resolve(), _read_table(explicit) or {})
        return find_config(start)
    except OSError as exc:  # a path the system refuses (too long, a loop)
        raise UsageError(f"cannot use {exc.filename or start}: {exc.strerror or exc}") from None


def resolve(flag: Any, env_name: str | None, config: Config, key: str, default: Any) -> Any:
    """Pick a setting by precedence: flag > environment (``JYOTI_DOCTOR_*``) > config > default."""
    if flag is not None:
        return flag
    if env_name is not None:
        from_env = os.environ.get(ENV_PREFIX + env_name)
        if from_env:
            return from_env
    if key in config.data:
        return config.data[key]
    return default
