"""Real servers for the database tests and the benchmark, all on 127.0.0.1 and free ports.

PostgreSQL clusters are copied from one template made by ``initdb`` (copying is ten times faster
than initdb), each started as its own ``postgres`` process we own by pid. initdb and postgres refuse
to run as root, so when the tests run as root (as CI does) the server processes run as the
``postgres`` system user, with data directories that user owns. pytest-postgresql is not used:
it runs pg_ctl as the current user (impossible as root) and has no notion of a server that starts
late, a standby that is promoted, or a server stopped behind a pooler, which are the scenarios here.

Also: PgBouncer, a holding TCP proxy, a black-hole listener and a strict HTTP server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

# Every role's password; tests assert it never appears in any output.
PASSWORD = "Pw-7Zq9-unlikely-Secret"
HOST = "127.0.0.1"


class Unavailable(RuntimeError):
    """The machine lacks what a fixture needs (binaries, the postgres user)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pg_bindir() -> Path:
    found: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            )
            found.append(Path(out.stdout.strip()))

    def version(p: Path) -> int:
        digits = re.sub(r"\D", "", p.parent.name)
        return int(digits) if digits else 0

    found.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True))
    for candidate in found:
        if (candidate / "initdb").exists() and (candidate / "postgres").exists():
            return candidate
    raise Unavailable(
        "PostgreSQL server binaries (initdb, postgres) not found; install `postgresql`"
    )


def pgbouncer_bin() -> Path:
    path = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if not path:
        raise Unavailable("pgbouncer not found; install `pgbouncer`")
    return Path(path)


@dataclass(frozen=True)
class RunAs:
    """Who the server processes run as: ``postgres`` when we are root, else ourselves."""

    uid: int
    gid: int

    @classmethod
    def detect(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid())
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable(
                "running as root and there is no `postgres` user to run the server as"
            ) from None
        return cls(entry.pw_uid, entry.pw_gid)

    def popen_args(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path) -> None:
        if os.geteuid() == 0:
            for p in (path, *path.rglob("*")):
                os.lchown(p, self.uid, self.gid)

    def run(self, cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cmd, capture_output=True, text=True, check=True, **self.popen_args(), **kw
        )


def wait_port(port: int, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {HOST}:{port} after {timeout} s")


def url(
    port: int,
    user: str = "app",
    password: str | None = PASSWORD,
    dbname: str = "appdb",
    **params: str,
) -> str:
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"postgresql://{auth}@{HOST}:{port}/{dbname}" + (f"?{query}" if query else "")


@dataclass
class PgServer:
    """One PostgreSQL cluster (a copy of the template) and, while running, its postmaster."""

    bindir: Path
    datadir: Path
    port: int
    run_as: RunAs
    settings: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.datadir.parent / f"{self.datadir.name}.log"

    def url(self, **kw: Any) -> str:
        return url(self.port, **kw)

    def start(self, wait: bool = True) -> None:
        args = [str(self.bindir / "postgres"), "-D", str(self.datadir), "-p", str(self.port)]
        for key, value in {**BASE_SETTINGS, **self.settings}.items():
            args += ["-c", f"{key}={value}"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                **self.run_as.popen_args(),
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the log says the server accepts connections (a standby never does: use wait_port)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.ready_times():
                wait_port(self.port, timeout=max(0.1, end - time.monotonic()))
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self.proc.returncode}:\n{self.log.read_text()[-2000:]}"
                )
            time.sleep(0.01)
        raise TimeoutError(
            f"postgres on port {self.port} not ready:\n{self.log.read_text()[-2000:]}"
        )

    def ready_times(self) -> list[datetime]:
        """When the server logged 'ready to accept connections' (millisecond log timestamps)."""
        if not self.log.exists():
            return []
        times = []
        for line in self.log.read_text(errors="replace").splitlines():
            if "ready to accept connections" in line:
                match = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (\S+)", line)
                if match:
                    stamp = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S.%f")
                    times.append(stamp.replace(tzinfo=_tz(match[2])))
        return times

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def promote(self) -> None:
        self.run_as.run([str(self.bindir / "pg_ctl"), "promote", "-D", str(self.datadir), "-W"])

    def make_standby(self) -> None:
        """Recovery with no WAL source and hot_standby off: answers 57P03 until promoted."""
        (self.datadir / "standby.signal").touch()
        self.run_as.own(self.datadir / "standby.signal")
        self.settings["hot_standby"] = "off"


def _tz(name: str) -> Any:
    from datetime import UTC

    return UTC if name in ("UTC", "GMT") else None


BASE_SETTINGS = {
    "listen_addresses": HOST,
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "20",
    "log_timezone": "UTC",
    "log_line_prefix": "%m [%p] ",
}


class PgFactory:
    """Makes clusters from one template; removes every one of them at the end."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.run_as = RunAs.detect()
        # Under /tmp itself: pytest's own tmp directories are 0700 and root's, which the postgres
        # user cannot enter.
        self.base = Path(tempfile.mkdtemp(prefix="jd-pg-"))
        self.base.chmod(0o755)
        self.servers: list[PgServer] = []
        self.template = self.base / "template"
        self._make_template()

    def _make_template(self) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        self.run_as.own(pwfile)
        os.lchown(self.base, self.run_as.uid, self.run_as.gid) if os.geteuid() == 0 else None
        try:
            self.run_as.run(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.template),
                    "-U",
                    "postgres",
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C",
                ]
            )
        except subprocess.CalledProcessError as exc:
            raise Unavailable(f"initdb failed: {exc.stderr.strip()[-500:]}") from None
        (self.template / "pg_hba.conf").write_text(
            "host all rejectme 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        server = PgServer(self.bindir, self.template, free_port(), self.run_as)
        server.start()
        try:
            import psycopg

            with psycopg.connect(
                server.url(user="postgres", dbname="postgres"), autocommit=True
            ) as conn:
                for role in ("app", "rejectme"):
                    conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
                conn.execute("CREATE DATABASE appdb OWNER app")
        finally:
            server.stop()
        server.log.unlink(missing_ok=True)

    def new(self, **settings: str) -> PgServer:
        datadir = self.base / f"pg{len(self.servers)}"
        subprocess.run(["cp", "-a", str(self.template), str(datadir)], check=True)
        server = PgServer(self.bindir, datadir, free_port(), self.run_as, dict(settings))
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(self.base, ignore_errors=True)


class PgBouncer:
    """PgBouncer in transaction mode; ``databases`` maps a name to a backend port."""

    def __init__(self, run_as: RunAs, base: Path, databases: dict[str, int]) -> None:
        self.run_as = run_as
        self.port = free_port()
        self.dir = base / f"pgbouncer-{self.port}"
        self.dir.mkdir()
        (self.dir / "users.txt").write_text(f'"app" "{PASSWORD}"\n')
        lines = ["[databases]"]
        for name, port in databases.items():
            lines.append(
                f"{name} = host={HOST} port={port} dbname=appdb user=app password={PASSWORD}"
            )
        lines += [
            "[pgbouncer]",
            f"listen_addr = {HOST}",
            f"listen_port = {self.port}",
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            f"auth_file = {self.dir / 'users.txt'}",
            "pool_mode = transaction",
            f"logfile = {self.dir / 'pgbouncer.log'}",
            "server_login_retry = 1",
        ]
        (self.dir / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        run_as.own(self.dir)
        self.proc = subprocess.Popen(
            [str(pgbouncer_bin()), str(self.dir / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            **run_as.popen_args(),
        )
        wait_port(self.port)

    def url(self, dbname: str, **kw: Any) -> str:
        return url(self.port, dbname=dbname, **kw)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class _Listener:
    """A TCP listener on a free port with a thread per accepted connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.closed = threading.Event()
        self.accepted = 0
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(conn)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlackHole(_Listener):
    """Accepts connections and never says a word."""

    def handle(self, conn: socket.socket) -> None:
        self.closed.wait()


class StrictHttp(_Listener):
    """An HTTP server whose parser, like nginx's or llhttp's, rejects a bad method byte at once."""

    def handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            first = conn.recv(1)
            if first and not first.isalpha():
                conn.sendall(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 11\r\n"
                    b"Connection: close\r\n\r\nBad Request"
                )
            conn.close()


class HoldingProxy(_Listener):
    """Accepts at once and holds each connection until the upstream port accepts, then forwards.

    This is what serverless proxies do while compute wakes (Neon's proxy holds the client's
    connection during the wake-up).
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        upstream = None
        while not self.closed.is_set() and upstream is None:
            try:
                upstream = socket.create_connection((HOST, self.upstream_port), timeout=0.5)
            except OSError:
                time.sleep(0.01)
        if upstream is None:
            return
        with contextlib.suppress(OSError), upstream:
            pair = {conn: upstream, upstream: conn}
            while not self.closed.is_set():
                readable, _, _ = select.select(list(pair), [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)


@contextlib.contextmanager
def hold_connections(port: int, count: int) -> Iterator[list[Any]]:
    """Occupy ``count`` connection slots of a server."""
    import psycopg

    conns = [psycopg.connect(url(port)) for _ in range(count)]
    try:
        yield conns
    finally:
        for conn in conns:
            conn.close()
