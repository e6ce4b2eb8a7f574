"""What a connection failure means: permanent, transient, capacity or circuit breaker.

psycopg raises ``OperationalError`` with ``sqlstate=None`` for every connection-time failure, so
the probe asks libpq for verbose errors (``FATAL:  28P01: ...``) and reads the SQLSTATE from the
text. When there is none (the failure happened before the server spoke, or a pooler answered in
prose), message patterns and the socket's errno decide. One table, read top to bottom.
"""

from __future__ import annotations

import errno as errno_codes
import re
from dataclasses import dataclass
from enum import StrEnum

from ..rules import Rule


class FailureKind(StrEnum):
    PERMANENT = "permanent"  # stop at once: exit 4
    TRANSIENT = "transient"  # retry until the deadline: exit 3
    CAPACITY = "capacity"  # retry, slower: exit 3
    CIRCUIT_BREAKER = "circuit-breaker"  # stop: retrying keeps the breaker open


class Reason(StrEnum):
    AUTH_FAILED = "auth-failed"
    NO_PASSWORD = "no-password"
    HBA_REJECTED = "hba-rejected"
    NO_ROLE = "no-role"
    NO_PRIVILEGE = "no-privilege"
    NO_DATABASE = "no-database"
    TENANT_NOT_FOUND = "tenant-not-found"
    SSL_MISMATCH = "ssl-mismatch"
    SSL_ERROR = "ssl-error"
    NOT_POSTGRES = "not-postgres"
    UNSUPPORTED_PARAMETER = "unsupported-parameter"
    UNKNOWN_HOST = "unknown-host"
    NETWORK_UNREACHABLE = "network-unreachable"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    CLOSED = "closed"
    HOST_UNREACHABLE = "host-unreachable"
    DNS_TEMPORARY = "dns-temporary"
    STARTING_UP = "starting-up"
    SHUTTING_DOWN = "shutting-down"
    POOLER_ERROR = "pooler-error"
    QUERY_TIMEOUT = "query-timeout"
    QUERY_FAILED = "query-failed"
    TOO_MANY_CONNECTIONS = "too-many-connections"
    CIRCUIT_OPEN = "circuit-open"
    SESSION_MISMATCH = "session-mismatch"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Meaning:
    kind: FailureKind
    rule: Rule  # the finding reported when this is the final verdict
    title: str
    hint: str


_P, _T, _C = FailureKind.PERMANENT, FailureKind.TRANSIENT, FailureKind.CAPACITY

MEANINGS: dict[Reason, Meaning] = {
    Reason.AUTH_FAILED: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "password authentication failed",
        "Check the user and password in the URL (percent-encode special characters). "
        "Retrying a wrong password only fills the server's log and may lock the role out.",
    ),
    Reason.NO_PASSWORD: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "the server asked for a password and none was given",
        "Put the password in the URL (postgresql://user:PASSWORD@host/db) or in PGPASSWORD.",
    ),
    Reason.HBA_REJECTED: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "rejected by the server's pg_hba.conf",
        "No pg_hba.conf rule admits this user, database, address and SSL combination (or a rule "
        "rejects it). Add a `host`/`hostssl` line on the server, or connect with sslmode=require "
        "if the server only admits SSL.",
    ),
    Reason.NO_ROLE: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "the role does not exist",
        "Create the role on the server or fix the user name in the URL.",
    ),
    Reason.NO_PRIVILEGE: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "the role may not connect",
        "Grant CONNECT on the database (and LOGIN to the role), or use another role.",
    ),
    Reason.NO_DATABASE: Meaning(
        _P,
        Rule.DB_MISSING_DATABASE,
        "the database does not exist",
        "Create it (createdb NAME) or fix the path of the URL (/NAME). On Supabase the "
        "database is `postgres`.",
    ),
    Reason.TENANT_NOT_FOUND: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "the pooler does not know this tenant or user",
        "Supavisor needs the user as `postgres.<project-ref>` (copy the pooler URL from the "
        "Supabase dashboard, Connect > Connection pooling).",
    ),
    Reason.SSL_MISMATCH: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "SSL required but the server does not support it",
        "The URL says sslmode=require (or stricter) and this server has no SSL: use "
        "sslmode=prefer for a local server, or point the URL at the real (SSL) host.",
    ),
    Reason.SSL_ERROR: Meaning(
        _P,
        Rule.DB_AUTH_FAILED,
        "the SSL handshake failed",
        "Check sslmode, sslrootcert and that the host name matches the certificate "
        "(verify-full checks it).",
    ),
    Reason.NOT_POSTGRES: Meaning(
        _P,
        Rule.DB_UNREACHABLE,
        "not a PostgreSQL endpoint",
        "Something answered on this host and port, but it does not speak the PostgreSQL protocol "
        "(an HTTP server?). Check the host and port; a Supabase project URL "
        "(https://<ref>.supabase.co) is the API, not the database.",
    ),
    Reason.UNSUPPORTED_PARAMETER: Meaning(
        _P,
        Rule.DB_POOLER_ADVICE,
        "the pooler rejected a startup parameter",
        "Transaction poolers reject settings sent as startup parameters (`options=-c ...`): "
        "remove them from the URL and run SET after connecting.",
    ),
    Reason.UNKNOWN_HOST: Meaning(
        _P,
        Rule.DB_UNREACHABLE,
        "the host name does not resolve",
        "Check the host name for typos. A Supabase direct host is db.<ref>.supabase.co; a "
        "deleted or paused project's name may stop resolving.",
    ),
    Reason.NETWORK_UNREACHABLE: Meaning(
        _P,
        Rule.DB_UNREACHABLE,
        "the network is unreachable",
        "This machine has no route to the server's address family: typically an IPv6-only host "
        "(Supabase's db.<ref>.supabase.co) seen from an IPv4-only platform. Use the Supavisor "
        "pooler host (aws-0-<region>.pooler.supabase.com) or an IPv4 address.",
    ),
    Reason.REFUSED: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "connection refused (nothing listening)",
        "Nothing listens on this host and port yet: the server (or the machine it runs on) is "
        "not up, or the port is wrong.",
    ),
    Reason.TIMEOUT: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "no answer in time",
        "The address accepted or dropped the connection but nothing answered in time: a proxy "
        "holding connections while serverless compute wakes (Neon), a firewall dropping packets, "
        "or an overloaded host.",
    ),
    Reason.CLOSED: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "the server closed the connection",
        "The server (or a proxy in front) closed the connection during the handshake; it is "
        "often restarting.",
    ),
    Reason.HOST_UNREACHABLE: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "no route to the host",
        "The host's network answered that it is unreachable; a machine that is still booting "
        "looks like this.",
    ),
    Reason.DNS_TEMPORARY: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "the name lookup failed or timed out",
        "The resolver did not answer in time or reported a temporary failure.",
    ),
    Reason.STARTING_UP: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "PostgreSQL is starting up",
        "PostgreSQL itself is running but not accepting connections yet: crash recovery, "
        "WAL replay, or a standby that is not (yet) open for queries.",
    ),
    Reason.SHUTTING_DOWN: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "PostgreSQL is shutting down",
        "The server is shutting down or restarting.",
    ),
    Reason.POOLER_ERROR: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "the pooler could not serve the connection",
        "The pooler answered but could not reach the database behind it.",
    ),
    Reason.QUERY_TIMEOUT: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "connected, but the first query did not finish in time",
        "The login succeeded but the query did not: behind a pooler (PgBouncer, Supavisor) a "
        "connection can succeed while the database behind it is down.",
    ),
    Reason.QUERY_FAILED: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "connected, but the first query failed",
        "The login succeeded but the query failed: behind a pooler (PgBouncer, Supavisor) a "
        "connection can succeed while the database behind it is down.",
    ),
    Reason.TOO_MANY_CONNECTIONS: Meaning(
        _C,
        Rule.DB_NOT_READY,
        "all connection slots are taken",
        "The server (or pooler) is full: lower the application's pool size, close idle "
        "connections, or connect through a pooler.",
    ),
    Reason.CIRCUIT_OPEN: Meaning(
        FailureKind.CIRCUIT_BREAKER,
        Rule.DB_AUTH_FAILED,
        "the pooler's circuit breaker is open",
        "Supavisor blocks a client after repeated failures (usually authentication). Fix the "
        "credentials, then wait before retrying: every retry keeps the breaker open.",
    ),
    Reason.SESSION_MISMATCH: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "no server of the type target_session_attrs asks for",
        "Every host answered, but none is of the type target_session_attrs (or "
        "load_balance_hosts' pick) asks for, e.g. read-write while all are standbys: a "
        "failover or promotion may still make one fit.",
    ),
    Reason.UNKNOWN: Meaning(
        _T,
        Rule.DB_NOT_READY,
        "unrecognised failure",
        "The failure was not recognised; it is retried until the deadline.",
    ),
}


@dataclass(frozen=True)
class Signature:
    reason: Reason
    sqlstate: str | None = None  # exact code, or a two-character class
    pattern: re.Pattern[str] | None = None


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


# Read top to bottom; the first rule whose every given condition matches wins. Message rules
# come before the generic SQLSTATE-class rules because poolers reuse codes (PgBouncer sends
# 08P01 both for "server down" and for "unsupported startup parameter").
SIGNATURES: tuple[Signature, ...] = (
    Signature(Reason.CIRCUIT_OPEN, pattern=_rx(r"ECIRCUITBREAKER|circuit breaker")),
    Signature(Reason.TENANT_NOT_FOUND, pattern=_rx(r"Tenant or user not found")),
    Signature(
        Reason.TOO_MANY_CONNECTIONS,
        pattern=_rx(r"EMAXCONN|max client connections reached|no more connections allowed"),
    ),
    Signature(Reason.UNSUPPORTED_PARAMETER, pattern=_rx(r"unsupported startup parameter")),
    Signature(Reason.AUTH_FAILED, "28P01"),
    Signature(Reason.HBA_REJECTED, "28000", _rx(r"pg_hba\.conf")),
    Signature(Reason.NO_ROLE, "28000", _rx(r"role .* does not exist")),
    Signature(Reason.NO_PRIVILEGE, "28000", _rx(r"not permitted to log in")),
    Signature(Reason.HBA_REJECTED, "28000"),
    Signature(Reason.AUTH_FAILED, "28"),
    Signature(Reason.NO_DATABASE, "3D000"),
    Signature(Reason.NO_PRIVILEGE, "42501"),
    # 57P03 is also what a server that is shutting down answers a new connection with.
    Signature(Reason.SHUTTING_DOWN, "57P03", _rx(r"shutting down")),
    Signature(Reason.STARTING_UP, "57P03"),
    Signature(Reason.SHUTTING_DOWN, "57P01"),
    Signature(Reason.SHUTTING_DOWN, "57P02"),
    Signature(Reason.TOO_MANY_CONNECTIONS, "53"),
    Signature(Reason.POOLER_ERROR, "08P01"),
    Signature(Reason.CLOSED, "08"),
    Signature(Reason.SHUTTING_DOWN, "57"),
    # No SQLSTATE: libpq's own prose, then the errno text it quotes.
    Signature(Reason.NO_PASSWORD, pattern=_rx(r"no password supplied")),
    Signature(
        Reason.AUTH_FAILED,
        pattern=_rx(r"password authentication failed|SASL authentication failed"),
    ),
    Signature(Reason.HBA_REJECTED, pattern=_rx(r"pg_hba\.conf")),
    Signature(Reason.NO_DATABASE, pattern=_rx(r"database \".*\" does not exist")),
    Signature(
        Reason.STARTING_UP,
        pattern=_rx(
            r"starting up|not yet accepting connections|not accepting connections|in recovery mode"
        ),
    ),
    Signature(Reason.SHUTTING_DOWN, pattern=_rx(r"shutting down")),
    Signature(
        Reason.SESSION_MISMATCH,
        pattern=_rx(r"session is (?:not )?read-only|server is (?:not )?in hot standby mode"),
    ),
    Signature(
        Reason.TOO_MANY_CONNECTIONS,
        pattern=_rx(r"too many (clients|connections)|remaining connection slots"),
    ),
    Signature(Reason.SSL_MISMATCH, pattern=_rx(r"server does not support SSL")),
    Signature(
        Reason.NOT_POSTGRES,
        pattern=_rx(
            r"invalid response to SSL negotiation|invalid response to GSSAPI negotiation|"
            r"expected authentication request from server|unexpected message from server|"
            r"received invalid protocol negotiation|invalid length of startup packet"
        ),
    ),
    Signature(
        Reason.SSL_ERROR,
        pattern=_rx(r"certificate|SSL error|SSL routines|does not match host name"),
    ),
    Signature(
        Reason.UNKNOWN_HOST,
        pattern=_rx(
            r"could not translate host name|Name or service not known|nodename nor servname"
        ),
    ),
    Signature(
        Reason.NETWORK_UNREACHABLE,
        pattern=_rx(
            r"Network is unreachable|Cannot assign requested address|Address family not supported"
        ),
    ),
    Signature(Reason.HOST_UNREACHABLE, pattern=_rx(r"No route to host")),
    Signature(Reason.REFUSED, pattern=_rx(r"Connection refused|No such file or directory")),
    Signature(Reason.TIMEOUT, pattern=_rx(r"timeout expired|timed out")),
    Signature(
        Reason.CLOSED,
        pattern=_rx(
            r"server closed the connection|Connection reset|Broken pipe|unexpected EOF|SSL SYSCALL|"
            r"could not receive data|could not send|terminating connection"
        ),
    ),
    Signature(
        Reason.POOLER_ERROR,
        pattern=_rx(r"pgbouncer|query_wait_timeout|server login|no server available"),
    ),
)

ERRNO_REASONS: dict[int, Reason] = {
    errno_codes.ECONNREFUSED: Reason.REFUSED,
    errno_codes.ENOENT: Reason.REFUSED,  # a Unix socket that does not exist yet
    errno_codes.ETIMEDOUT: Reason.TIMEOUT,
    errno_codes.ECONNRESET: Reason.CLOSED,
    errno_codes.EPIPE: Reason.CLOSED,
    errno_codes.ECONNABORTED: Reason.CLOSED,
    errno_codes.ENETUNREACH: Reason.NETWORK_UNREACHABLE,
    errno_codes.EADDRNOTAVAIL: Reason.NETWORK_UNREACHABLE,
    errno_codes.EAFNOSUPPORT: Reason.NETWORK_UNREACHABLE,
    errno_codes.EHOSTUNREACH: Reason.HOST_UNREACHABLE,
    errno_codes.EHOSTDOWN: Reason.HOST_UNREACHABLE,
}


# libpq's verbose form: "FATAL:  28P01: password authentication failed for user ...".
_VERBOSE = re.compile(r"\b(?:FATAL|ERROR|PANIC):\s+(?P<state>[0-9A-Z]{5}):\s+(?P<message>[^\n]*)")
_PREFIX = re.compile(
    r"^(?:connection failed: )?(?:connection to server (?:at|on) .*? failed: )", re.DOTALL
)
_LOCATION = re.compile(r"^LOCATION:.*$", re.MULTILINE)


@dataclass(frozen=True)
class ParsedError:
    sqlstate: str | None
    message: str


def parse_libpq_error(text: str) -> ParsedError:
    """SQLSTATE (when libpq was verbose) and the first useful line of a libpq error message."""
    text = text.strip()
    match = _VERBOSE.search(text)
    if match:
        detail = re.search(r"^DETAIL:\s+(.*)$", text, re.MULTILINE)
        message = match["message"].strip() + (f" {detail[1].strip()}" if detail else "")
        return ParsedError(match["state"], message)
    body = _LOCATION.sub("", _PREFIX.sub("", text)).strip()
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if not lines:
        return ParsedError(None, text)
    message = re.sub(r"^(?:FATAL|ERROR):\s+", "", lines[0])
    # Keep a DETAIL line: it often says why ("Hot standby mode is disabled."); libpq's own
    # second lines ("Is the server running on that host...?") add nothing.
    details = [line for line in lines[1:] if line.startswith("DETAIL:")]
    if details:
        message += " " + details[0].removeprefix("DETAIL:").strip()
    return ParsedError(None, message)


def classify(sqlstate: str | None, message: str = "", errno: int | None = None) -> Reason:
    """The reason for a failure, from its SQLSTATE, its message, or its errno, in that order."""
    for rule in SIGNATURES:
        if rule.sqlstate is not None and (
            sqlstate is None or not sqlstate.startswith(rule.sqlstate)
        ):
            continue
        if rule.pattern is not None and not rule.pattern.search(message):
            continue
        return rule.reason
    if errno is not None and errno in ERRNO_REASONS:
        return ERRNO_REASONS[errno]
    return Reason.UNKNOWN


def meaning(reason: Reason) -> Meaning:
    return MEANINGS[reason]


# Failures that belong to one address, not to the server: with several addresses (IPv6 and
# IPv4, several hosts) they must not hide what another address said.
ADDRESS_LEVEL = frozenset(
    {Reason.NETWORK_UNREACHABLE, Reason.UNKNOWN_HOST, Reason.HOST_UNREACHABLE}
)
_PER_HOST = re.compile(r"(?=connection to server (?:at|on) )")
_HOST_OF = re.compile(
    r'connection to server (?:at|on) "(?P<host>[^"]*)"(?: \((?P<addr>[^)]*)\))?, port (?P<port>\d+)'
)


def per_host(text: str) -> list[tuple[str, Reason, ParsedError]]:
    """Each address libpq tried, in order, with its own reason: ``("host:port", reason, error)``.

    A message without libpq's per-address prefix yields one entry named ``""``.
    """
    out = []
    for chunk in (c for c in _PER_HOST.split(text) if c.strip()):
        parsed = parse_libpq_error(chunk)
        match = _HOST_OF.match(chunk)
        name = ""
        if match:
            host = match["host"]
            host = f"[{host}]" if ":" in host and not host.startswith("/") else host
            name = f"{host}:{match['port']}"
            if match["addr"] and match["addr"] != match["host"]:
                name += f" ({match['addr']})"
        out.append((name, classify(parsed.sqlstate, parsed.message), parsed))
    return out


def classify_libpq_text(text: str) -> tuple[Reason, ParsedError]:
    """Classify a libpq connection error that may hold one failure per address tried.

    Within one host (its addresses), a server's own verdict (it answered: wrong password,
    missing database) wins, then any transient failure, and an address-level failure only when
    every address failed that way. Across the hosts of a multi-host URL, one host that may still
    come up keeps the whole verdict transient: libpq would connect to it once it does.
    """
    groups: dict[str, list[tuple[Reason, ParsedError]]] = {}
    for chunk in [c for c in _PER_HOST.split(text) if c.strip()] or [text]:
        parsed = parse_libpq_error(chunk)
        match = _HOST_OF.match(chunk)
        key = f"{match['host']}:{match['port']}" if match else ""
        groups.setdefault(key, []).append((classify(parsed.sqlstate, parsed.message), parsed))

    def rank(item: tuple[Reason, ParsedError]) -> int:
        reason = item[0]
        if reason in ADDRESS_LEVEL:
            return 2
        return 0 if MEANINGS[reason].kind is FailureKind.PERMANENT else 1

    verdicts = [min(found, key=rank) for found in groups.values()]
    across = {1: 0, 0: 1, 2: 2}
    return min(verdicts, key=lambda item: across[rank(item)])
