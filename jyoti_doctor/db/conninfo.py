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
from ..env.resolve import Environment, Resolved
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
        if self.path is not None and self.source == str(self.path):
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
    """The connection string, found the way the app finds it, by the one precedence rule of
    :mod:`jyoti_doctor.env.resolve` (the same files and environment check-env reads).

    In order: ``--url``; ``DATABASE_URL``; the URL field of the app's settings class
    (``SQLALCHEMY_DATABASE_URI``, ``database_url``...); the variables such a class builds it from
    (``POSTGRES_SERVER``/``POSTGRES_HOST``, ``POSTGRES_PORT``, ``POSTGRES_USER``,
    ``POSTGRES_PASSWORD``, ``POSTGRES_DB``); libpq's own ``PGHOST``, ``PGPORT``, ``PGUSER``,
    ``PGPASSWORD``, ``PGDATABASE``, ``PGSERVICE``. Each file is read once and ``os.environ`` is
    never modified. Raises :class:`NoDatabaseConfigured` when none of them names a database.
    """
    from ..env.infer import app_env_files, infer
    from ..env.resolve import load_environment

    if url is not None:
        return RawUrl(url, "--url")
    project = project_dir or Path(".")
    settings = config or Settings()
    # Only the settings classes matter here (a URL field, the env_file): direct reads of the
    # environment are left out, as they would only add time before the probe's deadline.
    code = (
        infer(project, direct_reads=False) if not env_files and settings.env_file is None else None
    )
    app_files = app_env_files(project, code) if code is not None else None
    environment = load_environment(project, settings, env_files, environ, app_files)
    for loaded in environment.files:
        if loaded.undecodable is not None:
            # load_dotenv() fails on such a file, so the app would not start either. The reader's
            # message names the line, never the bytes (they may be part of a password).
            raise UsageError(f"{loaded.undecodable.message}; {loaded.undecodable.fix}")
    for name, ignore_case in (
        (ENV_NAME, False),
        *(
            (v.name, not v.case_sensitive)
            for v in (code.variables if code else ())
            if v.kind == "postgres-url" and v.name != ENV_NAME
        ),
    ):
        found = environment.lookup(name, ignore_case=ignore_case)
        if found.value is not None:
            return _raw(found, name)
    composed = _from_parts(environment)
    if composed is not None:
        return composed
    read = ", ".join(f.display for f in environment.files)
    where = (
        f" (read: the environment, {read})" if read else " (read: the environment; no .env file)"
    )
    raise NoDatabaseConfigured(
        f"no database URL{where}: no --url, no {ENV_NAME}, no POSTGRES_SERVER/POSTGRES_HOST "
        "and no PGHOST/PGSERVICE; pass --url, set one of them in the environment or in .env, "
        "or name a file with --env-file"
    )


def _raw(found: Resolved, name: str) -> RawUrl:
    value = found.value or ""
    if found.file is not None and found.entry is not None:
        source = str(found.file.path) if name == ENV_NAME else f"{name} in {found.where}"
        return RawUrl(value, source, found.file.path, found.entry.line)
    return RawUrl(value, "environment" if name == ENV_NAME else f"{name} in the environment")


# The host variable of a URL built from parts, as project templates spell it.
_POSTGRES_PARTS = ("POSTGRES_SERVER", "POSTGRES_HOST")
_LIBPQ = {
    "PGHOST": "host",
    "PGPORT": "port",
    "PGUSER": "user",
    "PGPASSWORD": "password",
    "PGDATABASE": "dbname",
    "PGSERVICE": "service",
    "PGSSLMODE": "sslmode",
}


def _conninfo_value(value: str) -> str:
    """A libpq keyword value, quoted when it must be."""
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _from_parts(environment: Environment) -> RawUrl | None:
    from urllib.parse import quote

    host_var = next((n for n in _POSTGRES_PARTS if environment.get(n)), None)
    if host_var is not None:
        host = environment.lookup(host_var)
        user = environment.get("POSTGRES_USER") or ""
        password = environment.get("POSTGRES_PASSWORD") or ""
        port = environment.get("POSTGRES_PORT") or str(DEFAULT_PORT)
        db = environment.get("POSTGRES_DB") or ""
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
        netloc = f"{auth}@" if auth else ""
        shown_host = f"[{host.value}]" if ":" in (host.value or "") else host.value
        value = f"postgresql://{netloc}{shown_host}:{port}/{quote(db, safe='')}"
        where = host.where
        source = (
            f"{host_var}, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB ({where})"
        )
        path = host.file.path if host.file is not None else None
        line = host.entry.line if host.entry is not None else None
        return RawUrl(value, source, path, line)
    present = {name: environment.get(name) for name in _LIBPQ}
    if present.get("PGHOST") or present.get("PGSERVICE"):
        parts = [f"{_LIBPQ[n]}={_conninfo_value(v)}" for n, v in present.items() if v]
        names = ", ".join(n for n, v in present.items() if v)
        return RawUrl(" ".join(parts), f"libpq variables {names}")
    return None


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
    except UnicodeDecodeError:
        # libpq decodes %XX escapes as UTF-8: `%ff` cannot be part of any connection string.
        raise UsageError(
            f"malformed connection string{where}: {shown}: a percent-escape is not valid UTF-8"
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
