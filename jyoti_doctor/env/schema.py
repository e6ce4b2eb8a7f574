"""The schema of the environment: which variables exist, their types, and which are required.

Sources, in order of precedence: ``[tool.jyoti-doctor.env]`` in ``pyproject.toml``, then the
annotations of ``.env.example`` (every key is required unless the comment line above it says
``@optional``), then, when neither declares anything, the built-in default for the motivating
stack (DATABASE_URL and OPENAI_API_KEY required, SENTRY_DSN optional).

In ``pyproject.toml`` a variable is either a type name or a table::

    [tool.jyoti-doctor.env]
    DATABASE_URL = { type = "postgres-url", consumer = "sqlalchemy" }
    OPENAI_API_KEY = "openai-key"
    LOG_LEVEL = { type = "enum", choices = ["debug", "info"], required = false, default = "info" }

In ``.env.example`` the same keys are ``@``-annotations on the comment lines above the key::

    # @optional @type=sentry-dsn
    SENTRY_DSN=
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from ..config import EnvVarSetting, Settings, read_settings
from ..errors import UsageError
from ..masking import is_secret_name
from ..textfile import read_bounded_text
from .infer import CodeVar, Inferred, app_env_files, infer
from .resolve import AppEnvFiles


class VarType(StrEnum):
    POSTGRES_URL = "postgres-url"
    OPENAI_KEY = "openai-key"
    SENTRY_DSN = "sentry-dsn"
    SUPABASE_URL = "supabase-url"
    SUPABASE_KEY = "supabase-key"
    URL = "url"
    HTTP_URL = "http-url"
    EMAIL = "email"
    JSON = "json"
    FLOAT = "float"
    INT = "int"
    PORT = "port"
    BOOL = "bool"
    ENUM = "enum"
    REGEX = "regex"
    STRING = "string"


class Consumer(StrEnum):
    """Who parses a PostgreSQL URL; they disagree on what is valid."""

    LIBPQ = "libpq"
    SQLALCHEMY = "sqlalchemy"
    ASYNCPG = "asyncpg"


# Types whose values are credentials whatever the variable is called.
SECRET_TYPES = frozenset({VarType.OPENAI_KEY, VarType.SENTRY_DSN, VarType.SUPABASE_KEY})


@dataclass(frozen=True)
class VarSpec:
    name: str
    type: VarType = VarType.STRING
    required: bool = True
    # None: decided by the name (docs/contract.md) and the type; True/False: declared.
    secret: bool | None = None
    consumer: Consumer | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    default: str | None = None
    # Where it was declared: "pyproject.toml", ".env.example:7", "--require", "built-in", or the
    # code ("app/core/config.py:12 (Settings.X)").
    origin: str = "built-in"
    # Declared by the app's code: its values are judged as pydantic coerces them (bool accepts
    # t/f/y/n, int accepts `1_000` and surrounding spaces...).
    from_code: bool = False
    # pydantic-settings matches names case-insensitively unless the class says otherwise.
    case_sensitive: bool = True
    # For json: "array", "object", or "" for any JSON value.
    json_shape: str = ""
    # Why the value is not judged (a validator the code runs first); None when it is.
    unchecked: str | None = None
    # What the code does to the value itself (a scheme it rewrites), so that is no error.
    fixed_by_code: str | None = None
    # pydantic-settings' env_ignore_empty: an empty value counts as unset.
    ignore_empty: bool = False
    # Set by an explicit config table or an annotated .env.example line (not a bare key).
    explicit: bool = False

    @property
    def is_secret(self) -> bool:
        if self.secret is not None:
            return self.secret
        return self.type in SECRET_TYPES or is_secret_name(self.name)


@dataclass(frozen=True)
class Schema:
    variables: tuple[VarSpec, ...]
    # Human description of where the schema came from.
    origin: str
    consumer_guess: Consumer | None = None
    notes: tuple[str, ...] = field(default=())
    # The env_file of the app's settings class, when the schema was read from it.
    app_files: AppEnvFiles | None = None
    # What the code reads, when it was read (None with --schema, which leaves the code out).
    code: Inferred | None = None

    def get(self, name: str) -> VarSpec | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, VarSpec]:
        return {v.name: v for v in self.variables}


_NAME_TYPES: tuple[tuple[re.Pattern[str], VarType], ...] = (
    (re.compile(r"(.*_)?(DATABASE|POSTGRES|PG|DB)_(URL|URI|DSN)"), VarType.POSTGRES_URL),
    (re.compile(r"(.*_)?OPENAI_API_KEY"), VarType.OPENAI_KEY),
    (re.compile(r"(.*_)?SENTRY_DSN"), VarType.SENTRY_DSN),
    (re.compile(r"(.*_)?SUPABASE_URL"), VarType.SUPABASE_URL),
    (re.compile(r"(.*_)?SUPABASE_.*KEY"), VarType.SUPABASE_KEY),
    (re.compile(r"(.*_)?PORT"), VarType.PORT),
)


def infer_type(name: str) -> VarType:
    """The type a well-known variable name implies; ``string`` for the rest."""
    upper = name.upper()
    for pattern, var_type in _NAME_TYPES:
        if pattern.fullmatch(upper):
            return var_type
    return VarType.STRING


def default_schema() -> tuple[VarSpec, ...]:
    return (
        VarSpec("DATABASE_URL", VarType.POSTGRES_URL, required=True),
        VarSpec("OPENAI_API_KEY", VarType.OPENAI_KEY, required=True),
        VarSpec("SENTRY_DSN", VarType.SENTRY_DSN, required=False),
    )


_VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _choice(enum: type[StrEnum], value: object, where: str, what: str) -> Any:
    try:
        return enum(str(value))
    except ValueError:
        known = ", ".join(e.value for e in enum)
        raise UsageError(f"{where}: unknown {what} {str(value)!r} (known: {known})") from None


def _finish(spec: VarSpec, where: str) -> VarSpec:
    """Check the type-specific settings of one variable."""
    if spec.type is VarType.ENUM and not spec.choices:
        raise UsageError(f"{where}: {spec.name} is an enum but declares no choices")
    if spec.type is VarType.REGEX:
        if not spec.pattern:
            raise UsageError(f"{where}: {spec.name} is a regex but declares no pattern")
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            raise UsageError(f"{where}: {spec.name}: invalid pattern: {exc}") from None
    if spec.consumer is not None and spec.type is not VarType.POSTGRES_URL:
        raise UsageError(f"{where}: {spec.name}: `consumer` applies to postgres-url only")
    return spec


def schema_from_table(table: Mapping[str, EnvVarSetting], where: str) -> list[VarSpec]:
    """Variables from a ``[tool.jyoti-doctor.env]`` table (its keys already checked by config)."""
    specs: list[VarSpec] = []
    for name, value in table.items():
        if not _VALID_NAME.fullmatch(name):
            raise UsageError(f"{where}: [tool.jyoti-doctor.env]: invalid variable name {name!r}")
        here = f"{where}: [tool.jyoti-doctor.env] {name}"
        if value.type is not None:
            var_type = _choice(VarType, value.type, here, "type")
        else:
            var_type = VarType.REGEX if value.pattern else infer_type(name)
        spec = VarSpec(
            name=name,
            type=var_type,
            required=True if value.required is None else value.required,
            secret=value.secret,
            consumer=_choice(Consumer, value.consumer, here, "consumer")
            if value.consumer is not None
            else None,
            choices=value.choices,
            pattern=value.pattern,
            default=value.default,
            origin="pyproject.toml",
            explicit=True,
        )
        specs.append(_finish(spec, here))
    return specs


# `@name` or `@name=value` after whitespace or at the start of a comment; `@pattern=` takes the
# rest of the line because a regex may contain spaces.
_ANNOTATION = re.compile(r"(?:^|(?<=\s))@(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?:=(?P<value>\S*))?")
_ANNOTATION_NAMES = frozenset(
    {
        "optional",
        "required",
        "secret",
        "public",
        "type",
        "consumer",
        "choices",
        "pattern",
        "default",
    }
)


def _annotations(comment: str, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    body = comment.lstrip().removeprefix("#")
    pattern_at = re.search(r"(?:^|(?<=\s))@pattern=", body)
    if pattern_at:
        found["pattern"] = body[pattern_at.end() :].strip()
        body = body[: pattern_at.start()]
    for match in _ANNOTATION.finditer(body):
        name = match["name"]
        if name not in _ANNOTATION_NAMES:
            raise UsageError(
                f"{where}: unknown annotation @{name} (known: "
                + ", ".join("@" + n for n in sorted(_ANNOTATION_NAMES))
                + ")"
            )
        found[name] = match["value"] or ""
    return found


def schema_from_example(path: Path, display: str) -> list[VarSpec]:
    """Variables from a ``.env.example``: keys with the annotations of the comments above them."""
    from .load import binding_line, parse_bindings, split_lines

    text = read_bounded_text(path, what="schema file", encoding="utf-8-sig")
    lines = split_lines(text)
    specs: list[VarSpec] = []
    seen: set[str] = set()
    for binding in parse_bindings(text):
        if binding.key is None:
            continue
        key_line = binding_line(binding)
        notes: dict[str, str] = {}
        note_at: dict[str, str] = {}
        above = key_line - 2
        comments: list[tuple[int, str]] = []
        while above >= 0 and lines[above].lstrip().startswith("#"):
            comments.append((above + 1, lines[above]))
            above -= 1
        for number, comment in reversed(comments):
            found = _annotations(comment, f"{display}:{number}")
            notes.update(found)
            note_at.update(dict.fromkeys(found, f"{display}:{number}"))
        where = f"{display}:{key_line}"
        if binding.key in seen:
            raise UsageError(f"{where}: {binding.key} is declared twice")
        seen.add(binding.key)
        specs.append(_spec_from_notes(binding.key, notes, where, note_at))
    return specs


def _spec_from_notes(
    name: str, notes: dict[str, str], where: str, note_at: dict[str, str]
) -> VarSpec:
    """A spec from annotations; errors point at the comment line that holds the bad one."""
    if "optional" in notes and "required" in notes:
        raise UsageError(f"{where}: {name} is annotated both @optional and @required")
    if "secret" in notes and "public" in notes:
        raise UsageError(f"{where}: {name} is annotated both @secret and @public")
    if "type" in notes:
        var_type = _choice(VarType, notes["type"], note_at["type"], "type")
    else:
        var_type = VarType.REGEX if notes.get("pattern") else infer_type(name)
    secret = True if "secret" in notes else False if "public" in notes else None
    choices = tuple(c for c in notes.get("choices", "").split(",") if c)
    spec = VarSpec(
        name=name,
        type=var_type,
        required="optional" not in notes,
        secret=secret,
        consumer=(
            _choice(Consumer, notes["consumer"], note_at["consumer"], "consumer")
            if "consumer" in notes
            else None
        ),
        choices=choices,
        pattern=notes.get("pattern") or None,
        default=notes.get("default"),
        origin=where,
        explicit=bool(notes),
    )
    return _finish(spec, next(iter(note_at.values()), where) if note_at else where)


def _guess_consumer(project_dir: Path) -> Consumer | None:
    """Which PostgreSQL client the project depends on, read from its requirement files."""
    texts: list[str] = []
    for name in ("requirements.txt", "requirements.in", "pyproject.toml", "Pipfile", "setup.cfg"):
        candidate = project_dir / name
        if candidate.is_file():
            try:
                texts.append(read_bounded_text(candidate, what="requirements file").lower())
            except UsageError:
                continue
    words = set(re.findall(r"(?m)^[\s\"']*([a-z0-9_.\-]+)", "\n".join(texts)))
    words |= set(re.findall(r"[\"']([a-z0-9_.\-]+)", "\n".join(texts)))
    if any(w.startswith(("sqlalchemy", "sqlmodel")) for w in words):
        return Consumer.SQLALCHEMY
    if "asyncpg" in words:
        return Consumer.ASYNCPG
    if any(w in words for w in ("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary")):
        return Consumer.LIBPQ
    return None


_KINDS = {
    "string": VarType.STRING,
    "int": VarType.INT,
    "float": VarType.FLOAT,
    "bool": VarType.BOOL,
    "enum": VarType.ENUM,
    "json": VarType.JSON,
    "url": VarType.URL,
    "http-url": VarType.HTTP_URL,
    "postgres-url": VarType.POSTGRES_URL,
    "email": VarType.EMAIL,
}


def _from_code(var: CodeVar) -> VarSpec:
    """A code-declared variable as a spec; a well-known name refines a plain string type."""
    var_type = _KINDS.get(var.kind, VarType.STRING)
    if var_type is VarType.STRING and not var.unchecked:
        named = infer_type(var.name)
        # A name says more than `str` only for the types that are strings anyway. A settings
        # field annotated `str` may hold any database's URL (`WRITER_DB_URL: str = "mysql://..."`):
        # only a bare read (no annotation to go by) is taken for a PostgreSQL URL by its name.
        if named in (
            VarType.OPENAI_KEY,
            VarType.SENTRY_DSN,
            VarType.SUPABASE_URL,
            VarType.SUPABASE_KEY,
        ) or (named is VarType.POSTGRES_URL and var.direct):
            var_type = named
    if var_type is VarType.ENUM and not var.choices:
        var_type = VarType.STRING
    return VarSpec(
        name=var.name,
        type=var_type,
        required=var.required,
        secret=True if var.secret else None,
        choices=var.choices,
        default=var.default,
        origin=var.origin,
        from_code=True,
        case_sensitive=var.case_sensitive,
        json_shape=var.json_shape,
        unchecked=var.unchecked,
        fixed_by_code=var.fixed_by_code,
        ignore_empty=var.ignore_empty,
    )


def _merge(lower: VarSpec | None, higher: VarSpec) -> VarSpec:
    """``higher`` wins; a bare ``.env.example`` key only confirms what the code declares."""
    if lower is None:
        return higher
    if not higher.explicit and lower.from_code:
        return replace(lower, origin=f"{lower.origin} + {higher.origin}")
    return replace(higher, case_sensitive=lower.case_sensitive)


def load_schema(
    project_dir: Path,
    config: Settings,
    schema: str | None = None,
    require: Sequence[str] = (),
    *,
    code: Inferred | None = None,
) -> Schema:
    """The schema for ``project_dir``: ``--schema`` if given; else, per variable, the config's
    table over ``.env.example`` over the app's code; the built-in default only when none of
    them declares anything.

    Raises :class:`UsageError` for a named schema file that is missing or malformed.
    """
    specs: dict[str, VarSpec] = {}
    origins: list[str] = []
    app_files: AppEnvFiles | None = None
    notes: list[str] = []
    # Upper-cased name -> key, for the code's case-insensitive (pydantic-settings) variables.
    folded: dict[str, str] = {}
    code_found: Inferred | None = None
    if schema is None:
        found = code if code is not None else infer(project_dir)
        code_found = found
        if found.found:
            for var in found.variables:
                specs[var.name] = _from_code(var)
                if not var.case_sensitive:
                    folded[var.name.upper()] = var.name
            origins.append("the code")
            notes += found.notes
        app_files = app_env_files(project_dir, found)
        example = project_dir / ".env.example"
        if os.path.lexists(example):
            for spec in schema_from_example(example, ".env.example"):
                key = folded.get(spec.name.upper(), spec.name)
                specs[key] = _merge(specs.get(key), spec)
            origins.append(".env.example")
        if config.env:
            for spec in schema_from_table(config.env, config.where()):
                key = folded.get(spec.name.upper(), spec.name)
                specs[key] = _merge(specs.get(key), spec)
            origins.append("pyproject.toml")
    elif schema == "pyproject":
        if not config.env:
            where = config.path or "pyproject.toml"
            raise UsageError(f"--schema pyproject: no [tool.jyoti-doctor.env] table in {where}")
        for spec in schema_from_table(config.env, config.where()):
            specs[spec.name] = spec
        origins.append("pyproject.toml")
    else:
        path = Path(schema)
        if not path.is_absolute() and not os.path.lexists(path):
            path = project_dir / path
        if not os.path.lexists(path):
            raise UsageError(f"schema file not found: {schema}")
        if path.suffix == ".toml":
            settings = read_settings(path)
            if settings is None or not settings.env:
                raise UsageError(f"{schema}: no [tool.jyoti-doctor.env] table")
            found_specs = schema_from_table(settings.env, schema)
        else:
            found_specs = schema_from_example(path, schema)
        for spec in found_specs:
            specs[spec.name] = spec
        origins.append(schema)
    if not specs:
        for spec in default_schema():
            specs[spec.name] = spec
        origins.append("built-in default")
    for name in require:
        if not _VALID_NAME.fullmatch(name):
            raise UsageError(f"--require: invalid variable name {name!r}")
        key = folded.get(name.upper(), name)
        existing = specs.get(key)
        specs[key] = (
            replace(existing, required=True)
            if existing
            else VarSpec(name, infer_type(name), required=True, origin="--require")
        )
    guess = _guess_consumer(project_dir)
    return Schema(
        tuple(specs.values()),
        " + ".join(origins),
        consumer_guess=guess,
        notes=tuple(notes),
        app_files=app_files,
        code=code_found,
    )
