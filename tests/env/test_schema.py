"""Schema sources: `.env.example` annotations, [tool.jyoti-doctor.env], --schema, the default."""

from __future__ import annotations

from pathlib import Path

import pytest
from envhelpers import make_project

from jyoti_doctor.config import Settings, load_config
from jyoti_doctor.env.schema import Consumer, VarType, infer_type, load_schema
from jyoti_doctor.errors import UsageError

EXAMPLE = """\
# The database. Session pooler, port 5432.
# @type=postgres-url @consumer=asyncpg
DATABASE_URL=postgresql://user:password@host:5432/db

# @optional @type=enum @choices=debug,info,warning
LOG_LEVEL=info
# @optional
# @pattern=[a-z]+ [0-9]+
RELEASE=abc 12
# contact admin@example.com for keys
OPENAI_API_KEY=
# @public
NOT_A_TOKEN=x
"""


def test_env_example_annotations(tmp_path: Path) -> None:
    root = make_project(tmp_path, example=EXAMPLE)
    schema = load_schema(root, Settings())
    by_name = {v.name: v for v in schema.variables}
    assert list(by_name) == [
        "DATABASE_URL",
        "LOG_LEVEL",
        "RELEASE",
        "OPENAI_API_KEY",
        "NOT_A_TOKEN",
    ]
    db = by_name["DATABASE_URL"]
    assert (db.type, db.consumer, db.required, db.origin) == (
        VarType.POSTGRES_URL,
        Consumer.ASYNCPG,
        True,
        ".env.example:3",
    )
    assert by_name["LOG_LEVEL"].choices == ("debug", "info", "warning")
    assert not by_name["LOG_LEVEL"].required
    assert by_name["RELEASE"].pattern == "[a-z]+ [0-9]+" and not by_name["RELEASE"].required
    assert by_name["RELEASE"].type is VarType.REGEX  # a pattern alone implies the regex type
    # An e-mail address in a comment is not an annotation; the type comes from the name.
    assert (
        by_name["OPENAI_API_KEY"].type is VarType.OPENAI_KEY and by_name["OPENAI_API_KEY"].required
    )
    assert by_name["NOT_A_TOKEN"].is_secret is False
    assert schema.origin == ".env.example"


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ("# @bogus\nA=1\n", r"\.env\.example:1: unknown annotation @bogus"),
        ("# @type=uuid\nA=1\n", r"unknown type 'uuid'"),
        ("# @type=enum\nA=1\n", "declares no choices"),
        ("# @type=regex @pattern=[a-\nA=1\n", "invalid pattern"),
        ("# @type=regex\nA=1\n", "declares no pattern"),
        ("# @optional @required\nA=1\n", "both @optional and @required"),
        ("# @consumer=jdbc @type=postgres-url\nA=1\n", "unknown consumer 'jdbc'"),
        ("# @consumer=libpq\nA=1\n", "applies to postgres-url only"),
        ("A=1\nA=2\n", "declared twice"),
    ],
)
def test_malformed_example_is_a_usage_error(tmp_path: Path, example: str, message: str) -> None:
    root = make_project(tmp_path, example=example)
    with pytest.raises(UsageError, match=message):
        load_schema(root, Settings())


PYPROJECT = """\
[tool.jyoti-doctor.env]
DATABASE_URL = { type = "postgres-url", consumer = "sqlalchemy" }
OPENAI_API_KEY = "openai-key"
FEATURE_FLAG = { type = "bool", required = false }
"""


def test_pyproject_table_wins_over_example(tmp_path: Path) -> None:
    root = make_project(tmp_path, example=EXAMPLE, pyproject=PYPROJECT)
    config = load_config(None, root)
    schema = load_schema(root, config)
    by_name = {v.name: v for v in schema.variables}
    assert by_name["DATABASE_URL"].consumer is Consumer.SQLALCHEMY
    assert by_name["DATABASE_URL"].origin == "pyproject.toml"
    assert by_name["FEATURE_FLAG"].type is VarType.BOOL and not by_name["FEATURE_FLAG"].required
    assert "LOG_LEVEL" in by_name
    assert schema.origin == ".env.example + pyproject.toml"


def test_schema_pyproject_only(tmp_path: Path) -> None:
    root = make_project(tmp_path, example=EXAMPLE, pyproject=PYPROJECT)
    schema = load_schema(root, load_config(None, root), "pyproject")
    assert [v.name for v in schema.variables] == ["DATABASE_URL", "OPENAI_API_KEY", "FEATURE_FLAG"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('A = { type = "nope" }', "unknown type 'nope'"),
        ('A = { type = "int", colour = "red" }', "`colour` is not a known key"),
        ("A = 3", "must be a type name or a table"),
        ('A = { type = "bool", required = "yes" }', "must be true or false"),
        ('A = { type = "enum", choices = "a,b" }', "must be a list of strings"),
        ('"A B" = "int"', "invalid variable name"),
    ],
)
def test_malformed_pyproject_is_a_usage_error(tmp_path: Path, table: str, message: str) -> None:
    root = make_project(tmp_path, pyproject=f"[tool.jyoti-doctor.env]\n{table}\n")
    with pytest.raises(UsageError, match=message):
        load_schema(root, load_config(None, root))


def test_schema_flag_errors(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with pytest.raises(UsageError, match="no \\[tool.jyoti-doctor.env\\] table"):
        load_schema(root, Settings(), "pyproject")
    with pytest.raises(UsageError, match="schema file not found"):
        load_schema(root, Settings(), "missing.example")


def test_schema_file_in_toml_or_example_form(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "env.toml").write_text(PYPROJECT)
    (root / "prod.example").write_text("# @type=port\nWEB_PORT=\n")
    assert load_schema(root, Settings(), "env.toml").variables[0].name == "DATABASE_URL"
    (spec,) = load_schema(root, Settings(), "prod.example").variables
    assert (spec.name, spec.type) == ("WEB_PORT", VarType.PORT)


def test_default_and_consumer_guess(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "requirements.txt").write_text("fastapi==0.110\nasyncpg>=0.29\n")
    schema = load_schema(root, Settings())
    assert [(v.name, v.required) for v in schema.variables] == [
        ("DATABASE_URL", True),
        ("OPENAI_API_KEY", True),
        ("SENTRY_DSN", False),
    ]
    assert schema.consumer_guess == Consumer.ASYNCPG
    (root / "requirements.txt").write_text("sqlalchemy[asyncio]==2.0\nasyncpg\n")
    assert load_schema(root, Settings()).consumer_guess == Consumer.SQLALCHEMY


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DATABASE_URL", VarType.POSTGRES_URL),
        ("ANALYTICS_DATABASE_URL", VarType.POSTGRES_URL),
        ("OPENAI_API_KEY", VarType.OPENAI_KEY),
        ("NEXT_PUBLIC_SENTRY_DSN", VarType.SENTRY_DSN),
        ("SUPABASE_SERVICE_ROLE_KEY", VarType.SUPABASE_KEY),
        ("SUPABASE_URL", VarType.SUPABASE_URL),
        ("PORT", VarType.PORT),
        ("REPORT", VarType.STRING),
        ("APP_NAME", VarType.STRING),
    ],
)
def test_type_from_name(name: str, expected: VarType) -> None:
    assert infer_type(name) is expected
