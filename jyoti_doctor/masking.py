"""Masking of secrets: one implementation used by every command and every output format (SPEC §8)."""

from __future__ import annotations

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
    "sbp_",
    "ghp_",
    "xoxb-",
    "eyJ",
)

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASS|DSN|DATABASE_URL|AUTH", re.IGNORECASE)

# scheme://user:password@host — the password is everything up to the *last* '@' before the host,
# so a password with an unencoded '@' is still masked whole.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)(?P<pw>[^\s]*)@(?P<tail>[^@\s]*)$")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_CONNINFO_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_key(value: str) -> str:
    """``sk-proj-…Vw8A`` for a key of at least 20 characters, ``********`` otherwise."""
    if len(value) < 20:
        return MASK
    prefix = next((p for p in KNOWN_PREFIXES if value.startswith(p)), "")
    return f"{prefix}…{value[-4:]}"


def mask_url(url: str) -> str:
    """The URL with only its password replaced by ``********``."""
    match = _URL_PASSWORD.match(url)
    if not match:
        return url
    return f"{match['head']}{MASK}@{match['tail']}"


def mask_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask URL passwords, ``password=`` conninfo fields and any known secret value in free text."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _CONNINFO_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    return _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
