"""Masking of secrets: one implementation used by every command and every output format (docs/contract.md)."""

from __future__ import annotations

import os
import re

MASK = "********"

# Prefixes that identify a key's kind without revealing it; longest first so `sk-proj-` beats `sk-`.
KNOWN_PREFIXES = (
    "sk-svcacct-",
    "sk-admin-",
    "sk-proj-",
    "sk-ant-",
    "sk-or-",
    "sk-",
    "sb_publishable_",
    "sb_secret_",
    "sbp_",
    "github_pat_",
    "ghp_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "AKIA",
    "eyJ",
)

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASS|DSN|DATABASE_URL|AUTH", re.IGNORECASE)

# scheme://user:password@host — the password is everything up to the *last* '@' before the host,
# so a password with an unencoded '@' is still masked whole.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# A URL ends at a quote (text quotes URLs), except inside its userinfo: a raw quote there is part
# of the password (`postgresql://app:'pw'@db/app`), so the URL runs on to the host. A quote
# followed by `,` `;` `]` `)` closes the URL instead (`["http://h:8000","admin@example.com"]`).
_URL_IN_TEXT = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://(?:(?:[^\s@/<>'\"]|['\"](?![,;\])]))*@)?[^\s'\"<>]+"
)
# An unterminated quoted value runs to the end of the line: libpq rejects it, but it is still secret.
_CONNINFO_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|'[^\n]*|\S+)", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;][^=&#\s]*(?:KEY|SECRET|TOKEN|PASS|AUTH|SIG)[^=&#\s]*=)(?P<value>[^&#\s]*)",
    re.IGNORECASE,
)
# A run of token characters long enough, and mixed enough, to be a generated credential.
_TOKENISH = re.compile(r"[A-Za-z0-9_\-+/=~]{24,}")
# Candidate tokens in free text ('.' for JWTs, trailing '=' for base64 padding).
_TOKEN_IN_TEXT = re.compile(r"[A-Za-z0-9_\-+/~.]{12,}={0,2}")
# What joins a key to the text around it inside one token: a path's '/', a '.'.
_TOKEN_JOINS = re.compile(r"([./])")
# `NAME=value` in a command line or a log (`API_TOKEN=… uvicorn main:app`): the value of a
# variable named like a secret is masked whatever it looks like. The value is one shell word:
# quoted parts whole (`abc'def 1'`); an unterminated quote runs to the end of the line.
_ASSIGNMENT = re.compile(
    r"""(?<![A-Za-z0-9_])(?P<name>[A-Za-z_][A-Za-z0-9_]*)="""
    r"""(?P<value>(?:[^\s'"]+|'[^']*'|"[^"]*"|['"][^\n]*)+)"""
)
_PLAIN_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "0", "1"})
# snake_case and UPPER_SNAKE identifiers (variable and module names) are not credentials.
_IDENTIFIER = re.compile(r"[A-Z0-9_]*_[A-Z0-9_]*|[a-z0-9_]*_[a-z0-9_]*")


def is_secret_name(name: str) -> bool:
    """Whether a variable's name says it holds a secret (docs/contract.md)."""
    return SECRET_NAME.search(name) is not None


def looks_like_secret(value: str) -> bool:
    """A value that looks like a credential whatever its variable is called."""
    text = value.strip().strip("'\"")
    if not text:
        return False
    if text.startswith(KNOWN_PREFIXES) and len(text) >= 12:
        return True
    scheme = _SCHEME.match(text)
    if scheme:
        userinfo = _userinfo_span(text, scheme.end())
        if userinfo is None:
            return _bare_password_span(text, scheme.end()) is not None
        return ":" in text[userinfo[0] : userinfo[1]]
    if _TOKENISH.fullmatch(text) and not text.isalpha() and not text.isdigit():
        return any(c.isdigit() for c in text) and any(c.isalpha() for c in text) and "/" not in text
    return False


def mask_key(value: str) -> str:
    """``sk-proj-…Vw8A`` for a key of at least 20 characters, ``********`` otherwise."""
    if len(value) < 20:
        return MASK
    prefix = next((p for p in KNOWN_PREFIXES if value.startswith(p)), "")
    return f"{prefix}…{value[-4:]}"


def _userinfo_span(url: str, start: int) -> tuple[int, int] | None:
    """Where ``user[:password]`` lies in ``url`` (``start`` is just after ``://``), if anywhere.

    The userinfo ends at the last '@' before the query; failing that, at the last '@' at all.
    Erring this way masks too much rather than too little when a password holds '?' or '@'.
    """
    query = url.find("?", start)
    head_end = len(url) if query == -1 else query
    at = url.rfind("@", start, head_end)
    if at == -1:
        at = url.rfind("@", start)
    if at == -1:
        return None
    return start, at


def _bare_password_span(url: str, start: int) -> tuple[int, int] | None:
    """Where a password lies in ``scheme://user:password[/...]`` written without ``@host``.

    Without an '@' the text after the first ':' is a port, unless some "port" is not a number:
    then it is most likely a password whose host part was forgotten.
    """
    end = next((i for i, c in enumerate(url[start:], start) if c in "/?#"), len(url))
    authority = url[start:end]
    if ":" not in authority:
        return None
    ports = [
        part.rsplit(":", 1)[1]
        for part in re.sub(r"\[[^\]]*\]", "", authority).split(",")
        if ":" in part
    ]
    if all(port.isdigit() or not port for port in ports):
        return None
    return start + authority.index(":") + 1, end


def password_candidates(raw: str) -> tuple[str, ...]:
    """Every substring of ``raw`` that may be a password, for masking even a malformed string.

    The URL's password is what follows the first ``:`` of its userinfo, taken up to each ``@``
    that may end it (:func:`_userinfo_span`, and the last ``@`` at all, which may sit after an
    unencoded ``?``); without any ``@``, what :func:`_bare_password_span` finds, to the end.
    Each piece split at ``@ : / # ?`` is kept too: that is what libpq takes as the password,
    host or port when those characters are not encoded. ``password=`` fields and
    ``PGPASSWORD`` count as well.
    """
    found: list[str] = []
    scheme = _SCHEME.match(raw)
    if scheme:
        start = scheme.end()
        head = raw[: next((i for i, c in enumerate(raw[start:], start) if c in "?#"), len(raw))]
        ends = {raw.rfind("@", start)}
        for text in (raw, head):
            span = _userinfo_span(text, start)
            if span is not None:
                ends.add(span[1])
            else:
                bare = _bare_password_span(text, start)
                if bare is not None:
                    found.append(text[bare[0] :])
        for end in ends - {-1}:
            userinfo = raw[start:end]
            if ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
        found.extend(part for pw in list(found) for part in re.split(r"[@:/#?]", pw))
    for m in _CONNINFO_PASSWORD.finditer(raw):
        value = m.group(2)
        # Unquoted, libpq ends the value at whitespace; inside a URL's query, '&' ends it.
        found.extend((value, value.strip("'"), value.split("&", 1)[0]))
    env_pw = os.environ.get("PGPASSWORD")
    if env_pw:
        found.append(env_pw)
    # Longest first, so a password is masked whole before any of its pieces.
    return tuple(sorted({f for f in found if f}, key=len, reverse=True))


def mask_url(url: str, *, mask_user: bool = False) -> str:
    """The URL with only its password replaced by ``********``.

    With ``mask_user`` a user name that stands alone (a Sentry DSN's key) is masked too. Query
    parameters named like secrets (``password=``, ``api_key=``...) are masked as well.
    """
    scheme = _SCHEME.match(url)
    if not scheme:
        return url
    span = _userinfo_span(url, scheme.end())
    if span is None:
        bare = _bare_password_span(url, scheme.end())
        masked = url if bare is None else f"{url[: bare[0]]}{MASK}{url[bare[1] :]}"
    else:
        userinfo = url[span[0] : span[1]]
        if ":" in userinfo:
            userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
        elif mask_user and userinfo:
            userinfo = MASK
        masked = f"{url[: span[0]]}{userinfo}{url[span[1] :]}"
    return _QUERY_SECRET.sub(lambda m: m["name"] + (MASK if m["value"] else ""), masked)


def mask_secret(value: str) -> str:
    """A secret as it may be shown: a URL with its credentials masked, or a masked key."""
    stripped = value.strip()
    if _SCHEME.match(stripped):
        return mask_url(stripped, mask_user=True)
    return mask_key(value)


def _is_secret_token(token: str) -> bool:
    return looks_like_secret(token) and not _IDENTIFIER.fullmatch(token)


def _mask_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if _is_secret_token(token):
        return mask_key(token)
    # A key inside a path or joined by a dot (`keys/sk-…`, `note.sk-…`): mask that piece alone.
    return "".join(mask_key(p) if _is_secret_token(p) else p for p in _TOKEN_JOINS.split(token))


# A known secret is masked in free text as a whole token only: a short password (`postgres`)
# must not eat `postgresql://` or `postgres-url`. From LONG_SECRET characters up a token ends at
# any non-word character; a shorter secret only where nothing token-like touches it (spaces,
# quotes, `=`, `:`, `@`, commas), so `-`, `.` and `/` keep it inside a longer name or path.
# Positions say the rest: a URL's userinfo, the value of a secret variable, a `password=` field.
LONG_SECRET = 10
SHORT_SECRET = 4
_WORDISH = re.compile(r"[A-Za-z0-9_]")
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-./+~]")


def _mask_whole(text: str, secret: str, inner: re.Pattern[str] = _WORDISH) -> str:
    """``text`` with every occurrence of ``secret`` not joined by an ``inner`` character to a
    longer word masked."""
    out: list[str] = []
    start = 0
    while True:
        at = text.find(secret, start)
        if at == -1:
            break
        end = at + len(secret)
        before = text[at - 1] if at else ""
        after = text[end] if end < len(text) else ""
        if after in ".," and not (end + 1 < len(text) and inner.match(text[end + 1])):
            after = ""  # the end of a sentence, not of a longer name
        inside_word = (before and inner.match(before) and inner.match(secret[0])) or (
            after and inner.match(after) and inner.match(secret[-1])
        )
        if inside_word:
            out.append(text[start : at + 1])
            start = at + 1
            continue
        out.append(text[start:at])
        out.append(MASK)
        start = end
    out.append(text[start:])
    return "".join(out)


def _mask_assignment(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if not is_secret_name(name) or value.strip("'\"").lower() in _PLAIN_VALUES:
        return match.group(0)
    if _SCHEME.match(value.strip("'\"")):
        return match.group(0)  # a URL: only its password is masked, by the URL rule below
    return f"{name}={MASK}"


def mask_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask URL passwords, ``password=`` conninfo fields, the values of ``NAME=value`` assignments
    of secret-named variables, known secret values (as whole tokens) and any token that looks like
    a credential (a key pasted where it does not belong) in free text."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret not in text:
            continue
        if len(secret) >= LONG_SECRET:
            text = _mask_whole(text, secret)
        elif len(secret) >= SHORT_SECRET:
            text = _mask_whole(text, secret, _TOKEN_CHAR)
    text = _ASSIGNMENT.sub(_mask_assignment, text)
    text = _CONNINFO_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    return _TOKEN_IN_TEXT.sub(_mask_token, text)
