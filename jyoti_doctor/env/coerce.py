"""Values judged the way pydantic (lax mode, as pydantic-settings uses it) coerces a string.

Each rule here is pinned by tests/env/test_pydantic_pins.py, which runs real pydantic-settings on
the same values: where this module says "valid", the app's settings class accepts the value, and
where it says "invalid", the app fails at startup with a ValidationError.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from ..rules import Rule
from .model import Issue
from .schema import VarSpec, VarType

# pydantic's str -> bool table, compared case-insensitively, nothing stripped.
PYDANTIC_BOOL = frozenset({"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"})
# Python's integer syntax with optional `_` groups, surrounding whitespace allowed; a float with
# a zero fraction (`1.0`) is an int too.
_INT = re.compile(r"\s*[+-]?[0-9]+(?:_[0-9]+)*(?:\.0*)?\s*", re.ASCII)
_FLOAT = re.compile(
    r"\s*[+-]?(?:(?:[0-9]+(?:_[0-9]+)*)?\.?[0-9]+(?:_[0-9]+)*(?:[eE][+-]?[0-9]+)?|"
    r"[0-9]+(?:_[0-9]+)*\.|inf|infinity|nan)\s*",
    re.ASCII | re.IGNORECASE,
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
POSTGRES_SCHEMES = frozenset(
    {
        "postgres",
        "postgresql",
        "postgresql+asyncpg",
        "postgresql+pg8000",
        "postgresql+psycopg",
        "postgresql+psycopg2",
        "postgresql+psycopg2cffi",
        "postgresql+py-postgresql",
        "postgresql+pygresql",
    }
)


def _bad(spec: VarSpec, what: str, fix: str) -> list[Issue]:
    return [Issue(Rule.MALFORMED_VALUE, f"{spec.name} {what}", fix=fix)]


def check_coerced(spec: VarSpec, value: str, quoted: str) -> list[Issue] | None:
    """Issues for ``value`` under pydantic's rule for ``spec.type``; None for a type this module
    does not own. ``quoted`` is how a message may show the value ("" when it is secret)."""
    kind = spec.type
    if kind is VarType.BOOL:
        if value.lower() in PYDANTIC_BOOL:
            return []
        return _bad(
            spec,
            f"{quoted}is not a boolean pydantic accepts (true/false, 1/0, yes/no, on/off, "
            "t/f, y/n; no spaces)",
            f"set {spec.name} to true or false",
        )
    if kind is VarType.INT:
        if _INT.fullmatch(value):
            return []
        return _bad(spec, f"{quoted}is not an integer", f"set {spec.name} to a whole number")
    if kind is VarType.FLOAT:
        if _FLOAT.fullmatch(value):
            return []
        return _bad(spec, f"{quoted}is not a number", f"set {spec.name} to a number")
    if kind is VarType.ENUM:
        if value in spec.choices:
            return []
        near = [c for c in spec.choices if c.lower() == value.strip().lower()]
        hint = f" (differs from `{near[0]}` in case or spaces)" if near else ""
        return _bad(
            spec,
            f"{quoted}is not one of: {', '.join(spec.choices)}{hint}",
            f"set {spec.name} to one of: {', '.join(spec.choices)}",
        )
    if kind is VarType.JSON:
        return _check_json(spec, value)
    if kind is VarType.EMAIL:
        if _EMAIL.fullmatch(value):
            return []
        return _bad(spec, f"{quoted}is not an email address", "write name@example.com")
    if kind in (VarType.HTTP_URL, VarType.URL):
        return _check_url(spec, value, quoted, http=kind is VarType.HTTP_URL)
    return None


def _check_json(spec: VarSpec, value: str) -> list[Issue]:
    # pydantic-settings decodes a complex field's value as JSON before validating it.
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return _bad(
            spec,
            "is not valid JSON, and pydantic-settings reads this field as JSON "
            "(the app fails at startup with a SettingsError)",
            f'write {spec.name} as JSON, e.g. ["a", "b"]'
            if spec.json_shape == "array"
            else f'write {spec.name} as JSON, e.g. {{"key": "value"}}',
        )
    if spec.json_shape == "array" and not isinstance(decoded, list):
        return _bad(spec, "is JSON but not an array", f'write {spec.name} as ["a", "b"]')
    if spec.json_shape == "object" and not isinstance(decoded, dict):
        return _bad(spec, "is JSON but not an object", f'write {spec.name} as {{"key": "value"}}')
    return []


def _check_url(spec: VarSpec, value: str, quoted: str, *, http: bool) -> list[Issue]:
    try:
        parts = urlsplit(value.strip())
        _ = parts.port
    except ValueError:
        return _bad(spec, f"{quoted}is not a valid URL", "fix the host and port")
    if not parts.scheme or "://" not in value:
        return _bad(spec, f"{quoted}is not an absolute URL", "write scheme://host/...")
    if http and parts.scheme.lower() not in ("http", "https"):
        return _bad(spec, "is not an http(s) URL", "write http:// or https://")
    if http and not parts.hostname:
        return _bad(spec, "has no host", "write https://host/...")
    return []


def check_postgres_scheme(spec: VarSpec, value: str) -> list[Issue]:
    """pydantic's PostgresDsn: one of its schemes and a host."""
    scheme = value.partition("://")[0].lower() if "://" in value else ""
    if scheme not in POSTGRES_SCHEMES:
        return _bad(
            spec,
            "is not a URL with a scheme pydantic's PostgresDsn accepts "
            "(postgres, postgresql, postgresql+<driver>)",
            "write postgresql://user:password@host:5432/dbname",
        )
    return []
