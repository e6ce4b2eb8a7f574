"""The shared masking helpers, as check-env relies on them (one implementation for every command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from envhelpers import OPENAI_KEY, make_project, run_check

from jyoti_doctor.masking import (
    MASK,
    looks_like_secret,
    mask_key,
    mask_secret,
    mask_text,
    mask_url,
    password_candidates,
)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://app:pw@h:5432/db", "postgresql://app:********@h:5432/db"),
        (
            "postgres://u.ref:p@ss#word1@aws-0.pooler.supabase.com:6543/postgres",
            "postgres://u.ref:********@aws-0.pooler.supabase.com:6543/postgres",
        ),
        ("postgresql://u:pw@h/db?x=a@b", "postgresql://u:********@h/db?x=a@b"),
        ("postgresql://u:p?w@h/db", "postgresql://u:********@h/db"),
        ("postgresql://u:pa ss@h/db", "postgresql://u:********@h/db"),
        (
            "postgresql://h/db?sslpassword=abc&sslmode=require",
            "postgresql://h/db?sslpassword=********&sslmode=require",
        ),
        ("https://h/x?api_key=abc&q=1", "https://h/x?api_key=********&q=1"),
        ("postgresql://localhost/db", "postgresql://localhost/db"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_url_user_only_when_asked() -> None:
    dsn = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42"
    assert mask_url(dsn) == dsn
    assert mask_url(dsn, mask_user=True) == "https://********@o1.ingest.sentry.io/42"
    assert mask_secret(dsn) == "https://********@o1.ingest.sentry.io/42"


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (OPENAI_KEY, "sk-proj-…Vw8A"),
        ("sk-svcacct-" + "a" * 20 + "WXYZ", "sk-svcacct-…WXYZ"),
        ("sb_secret_" + "b" * 20 + "1234", "sb_secret_…1234"),
        ("x" * 19, MASK),
        ("sk-short", MASK),
        ("no-known-prefix-but-long-1234", "…1234"),
    ],
)
def test_mask_key(key: str, masked: str) -> None:
    assert mask_key(key) == masked


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        (OPENAI_KEY, True),
        ("postgresql://u:pw@h/db", True),
        ("postgresql://h/db", False),
        ("Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA", True),
        ("aws-0-us-east-1.pooler.supabase.com", False),
        ("hello world", False),
        ("production", False),
        ("12345678901234567890123456", False),
    ],
)
def test_looks_like_secret(value: str, secret: bool) -> None:
    assert looks_like_secret(value) is secret


def test_a_secret_pasted_where_a_key_belongs_is_not_named(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=f"{OPENAI_KEY}\npostgresql://app:pw0rd1234@h/db\n")
    report = run_check(root, strict=True)
    messages = [f.message for f in report.findings if f.code == "JD306"]
    assert "the key on line 1 has no `=`: load_dotenv() leaves it unset" in messages
    assert any(m.startswith("the key on line 2") for m in messages)
    assert all(OPENAI_KEY not in m and "pw0rd1234" not in m for m in messages)


def test_mask_text_masks_a_key_joined_by_a_dot() -> None:
    key = "sk-proj-abcdef1234567890XYZabc"
    for text in (f"note: foo.{key} end", f"see keys/{key}.txt", f"a.b.{key}"):
        masked = mask_text(text)
        assert key not in masked and "abcdef1234567890" not in masked
        assert "sk-proj-…Zabc" in masked
    # Dotted names that are not credentials stay readable.
    assert mask_text("jyoti_doctor.findings.Report v1.2.3") == "jyoti_doctor.findings.Report v1.2.3"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u:p@ss#w@host/db", ("p@ss#w", "ss")),
        ("postgresql://u:Pw1@sec:retXYZ@h:1/db", ("Pw1@sec:retXYZ", "retXYZ")),
        ("postgresql://user:Pw1secretXYZ", ("Pw1secretXYZ",)),
        ("postgresql://u:Pw1?x@Y9@h/db", ("Pw1?x@Y9", "Pw1")),
        ("postgresql://u:Pw1@x?q@Y9@h/db", ("Pw1@x?q@Y9", "Pw1")),
        ("host=h password=s3cr3t dbname=d", ("s3cr3t",)),
        ("password='Pw1 secretXYZ user=u", ("Pw1 secretXYZ user=u",)),
        ("postgresql://h/db?password=Pw1secretXYZ&sslmode=require", ("Pw1secretXYZ",)),
    ],
)
def test_password_candidates(
    raw: str, expected: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    found = password_candidates(raw)
    for candidate in expected:
        assert candidate in found
    assert list(found) == sorted(found, key=len, reverse=True)
    assert password_candidates("postgresql://u@h:5432/db") == ()


# -- masking by position, never parts of words ----------------------------------------------


def test_a_short_password_does_not_eat_the_scheme_or_the_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from jyoti_doctor.cli import app

    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:1/app\n")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    probed = runner.invoke(app, ["probe-db", "--deadline", "0.2", "--format", "json"])
    assert '"postgresql://postgres:********@127.0.0.1:1/app"' in probed.stdout, probed.output
    checked = runner.invoke(app, ["check-env", ".", "--format", "json"])
    row = json.loads(checked.stdout)["sections"]["environment_variables"][0]
    assert row["type"].startswith("postgres-url") and row["value"].startswith("postgresql://")
    assert ":postgres@" not in checked.stdout + probed.stdout


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        ("password is s3cretPassw0rd.", "s3cretPassw0rd", "password is ********."),
        ("xs3cretPassw0rd", "s3cretPassw0rd", "xs3cretPassw0rd"),
        ("postgres-url postgresql", "postgres", "postgres-url postgresql"),
        ("key=abcdefghij12 end", "abcdefghij12", "key=******** end"),
    ],
)
def test_known_secrets_are_masked_as_whole_tokens(text: str, secret: str, expected: str) -> None:
    assert mask_text(text, (secret,)) == expected


@pytest.mark.parametrize(
    ("text", "password"),
    [
        ("connecting to postgresql://app:'Pw7x'@db:5432/app failed", "'Pw7x'"),
        ("postgresql://app:Pw7x'@db/app", "Pw7x'"),
        ('url="postgresql://app:"Pw7x"@db/app"', '"Pw7x"'),
    ],
)
def test_a_quote_inside_a_url_password_is_masked_with_it(text: str, password: str) -> None:
    """Text quotes URLs, so a URL in free text ends at a quote; inside the userinfo a raw quote is
    part of the password, and masking must not stop there and print the rest."""
    masked = mask_text(text)
    assert "Pw7x" not in masked and password not in masked
    assert "@db" in masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # A quote inside a value is part of the shell word: all of it is the secret.
        ("API_TOKEN=abc'def123xyz' uvicorn main:app", "API_TOKEN=******** uvicorn main:app"),
        ('API_TOKEN="x y"z uvicorn', "API_TOKEN=******** uvicorn"),
        # An unterminated quote: the rest of the line may be the secret.
        ("API_TOKEN='unterminated secret\nnext", "API_TOKEN=********\nnext"),
        # A quote then a comma closes a URL: the next item is not its password.
        ('["http://localhost:8000","admin@example.com"]', None),
    ],
)
def test_shell_words_and_quoted_lists(text: str, masked: str | None) -> None:
    assert mask_text(text, []) == (text if masked is None else masked)
