"""The schema an app declares in its own code, read statically: nothing is imported or run.

Three shapes are understood:

* pydantic-settings classes (v2 ``pydantic_settings.BaseSettings``, v1 ``pydantic.BaseSettings``,
  through any depth of subclasses and across modules): fields, annotations, defaults,
  ``Field(alias=, validation_alias=, env=)``, ``model_config = SettingsConfigDict(...)`` or v1
  ``class Config`` (``env_prefix``, ``env_file``, ``case_sensitive``, ``env_nested_delimiter``);
* direct reads: ``os.environ["X"]`` (required), ``os.environ.get("X")`` / ``os.getenv("X", d)``
  (optional), the same through ``from os import environ, getenv``;
* config helpers: starlette's and python-decouple's ``config("X", default=..., cast=...)``,
  environs' and django-environ's ``env.str("X")`` / ``env("X")``.

What cannot be decided statically is said so: a field with a validator the code runs on it is
"not checked" (its value may be rewritten first), never judged by a guess.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..textfile import read_bounded_text
from .resolve import AppEnvFiles

# Cheap textual filter: only files that read the environment or may define settings (or a model
# nested in them) are parsed; a subclass of a project's own settings class names "Settings".
_INTERESTING = re.compile(r"Settings|BaseModel|environ|getenv|dotenv_values|config\(")
_SETTINGS_BASES = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.env_settings.BaseSettings",
        "pydantic.v1.BaseSettings",
        "pydantic.v1.env_settings.BaseSettings",
    }
)
_MODEL_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.v1.BaseModel"})
MAX_FILES = 2000
MAX_DEPTH = 8


class Kind:
    """The value kinds the code can declare (their names are env.schema's type names)."""

    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    ENUM = "enum"
    JSON = "json"
    URL = "url"
    HTTP_URL = "http-url"
    POSTGRES_URL = "postgres-url"
    EMAIL = "email"


@dataclass(frozen=True)
class CodeVar:
    """One environment variable the code reads, with what it expects of the value."""

    name: str
    kind: str = Kind.STRING
    required: bool = True
    default: str | None = None
    secret: bool = False
    choices: tuple[str, ...] = ()
    # For JSON: "array", "object" or "" (any JSON).
    json_shape: str = ""
    optional_none: bool = False
    case_sensitive: bool = True
    # Other names the app accepts for the same value (AliasChoices), lookup order.
    aliases: tuple[str, ...] = ()
    origin: str = ""
    # Why the value cannot be judged here (a validator the code runs first), or None.
    unchecked: str | None = None
    # What the code itself does to the value before use ("rewrites postgres:// ...").
    fixed_by_code: str | None = None
    ignore_empty: bool = False
    # Read directly (os.environ, getenv, config(...)), not declared by a settings class.
    direct: bool = False


@dataclass(frozen=True)
class Inferred:
    """Everything the code declares: variables, direct reads, the settings class's env_file."""

    variables: tuple[CodeVar, ...] = ()
    # Direct reads: name -> where (file:line), for "read but declared nowhere".
    reads: tuple[tuple[str, str], ...] = ()
    classes: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    env_file_owner: str = ""
    settings_file: Path | None = None
    notes: tuple[str, ...] = ()
    # Where the code reads the environment by a name it computes (os.environ[name], a copy of
    # os.environ): "never read" cannot be told then.
    dynamic: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.variables or self.reads)


# -- module model ------------------------------------------------------------------------------


@dataclass
class _Module:
    path: Path
    display: str
    name: str  # dotted module name relative to its package root
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin


@dataclass
class _Class:
    module: _Module
    node: ast.ClassDef
    qualname: str  # module.Class

    @property
    def where(self) -> str:
        return f"{self.module.display}:{self.node.lineno}"


def _module_name(path: Path, root: Path) -> str:
    """The dotted name of ``path`` as its package root would import it."""
    parts = [path.stem] if path.stem != "__init__" else []
    parent = path.parent
    while (parent / "__init__.py").is_file() and parent != parent.parent:
        parts.insert(0, parent.name)
        if parent == root:
            break
        parent = parent.parent
    return ".".join(parts)


def _collect_imports(module: _Module) -> None:
    package = module.name.rsplit(".", 1)[0] if "." in module.name else ""
    if module.path.stem == "__init__":
        package = module.name
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                module.imports[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                prefix = ".".join(parts[: max(keep, 0)])
                base = ".".join(p for p in (prefix, base) if p)
            for alias in node.names:
                module.imports[alias.asname or alias.name] = (
                    f"{base}.{alias.name}" if base else alias.name
                )


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    if isinstance(node, ast.Subscript):
        return _dotted(node.value)
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return None


def _qualify(module: _Module, node: ast.expr) -> str | None:
    """A name in ``module`` as the dotted path it was imported from (or defined at)."""
    dotted = _dotted(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    if head in module.imports:
        origin = module.imports[head]
        return f"{origin}.{rest}" if rest else origin
    return f"{module.name}.{dotted}" if module.name else dotted


def _literal(node: ast.expr | None) -> object:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


_UNKNOWN = object()


def _call_kwargs(node: ast.expr) -> dict[str, ast.expr]:
    if isinstance(node, ast.Call):
        return {k.arg: k.value for k in node.keywords if k.arg}
    if isinstance(node, ast.Dict):
        return {
            k.value: v
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    return {}


# -- settings classes --------------------------------------------------------------------------


@dataclass
class _Config:
    env_prefix: str = ""
    case_sensitive: bool = False
    nested_delimiter: str | None = None
    env_file: tuple[str, ...] | None = None
    ignore_empty: bool = False
    unknown: list[str] = field(default_factory=list)


def _own_config(cls: _Class) -> dict[str, object]:
    """The settings written in this class body (v2 model_config or v1 class Config)."""
    found: dict[str, object] = {}
    for stmt in cls.node.body:
        target = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and target.id == "model_config" and value is not None:
            for key, node in _call_kwargs(value).items():
                found[key] = _literal(node)
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                if isinstance(inner, ast.Assign) and len(inner.targets) == 1:
                    name = inner.targets[0]
                    if isinstance(name, ast.Name):
                        found[name.id] = _literal(inner.value)
    return found


def _env_files(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


class _Index:
    def __init__(self, modules: list[_Module]) -> None:
        self.modules = modules
        self.classes: dict[str, _Class] = {}
        self.by_name: dict[str, list[_Class]] = {}
        for module in modules:
            for node in ast.walk(module.tree):
                if isinstance(node, ast.ClassDef):
                    cls = _Class(module, node, f"{module.name}.{node.name}")
                    self.classes[cls.qualname] = cls
                    self.by_name.setdefault(node.name, []).append(cls)

    def bases(self, cls: _Class) -> list[_Class | str]:
        out: list[_Class | str] = []
        for base in cls.node.bases:
            qualified = _qualify(cls.module, base)
            if qualified is None:
                continue
            if qualified in self.classes:
                out.append(self.classes[qualified])
                continue
            # A re-export (`from .base import X` through a package __init__): match the name.
            simple = qualified.rsplit(".", 1)[-1]
            candidates = [c for c in self.by_name.get(simple, []) if c is not cls]
            if len(candidates) == 1 and not qualified.startswith(("pydantic", "pydantic_settings")):
                out.append(candidates[0])
            else:
                out.append(qualified)
        return out

    def kind_of(self, cls: _Class, seen: frozenset[str] = frozenset()) -> str | None:
        """``settings``, ``model`` or None, following the bases."""
        if cls.qualname in seen:
            return None
        for base in self.bases(cls):
            if isinstance(base, str):
                if base in _SETTINGS_BASES:
                    return "settings"
                if base in _MODEL_BASES:
                    return "model"
                continue
            kind = self.kind_of(base, seen | {cls.qualname})
            if kind is not None:
                return kind
        return None

    def mro(self, cls: _Class, seen: frozenset[str] = frozenset()) -> list[_Class]:
        """The class and its known ancestors, most basic first."""
        if cls.qualname in seen:
            return []
        chain: list[_Class] = []
        for base in reversed(self.bases(cls)):
            if isinstance(base, _Class):
                for ancestor in self.mro(base, seen | {cls.qualname}):
                    if ancestor not in chain:
                        chain.append(ancestor)
        chain.append(cls)
        return chain

    def config(self, cls: _Class) -> _Config:
        merged: dict[str, object] = {}
        for ancestor in self.mro(cls):
            merged.update(_own_config(ancestor))
        config = _Config()
        prefix = merged.get("env_prefix")
        config.env_prefix = prefix if isinstance(prefix, str) else ""
        if prefix is _UNKNOWN:
            config.unknown.append("env_prefix")
        config.case_sensitive = merged.get("case_sensitive") is True
        config.ignore_empty = merged.get("env_ignore_empty") is True
        delimiter = merged.get("env_nested_delimiter")
        config.nested_delimiter = delimiter if isinstance(delimiter, str) and delimiter else None
        config.env_file = _env_files(merged.get("env_file"))
        if "env_file" in merged and merged["env_file"] is _UNKNOWN:
            config.unknown.append("env_file")
        return config


@dataclass(frozen=True)
class _Type:
    kind: str
    optional: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()
    json_shape: str = ""
    model: _Class | None = None
    unknown: bool = False


_SIMPLE_KINDS = {
    "str": Kind.STRING,
    "int": Kind.INT,
    "float": Kind.FLOAT,
    "bool": Kind.BOOL,
    "SecretStr": Kind.STRING,
    "SecretBytes": Kind.STRING,
    "AnyUrl": Kind.URL,
    "AnyHttpUrl": Kind.HTTP_URL,
    "HttpUrl": Kind.HTTP_URL,
    "PostgresDsn": Kind.POSTGRES_URL,
    "EmailStr": Kind.EMAIL,
    "Path": Kind.STRING,
    "bytes": Kind.STRING,
}
_JSON_KINDS = {
    "list": "array",
    "List": "array",
    "tuple": "array",
    "Tuple": "array",
    "set": "array",
    "Set": "array",
    "frozenset": "array",
    "FrozenSet": "array",
    "Sequence": "array",
    "dict": "object",
    "Dict": "object",
    "Mapping": "object",
}


class _Annotations:
    def __init__(self, index: _Index, module: _Module) -> None:
        self.index = index
        self.module = module

    def read(self, node: ast.expr) -> _Type:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return self.read(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return _Type(Kind.STRING, unknown=True)
        if isinstance(node, ast.Constant) and node.value is None:
            return _Type(Kind.STRING, optional=True)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right])
        name = _dotted(node) or ""
        simple = name.rsplit(".", 1)[-1]
        if isinstance(node, ast.Subscript):
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if simple in ("Optional",):
                inner = self.read(args[0])
                return _Type(**{**inner.__dict__, "optional": True})
            if simple == "Union":
                return self._union(args)
            if simple == "Annotated":
                inner = self.read(args[0])
                if any(self._is_validator(a) for a in args[1:]):
                    return _Type(**{**inner.__dict__, "unknown": True})
                return inner
            if simple == "Literal":
                values = [_literal(a) for a in args]
                if all(isinstance(v, str) for v in values):
                    return _Type(Kind.ENUM, choices=tuple(str(v) for v in values))
                if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                    return _Type(Kind.ENUM, choices=tuple(str(v) for v in values))
                return _Type(Kind.STRING, unknown=True)
            if simple in _JSON_KINDS:
                return _Type(Kind.JSON, json_shape=_JSON_KINDS[simple])
            if simple in ("ClassVar",):
                return _Type(Kind.STRING, unknown=True)
        if simple in _JSON_KINDS:
            return _Type(Kind.JSON, json_shape=_JSON_KINDS[simple])
        if simple in _SIMPLE_KINDS:
            return _Type(_SIMPLE_KINDS[simple], secret=simple.startswith("Secret"))
        if simple in ("Any", "Json"):
            return _Type(Kind.STRING, unknown=simple == "Json")
        target = self._class(node)
        if target is not None:
            choices = self._enum_values(target)
            if choices is not None:
                return _Type(Kind.ENUM, choices=choices)
            if self.index.kind_of(target) is not None:
                return _Type(Kind.JSON, json_shape="object", model=target)
        return _Type(Kind.STRING, unknown=True)

    def _union(self, members: list[ast.expr]) -> _Type:
        types = [self.read(m) for m in members]
        optional = any(_is_none(m) or t.optional for t, m in zip(types, members, strict=True))
        concrete = [t for t, m in zip(types, members, strict=True) if not _is_none(m)]
        if len(concrete) == 1:
            return _Type(**{**concrete[0].__dict__, "optional": optional or concrete[0].optional})
        # `list[AnyUrl] | str`, `int | str`: any of several; pydantic tries each in turn.
        kinds = {t.kind for t in concrete}
        if Kind.STRING in kinds:
            return _Type(Kind.STRING, optional=optional)
        return _Type(Kind.STRING, optional=optional, unknown=True)

    def _class(self, node: ast.expr) -> _Class | None:
        qualified = _qualify(self.module, node)
        if qualified is None:
            return None
        if qualified in self.index.classes:
            return self.index.classes[qualified]
        candidates = self.index.by_name.get(qualified.rsplit(".", 1)[-1], [])
        return candidates[0] if len(candidates) == 1 else None

    def _enum_values(self, cls: _Class) -> tuple[str, ...] | None:
        bases = {(_qualify(cls.module, b) or "").rsplit(".", 1)[-1] for b in cls.node.bases}
        if not bases & {"Enum", "StrEnum", "IntEnum"}:
            return None
        values: list[str] = []
        for stmt in cls.node.body:
            value: ast.expr | None = None
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                value = stmt.value
            literal = _literal(value)
            if isinstance(literal, (str, int)) and not isinstance(literal, bool):
                values.append(str(literal))
        return tuple(values)

    def _is_validator(self, node: ast.expr) -> bool:
        name = (_dotted(node) or "").rsplit(".", 1)[-1]
        return name in ("BeforeValidator", "PlainValidator", "WrapValidator", "AfterValidator")


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _validated_fields(index: _Index, cls: _Class) -> dict[str, str]:
    """Fields a ``@field_validator`` / ``@validator`` of the class (or an ancestor) touches,
    with the validator's name."""
    found: dict[str, str] = {}
    for ancestor in index.mro(cls):
        for stmt in ancestor.node.body:
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in stmt.decorator_list:
                name = (_dotted(decorator) or "").rsplit(".", 1)[-1]
                if name not in ("field_validator", "validator") or not isinstance(
                    decorator, ast.Call
                ):
                    continue
                if any(
                    k.arg == "mode" and _literal(k.value) == "after" for k in decorator.keywords
                ):
                    continue
                for arg in decorator.args:
                    value = _literal(arg)
                    if isinstance(value, str):
                        found[value] = stmt.name
    return found


_SCHEME_FIX = re.compile(r"""replace\(\s*["']postgres(?:ql)?://["']""")


def _fixes(index: _Index, cls: _Class) -> dict[str, str]:
    """Validators that rewrite a URL's scheme themselves: the value is fixed by the code."""
    found: dict[str, str] = {}
    validated = _validated_fields(index, cls)
    for ancestor in index.mro(cls):
        for stmt in ancestor.node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                source = ast.unparse(stmt)
                if _SCHEME_FIX.search(source) or "postgres://" in source:
                    for name, validator in validated.items():
                        if validator == stmt.name:
                            found[name] = f"its validator {stmt.name}() rewrites the scheme"
    return found


def _is_secret_annotation(node: ast.expr) -> bool:
    return "Secret" in (ast.unparse(node) if node else "")


def _fields(index: _Index, cls: _Class, config: _Config, prefix: str) -> Iterator[CodeVar]:
    validated = _validated_fields(index, cls)
    fixes = _fixes(index, cls)
    seen: dict[str, CodeVar] = {}
    for ancestor in index.mro(cls):
        reader = _Annotations(index, ancestor.module)
        for stmt in ancestor.node.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            name = stmt.target.id
            if name.startswith("_") or name == "model_config":
                continue
            annotation = reader.read(stmt.annotation)
            if "ClassVar" in ast.unparse(stmt.annotation):
                continue
            default, has_default, aliases, v1_env = _default_and_aliases(stmt.value)
            if stmt.value is not None and default is _UNKNOWN and not has_default:
                has_default = True
            where = f"{ancestor.module.display}:{stmt.lineno} ({cls.node.name}.{name})"
            names = aliases or v1_env or (f"{prefix}{name}",)
            required = not has_default and not annotation.optional
            if annotation.model is not None and config.nested_delimiter:
                sub_config = _Config(case_sensitive=config.case_sensitive)
                for sub in _fields(index, annotation.model, sub_config, ""):
                    nested = f"{names[0]}{config.nested_delimiter}{sub.name}"
                    seen[f"{name}.{sub.name}"] = CodeVar(
                        name=nested if config.case_sensitive else nested.upper(),
                        kind=sub.kind,
                        required=sub.required and required,
                        default=sub.default,
                        secret=sub.secret,
                        choices=sub.choices,
                        json_shape=sub.json_shape,
                        optional_none=sub.optional_none,
                        case_sensitive=config.case_sensitive,
                        origin=sub.origin,
                        unchecked=sub.unchecked,
                    )
                continue
            unchecked = None
            if annotation.unknown:
                unchecked = f"its type `{ast.unparse(stmt.annotation)}` is not one check-env knows"
            if name in validated and name not in fixes:
                unchecked = f"the code validates it first ({validated[name]}())"
            shown_default = None
            if has_default and isinstance(default, (str, int, float, bool)):
                shown_default = str(default).lower() if isinstance(default, bool) else str(default)
            seen[name] = CodeVar(
                name=names[0] if config.case_sensitive else names[0].upper(),
                kind=annotation.kind,
                required=required,
                default=shown_default,
                secret=annotation.secret or _is_secret_annotation(stmt.annotation),
                choices=annotation.choices,
                json_shape=annotation.json_shape,
                optional_none=annotation.optional,
                case_sensitive=config.case_sensitive,
                aliases=names[1:],
                origin=where,
                unchecked=unchecked,
                fixed_by_code=fixes.get(name),
                ignore_empty=config.ignore_empty,
            )
    yield from seen.values()


def _default_and_aliases(
    value: ast.expr | None,
) -> tuple[object, bool, tuple[str, ...], tuple[str, ...]]:
    """(default, has a default, alias names, v1 ``env=`` names) of a field's right-hand side."""
    if value is None:
        return None, False, (), ()
    if isinstance(value, ast.Call) and (_dotted(value.func) or "").rsplit(".", 1)[-1] == "Field":
        kwargs = _call_kwargs(value)
        has_default = "default" in kwargs or "default_factory" in kwargs
        default: object = _literal(kwargs["default"]) if "default" in kwargs else None
        if value.args:
            first = value.args[0]
            if not (isinstance(first, ast.Constant) and first.value is Ellipsis):
                has_default = True
                default = _literal(first)
        if default is Ellipsis:
            has_default = False
        aliases: list[str] = []
        for key in ("validation_alias", "alias"):
            node = kwargs.get(key)
            if node is None:
                continue
            literal = _literal(node)
            if isinstance(literal, str):
                aliases.append(literal)
            elif isinstance(node, ast.Call) and (_dotted(node.func) or "").endswith("AliasChoices"):
                aliases += [a for a in (_literal(x) for x in node.args) if isinstance(a, str)]
            if aliases:
                break
        env = _literal(kwargs["env"]) if "env" in kwargs else None
        v1 = (env,) if isinstance(env, str) else tuple(env) if isinstance(env, list) else ()
        return default, has_default, tuple(aliases), tuple(str(v) for v in v1)
    return _literal(value), True, (), ()


# -- direct reads ------------------------------------------------------------------------------


def _direct_reads(module: _Module) -> Iterator[tuple[str, bool, str | None, int]]:
    """(name, required, default, line) for every literal read of the environment."""
    environ_names = {k for k, v in module.imports.items() if v == "os.environ"}
    getenv_names = {k for k, v in module.imports.items() if v == "os.getenv"}
    config_names = {k for k, v in module.imports.items() if v == "decouple.config"}
    # `config = Config(".env")` (starlette), `env = Env()` (environs), `env = environ.Env()`.
    helpers: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            origin = _qualify(module, node.value.func) or ""
            if origin in (
                "starlette.config.Config",
                "environs.Env",
                "environ.Env",
                "decouple.AutoConfig",
                "decouple.Config",
            ):
                helpers |= {t.id for t in node.targets if isinstance(t, ast.Name)}

    # `values = dotenv_values(".env")`: a mapping read like os.environ.
    mappings: set[str] = set()
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _qualify(module, node.value.func) == "dotenv.dotenv_values"
        ):
            mappings |= {t.id for t in node.targets if isinstance(t, ast.Name)}

    def is_environ(node: ast.expr) -> bool:
        if isinstance(node, ast.Name) and node.id in mappings:
            return True
        if isinstance(node, ast.Call) and _qualify(module, node.func) == "dotenv.dotenv_values":
            return True
        dotted = _dotted(node)
        return dotted in environ_names or (
            dotted is not None
            and dotted.endswith(".environ")
            and module.imports.get(dotted.split(".")[0]) == "os"
        )

    for node in ast.walk(module.tree):
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            key = _literal(node.slice)
            if isinstance(key, str) and isinstance(node.ctx, ast.Load):
                yield key, True, None, node.lineno
            elif not isinstance(key, str) and isinstance(node.ctx, ast.Load):
                yield "", False, None, node.lineno
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "items", "copy", "keys", "values")
            and is_environ(node.func.value)
            and (
                node.func.attr != "get"
                or not node.args
                or not isinstance(_literal(node.args[0]), str)
            )
        ):
            yield "", False, None, node.lineno
        if not isinstance(node, ast.Call) or not node.args:
            continue
        key = _literal(node.args[0])
        if not isinstance(key, str):
            continue
        func = node.func
        default_node = node.args[1] if len(node.args) > 1 else None
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("get", "setdefault")
            and is_environ(func.value)
            or (_dotted(func) in getenv_names)
            or (
                isinstance(func, ast.Attribute)
                and func.attr == "getenv"
                and module.imports.get(_dotted(func.value) or "") == "os"
            )
        ):
            yield key, False, _text(default_node), node.lineno
        elif (
            isinstance(func, ast.Name)
            and (func.id in config_names or func.id in helpers)
            or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in helpers
                and func.attr
                in ("str", "int", "float", "bool", "list", "dict", "json", "url", "path", "db_url")
            )
        ):
            default = kwargs.get("default", default_node)
            yield key, default is None, _text(default), node.lineno


def _text(node: ast.expr | None) -> str | None:
    value = _literal(node)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (str, int, float)) else None


# -- the whole project -------------------------------------------------------------------------


def _python_files(project_dir: Path) -> Iterator[Path]:
    """The project's ``.py`` files, bounded: a walk of at most :data:`MAX_DEPTH` levels that
    stops at :data:`MAX_FILES` files, so a command run from a home directory stays quick."""
    import fnmatch
    import os

    from ..files import DEFAULT_EXCLUDES

    count = 0
    root_depth = len(project_dir.parts)
    for directory, dirs, names in os.walk(project_dir):
        depth = len(Path(directory).parts) - root_depth
        dirs[:] = sorted(
            d
            for d in dirs
            if depth < MAX_DEPTH
            and not d.startswith(".")
            and not any(fnmatch.fnmatch(d, pattern) for pattern in DEFAULT_EXCLUDES)
        )
        for name in sorted(names):
            if name.endswith(".py"):
                yield Path(directory) / name
                count += 1
                if count >= MAX_FILES:
                    return


def _sources(project_dir: Path) -> list[tuple[Path, str]]:
    """The project's source files worth parsing (tests aside), with their text."""
    found: list[tuple[Path, str]] = []
    for path in _python_files(project_dir):
        if _is_test(path.relative_to(project_dir)):
            continue  # tests set up their own environment and settings; they are not the app
        try:
            text = read_bounded_text(path, what="source file", encoding="utf-8-sig")
        except UsageError:
            continue
        if _INTERESTING.search(text):
            found.append((path, text))
    return found


def _modules(project_dir: Path, sources: list[tuple[Path, str]]) -> list[_Module]:
    modules: list[_Module] = []
    for path, text in sources:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        try:
            display = str(path.relative_to(project_dir))
        except ValueError:
            display = str(path)
        module = _Module(path, display, _module_name(path, project_dir), tree)
        _collect_imports(module)
        modules.append(module)
    return modules


def _first_env_file(index: _Index) -> tuple[tuple[str, ...], str, Path | None]:
    """The first settings class naming an ``env_file``: the files, the class, its module."""
    for cls in index.classes.values():
        if index.kind_of(cls) == "settings":
            config = index.config(cls)
            if config.env_file:
                return config.env_file, f"{cls.where} {cls.node.name}", cls.module.path
    return (), "", None


def infer(project_dir: Path, *, direct_reads: bool = True) -> Inferred:
    """The variables the code in ``project_dir`` reads; never raises on code it cannot parse.

    Without ``direct_reads``, only the settings classes are modelled: what probe-db needs to find
    the connection string (a URL field's name, the ``env_file``), at about half the cost."""
    modules = _modules(project_dir, _sources(project_dir))
    index = _Index(modules)
    variables: dict[str, CodeVar] = {}
    classes: list[str] = []
    notes: list[str] = []
    settings_classes = [c for c in index.classes.values() if index.kind_of(c) == "settings"]
    for cls in settings_classes:
        config = index.config(cls)
        classes.append(f"{cls.where} {cls.node.name}")
        for unknown in config.unknown:
            notes.append(f"{cls.node.name}: {unknown} is computed; not checked")
        for var in _fields(index, cls, config, config.env_prefix):
            key = var.name if var.case_sensitive else var.name.upper()
            if key not in variables or (variables[key].required is False and var.required):
                variables[key] = var
    env_files, owner, settings_file = _first_env_file(index)
    reads: list[tuple[str, str]] = []
    dynamic: list[str] = []
    for module in modules if direct_reads else ():
        for name, required, default, line in _direct_reads(module):
            where = f"{module.display}:{line}"
            if not name:
                dynamic.append(where)
                continue
            reads.append((name, where))
            if name not in variables and name.upper() not in variables:
                variables[name] = CodeVar(
                    name=name,
                    required=required,
                    default=default,
                    origin=where,
                    direct=True,
                )
            elif required and name in variables and not variables[name].required:
                variables[name] = CodeVar(**{**variables[name].__dict__, "required": True})
    return Inferred(
        variables=tuple(variables.values()),
        reads=tuple(reads),
        classes=tuple(classes),
        env_files=env_files,
        env_file_owner=owner,
        settings_file=settings_file,
        notes=tuple(notes),
        dynamic=tuple(dynamic),
    )


def _is_test(path: Path) -> bool:
    return (
        path.name == "conftest.py"
        or path.name.startswith("test_")
        or any(part in ("tests", "test") for part in path.parts[:-1])
    )


def launch_dir(project_dir: Path, settings_file: Path | None) -> tuple[Path, str]:
    """The directory the app is launched from, and how it was found, for resolving env_file."""
    try:
        from ..config import find_config
        from ..launch.command import parse_command
        from ..launch.deploy import discover

        found = discover(project_dir, find_config(project_dir))
        if found is not None and found.unknown_cwd is None:
            cmd = parse_command(found.command, found.cwd, source=found.source, env=dict(found.env))
            # gunicorn --chdir moves the process before the app reads its settings.
            cwd = cmd.cwd / cmd.chdir if cmd.chdir else cmd.cwd
            return Path(os.path.normpath(cwd)), f"the working directory of `{cmd.shown}`"
    except Exception:  # noqa: BLE001, S110  (no start command found: fall back below)
        pass
    if settings_file is not None:
        # The directory above the settings module's top package is what `uvicorn app.main:app`
        # needs as its working directory.
        parent = settings_file.parent
        while (parent / "__init__.py").is_file() and parent != project_dir:
            parent = parent.parent
        if parent != settings_file.parent or (parent / "__init__.py").is_file() is False:
            try:
                shown = parent.relative_to(project_dir)
            except ValueError:
                shown = parent
            return parent, f"{shown}/, the directory above the settings module's package"
    return project_dir, "the project directory"


def app_env_files(project_dir: Path, inferred: Inferred | None = None) -> AppEnvFiles | None:
    """The settings class's ``env_file``, resolved against the launch directory.

    Without ``inferred`` (the secret masking of an error asks this from wherever it runs), only
    the settings classes are modelled, and only when some source names ``env_file`` at all."""
    if inferred is not None:
        env_files, owner, settings_file = (
            inferred.env_files,
            inferred.env_file_owner,
            inferred.settings_file,
        )
    else:
        sources = _sources(project_dir)
        if not any("env_file" in text for _, text in sources):
            return None
        env_files, owner, settings_file = _first_env_file(_Index(_modules(project_dir, sources)))
    if not env_files:
        return None
    base, assumed = launch_dir(project_dir, settings_file)
    paths = tuple((base / p) for p in env_files)
    return AppEnvFiles(paths, base, assumed, owner)
