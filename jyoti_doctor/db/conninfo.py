"""Where the connection string comes from, how it is parsed, and how it may be shown.

Parsing is libpq's own (psycopg's ``conninfo_to_dict``), so the probe reads a URL exactly the way
the application's driver will. The string is shown only through :func:`mask`; the parsed
parameters (which hold the password) never leave this package unmasked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..errors import UsageError
from ..masking import looks_like_secret, mask_secret, mask_text, password_candidates

ENV_NAME = "DATABASE_URL"
DEFAULT_PORT = 5432

_DRIVER = re.compile(
    r"^(?P<scheme>postgres(?:ql)?)\+(?P<driver>[A-Za-z0-9_]+)(?=://)", re.IGNORECASE
)
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_CONNINFO_FIELD = re.compile(r"^\s*[A-Za-z_]+\s*=")
_PORT = re.compile(r"[0-9]{1,5}")
_NEAR_URL = re.compile(r"postgres(?:ql)?[+:/]", re.IGNORECASE)

# Query parameters that other libraries accept in a URL and libpq rejects, with what to do instead.
FOREIGN_PARAMS = {
    "pgbouncer": "Prisma's `pgbouncer=true` is not a libpq parameter: remove it from the URL "
    "(with psycopg behind a transaction pooler pass prepare_threshold=None in code)",
    "connection_limit": "Prisma's `connection_limit` is not a libpq parameter: remove it from the URL",
    "schema": "Prisma's `schema` is not a libpq parameter: set search_path with SET after connecting",
    "ssl": "asyncpg's `ssl=` is spelled `sslmode=` for libpq (and psycopg)",
    "prepared_statement_cache_size": "an asyncpg/SQLAlchemy option, not a libpq parameter: "
    "pass it in code, not in the URL",
}


@dataclass(frozen=True)
class RawUrl:
    """The connection string as found, with where it was found. ``value`` holds the password."""

    value: str = field(repr=False)
    source: str
    path: Path | None = None
    line: int | None = None  # of the ``DATABASE_URL=`` line that python-dotenv keeps

    @property
    def described(self) -> str:
        """The source as a message names it: ``the --url flag``, ``DATABASE_URL in .env:3``."""
        if self.source == "--url":
            return "the --url flag"
        if self.source == "environment":
            return f"{ENV_NAME} in the environment"
        if self.path is not None:
            return f"{ENV_NAME} in {self.path}" + (f":{self.line}" if self.line else "")
        return self.source


@dataclass(frozen=True)
class Endpoint:
    """One host of the connection string: a name, an IP address, or a Unix-socket directory."""

    host: str | None
    port: int
    hostaddr: str | None = None

    @property
    def is_socket(self) -> bool:
        return self.host is None or self.host.startswith(("/", "@"))

    def __str__(self) -> str:
        if self.host is None:
            return f"default socket, port {self.port}"
        if self.is_socket:
            return f"{self.host} (socket), port {self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Target:
    """A parsed connection string. ``params`` holds the password: never render it."""

    params: Mapping[str, str] = field(repr=False)
    display: str
    source: str
    path: Path | None
    endpoints: tuple[Endpoint, ...]
    line: int | None = None
    secrets: tuple[str, ...] = field(repr=False, default=())
    driver: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def user(self) -> str | None:
        return self.params.get("user") or os.environ.get("PGUSER")

    @property
    def dbname(self) -> str | None:
        return self.params.get("dbname") or os.environ.get("PGDATABASE")

    @property
    def primary(self) -> Endpoint:
        return self.endpoints[0]


def mask(raw: str, secrets: Sequence[str] = ()) -> str:
    """``raw`` with every password (URL, keyword form, known secrets) replaced by ``********``."""
    return mask_text(raw, (*secrets, *password_candidates(raw)))


class NoDatabaseConfigured(UsageError):
    """No source names a database at all: a configuration gap, not a malformed input.

    doctor reports it as a "not configured" finding of its database check; probe-db, whose one
    job is to connect, still exits 2 with it.
    """


def find_url(
    url: str | None,
    env_files: Sequence[Path] = (),
    project_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    config: Settings | None = None,
) -> RawUrl:
    """The connection string, by the one precedence rule of :mod:`jyoti_doctor.env.resolve`.

    ``--url``; then ``DATABASE_URL`` as check-env resolves it (``--env-file`` files, later
    winning; the process environment; the app's own files: config ``env-file``, the settings
    class's ``env_file``, ``.env``). Each file is read once, ``os.environ`` is never modified,
    and within a file the last ``DATABASE_URL`` line wins, as it does for python-dotenv.
    Raises :class:`NoDatabaseConfigured` when nothing names a database.
    """
    from ..env.model import Source
    from ..env.resolve import load_environment

    if url is not None:
        return RawUrl(url, "--url")
    project = project_dir or Path(".")
    environment = load_environment(project, config or Settings(), env_files, environ)
    found = environment.lookup(ENV_NAME)
    if found.value is not None:
        if found.file is not None and found.entry is not None:
            return RawUrl(found.value, str(found.file.path), found.file.path, found.entry.line)
        return RawUrl(found.value, Source.ENVIRONMENT.value)
    read = ", ".join(f.display for f in environment.files)
    where = f" (read: the environment, {read})" if read else " (read: the environment; no .env file)"
    raise NoDatabaseConfigured(
        f"no database URL{where}: pass --url, set {ENV_NAME} in the environment or in .env, "
        "or name a file with --env-file"
    )


def strip_driver(raw: str) -> tuple[str, str | None]:
    """``postgresql+asyncpg://...`` -> (``postgresql://...``, ``"asyncpg"``); others unchanged."""
    match = _DRIVER.match(raw)
    if not match:
        return raw, None
    return match["scheme"] + raw[match.end() :], match["driver"]


def _parse_port(value: str, shown: str) -> int:
    port = int(value) if _PORT.fullmatch(value) else -1
    if 1 <= port <= 65535:
        return port
    # The port text is never quoted: with an unencoded '@' or ':' it is part of the password.
    if _PORT.fullmatch(value):
        raise UsageError(f"malformed connection string {shown}: port {port} is not 1-65535")
    if "@" in value:
        hint = (
            "the user name or password seems to contain an unencoded '@' or ':' (libpq ends "
            "them at the first '@'); percent-encode '@' as %40 and ':' as %3A"
        )
    else:
        hint = "if this is `user:password`, the `@host` part is missing"
    raise UsageError(
        f"malformed connection string {shown}: the port is not a number 1-65535 ({hint})"
    )


def _endpoints(params: Mapping[str, str], shown: str) -> tuple[Endpoint, ...]:
    hosts_text = params.get("host") or os.environ.get("PGHOST") or ""
    ports_text = params.get("port") or os.environ.get("PGPORT") or str(DEFAULT_PORT)
    addrs_text = params.get("hostaddr", "")
    hosts: list[str | None] = [h or None for h in hosts_text.split(",")] if hosts_text else [None]
    addrs: list[str | None] = [a or None for a in addrs_text.split(",")] if addrs_text else []
    if addrs and hosts == [None]:
        hosts = [None] * len(addrs)
    ports = [_parse_port(p, shown) if p else DEFAULT_PORT for p in ports_text.split(",")]
    if len(ports) == 1:
        ports *= len(hosts)
    if len(ports) != len(hosts) or (addrs and len(addrs) != len(hosts)):
        raise UsageError(
            f"malformed connection string {shown}: {len(hosts)} host(s) but "
            f"{len(ports)} port(s){f' and {len(addrs)} hostaddr(s)' if addrs else ''}"
        )
    for host in hosts:
        if host and "@" in host:
            raise UsageError(
                f"malformed connection string {shown}: the password seems to contain an unencoded "
                "'@' (libpq reads the host as everything after the first '@'); percent-encode it as %40"
            )
    return tuple(
        Endpoint(host, port, addrs[i] if addrs else None)
        for i, (host, port) in enumerate(zip(hosts, ports, strict=True))
    )


def parse_target(raw: RawUrl) -> Target:
    """Parse with libpq's rules; a malformed string is a :class:`UsageError` with the password masked."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    value = raw.value
    secrets = password_candidates(value)
    shown = mask_text(value, secrets)
    where = "" if raw.source == "--url" else f" (from {raw.source})"
    if not value.strip():
        raise UsageError(f"{raw.described} is empty")
    if value != value.strip():
        raise UsageError(
            f"connection string{where} has leading or trailing whitespace: {shown!r}; "
            "the driver would receive it as is"
        )
    if value[0] in "'\"" and value[-1] == value[0]:
        raise UsageError(f"connection string{where} is wrapped in quotes: {shown}")
    if not _SCHEME.match(value) and (looks_like_secret(value) or not _CONNINFO_FIELD.match(value)):
        # Perhaps a key or a bare password pasted in the wrong variable: libpq's message would
        # quote it whole, so neither it nor the value is shown.
        near_url = " (is the `://` after the scheme missing?)" if _NEAR_URL.match(value) else ""
        raise UsageError(
            f"malformed connection string{where}: {mask_secret(value)} is neither a "
            f"postgresql:// URL nor key=value connection parameters{near_url}"
        )
    notes: list[str] = []
    value, driver = strip_driver(value)
    if driver:
        notes.append(f"the SQLAlchemy driver suffix `+{driver}` was stripped for libpq")
    scheme = _SCHEME.match(value)
    if scheme and scheme["scheme"].lower() not in ("postgres", "postgresql"):
        raise UsageError(
            f"not a PostgreSQL connection string{where}: scheme {scheme['scheme']!r} in {shown}"
        )
    if driver == "asyncpg":
        value, n = re.subn(r"([?&])ssl=", r"\1sslmode=", value)
        if n:
            notes.append("asyncpg's `ssl=` was read as libpq's `sslmode=`")
    try:
        params = conninfo_to_dict(value)
    except ProgrammingError as exc:
        reason = mask_text(str(exc).strip(), secrets)
        hint = next((h for name, h in FOREIGN_PARAMS.items() if f'"{name}"' in str(exc)), None)
        raise UsageError(
            f"malformed connection string{where}: {shown}: {reason}"
            + (f" ({hint})" if hint else "")
        ) from None
    str_params = {k: str(v) for k, v in params.items() if v is not None}
    if "password" in str_params:
        secrets = tuple(sorted({*secrets, str_params["password"]}, key=len, reverse=True))
    return Target(
        params=str_params,
        display=shown,
        source=raw.source,
        path=raw.path,
        line=raw.line,
        endpoints=_endpoints(str_params, shown),
        secrets=secrets,
        driver=driver,
        notes=tuple(notes),
    )


def load_target(
    url: str | None,
    env_files: Sequence[Path] = (),
    project_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    config: Settings | None = None,
) -> Target:
    return parse_target(find_url(url, env_files, project_dir, environ, config))
