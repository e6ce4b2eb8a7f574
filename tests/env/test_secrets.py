"""Property: a generated secret, placed in any kind of variable, valid or malformed, in `.env` or
in the environment, never appears in the rich, json or github output of the real CLI (stdout and
stderr), nor in any 10-character piece.
"""

from __future__ import annotations

import os
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from envhelpers import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from jyoti_doctor.cli import app

WINDOW = 10


@dataclass(frozen=True)
class Kind:
    name: str
    annotation: str  # the .env.example comment; "" leaves the variable undeclared
    template: str  # {s} is the secret
    # The annotation of a field in the app's settings class (the schema read from the code).
    code: str = ""

    def value(self, secret: str) -> str:
        return self.template.replace("{s}", secret)


HEX = "0123456789abcdef" * 2
KINDS = (
    Kind(
        "DATABASE_URL",
        "@type=postgres-url @consumer=sqlalchemy",
        "postgresql://app:{s}@db.internal:5432/app",
    ),
    Kind(
        "DATABASE_URL",
        "@type=postgres-url @consumer=sqlalchemy",
        "postgres://app:{s}@db.internal:5432/app",
    ),
    Kind(
        "DATABASE_URL",
        "@type=postgres-url @consumer=sqlalchemy",
        "postgresql://app:{s}@x@db.internal:99999/app?sslmode=bogus",
    ),
    Kind(
        "DATABASE_URL",
        "@type=postgres-url @consumer=sqlalchemy",
        "postgresql+asyncpg://app:{s}#x@db.internal/app?sslmode=require",
    ),
    Kind(
        "DATABASE_URL",
        "@type=postgres-url @consumer=libpq",
        "postgresql://app:{s}@db.internal/app?bad=1",
    ),
    Kind(
        "DATABASE_URL", "@type=postgres-url @consumer=libpq", "postgresql+psycopg://app:{s}/nohost"
    ),
    Kind(
        "DATABASE_URL",
        "@type=postgres-url @consumer=asyncpg",
        "postgresql://app:{s} x@db.internal/app",
    ),
    Kind("DATABASE_URL", "@type=postgres-url", "[{s}]"),
    Kind("OPENAI_API_KEY", "@type=openai-key", "sk-proj-{s}"),
    Kind("OPENAI_API_KEY", "@type=openai-key", "sk-ant-api03-{s}"),
    Kind("OPENAI_API_KEY", "@type=openai-key", "{s}"),
    Kind("OPENAI_API_KEY", "@type=openai-key", "sk-{s}!"),
    Kind("OPENAI_API_KEY", "@type=openai-key", '"sk-proj-{s}"'),
    Kind("OPENAI_API_KEY", "@type=openai-key", "sk-proj-{s}\u200b"),
    Kind("OPENAI_API_KEY", "@type=openai-key", "\u201csk-proj-{s}\u201d"),
    Kind("SENTRY_DSN", "@optional @type=sentry-dsn", "https://{s}@o1.ingest.sentry.io/42"),
    Kind("SENTRY_DSN", "@optional @type=sentry-dsn", "https://{s}@o1.ingest.sentry.io/notanumber"),
    Kind("SENTRY_DSN", "@optional @type=sentry-dsn", f"https://{HEX}:{{s}}@o1.ingest.sentry.io/42"),
    Kind("SUPABASE_SERVICE_ROLE_KEY", "@type=supabase-key", jwt({"role": "anon"}, "{s}")),
    Kind("SUPABASE_ANON_KEY", "@type=supabase-key", jwt({"role": "service_role"}, "{s}")),
    Kind("SUPABASE_ANON_KEY", "@type=supabase-key", "{s}"),
    Kind("NEXT_PUBLIC_OPENAI_API_KEY", "", "sk-proj-{s}"),
    Kind("VITE_SECRET_TOKEN", "", "{s}"),
    Kind("API_TOKEN", "", "{s}"),
    Kind("API_TOKEN", "@type=string", "changeme-{s}"),
    Kind("API_TOKEN", "@type=string", "<{s}>"),
    Kind("GREETING", "@secret", "{s}"),
    Kind("RETRY_SECRET", "@type=int", "{s}"),
    Kind("SIGNING_KEY", "@pattern=[0-9]+", "{s}"),
    Kind("AUTH_MODE", "@type=enum @choices=a,b", "{s}"),
    Kind("WEBHOOK_SECRET", "@type=url", "{s}"),
    Kind("PORT_PASSWORD", "@type=port", "{s}"),
    Kind("CACHE_PASS", "@type=bool", "{s}"),
    Kind("OTHER_KEY", "", " {s}\u00a0"),
    Kind("TOKEN_X", "", "${NOPE}{s}"),
    # Declared by a settings class in the code, not by .env.example.
    Kind("APP_API_KEY", "", "{s}", code="SecretStr"),
    Kind("APP_SIGNING_SECRET", "", "{s}", code="int"),
    Kind("APP_DB_DSN", "", "postgresql://app:{s}@db.internal/app", code="PostgresDsn"),
    Kind("APP_DB_DSN", "", "mysql://app:{s}@db.internal/app", code="PostgresDsn"),
    Kind("APP_AUTH_FLAG", "", "{s}", code="bool"),
    Kind("APP_TOKEN_LIST", "", "[{s}", code="list[str]"),
    Kind("APP_HOOK_TOKEN", "", "ftp://u:{s}@h/", code="HttpUrl"),
    Kind("APP_MODE_SECRET", "", "{s}", code="Literal['a', 'b']"),
    Kind("APP_SESSION_TOKEN", "", "{s}", code="str"),
)
SETTINGS_HEAD = (
    "from typing import Literal\n"
    "from pydantic import HttpUrl, PostgresDsn, SecretStr\n"
    "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n"
    "class Settings(BaseSettings):\n"
    "    model_config = SettingsConfigDict(env_prefix='APP_')\n"
)
# How the line is written; "{v}" alone is a value pasted on a line of its own.
QUOTINGS = (
    "{k}={v}",
    '{k}="{v}"',
    "{k}='{v}'",
    "{k} = {v}",
    "export {k}={v}",
    "{k}={v} #{s}",
    '{k}="{v}',
    "{v}",
    "{v}={k}",
)

secrets = st.text(alphabet=string.ascii_letters + string.digits, min_size=24, max_size=40)


def leaks(secret: str, text: str) -> list[str]:
    return [
        secret[i : i + WINDOW]
        for i in range(len(secret) - WINDOW + 1)
        if secret[i : i + WINDOW] in text
    ]


def render_all(root: Path, runner: CliRunner, environ: dict[str, str]) -> str:
    """stdout and stderr of every format, with and without --strict and --debug."""
    out: list[str] = []
    for args in (
        ["--format", "rich", "--no-color"],
        ["--format", "json"],
        ["--format", "github", "--strict"],
        ["--format", "json", "--debug", "--strict"],
    ):
        result = runner.invoke(
            app, ["check-env", str(root), *args], env={**environ, "COLUMNS": "300"}
        )
        assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
        out += [result.stdout, result.stderr]
    return "\n".join(out)


def write_project(root: Path, placed: list[tuple[Kind, str, str]]) -> dict[str, str]:
    """Write .env and .env.example; return the variables placed in the environment instead."""
    example: list[str] = []
    env_lines: list[str] = []
    environ: dict[str, str] = {}
    declared: set[str] = set()
    fields: dict[str, str] = {}
    for kind, where, line in placed:
        if kind.code:
            fields[kind.name.removeprefix("APP_").lower()] = kind.code
        if kind.annotation and kind.name not in declared:
            declared.add(kind.name)
            example += [f"# {kind.annotation}", f"{kind.name}="]
        if where in ("env", "both"):
            environ[kind.name] = line.split("=", 1)[1] if "=" in line else line
        if where in ("file", "both"):
            env_lines.append(line)
    (root / ".env.example").write_text("\n".join(example) + "\n", encoding="utf-8")
    (root / ".env").write_text("\n".join(env_lines) + "\n", encoding="utf-8")
    if fields:
        body = "".join(f"    {name}: {code}\n" for name, code in fields.items())
        (root / "settings.py").write_text(SETTINGS_HEAD + body, encoding="utf-8")
    return environ


@st.composite
def placements(draw: st.DrawFn) -> tuple[str, list[tuple[Kind, str, str]]]:
    secret = draw(secrets)
    kinds = draw(
        st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique_by=lambda k: k.name)
    )
    placed = []
    for kind in kinds:
        value = kind.value(secret)
        where = draw(st.sampled_from(("file", "file", "env", "both")))
        if where == "env":
            placed.append((kind, where, f"{kind.name}={value}"))
            continue
        line = draw(st.sampled_from(QUOTINGS)).format(k=kind.name, v=value, s=secret)
        if where == "both":
            # The environment holds a different secret-bearing value than the file: both are masked.
            placed.append((kind, "env", f"{kind.name}={kind.value(secret[::-1])}"))
            where = "file"
        placed.append((kind, where, line))
    return secret, placed


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=placements())
def test_a_secret_never_appears_in_any_output(
    case: tuple[str, list[tuple[Kind, str, str]]],
) -> None:
    secret, placed = case
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        environ = write_project(root, placed)
        output = render_all(root, runner, environ)
    assert not leaks(secret, output), (placed, leaks(secret, output))
    assert not leaks(secret[::-1], output), placed


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k.name}:{k.template[:24]}")
def test_every_kind_once(kind: Kind, tmp_path: Path) -> None:
    """Each kind, plainly written to .env, at least once whatever hypothesis draws."""
    secret = "Qx7" + "k2Vb9LmZ" * 3 + "w4"
    environ = write_project(tmp_path, [(kind, "file", f"{kind.name}={kind.value(secret)}")])
    assert not leaks(secret, render_all(tmp_path, CliRunner(), environ))


def test_the_property_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With masking switched off, the same harness sees the secret: the property is not vacuous."""
    from jyoti_doctor.env import check

    monkeypatch.setattr(check, "mask_secret", lambda value: value)
    monkeypatch.setattr(check, "mask_text", lambda text, secrets=(): text)
    secret = "Qx7" + "k2Vb9LmZ" * 3 + "w4"
    kind = Kind("OPENAI_API_KEY", "@type=openai-key", "sk-proj-{s}")
    environ = write_project(tmp_path, [(kind, "file", f"OPENAI_API_KEY={kind.value(secret)}")])
    assert leaks(secret, render_all(tmp_path, CliRunner(), environ))


def test_environment_is_isolated() -> None:
    """The autouse fixture removed the machine's secrets; the property's inputs are its own."""
    assert "OPENAI_API_KEY" not in os.environ and "DATABASE_URL" not in os.environ
