"""Name resolution with its own timeout, and the cheap TCP probe used while a port refuses.

libpq's own lookup is a blocking ``getaddrinfo`` outside ``connect_timeout``; resolving here first
bounds it, times it as its own phase, and lets the connection attempts use the addresses
directly (``hostaddr``).
"""

from __future__ import annotations

import errno as errno_codes
import ipaddress
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from .classify import Reason

# RFC 6761: names under these never resolve, so the answer is known without asking anyone.
NEVER_RESOLVES = (".invalid",)


@dataclass(frozen=True)
class Resolved:
    addresses: tuple[str, ...] = ()
    reason: Reason | None = None  # set when the lookup failed
    message: str = ""
    looked_up: bool = True  # False for a numeric address: nothing to time


def resolve(host: str, port: int, timeout: float) -> Resolved:
    """The addresses of ``host`` (numeric hosts are returned as is), within ``timeout`` seconds."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return Resolved((host,), looked_up=False)
    except ValueError:
        pass
    name = host.rstrip(".").lower()
    if name == "invalid" or name.endswith(NEVER_RESOLVES):
        return Resolved(
            reason=Reason.UNKNOWN_HOST,
            message=f'could not translate host name "{host}" to address: '
            "names under .invalid never resolve (RFC 6761)",
        )
    box: dict[str, object] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            box["error"] = exc
        finally:
            done.set()

    # A daemon thread: a resolver that hangs past the timeout must not keep the process alive.
    threading.Thread(target=lookup, name="jyoti-doctor-dns", daemon=True).start()
    if not done.wait(timeout):
        return Resolved(
            reason=Reason.DNS_TEMPORARY,
            message=f"name lookup of {host} timed out after {timeout:.1f} s",
        )
    error = box.get("error")
    if isinstance(error, socket.gaierror):
        permanent = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
        reason = Reason.UNKNOWN_HOST if error.errno in permanent else Reason.DNS_TEMPORARY
        return Resolved(
            reason=reason,
            message=f'could not translate host name "{host}" to address: {error.strerror}',
        )
    if isinstance(error, BaseException):
        return Resolved(
            reason=Reason.UNKNOWN_HOST, message=f'could not translate host name "{host}": {error}'
        )
    infos = box.get("infos") or []
    seen: dict[str, None] = {}
    for info in infos:  # type: ignore[attr-defined]
        seen.setdefault(str(info[4][0]), None)
    if not seen:
        return Resolved(reason=Reason.UNKNOWN_HOST, message=f'host name "{host}" has no addresses')
    return Resolved(tuple(seen))


@dataclass(frozen=True)
class TcpResult:
    open: bool
    errno: int | None = None
    message: str = ""
    timed_out: bool = False


def tcp_probe(
    addresses: Sequence[tuple[str, int]], timeout: float, *, socket_path: str | None = None
) -> TcpResult:
    """Open (and close) a bare TCP or Unix-socket connection: does anything listen?

    ``addresses`` are ``(address, port)`` pairs in libpq's order (every host has its own port);
    the first that accepts answers yes.
    """
    targets: list[tuple[int, object]] = [
        (socket.AF_INET6 if ":" in addr else socket.AF_INET, (addr, port))
        for addr, port in addresses
    ]
    if socket_path is not None:
        targets.insert(0, (socket.AF_UNIX, socket_path))
    result = TcpResult(False, errno_codes.EHOSTUNREACH, "no address to connect to")
    each = timeout / max(1, len(targets))
    for family, address in targets:
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(each)
                sock.connect(address)  # type: ignore[arg-type]
            return TcpResult(True)
        except TimeoutError:
            result = TcpResult(
                False,
                errno_codes.ETIMEDOUT,
                f"TCP connect timed out after {each:.2f} s",
                timed_out=True,
            )
        except OSError as exc:
            result = TcpResult(False, exc.errno, exc.strerror or str(exc))
            if exc.errno == errno_codes.ECONNREFUSED:
                continue
    return result
