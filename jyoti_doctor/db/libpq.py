"""One PostgreSQL connection attempt at the libpq level, with its phases timed.

psycopg's ``connect()`` hides the phases and reports every connection failure with
``sqlstate=None``. Here the connection is driven by hand (``PQconnectStart`` + ``PQconnectPoll``,
psycopg's own low-level ``pq`` wrapper) so that:

* libpq is asked for verbose errors before the first poll, which puts the server's SQLSTATE in
  the message (``FATAL:  28P01: password authentication failed ...``);
* the time spent in each phase (TCP, TLS/startup, authentication) is measured from the
  connection's status changes;
* the attempt's own timeout is enforced exactly, with ``select``.
"""

from __future__ import annotations

import ctypes
import select
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .classify import ParsedError, parse_libpq_error

if TYPE_CHECKING:
    from psycopg import pq

Clock = Callable[[], float]

# libpq's PGVerbosity: PQERRORS_VERBOSE adds the SQLSTATE (and a LOCATION line) to messages.
PQERRORS_VERBOSE = 2


class Phase(StrEnum):
    DNS = "dns"
    TCP = "tcp"
    STARTUP = "tls/startup"
    AUTH = "auth"
    QUERY = "first query"


@cache
def _libpq_handle() -> Any | None:
    """The very libpq that psycopg loaded, through ctypes, or ``None`` when it cannot be found.

    Calling into a *different* copy of libpq with this connection's pointer would be undefined
    behaviour, so only a library positively identified as the loaded one is used.
    """
    from psycopg import pq

    try:
        if pq.__impl__ == "python":
            from psycopg.pq import _pq_ctypes

            return _pq_ctypes.pq  # type: ignore[attr-defined]
        if pq.__impl__ == "binary":
            maps = Path("/proc/self/maps")
            if maps.exists():
                for line in maps.read_text().splitlines():
                    path = line.split()[-1] if line.split() else ""
                    if "/psycopg_binary" in path and Path(path).name.startswith("libpq"):
                        return ctypes.CDLL(path)
            return None
        if pq.__impl__ == "c" and sys.platform.startswith("linux"):
            return ctypes.CDLL("libpq.so.5")
    except OSError:
        return None
    return None


def enable_verbose_errors(pgconn: pq.abc.PGconn) -> bool:
    lib = _libpq_handle()
    if lib is None:
        return False
    try:
        func = lib.PQsetErrorVerbosity
        func.argtypes = [ctypes.c_void_p, ctypes.c_int]
        func.restype = ctypes.c_int
        func(pgconn.pgconn_ptr, PQERRORS_VERBOSE)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return False
    return True


@dataclass(frozen=True)
class Handshake:
    """The result of one connection attempt. ``pgconn`` is set (and open) only on success."""

    ok: bool
    phases: dict[Phase, float]
    failed_phase: Phase | None = None
    error: ParsedError | None = None
    timed_out: bool = False
    config_error: bool = False  # libpq rejected the parameters before any network traffic
    raw: str = field(default="", repr=False)  # libpq's whole message (one failure per address)
    verbose: bool = False
    pgconn: Any = field(default=None, repr=False, compare=False)


def handshake(
    conninfo: str,
    timeout: float,
    *,
    clock: Clock = time.monotonic,
    on_phase: Callable[[Phase], None] | None = None,
) -> Handshake:
    """Connect with libpq, non-blocking, timing each phase; never exceeds ``timeout``."""
    from psycopg import pq

    start = clock()
    end = start + timeout
    pgconn = pq.PGconn.connect_start(conninfo.encode())
    if pgconn.status == pq.ConnStatus.BAD:
        error = parse_libpq_error(pgconn.get_error_message())
        pgconn.finish()
        return Handshake(False, {}, Phase.TCP, error, config_error=True)
    verbose = enable_verbose_errors(pgconn)
    phases: dict[Phase, float] = {}
    phase, mark = Phase.TCP, start

    def enter(new: Phase, at: float) -> None:
        nonlocal phase, mark
        phases[phase] = phases.get(phase, 0.0) + (at - mark)
        phase, mark = new, at
        if on_phase is not None:
            on_phase(new)

    if on_phase is not None:
        on_phase(Phase.TCP)
    poll: int = pq.PollingStatus.WRITING
    try:
        while True:
            if poll == pq.PollingStatus.OK:
                enter(Phase.QUERY, clock())
                return Handshake(True, phases, verbose=verbose, pgconn=pgconn)
            if poll == pq.PollingStatus.FAILED:
                failed = phase
                enter(phase, clock())
                raw = pgconn.get_error_message()
                pgconn.finish()
                return Handshake(
                    False, phases, failed, parse_libpq_error(raw), verbose=verbose, raw=raw
                )
            left = end - clock()
            if left <= 0:
                failed = phase
                enter(phase, clock())
                pgconn.finish()
                return Handshake(
                    False,
                    phases,
                    failed,
                    ParsedError(None, f"timeout expired after {timeout:.1f} s"),
                    timed_out=True,
                    verbose=verbose,
                )
            fd = pgconn.socket
            if poll == pq.PollingStatus.READING:
                ready = bool(select.select([fd], [], [], left)[0])
            else:
                ready = bool(select.select([], [fd], [], left)[1])
            if not ready:
                continue
            now = clock()
            answered = (
                poll == pq.PollingStatus.READING
                and phase is Phase.STARTUP
                and pgconn.status == pq.ConnStatus.AWAITING_RESPONSE
            )
            poll = pgconn.connect_poll()
            if poll == pq.PollingStatus.FAILED:
                continue
            if phase is Phase.TCP and pgconn.status != pq.ConnStatus.STARTED:
                enter(Phase.STARTUP, now)
            elif answered:
                # The server's first answer to the startup packet: from here on it is the
                # authentication exchange (and the backend's own start).
                enter(Phase.AUTH, now)
    except BaseException:
        pgconn.finish()
        raise


@dataclass(frozen=True)
class QueryResult:
    ok: bool
    rows: tuple[tuple[str | None, ...], ...] = ()
    error: ParsedError | None = None
    timed_out: bool = False


def query(pgconn: Any, sql: str, timeout: float, *, clock: Clock = time.monotonic) -> QueryResult:
    """Run ``sql`` (one or more statements) under a client-side timeout; rows of the last result."""
    from psycopg import OperationalError, pq

    end = clock() + timeout
    rows: tuple[tuple[str | None, ...], ...] = ()
    try:
        pgconn.send_query(sql.encode())
        while True:
            while pgconn.is_busy():
                left = end - clock()
                if left <= 0:
                    return QueryResult(
                        False,
                        timed_out=True,
                        error=ParsedError(None, f"no answer to the query within {timeout:.1f} s"),
                    )
                if select.select([pgconn.socket], [], [], left)[0]:
                    pgconn.consume_input()
            res = pgconn.get_result()
            if res is None:
                return QueryResult(True, rows)
            if res.status == pq.ExecStatus.FATAL_ERROR:
                state = res.error_field(pq.DiagnosticField.SQLSTATE)
                message = res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b""
                # Drain the remaining results so the connection could be closed cleanly.
                while pgconn.get_result() is not None:
                    pass
                return QueryResult(
                    False,
                    error=ParsedError(
                        state.decode() if state else None, message.decode("utf-8", "replace")
                    ),
                )
            if res.status == pq.ExecStatus.TUPLES_OK:
                rows = tuple(
                    tuple(
                        None
                        if (v := res.get_value(r, c)) is None
                        else bytes(v).decode("utf-8", "replace")
                        for c in range(res.nfields)
                    )
                    for r in range(res.ntuples)
                )
    except OperationalError:
        return QueryResult(
            False, error=parse_libpq_error(pgconn.get_error_message() or "connection lost")
        )
