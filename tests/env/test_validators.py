"""Value checks, one row per case: (spec, value, the codes it must give, a fragment of the message).

The fragments pin the explanation a user reads; the codes pin what counts.
"""

from __future__ import annotations

import pytest
from envhelpers import OPENAI_KEY, SENTRY, jwt

from jyoti_doctor.env.model import Level
from jyoti_doctor.env.schema import Consumer, VarSpec, VarType
from jyoti_doctor.env.validators import validate

PG = VarType.POSTGRES_URL
SQLA, LIBPQ, APG = Consumer.SQLALCHEMY, Consumer.LIBPQ, Consumer.ASYNCPG
HEX32 = "0123456789abcdef0123456789abcdef"
REF = "abcdefghijklmnopqrst"


def pg(consumer: Consumer | None) -> VarSpec:
    return VarSpec("DATABASE_URL", PG, consumer=consumer)


def typed(var_type: VarType, name: str = "VALUE", **kw: object) -> VarSpec:
    return VarSpec(name, var_type, **kw)  # type: ignore[arg-type]


# (id, spec, value, expected error codes, expected advisory codes, message fragment)
CASES: list[tuple[str, VarSpec, str, list[str], list[str], str]] = [
    # postgres-url
    ("pg ok", pg(SQLA), "postgresql://u:pw@h:5432/db", [], [], ""),
    (
        "pg postgres:// sqlalchemy",
        pg(SQLA),
        "postgres://u:pw@h/db",
        ["JD302"],
        [],
        "SQLAlchemy 1.4",
    ),
    ("pg postgres:// libpq", pg(LIBPQ), "postgres://u:pw@h/db", [], [], ""),
    ("pg postgres:// asyncpg", pg(APG), "postgres://u:pw@h/db", [], [], ""),
    (
        "pg postgres:// unknown consumer",
        pg(None),
        "postgres://u:pw@h/db",
        [],
        ["JD302"],
        "SQLAlchemy",
    ),
    ("pg driver for libpq", pg(LIBPQ), "postgresql+asyncpg://u:pw@h/db", ["JD302"], [], "+asyncpg"),
    (
        "pg driver for asyncpg",
        pg(APG),
        "postgresql+psycopg://u:pw@h/db",
        ["JD302"],
        [],
        "asyncpg rejects",
    ),
    ("pg driver for sqlalchemy", pg(SQLA), "postgresql+psycopg://u:pw@h/db", [], [], ""),
    (
        "pg unknown driver",
        pg(SQLA),
        "postgresql+mysqldb://u:pw@h/db",
        ["JD302"],
        [],
        "not a PostgreSQL driver",
    ),
    (
        "pg sqlalchemy asyncpg sslmode",
        pg(SQLA),
        "postgresql+asyncpg://u:pw@h/db?sslmode=require",
        ["JD302"],
        [],
        "ssl=require",
    ),
    (
        "pg asyncpg dsn sslmode is fine",
        pg(APG),
        "postgresql://u:pw@h/db?sslmode=require",
        [],
        [],
        "",
    ),
    ("pg unencoded @", pg(SQLA), "postgresql://u:p@ss@h/db", ["JD302"], [], "%40"),
    ("pg unencoded #", pg(SQLA), "postgresql://u:p#ss@h/db", ["JD302"], [], "%23"),
    ("pg encoded is fine", pg(SQLA), "postgresql://u:p%40ss%23x@h/db", [], [], ""),
    ("pg bad escape", pg(SQLA), "postgresql://u:p%zz@h/db", ["JD302"], [], "%25"),
    ("pg port too big", pg(SQLA), "postgresql://u:pw@h:99999/db", ["JD302"], [], "port 99999"),
    ("pg port not a number", pg(SQLA), "postgresql://u:pw@h:54x2/db", ["JD302"], [], "port is not"),
    (
        "pg bad sslmode",
        pg(SQLA),
        "postgresql://u:pw@h/db?sslmode=requir",
        ["JD302"],
        [],
        "`requir`",
    ),
    ("pg not postgres", pg(SQLA), "mysql://u:pw@h/db", ["JD302"], [], "`mysql://`"),
    ("pg conninfo for libpq", pg(LIBPQ), "host=localhost dbname=app", [], [], ""),
    (
        "pg conninfo for sqlalchemy",
        pg(SQLA),
        "host=localhost dbname=app",
        ["JD302"],
        [],
        "not a PostgreSQL URL",
    ),
    (
        "pg libpq rejects a parameter",
        pg(LIBPQ),
        "postgresql://u:pw@h/db?nosuchoption=1",
        ["JD302"],
        [],
        "rejected by libpq",
    ),
    (
        "pg supabase template",
        pg(SQLA),
        "postgresql://postgres:[YOUR-PASSWORD]@db.x.supabase.co:5432/postgres",
        ["JD303"],
        [],
        "[YOUR-PASSWORD]",
    ),
    # openai-key
    ("openai ok", typed(VarType.OPENAI_KEY), OPENAI_KEY, [], [], ""),
    ("openai legacy ok", typed(VarType.OPENAI_KEY), "sk-" + "A1b2" * 12, [], [], ""),
    (
        "anthropic key",
        typed(VarType.OPENAI_KEY),
        "sk-ant-api03-" + "x1" * 30,
        ["JD302"],
        [],
        "Anthropic",
    ),
    (
        "openrouter key",
        typed(VarType.OPENAI_KEY),
        "sk-or-v1-" + "ab12" * 16,
        ["JD302"],
        [],
        "OpenRouter",
    ),
    (
        "no sk- prefix",
        typed(VarType.OPENAI_KEY),
        "pk-" + "A1b2" * 12,
        ["JD302"],
        [],
        "does not start",
    ),
    ("azure key", typed(VarType.OPENAI_KEY), HEX32, ["JD302"], [], "Azure"),
    ("truncated key", typed(VarType.OPENAI_KEY), "sk-proj-abc123", ["JD302"], [], "too short"),
    (
        "odd characters",
        typed(VarType.OPENAI_KEY),
        "sk-proj-" + "a1" * 20 + "!",
        ["JD302"],
        [],
        "characters",
    ),
    (
        "placeholder key",
        typed(VarType.OPENAI_KEY),
        "sk-proj-your-key-here",
        ["JD303"],
        [],
        "placeholder",
    ),
    (
        "quoted key",
        typed(VarType.OPENAI_KEY),
        f'"{OPENAI_KEY}"',
        ["JD304"],
        [],
        "wrapped in quotes",
    ),
    (
        "key with newline",
        typed(VarType.OPENAI_KEY),
        f" {OPENAI_KEY}\n",
        ["JD304", "JD304"],
        [],
        "line break",
    ),
    (
        "zero-width space",
        typed(VarType.OPENAI_KEY),
        OPENAI_KEY[:10] + "\u200b" + OPENAI_KEY[10:],
        ["JD304"],
        [],
        "U+200B ZERO WIDTH SPACE",
    ),
    (
        "smart quotes",
        typed(VarType.OPENAI_KEY),
        f"\u201c{OPENAI_KEY}\u201d",
        ["JD304"],
        [],
        "typographic",
    ),
    # sentry-dsn
    ("sentry ok", typed(VarType.SENTRY_DSN), SENTRY, [], [], ""),
    (
        "sentry project not int",
        typed(VarType.SENTRY_DSN),
        f"https://{HEX32}@o1.ingest.sentry.io/notanumber",
        ["JD302"],
        [],
        "project id",
    ),
    (
        "sentry no key",
        typed(VarType.SENTRY_DSN),
        "https://o1.ingest.sentry.io/42",
        ["JD302"],
        [],
        "no public key",
    ),
    (
        "sentry short key",
        typed(VarType.SENTRY_DSN),
        "https://abc@o1.ingest.sentry.io/42",
        ["JD302"],
        [],
        "32",
    ),
    (
        "sentry secret form",
        typed(VarType.SENTRY_DSN),
        f"https://{HEX32}:{HEX32}@o1.ingest.sentry.io/42",
        [],
        ["JD302"],
        "deprecated",
    ),
    (
        "sentry not a url",
        typed(VarType.SENTRY_DSN),
        "o1.ingest.sentry.io/42",
        ["JD302"],
        [],
        "not a Sentry DSN",
    ),
    # supabase-url
    ("supabase url ok", typed(VarType.SUPABASE_URL), f"https://{REF}.supabase.co", [], [], ""),
    ("supabase url local", typed(VarType.SUPABASE_URL), "http://localhost:54321", [], [], ""),
    (
        "supabase url path",
        typed(VarType.SUPABASE_URL),
        f"https://{REF}.supabase.co/rest/v1/",
        [],
        ["JD302"],
        "/rest/v1",
    ),
    (
        "supabase url is db url",
        typed(VarType.SUPABASE_URL),
        "postgresql://u:pw@h/db",
        ["JD302"],
        [],
        "database URL",
    ),
    (
        "supabase dashboard",
        typed(VarType.SUPABASE_URL),
        f"https://supabase.com/dashboard/project/{REF}",
        ["JD302"],
        [],
        "dashboard",
    ),
    (
        "supabase db host",
        typed(VarType.SUPABASE_URL),
        f"https://db.{REF}.supabase.co",
        ["JD302"],
        [],
        "database host",
    ),
    (
        "supabase http",
        typed(VarType.SUPABASE_URL),
        f"http://{REF}.supabase.co",
        ["JD302"],
        [],
        "https",
    ),
    # supabase-key
    (
        "anon key ok",
        typed(VarType.SUPABASE_KEY, "SUPABASE_ANON_KEY"),
        jwt({"role": "anon"}),
        [],
        [],
        "",
    ),
    (
        "service key ok",
        typed(VarType.SUPABASE_KEY, "SUPABASE_SERVICE_ROLE_KEY"),
        jwt({"role": "service_role"}),
        [],
        [],
        "",
    ),
    (
        "service key in anon",
        typed(VarType.SUPABASE_KEY, "SUPABASE_ANON_KEY"),
        jwt({"role": "service_role"}),
        ["JD302"],
        [],
        "Row Level Security",
    ),
    (
        "anon key in service",
        typed(VarType.SUPABASE_KEY, "SUPABASE_SERVICE_ROLE_KEY"),
        jwt({"role": "anon"}),
        ["JD302"],
        [],
        "service_role",
    ),
    (
        "new secret key in anon",
        typed(VarType.SUPABASE_KEY, "SUPABASE_ANON_KEY"),
        "sb_secret_" + "a1" * 16,
        ["JD302"],
        [],
        "Row Level Security",
    ),
    (
        "new publishable ok",
        typed(VarType.SUPABASE_KEY, "SUPABASE_PUBLISHABLE_KEY"),
        "sb_publishable_" + "a1" * 16,
        [],
        [],
        "",
    ),
    (
        "odd role",
        typed(VarType.SUPABASE_KEY, "SUPABASE_KEY"),
        jwt({"role": "authenticated"}),
        ["JD302"],
        [],
        "`authenticated`",
    ),
    (
        "not a jwt",
        typed(VarType.SUPABASE_KEY, "SUPABASE_KEY"),
        "eyJ" + "a1" * 20,
        ["JD302"],
        [],
        "neither",
    ),
    # simple types
    ("url ok", typed(VarType.URL), "https://api.example.org/v1", [], [], ""),
    ("url relative", typed(VarType.URL), "api.example.org/v1", ["JD302"], [], "absolute"),
    ("url bad port", typed(VarType.URL), "https://api.example.org:99999/", ["JD302"], [], "port"),
    ("int ok", typed(VarType.INT), "-12", [], [], ""),
    ("int float", typed(VarType.INT), "1.5", ["JD302"], [], "`1.5` is not an integer"),
    ("int with spaces", typed(VarType.INT), " 12 ", ["JD304"], [], "whitespace"),
    ("port ok", typed(VarType.PORT), "8000", [], [], ""),
    ("port zero", typed(VarType.PORT), "0", ["JD302"], [], "port number"),
    ("port too big", typed(VarType.PORT), "65536", ["JD302"], [], "port number"),
    ("bool ok", typed(VarType.BOOL), "Yes", [], [], ""),
    ("bool bad", typed(VarType.BOOL), "maybe", ["JD302"], [], "boolean"),
    ("enum ok", typed(VarType.ENUM, choices=("debug", "info")), "info", [], [], ""),
    (
        "enum case",
        typed(VarType.ENUM, choices=("debug", "info")),
        "INFO",
        ["JD302"],
        [],
        "only in case",
    ),
    ("regex ok", typed(VarType.REGEX, pattern="[a-z]+"), "abc", [], [], ""),
    (
        "regex is fullmatch",
        typed(VarType.REGEX, pattern="[a-z]+"),
        "abc123",
        ["JD302"],
        [],
        "pattern",
    ),
    (
        "regex dollar and newline",
        typed(VarType.REGEX, pattern="[a-z]+$"),
        "abc\n",
        ["JD304"],
        [],
        "line break",
    ),
    ("string ok", typed(VarType.STRING), "hello", [], [], ""),
    ("changeme", typed(VarType.STRING), "changeme", ["JD303"], [], "placeholder"),
    ("angle placeholder", typed(VarType.STRING), "<your token>", ["JD303"], [], "placeholder"),
    ("xxx placeholder", typed(VarType.STRING), "abc-xxx-def", ["JD303"], [], "`xxx`"),
    ("xxx inside a word is fine", typed(VarType.STRING), "abcxxxdef", [], [], ""),
    ("ellipsis placeholder", typed(VarType.STRING), "sk-...", ["JD303"], [], "`...`"),
    ("stand-in word", typed(VarType.STRING), "undefined", ["JD303"], [], "stand-in"),
    ("stand-in inside is fine", typed(VarType.STRING), "my-test-value", [], [], ""),
    ("control character", typed(VarType.STRING), "ab\x07c", ["JD304"], [], "U+0007"),
    ("nbsp", typed(VarType.STRING), "ab\u00a0c", ["JD304"], [], "NO-BREAK SPACE"),
]


@pytest.mark.parametrize(
    ("spec", "value", "errors", "advice", "fragment"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_value(
    spec: VarSpec, value: str, errors: list[str], advice: list[str], fragment: str
) -> None:
    issues = validate(spec, value, shown=value)
    assert sorted(i.rule.code for i in issues if i.level is Level.ERROR) == sorted(errors)
    assert sorted(i.rule.code for i in issues if i.level is not Level.ERROR) == sorted(advice)
    if fragment:
        assert any(fragment in i.message or fragment in (i.fix or "") for i in issues), issues


# Placeholder cases are left out: their message names the stand-in (`[YOUR-PASSWORD]`), which is
# the template's text, not a secret.
SECRET_CASES = [c for c in CASES if (c[3] or c[4]) and c[1].is_secret and "JD303" not in c[3]]


def _secret_part(value: str) -> str:
    """The part of a value that is secret: a URL's password, else the whole value."""
    core = value.strip().strip("\"'\u201c\u201d")
    if "://" in core and "@" in core:
        userinfo = core.split("://", 1)[1].rsplit("@", 1)[0]
        return userinfo.partition(":")[2] or userinfo
    return core


@pytest.mark.parametrize(
    ("spec", "value"), [c[1:3] for c in SECRET_CASES], ids=[c[0] for c in SECRET_CASES]
)
def test_messages_about_a_secret_never_quote_it(spec: VarSpec, value: str) -> None:
    """With shown=None (a secret), no message or fix contains a 10-character piece of it."""
    secret = _secret_part(value)
    pieces = {secret[i : i + 10] for i in range(len(secret) - 9)}
    for issue in validate(spec, value, shown=None):
        for text in (issue.message, issue.fix or ""):
            assert not [p for p in pieces if p in text], text


def test_the_leak_check_itself_can_fail() -> None:
    """The same check flags a message that quotes the key (guards against a vacuous test)."""
    secret = _secret_part(OPENAI_KEY)
    pieces = {secret[i : i + 10] for i in range(len(secret) - 9)}
    assert [p for p in pieces if p in f"OPENAI_API_KEY `{OPENAI_KEY}` is bad"]


def test_the_at_sign_disagreement_is_real() -> None:
    """What JD302 says about an unencoded `@`, checked against libpq (psycopg) and urllib."""
    from urllib.parse import urlsplit

    from psycopg.conninfo import conninfo_to_dict

    url = "postgresql://user:p@ss@host.example:5432/db"
    assert conninfo_to_dict(url)["host"] == "ss@host.example"  # libpq: the first `@`
    assert urlsplit(url).hostname == "host.example"  # urllib: the last `@`
    assert [i.rule.code for i in validate(pg(LIBPQ), url, shown=None)] == ["JD302"]


def _first_chars(items: object) -> set[str]:
    """The characters a match of a parsed pattern can start with (lower case), read from the
    regex parser's tree; zero-width items and optional repeats are looked past."""
    from re import _constants as c  # type: ignore[attr-defined]

    firsts: set[str] = set()
    for op, arg in items:  # type: ignore[attr-defined]
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op is c.LITERAL:
            return firsts | {chr(arg).lower()}
        if op is c.IN:
            for kind, value in arg:
                assert kind in (c.LITERAL, c.RANGE), f"unbounded start: {kind}"
                low, high = (value, value) if kind is c.LITERAL else value
                firsts |= {chr(n).lower() for n in range(low, high + 1)}
            return firsts
        if op is c.BRANCH:
            for branch in arg[1]:
                firsts |= _first_chars(branch)
            return firsts
        if op is c.SUBPATTERN:
            return firsts | _first_chars(arg[3])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            firsts |= _first_chars(arg[2])
            if arg[0] > 0:
                return firsts
            continue
        raise AssertionError(f"a pattern may start with anything: {op}")
    raise AssertionError("a pattern may match the empty string")


def test_placeholder_lookahead_covers_every_pattern() -> None:
    """The combined search skips positions whose character no pattern starts with: the set it
    uses must hold every possible first character, or a placeholder would go unreported."""
    from re import _parser  # type: ignore[attr-defined]

    from jyoti_doctor.env.validators import _PLACEHOLDERS, PLACEHOLDER_STARTS

    for pattern, label in _PLACEHOLDERS:
        missing = _first_chars(_parser.parse(pattern.pattern, pattern.flags)) - set(
            PLACEHOLDER_STARTS.lower()
        )
        assert not missing, f"{label} can start with {sorted(missing)}"
