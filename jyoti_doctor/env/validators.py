"""Judging one value: generic traps (quotes, whitespace, invisible characters, placeholders) and
the checks of each type.

Every message here is safe to print for a secret: it names the variable and describes the
problem, never quoting the value. ``shown`` is the value as it may appear in a message: it is
None for secrets, and a message quotes the value only when it is not.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlsplit

from ..masking import mask_text
from ..rules import Rule
from .coerce import check_coerced, check_postgres_scheme
from .model import Issue, Level
from .schema import Consumer, VarSpec, VarType

SMART_QUOTES = "\u201c\u201d\u2018\u2019\u201e\u201a\u00ab\u00bb\u2032\u2033"
_ALLOWED_CONTROL = frozenset("\n\r\t")  # reported as whitespace, not as invisible characters

_PLACEHOLDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[[A-Z][A-Z0-9 _-]*\]"), "`[YOUR-PASSWORD]`"),
    (
        re.compile(
            r"(?<![a-z])your[-_ ]?(?:own[-_ ]?)?(?:[a-z]+[-_ ]?)?"
            r"(?:key|token|secret|password|pass|dsn|url|uri|ref|id|here)(?![a-z])",
            re.IGNORECASE,
        ),
        "`your-...-here`",
    ),
    (
        re.compile(
            r"(?<![a-z])(?:change[-_ ]?(?:me|this|it)|replace[-_ ]?me|placeholder|fill[-_ ]?me[-_ ]?in)"
            r"(?![a-z])",
            re.IGNORECASE,
        ),
        "`changeme`",
    ),
    (re.compile(r"(?<![a-z0-9])x{3,}(?![a-z0-9])", re.IGNORECASE), "`xxx`"),
    (re.compile(r"<[^<>\s][^<>]*>"), "`<...>`"),
    (re.compile(r"\.\.\.|…"), "`...`"),
    (
        re.compile(
            r"(?:todo|tbd|fixme|none|null|undefined|dummy|example|secret|password|test)",
            re.IGNORECASE,
        ),
        "a stand-in word",
    ),
)
# Defaults that project templates ship and deployments keep by mistake (whole value, any case).
TEMPLATE_DEFAULTS = frozenset(
    {
        "supersecret",
        "supersecretkey",
        "secretkey",
        "secret_key",
        "mysecret",
        "mysecretkey",
        "your_secret_key",
        "notsecret",
        "insecure",
        "password123",
    }
)
# The stand-in words count only as the whole value (`test` inside a real key is not a placeholder).
_WHOLE_ONLY = frozenset({"a stand-in word"})


# The exceptions a parser may raise on hostile text: `urlsplit` on an unbalanced `[`, `int()`
# past its digit limit, a JSON payload nested too deep. Never quoted: their messages echo input.
PARSE_ERRORS = (ValueError, UnicodeError, OverflowError, IndexError, RecursionError)


def _split_url(name: str, value: str) -> SplitResult | Issue:
    """``urlsplit(value)``, or the JD302 issue for a URL it refuses."""
    try:
        return urlsplit(value)
    except ValueError:
        netloc = value.partition("://")[2].split("/", 1)[0]
        reason = (
            "the `[` `]` around an IPv6 host are unbalanced"
            if netloc.count("[") != netloc.count("]")
            else "its host is neither a name nor an IP address in `[...]`"
        )
        return Issue(
            Rule.MALFORMED_VALUE, f"{name} is not a valid URL: {reason}", fix="fix the host part"
        )


def _port_ok(text: str) -> bool:
    """1-65535 in ASCII digits; checked before int() (which refuses very long digit strings)."""
    return re.fullmatch(r"0*[1-9][0-9]{0,4}", text) is not None and int(text) <= 65535


class Cleaned(NamedTuple):
    """A value with the stray characters removed, so the type check judges what was meant."""

    value: str
    issues: tuple[Issue, ...]


def _describe_char(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


# Printable ASCII without spaces or quotes (nearly every value): nothing below can apply to it.
_NOTHING_TO_CLEAN = re.compile(r"[!#-&(-~]*")


def clean_value(name: str, value: str) -> Cleaned:
    """JD304: quotes left in the value, surrounding whitespace, line breaks, invisible characters."""
    if _NOTHING_TO_CLEAN.fullmatch(value):
        return Cleaned(value, ())
    issues: list[Issue] = []
    text = value
    if "\r" in text or "\n" in text:
        issues.append(
            Issue(
                Rule.STRAY_CHARACTERS,
                f"{name} contains a line break (pasted with a newline?)",
                fix="remove the line break",
            )
        )
    if text.strip("\r\n") != text.strip("\r\n").strip():
        issues.append(
            Issue(
                Rule.STRAY_CHARACTERS,
                f"{name} has leading or trailing whitespace, which the app receives as part of the value",
                fix="remove the surrounding whitespace",
            )
        )
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        issues.append(
            Issue(
                Rule.STRAY_CHARACTERS,
                f"{name} is wrapped in quotes that are part of the value (quoted twice, or "
                "pasted with quotes into a platform's settings)",
                fix="remove the quotes from the value",
            )
        )
        text = text[1:-1]
    # Plain printable ASCII (nearly every value) has neither typographic quotes nor invisibles.
    plain = text.isascii() and text.isprintable()
    smart = [] if plain else [c for c in text if c in SMART_QUOTES]
    if smart:
        issues.append(
            Issue(
                Rule.STRAY_CHARACTERS,
                f"{name} contains typographic quotes ({', '.join(sorted({_describe_char(c) for c in smart}))}), "
                "usually from a document or chat",
                fix="retype the value with plain ASCII quotes, or none",
            )
        )
        if text and text[0] in SMART_QUOTES and text[-1] in SMART_QUOTES:
            text = text[1:-1]
    invisible = (
        []
        if plain
        else [
            (i, c)
            for i, c in enumerate(text)
            if c not in _ALLOWED_CONTROL
            and (unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or (c.isspace() and c != " "))
        ]
    )
    if invisible:
        kinds = ", ".join(sorted({_describe_char(c) for _, c in invisible}))
        where = ", ".join(str(i + 1) for i, _ in invisible[:5])
        issues.append(
            Issue(
                Rule.STRAY_CHARACTERS,
                f"{name} contains {len(invisible)} invisible or control character(s) ({kinds}) "
                f"at position {where}",
                fix="retype the value, or delete and re-paste it from the source",
            )
        )
        text = "".join(c for i, c in enumerate(text) if (i, c) not in invisible)
    if "\r" in text or "\n" in text:
        text = text.replace("\r", "").replace("\n", "")
    return Cleaned(text, tuple(issues))


# Every character (any case) a match of a pattern above can start with. The lookahead lets the
# combined search skip the other positions in one test each: 3-4 times faster on ordinary values
# (a 50,000-line .env). tests/env/test_validators.py derives the set from the patterns.
PLACEHOLDER_STARTS = "[ycrpfx<.…tnudes"

# One pass that rules most values out; the table above then says which pattern hit, in its order.
_ANY_PLACEHOLDER = re.compile(
    f"(?=[{re.escape(PLACEHOLDER_STARTS)}])(?:"
    + "|".join(
        f"(?:{p.pattern})" if label not in _WHOLE_ONLY else f"(?:\\A(?:{p.pattern})\\Z)"
        for p, label in _PLACEHOLDERS
    )
    + ")",
    re.IGNORECASE,
)


def placeholder_issue(name: str, value: str) -> Issue | None:
    """JD303: a value that is still the template's stand-in."""
    lowered = value.lower()
    if lowered in TEMPLATE_DEFAULTS or lowered.startswith("django-insecure-"):
        return Issue(
            Rule.PLACEHOLDER_VALUE,
            f"{name} is a well-known template default, not a real value",
            fix=f"set {name} to a freshly generated value",
        )
    if name and lowered == name.lower():
        return Issue(
            Rule.PLACEHOLDER_VALUE,
            f"{name} holds its own name, not a real value",
            fix=f"set {name} to the real value",
        )
    if _ANY_PLACEHOLDER.search(value) is None:
        return None
    for pattern, label in _PLACEHOLDERS:
        hit = pattern.fullmatch(value) if label in _WHOLE_ONLY else pattern.search(value)
        if hit:
            return Issue(
                Rule.PLACEHOLDER_VALUE,
                f"{name} looks like a placeholder (matches {label}), not a real value",
                fix=f"set {name} to the real value",
            )
    return None


# -- postgres-url -----------------------------------------------------------------------------

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SQLALCHEMY_DRIVERS = ("psycopg2", "psycopg", "psycopg2cffi", "asyncpg", "pg8000", "psycopg_async")


def _bad_escape(text: str) -> bool:
    return re.search(r"%(?![0-9A-Fa-f]{2})", text) is not None


def _libpq_rejects(url: str) -> str | None:
    """libpq's own verdict through psycopg, without any quoted part of its message."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    try:
        conninfo_to_dict(url)
    except Exception as exc:  # noqa: BLE001  (any refusal is the answer we want)
        # libpq quotes the offending text, which may be the password, and the text may itself
        # hold quotes: keep only what comes before the first quote character.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        head = re.split(r"[\"']", message, maxsplit=1)
        return (head[0].rstrip() + (" …" if len(head) > 1 else ""))[:200]
    return None


def check_postgres_url(
    name: str, value: str, consumer: Consumer | None, shown: str | None
) -> list[Issue]:
    issues: list[Issue] = []
    scheme, sep, rest = value.partition("://")
    if not sep:
        if re.match(r"\s*[a-z_]+\s*=", value) and consumer in (None, Consumer.LIBPQ):
            return []  # a libpq key=value conninfo string; probe-db parses it fully
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} is not a PostgreSQL URL (expected postgresql://user:password@host:5432/dbname)",
                fix="copy the URI form of the connection string from your provider",
            )
        ]
    base, _, driver = scheme.partition("+")
    if base.lower() not in ("postgres", "postgresql"):
        label = scheme if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}", scheme) else "(unreadable)"
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} has the scheme `{label}://`, not postgresql://",
                fix="use a postgresql:// URL",
            )
        ]
    effective = consumer or (Consumer.SQLALCHEMY if driver else None)
    if base.lower() == "postgres":
        if effective is Consumer.SQLALCHEMY:
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} starts with postgres://, which SQLAlchemy 1.4 and later reject "
                    "(NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres)",
                    fix="write postgresql:// instead of postgres://",
                )
            )
        elif effective is None:
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} starts with postgres://: libpq and asyncpg accept it, SQLAlchemy 1.4 "
                    "and later do not",
                    level=Level.ADVISORY,
                    fix="write postgresql://, or declare the consumer "
                    "(@consumer=libpq|sqlalchemy|asyncpg)",
                )
            )
    if driver:
        if effective in (Consumer.LIBPQ, Consumer.ASYNCPG):
            who = "libpq (psycopg)" if effective is Consumer.LIBPQ else "asyncpg"
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} has a SQLAlchemy driver suffix (+{driver}), which {who} rejects",
                    fix="write postgresql:// without the +driver part",
                )
            )
        elif driver not in SQLALCHEMY_DRIVERS:
            label = driver if re.fullmatch(r"[A-Za-z0-9_]{1,20}", driver) else "(unreadable)"
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name}: `{label}` is not a PostgreSQL driver SQLAlchemy knows "
                    f"(known: {', '.join(SQLALCHEMY_DRIVERS)})",
                    fix="use postgresql+psycopg://, postgresql+asyncpg:// or postgresql://",
                )
            )
    query_at = rest.find("?")
    head = rest if query_at == -1 else rest[:query_at]
    at = head.rfind("@")
    if at == -1:
        at = rest.rfind("@")
    if at != -1:
        userinfo, hostpart = rest[:at], rest[at + 1 :]
        password = userinfo.split(":", 1)[1] if ":" in userinfo else ""
        if "@" in userinfo:
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} has an unencoded `@` in the password: libpq, SQLAlchemy and asyncpg "
                    "split at the first `@`, urllib and pydantic at the last, so they connect to "
                    "different hosts",
                    fix="encode it as %40 (urllib.parse.quote(password, safe=''))",
                )
            )
        reserved = sorted({c for c in password if c in "#/?[]"})
        if reserved:
            codes = ", ".join(f"`{c}` as %{ord(c):02X}" for c in reserved)
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} has characters in the password that must be percent-encoded "
                    f"in a URL ({' '.join(reserved)})",
                    fix=f"encode {codes} (urllib.parse.quote(password, safe=''))",
                )
            )
        if _bad_escape(password):
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} has a `%` in the password that is not a valid escape",
                    fix="encode `%` as %25",
                )
            )
    else:
        hostpart = rest
    hostport = re.split(r"[/?#]", hostpart, maxsplit=1)[0]
    for host in hostport.split(","):
        port = ""
        if host.count("[") != host.count("]"):
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name}: the `[` `]` around an IPv6 host are unbalanced; libpq rejects "
                    "the URL",
                    fix="write the host as [::1] (both brackets), or use a host name",
                )
            )
            continue
        if host.startswith("["):
            port = host.partition("]")[2].removeprefix(":")
        elif ":" in host:
            port = host.rsplit(":", 1)[1]
        if port and not _port_ok(port):
            number = f" {port}" if port.isascii() and port.isdigit() and len(port) <= 6 else ""
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name}: the port{number} is not a number between 1 and 65535",
                    fix="write host:5432 (or the port your provider gives)",
                )
            )
    query = rest[query_at + 1 :] if query_at != -1 else ""
    params = dict(parse_qsl(query, keep_blank_values=True))
    sslmode = params.get("sslmode")
    if sslmode is not None and sslmode not in SSLMODES:
        label = f" `{sslmode}`" if re.fullmatch(r"[a-z\-]{1,20}", sslmode) else ""
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}: sslmode{label} is not one of {', '.join(SSLMODES)}",
                fix="sslmode=require (or verify-full with a root certificate)",
            )
        )
    if sslmode is not None and effective is Consumer.SQLALCHEMY and driver == "asyncpg":
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}: SQLAlchemy's asyncpg dialect passes `sslmode` to asyncpg.connect(), "
                "which fails with TypeError: unexpected keyword argument 'sslmode'",
                fix="write ssl=require instead of sslmode=require",
            )
        )
    if effective is Consumer.LIBPQ and not driver and not issues:
        verdict = _libpq_rejects(value)
        if verdict:
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} is rejected by libpq: {verdict}",
                    fix="fix the URL",
                )
            )
    return issues


# -- keys and DSNs ----------------------------------------------------------------------------

OPENAI_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-")
_KEY_CHARS = re.compile(r"[A-Za-z0-9_\-]+")


def check_openai_key(name: str, value: str, shown: str | None) -> list[Issue]:
    for prefix, provider, var in (
        ("sk-ant-", "an Anthropic", "ANTHROPIC_API_KEY"),
        ("sk-or-", "an OpenRouter", "OPENROUTER_API_KEY"),
    ):
        if value.startswith(prefix):
            return [
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} holds {provider} key ({prefix}...), not an OpenAI key",
                    fix=f"put it in {var} and set {name} to an OpenAI key (sk-proj-...)",
                )
            ]
    if not value.startswith("sk-"):
        azure = re.fullmatch(r"[0-9a-f]{32}", value) is not None
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} does not start with sk- (OpenAI keys are sk-proj-..., sk-svcacct-..., "
                "sk-admin-... or sk-...)"
                + ("; it looks like an Azure OpenAI key" if azure else ""),
                fix="copy the key again from platform.openai.com/api-keys"
                + (" or set AZURE_OPENAI_API_KEY instead" if azure else ""),
            )
        ]
    if not _KEY_CHARS.fullmatch(value):
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} contains characters that never occur in an OpenAI key",
                fix="copy the key again",
            )
        ]
    if len(value) < 40:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} is too short for an OpenAI key ({len(value)} characters): truncated when copied?",
                fix="copy the whole key again",
            )
        ]
    return []


def check_sentry_dsn(name: str, value: str, shown: str | None) -> list[Issue]:
    if not re.match(r"https?://", value):
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} is not a Sentry DSN (expected https://<key>@<host>/<project-id>)",
                fix="copy the DSN from Sentry: Project Settings > Client Keys",
            )
        ]
    rest = value.split("://", 1)[1]
    at = rest.rfind("@")
    if at == -1:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} has no public key (expected https://<key>@<host>/<project-id>)",
                fix="copy the DSN from Sentry: Project Settings > Client Keys",
            )
        ]
    issues: list[Issue] = []
    public, colon, _secret = rest[:at].partition(":")
    if not re.fullmatch(r"[0-9a-f]{32}", public):
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}: the public key is not 32 hexadecimal characters",
                fix="copy the DSN again",
            )
        )
    if colon:
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} uses the deprecated `key:secret@` form; current SDKs ignore the secret "
                "part, and it must not be shipped to browsers",
                level=Level.ADVISORY,
                fix="remove `:secret` from the DSN",
            )
        )
    hostpath = rest[at + 1 :]
    host, _, path = hostpath.partition("/")
    if not host:
        issues.append(Issue(Rule.MALFORMED_VALUE, f"{name} has no host", fix="copy the DSN again"))
    project = path.rstrip("/").rsplit("/", 1)[-1] if path else ""
    if not project.isdigit():
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}: the project id (the last part of the path) is not an integer",
                fix="copy the DSN again; it ends in /<number>",
            )
        )
    return issues


_SUPABASE_REF = re.compile(r"[a-z0-9]{20}")


def check_supabase_url(name: str, value: str, shown: str | None) -> list[Issue]:
    if value.startswith(("postgres://", "postgresql://")):
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} holds a database URL; the Supabase URL is https://<project-ref>.supabase.co",
                fix="copy the Project URL from Supabase: Project Settings > API",
            )
        ]
    parts = _split_url(name, value)
    if isinstance(parts, Issue):
        return [parts]
    host = (parts.hostname or "").lower()
    local = host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local")
    if parts.scheme not in ("https", "http") or not host:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} is not an http(s) URL (expected https://<project-ref>.supabase.co)",
                fix="copy the Project URL from Supabase: Project Settings > API",
            )
        ]
    issues: list[Issue] = []
    if parts.scheme == "http" and not local:
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} uses http://; Supabase serves https only",
                fix="write https://",
            )
        )
    if host in ("supabase.com", "app.supabase.com", "www.supabase.com"):
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} is a Supabase dashboard address, not the project's API URL",
                fix="use https://<project-ref>.supabase.co (Project Settings > API)",
            )
        )
    elif host.endswith(".supabase.co"):
        ref = host.removesuffix(".supabase.co")
        if ref.startswith("db.") or ref.endswith(".pooler"):
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name} is the database host, not the API URL",
                    fix="use https://<project-ref>.supabase.co",
                )
            )
        elif not _SUPABASE_REF.fullmatch(ref):
            issues.append(
                Issue(
                    Rule.MALFORMED_VALUE,
                    f"{name}: `{mask_text(ref[:40])}` is not a Supabase project ref "
                    "(20 letters and digits)",
                    fix="copy the Project URL again",
                )
            )
    if parts.path not in ("", "/") and not issues:
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} has a path ({mask_text(parts.path[:40])}); the client libraries "
                "add /rest/v1 and "
                "/auth/v1 themselves",
                level=Level.ADVISORY,
                fix="keep only https://<project-ref>.supabase.co",
            )
        )
    return issues


def jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a JWT, decoded without verification; None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, RecursionError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def supabase_role(value: str) -> str | None:
    """``anon``, ``service_role`` (legacy JWT ``role`` claim) or ``publishable``/``secret``."""
    if value.startswith("sb_publishable_"):
        return "publishable"
    if value.startswith("sb_secret_"):
        return "secret"
    claims = jwt_claims(value)
    if claims is None:
        return None
    role = claims.get("role")
    return role if isinstance(role, str) else ""


def _expected_role(name: str) -> str | None:
    upper = name.upper()
    if "SERVICE" in upper or "SECRET" in upper:
        return "privileged"
    if "ANON" in upper or "PUBLISHABLE" in upper or "PUBLIC" in upper:
        return "public"
    return None


def check_supabase_key(name: str, value: str, shown: str | None) -> list[Issue]:
    role = supabase_role(value)
    if role is None:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} is neither a Supabase JWT key (eyJ...) nor a new-style key "
                "(sb_publishable_... / sb_secret_...)",
                fix="copy the key from Supabase: Project Settings > API Keys",
            )
        ]
    privileged = role in ("service_role", "secret")
    if role not in ("anon", "service_role", "publishable", "secret"):
        label = f" `{role}`" if re.fullmatch(r"[a-z_]{1,30}", role) else ""
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}: the key's role claim{label} is neither anon nor service_role",
                fix="copy the anon or service_role key from Supabase",
            )
        ]
    expected = _expected_role(name)
    if expected == "public" and privileged:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} holds a {role} key, which bypasses Row Level Security; the name asks "
                "for the anon (publishable) key",
                fix=f"put the anon key in {name} and keep the {role} key server-side only",
            )
        ]
    if expected == "privileged" and not privileged:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} holds an {role} key; the name asks for the service_role (secret) key",
                fix=f"put the service_role key in {name}",
            )
        ]
    return []


# -- simple types -----------------------------------------------------------------------------


def _quote(shown: str | None) -> str:
    return f" `{shown}`" if shown is not None and len(shown) <= 60 else ""


def check_url(name: str, value: str, shown: str | None) -> list[Issue]:
    parts = _split_url(name, value)
    if isinstance(parts, Issue):
        return [parts]
    try:
        _ = parts.port
    except ValueError:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}: the URL's port is not a number between 0 and 65535",
                fix="fix the port",
            )
        ]
    if not parts.scheme or not parts.netloc:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}{_quote(shown)} is not an absolute URL (scheme://host/...)",
                fix="write the full URL, e.g. https://host/path",
            )
        ]
    return []


BOOL_WORDS = ("true", "false", "1", "0", "yes", "no", "on", "off")


def check_simple(spec: VarSpec, value: str, shown: str | None) -> list[Issue]:
    name = spec.name
    what = _quote(shown)
    if spec.type is VarType.INT and not re.fullmatch(r"[+-]?[0-9]+", value):
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}{what} is not an integer",
                fix=f"set {name} to a whole number",
            )
        ]
    limit = sys.get_int_max_str_digits()
    if spec.type is VarType.INT and limit and len(value.lstrip("+-")) > limit:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name} has {len(value.lstrip('+-'))} digits: Python's int() refuses more "
                f"than {limit}",
                fix=f"set {name} to a smaller whole number",
            )
        ]
    if spec.type is VarType.PORT and not _port_ok(value):
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}{what} is not a port number (1-65535)",
                fix=f"set {name} to a number such as 8000",
            )
        ]
    if spec.type is VarType.BOOL and value.lower() not in BOOL_WORDS:
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}{what} is not a boolean ({', '.join(BOOL_WORDS)})",
                fix=f"set {name} to true or false",
            )
        ]
    if spec.type is VarType.ENUM and value not in spec.choices:
        near = [c for c in spec.choices if c.lower() == value.lower()]
        hint = f" (differs only in case from `{near[0]}`)" if near else ""
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}{what} is not one of: {', '.join(spec.choices)}{hint}",
                fix=f"set {name} to one of: {', '.join(spec.choices)}",
            )
        ]
    if (
        spec.type is VarType.REGEX
        and spec.pattern is not None
        and not re.fullmatch(spec.pattern, value)
    ):
        return [
            Issue(
                Rule.MALFORMED_VALUE,
                f"{name}{what} does not match the pattern {spec.pattern}",
                fix="make the whole value match the pattern",
            )
        ]
    return []


_CHECKS: dict[VarType, Callable[[str, str, str | None], list[Issue]]] = {
    VarType.OPENAI_KEY: check_openai_key,
    VarType.SENTRY_DSN: check_sentry_dsn,
    VarType.SUPABASE_URL: check_supabase_url,
    VarType.SUPABASE_KEY: check_supabase_key,
    VarType.URL: check_url,
}
# Types whose own check already rejects any stand-in; a placeholder check would only add noise.
_NO_PLACEHOLDER = frozenset(
    {VarType.INT, VarType.PORT, VarType.BOOL, VarType.ENUM, VarType.FLOAT, VarType.JSON}
)


# Types judged by pydantic's coercion rules (coerce.py) when the code declares them.
_COERCED = frozenset(
    {
        VarType.BOOL,
        VarType.INT,
        VarType.FLOAT,
        VarType.ENUM,
        VarType.JSON,
        VarType.EMAIL,
        VarType.HTTP_URL,
    }
)


def _fixed(issue: Issue, how: str) -> Issue:
    """A scheme problem the app's own code repairs is information, not an error."""
    if "postgres://" not in issue.message and "scheme" not in issue.message:
        return issue
    return replace(issue, message=f"{issue.message}; the code fixes it: {how}", level=Level.INFO)


def validate(
    spec: VarSpec,
    value: str,
    *,
    shown: str | None,
    consumer: Consumer | None = None,
) -> list[Issue]:
    """Every problem with ``value`` for ``spec`` (the value is non-empty)."""
    cleaned = clean_value(spec.name, value)
    issues = list(cleaned.issues)
    text = cleaned.value
    if spec.type not in _NO_PLACEHOLDER and not (
        spec.type is VarType.REGEX and spec.pattern and re.fullmatch(spec.pattern, text)
    ):
        placeholder = placeholder_issue(spec.name, text)
        if placeholder is not None:
            return [*issues, placeholder]
    if not text:
        return issues
    shown_clean = shown if shown is None else mask_text(text)
    quoted = f"`{shown_clean}` " if shown_clean is not None and len(shown_clean) <= 60 else ""
    try:
        if spec.from_code and spec.type in _COERCED:
            # pydantic sees the raw value: what it accepts works, whatever the stray characters.
            coerced = check_coerced(spec, value, quoted) or []
            if not coerced:
                return [replace(i, level=Level.ADVISORY) for i in issues]
            return [*issues, *coerced]
        if spec.type is VarType.POSTGRES_URL:
            issues += check_postgres_url(spec.name, text, spec.consumer or consumer, shown_clean)
            if spec.from_code:
                issues += check_postgres_scheme(spec, text)
            if spec.fixed_by_code:
                issues = [_fixed(i, spec.fixed_by_code) for i in issues]
        elif spec.type in (VarType.FLOAT, VarType.JSON, VarType.EMAIL, VarType.HTTP_URL):
            issues += check_coerced(spec, text, quoted) or []
        elif spec.type in _CHECKS:
            issues += _CHECKS[spec.type](spec.name, text, shown_clean)
        else:
            issues += check_simple(spec, text, shown_clean)
    except PARSE_ERRORS as exc:
        # A refusal the checks above did not foresee: still an invalid value, not a crash.
        issues.append(
            Issue(
                Rule.MALFORMED_VALUE,
                f"{spec.name} is not a valid {spec.type.value} value "
                f"(it makes the parser raise {type(exc).__name__})",
                fix=f"check {spec.name} against the expected {spec.type.value} format",
            )
        )
    return issues
