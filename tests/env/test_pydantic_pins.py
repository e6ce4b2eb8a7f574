"""The schema check-env reads from a settings class, pinned against real pydantic-settings.

Each case is a settings class and an environment. The class is written into a project (check-env
reads it statically) and also executed with real pydantic-settings on the same environment. The
pins: check-env lists exactly the expected variables, and it reports an invalid or missing value
exactly when pydantic-settings refuses to build the settings, for as many fields.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from jyoti_doctor.config import Settings
from jyoti_doctor.env.check import check_env

BAD = {"missing", "empty", "invalid", "placeholder", "stray characters"}

V2 = "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
V1 = "from pydantic.v1 import BaseSettings, Field\n"

# (id, source, environment, expected table names)
CASES: list[tuple[str, str, dict[str, str], set[str]]] = [
    (
        "plain-required-ok",
        V2 + "class Settings(BaseSettings):\n    name: str\n    port: int = 8000\n",
        {"NAME": "x"},
        {"NAME", "PORT"},
    ),
    (
        "plain-required-missing",
        V2 + "class Settings(BaseSettings):\n    name: str\n",
        {},
        {"NAME"},
    ),
    (
        "int-bad",
        V2 + "class Settings(BaseSettings):\n    workers: int = 1\n",
        {"WORKERS": "four"},
        {"WORKERS"},
    ),
    (
        "int-pydantic-spellings",
        V2 + "class Settings(BaseSettings):\n    a: int = 1\n    b: int = 1\n    c: int = 1\n",
        {"A": " 7 ", "B": "1_000", "C": "3.0"},
        {"A", "B", "C"},
    ),
    (
        "int-fraction",
        V2 + "class Settings(BaseSettings):\n    a: int = 1\n",
        {"A": "1.5"},
        {"A"},
    ),
    (
        "float",
        V2 + "class Settings(BaseSettings):\n    ratio: float = 0.5\n    other: float = 1\n",
        {"RATIO": "1e-3", "OTHER": "half"},
        {"RATIO", "OTHER"},
    ),
    (
        "bool-pydantic-words",
        V2 + "class Settings(BaseSettings):\n    a: bool = False\n    b: bool = False\n"
        "    c: bool = False\n",
        {"A": "t", "B": "N", "C": "On"},
        {"A", "B", "C"},
    ),
    (
        "bool-bad",
        V2 + "class Settings(BaseSettings):\n    debug: bool = False\n",
        {"DEBUG": "enabled"},
        {"DEBUG"},
    ),
    (
        "literal",
        V2 + "from typing import Literal\n"
        "class Settings(BaseSettings):\n    env: Literal['local', 'prod'] = 'local'\n",
        {"ENV": "Prod"},
        {"ENV"},
    ),
    (
        "enum",
        V2 + "from enum import Enum\nclass Mode(str, Enum):\n    a = 'alpha'\n    b = 'beta'\n"
        "class Settings(BaseSettings):\n    mode: Mode = Mode.a\n",
        {"MODE": "beta"},
        {"MODE"},
    ),
    (
        "list-json",
        V2 + "class Settings(BaseSettings):\n    hosts: list[str] = []\n",
        {"HOSTS": "a,b"},
        {"HOSTS"},
    ),
    (
        "dict-json-ok",
        V2 + "class Settings(BaseSettings):\n    extra: dict[str, int] = {}\n",
        {"EXTRA": '{"a": 1}'},
        {"EXTRA"},
    ),
    (
        "optional-int-empty",
        V2 + "class Settings(BaseSettings):\n    limit: int | None = None\n",
        {"LIMIT": ""},
        {"LIMIT"},
    ),
    (
        "optional-int-empty-ignored",
        V2 + "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_ignore_empty=True)\n"
        "    limit: int | None = None\n",
        {"LIMIT": ""},
        {"LIMIT"},
    ),
    (
        "prefix",
        V2 + "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='APP_')\n    port: int\n",
        {"APP_PORT": "x"},
        {"APP_PORT"},
    ),
    (
        "alias-ignores-prefix",
        V2 + "from pydantic import Field\nclass Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='APP_')\n"
        "    url: str = Field(validation_alias='SERVICE_URL')\n",
        {"SERVICE_URL": "https://x"},
        {"SERVICE_URL"},
    ),
    (
        "alias-choices",
        V2 + "from pydantic import AliasChoices, Field\nclass Settings(BaseSettings):\n"
        "    token: str = Field(validation_alias=AliasChoices('API_TOKEN', 'TOKEN'))\n",
        {"API_TOKEN": "abc"},
        {"API_TOKEN"},
    ),
    (
        "case-sensitive",
        V2 + "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(case_sensitive=True)\n    Mode: str\n",
        {"MODE": "x"},
        {"Mode"},
    ),
    (
        "lowercase-fields-case-insensitive",
        V2 + "class Settings(BaseSettings):\n    database_host: str\n    debug: bool = False\n",
        {"DATABASE_HOST": "db", "DEBUG": "yes"},
        {"DATABASE_HOST", "DEBUG"},
    ),
    (
        "subclass-of-subclass",
        V2 + "class Base(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix='X_')\n"
        "    a: int = 1\nclass Middle(Base):\n    b: str\nclass Settings(Middle):\n    c: bool = True\n",
        {"X_B": "b", "X_C": "maybe"},
        {"X_A", "X_B", "X_C"},
    ),
    (
        "nested-delimiter",
        V2
        + "from pydantic import BaseModel\nclass Db(BaseModel):\n    host: str\n    port: int = 5432\n"
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_nested_delimiter='__')\n    db: Db\n",
        {"DB__HOST": "h", "DB__PORT": "p"},
        {"DB__HOST", "DB__PORT"},
    ),
    (
        "secretstr",
        V2
        + "from pydantic import SecretStr\nclass Settings(BaseSettings):\n    api_key: SecretStr\n",
        {},
        {"API_KEY"},
    ),
    (
        "computed-field-is-no-variable",
        V2
        + "from pydantic import computed_field\nclass Settings(BaseSettings):\n    host: str = 'h'\n"
        "    @computed_field\n    @property\n    def url(self) -> str:\n        return self.host\n",
        {},
        {"HOST"},
    ),
    (
        "http-url",
        V2 + "from pydantic import HttpUrl\nclass Settings(BaseSettings):\n    site: HttpUrl\n",
        {"SITE": "ftp://example.com"},
        {"SITE"},
    ),
    (
        "postgres-dsn",
        V2
        + "from pydantic import PostgresDsn\nclass Settings(BaseSettings):\n    database_url: PostgresDsn\n",
        {"DATABASE_URL": "mysql://u:p@h/d"},
        {"DATABASE_URL"},
    ),
    (
        "str-url-of-another-database",
        V2 + "class Settings(BaseSettings):\n"
        "    writer_db_url: str = 'mysql+aiomysql://u:p@h:3306/d'\n",
        {},
        {"WRITER_DB_URL"},
    ),
    (
        "v1-config-prefix",
        V1
        + "class Settings(BaseSettings):\n    port: int\n    class Config:\n        env_prefix = 'SVC_'\n",
        {"SVC_PORT": "80"},
        {"SVC_PORT"},
    ),
    (
        "v1-field-env",
        V1 + "class Settings(BaseSettings):\n    url: str = Field(..., env='REMOTE_URL')\n",
        {},
        {"REMOTE_URL"},
    ),
    (
        "env-file-tuple-later-wins",
        V2 + "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_file=('.env', '.env.local'))\n    port: int\n",
        {},
        {"PORT"},
    ),
]
FILES = {"env-file-tuple-later-wins": {".env": "PORT=80\n", ".env.local": "PORT=eighty\n"}}


def _pydantic_errors(source: str, environ: dict[str, str], cwd: Path) -> int:
    """How many fields real pydantic-settings refuses (0: the settings build)."""
    namespace: dict[str, Any] = {}
    saved = dict(os.environ)
    here = Path.cwd()
    try:
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd)
        # dont_inherit: this module's `from __future__ import annotations` must not leak in.
        code = compile(source, "settings.py", "exec", dont_inherit=True)
        exec(code, namespace)  # noqa: S102  (the test's own class)
        try:
            namespace["Settings"]()
        except Exception as exc:  # noqa: BLE001  (ValidationError of v1 or v2, SettingsError)
            errors = getattr(exc, "errors", None)
            return len(errors()) if callable(errors) else 1
        return 0
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize(("case", "source", "environ", "names"), CASES, ids=[c[0] for c in CASES])
def test_schema_and_verdict_match_pydantic_settings(
    tmp_path: Path, case: str, source: str, environ: dict[str, str], names: set[str]
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "config.py").write_text(textwrap.dedent(source))
    for name, text in FILES.get(case, {}).items():
        (tmp_path / name).write_text(text)
    refused = _pydantic_errors(source, environ, tmp_path)

    result = check_env(tmp_path, Settings(), environ=environ)
    rows = {row[0]: row for row in result.rows}
    assert set(rows) == names, rows
    bad = [name for name, row in rows.items() if row[3] in BAD]
    assert len(bad) == refused, (rows, refused)
    if refused == 0:
        assert not [f for f in result.findings if f.severity == "error"], result.findings


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20
