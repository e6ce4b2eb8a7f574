"""Provider-specific advice: Supabase (direct host, Supavisor pooler), Neon, Render, poolers.

Recognised from the host name and port alone; nothing here talks to the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .classify import Reason
from .conninfo import Target

_SUPABASE_DIRECT = re.compile(r"^db\.[a-z0-9]+\.supabase\.co$")
_SUPABASE_POOLER = re.compile(r"\.pooler\.supabase\.com$")
_NEON = re.compile(r"\.neon\.tech$")
_RENDER_INTERNAL = re.compile(r"^dpg-[a-z0-9]+-a$")

TRANSACTION_POOLER_PORT = 6543

PREPARE_ADVICE = (
    "In transaction mode (Supabase port 6543, Neon `-pooler` hosts, PgBouncer "
    "pool_mode=transaction) prepared statements break: with psycopg pass prepare_threshold=None "
    "(SQLAlchemy: connect_args={'prepare_threshold': None}); with asyncpg statement_cache_size=0. "
    "Send settings with SET after connecting, never in the `options` startup parameter."
)


def _host(target: Target) -> str:
    return (target.primary.host or "").lower().rstrip(".")


def provider_hints(target: Target, reason: Reason | None) -> list[str]:
    """Extra advice for a failure ``reason`` (or ``None`` for success) against this target."""
    host, user = _host(target), target.user or ""
    hints: list[str] = []
    if reason is not None and _SUPABASE_POOLER.search(host) and "." not in user:
        hints.append(
            f"Supabase's pooler (Supavisor) needs the user as `postgres.<project-ref>`; this URL "
            f"has `{user or '(none)'}`."
        )
    if _SUPABASE_DIRECT.match(host) and reason in (
        Reason.NETWORK_UNREACHABLE,
        Reason.UNKNOWN_HOST,
        Reason.TIMEOUT,
        Reason.HOST_UNREACHABLE,
    ):
        hints.append(
            "db.<ref>.supabase.co has only an IPv6 address; from an IPv4-only platform (Render, "
            "GitHub Actions, many containers) use the Supavisor pooler in session mode: "
            "aws-0-<region>.pooler.supabase.com:5432 with user postgres.<ref>."
        )
    if (
        _SUPABASE_DIRECT.match(host) or _SUPABASE_POOLER.search(host)
    ) and reason is Reason.UNKNOWN_HOST:
        hints.append(
            "A paused Supabase free-tier project does not wake on connect: restore it from the "
            "dashboard."
        )
    if _NEON.search(host) and reason in (Reason.TIMEOUT, Reason.CLOSED, Reason.REFUSED, None):
        hints.append(
            "Neon computes scale to zero and wake on the first connection (usually a few seconds); "
            "the phase timeline shows how long the wake took."
        )
    if _RENDER_INTERNAL.match(host) and reason is Reason.UNKNOWN_HOST:
        hints.append(
            "A Render internal host name (dpg-...-a) resolves only inside Render's private network; "
            "from elsewhere use the external URL (dpg-...-a.<region>-postgres.render.com)."
        )
    return hints


@dataclass(frozen=True)
class PoolerEvidence:
    reasons: tuple[str, ...]


def pooler_evidence(target: Target, behind_pooler: bool) -> PoolerEvidence | None:
    """Why we believe a pooler sits in front, or ``None``."""
    host, port = _host(target), target.primary.port
    reasons: list[str] = []
    if behind_pooler:
        reasons.append(
            "the server's pg_backend_pid() differs from the key the connection announced"
        )
    if _SUPABASE_POOLER.search(host):
        reasons.append("the host is Supabase's Supavisor pooler")
    if port == TRANSACTION_POOLER_PORT:
        reasons.append(
            f"port {TRANSACTION_POOLER_PORT} is the conventional transaction-mode pooler port"
        )
    if _NEON.search(host) and "-pooler." in host:
        reasons.append("the host is a Neon `-pooler` endpoint (PgBouncer in transaction mode)")
    return PoolerEvidence(tuple(reasons)) if reasons else None
