"""``probe-db``: connect the way the application's startup would, and say why it cannot.

The probe resolves the host itself, then follows the schedule of :mod:`.policy`: cheap TCP probes
while the port refuses, full handshakes (timed per phase by :mod:`.libpq`) otherwise, and after a
successful login ``SELECT 1``, the server version and ``pg_is_in_recovery()`` under a client-side
timeout. Every attempt is recorded; the verdict is ready (0), not ready by the deadline (3) or
refused for good (4).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import UsageError
from ..masking import mask_text
from . import net
from .capacity import IN_USE_SQL, SLOTS_SQL, Capacity, CapacityCheck, Slots, parse_slots
from .classify import FailureKind, Reason, classify, classify_libpq_text, meaning, per_host
from .conninfo import Endpoint, RawUrl, Target, find_url, parse_target
from .hints import pooler_evidence
from .libpq import Phase
from .migrations import VERSION_SQL, AlembicProject, MigrationState, find_project
from .policy import (
    Action,
    Backoff,
    Outcome,
    ProbeSettings,
    Schedule,
    State,
    Step,
    advance,
    plan,
)

DNS_TIMEOUT = 5.0
# The longest a first handshake may run past a deadline that was used up before it.
FIRST_HANDSHAKE_CAP = 2.0
# Reasons --retry-auth may retry: a role or database that an init script is still creating.
AUTH_RETRYABLE = frozenset(
    {
        Reason.AUTH_FAILED,
        Reason.NO_ROLE,
        Reason.NO_DATABASE,
        Reason.HBA_REJECTED,
        Reason.NO_PRIVILEGE,
        Reason.TENANT_NOT_FOUND,
    }
)


class Verdict(StrEnum):
    READY = "ready"
    NOT_READY = "not ready"
    REFUSED = "refused"


@dataclass(frozen=True)
class HostOutcome:
    """What one host of a multi-host URL answered within one attempt."""

    host: str  # "host:port" as libpq names it
    reason: Reason | None  # None: connected
    message: str = ""  # masked


@dataclass(frozen=True)
class Attempt:
    """One thing the probe tried: a name lookup, a TCP probe, or a full connection."""

    number: int
    action: str  # "dns", "tcp" or "handshake"
    started: float  # seconds since the probe started
    duration: float
    timeout: float
    reason: Reason | None  # None: it worked
    message: str = ""  # masked
    sqlstate: str | None = None
    phase: Phase | None = None  # where it failed
    phases: dict[Phase, float] = field(default_factory=dict)
    host: str | None = None  # the endpoint a name lookup was for
    hosts: tuple[HostOutcome, ...] = ()  # per host, in the order libpq tried them

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def kind(self) -> FailureKind | None:
        return None if self.reason is None else meaning(self.reason).kind


@dataclass(frozen=True)
class Answer:
    """What one of the optional queries after the login returned (its failure is not fatal)."""

    rows: tuple[tuple[str | None, ...], ...] = ()
    error: str | None = None
    sqlstate: str | None = None


@dataclass(frozen=True)
class ServerInfo:
    version: str | None
    in_recovery: bool | None
    backend_pid: int | None  # the pid the connection announced (a pooler's own key)
    server_pid: int | None  # pg_backend_pid() as the server reports it
    answers: Mapping[str, Answer] = field(default_factory=dict)

    @property
    def behind_pooler(self) -> bool:
        return (
            self.backend_pid is not None
            and self.server_pid is not None
            and self.backend_pid != self.server_pid
        )


class EventKind(StrEnum):
    ATTEMPT = "attempt"  # an attempt begins
    PHASE = "phase"  # a handshake entered a phase
    RESULT = "result"  # an attempt ended
    WAIT = "wait"  # sleeping before the next attempt


@dataclass(frozen=True)
class ProbeEvent:
    """What the live view shows while the probe waits. Messages are already masked."""

    kind: EventKind
    elapsed: float
    deadline: float
    attempt: int = 0
    action: str | None = None
    phase: str | None = None
    reason: str | None = None
    failure_kind: str | None = None
    message: str | None = None
    next_in: float | None = None
    target: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    target: Target
    settings: ProbeSettings
    verdict: Verdict
    attempts: tuple[Attempt, ...]
    elapsed: float
    started_at: float  # wall clock (epoch seconds)
    reason: Reason | None = None
    message: str = ""
    sqlstate: str | None = None
    server: ServerInfo | None = None
    verbose_errors: bool = False
    slots: Slots | None = None  # the server's connection slots, read after the login
    capacity: CapacityCheck | None = None  # with --pool-size: do the pools fit?
    alembic: AlembicProject | None = None  # the project's migrations, read statically
    migrations: MigrationState | None = None  # the database's revision against the code's
    # Seconds from the deadline's start (the process's start, for the CLI) to the probe's.
    late_start: float = 0.0
    # The deadline was used up before the first handshake, which ran past it.
    past_deadline: bool = False

    @property
    def final(self) -> Attempt | None:
        """The successful attempt, or the last failed one."""
        return self.attempts[-1] if self.attempts else None

    @property
    def handshakes(self) -> int:
        return sum(1 for a in self.attempts if a.action == Action.HANDSHAKE)

    @property
    def tcp_probes(self) -> int:
        return sum(1 for a in self.attempts if a.action == Action.TCP)


@dataclass(frozen=True)
class ConnectResult:
    """A handshake plus the checks after it, as the probe loop sees it."""

    ok: bool
    phases: dict[Phase, float]
    reason: Reason | None = None
    failed_phase: Phase | None = None
    sqlstate: str | None = None
    message: str = ""
    config_error: bool = False
    verbose: bool = False
    server: ServerInfo | None = None
    hosts: tuple[HostOutcome, ...] = ()


def connect_and_check(
    conninfo: str,
    timeout: float,
    query_deadline: float,
    query_timeout: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    on_phase: Callable[[Phase], None] | None = None,
    keep: Callable[[Any], None] | None = None,
    extra: Mapping[str, str] | None = None,
) -> ConnectResult:
    """One full attempt against a real server: handshake, then the queries, then close (or,
    with ``keep``, hand a connection that passed every check to it instead of closing it)."""
    from . import libpq

    hs = libpq.handshake(conninfo, timeout, clock=clock, on_phase=on_phase)
    if not hs.ok:
        err = hs.error
        hosts: tuple[HostOutcome, ...] = ()
        if hs.timed_out:
            reason = Reason.TIMEOUT
        elif hs.raw:
            reason, err = classify_libpq_text(hs.raw)
            hosts = tuple(
                HostOutcome(name, why, parsed.message)
                for name, why, parsed in per_host(hs.raw)
                if name
            )
        else:
            reason = classify(err.sqlstate if err else None, err.message if err else "")
        return ConnectResult(
            False,
            hs.phases,
            reason,
            hs.failed_phase,
            err.sqlstate if err else None,
            err.message if err else "",
            hs.config_error,
            hs.verbose,
            hosts=hosts,
        )
    pgconn = hs.pgconn
    connected = _connected_host(pgconn)
    phases = dict(hs.phases)
    try:
        started = clock()
        budget = min(query_timeout, query_deadline - started)
        # statement_timeout goes through SET: transaction poolers reject the `options` startup
        # parameter, and the server-side limit backs up the client-side one.
        first = libpq.query(
            pgconn,
            f"SET statement_timeout = {max(1, int(query_timeout * 1000))}; SELECT 1",
            max(budget, 0.0),
            clock=clock,
        )
        info = None
        if first.ok:
            info = libpq.query(
                pgconn,
                "SELECT current_setting('server_version'), pg_is_in_recovery(), pg_backend_pid()",
                max(min(query_timeout, query_deadline - clock()), 0.0),
                clock=clock,
            )
        phases[Phase.QUERY] = clock() - started
        failed = first if not first.ok else info
        if failed is not None and not failed.ok:
            err = failed.error
            if failed.timed_out:
                reason = Reason.QUERY_TIMEOUT
            else:
                reason = classify(err.sqlstate if err else None, err.message if err else "")
                if reason in (Reason.UNKNOWN, Reason.CLOSED, Reason.POOLER_ERROR):
                    reason = Reason.QUERY_FAILED
            return ConnectResult(
                False,
                phases,
                reason,
                Phase.QUERY,
                err.sqlstate if err else None,
                err.message if err else "",
                verbose=hs.verbose,
                hosts=connected,
            )
        row = info.rows[0] if info and info.rows else (None, None, None)
        answers: dict[str, Answer] = {}
        for name, sql in (extra or {}).items():
            # Optional facts (capacity, migration state): a refusal is reported, not fatal.
            got = libpq.query(
                pgconn, sql, max(min(query_timeout, query_deadline - clock()), 0.0), clock=clock
            )
            if got.ok:
                answers[name] = Answer(got.rows)
            else:
                answers[name] = Answer(
                    error=got.error.message if got.error else "no answer",
                    sqlstate=got.error.sqlstate if got.error else None,
                )
        server = ServerInfo(
            version=row[0],
            in_recovery=None if row[1] is None else row[1] == "t",
            backend_pid=pgconn.backend_pid or None,
            server_pid=int(row[2]) if row[2] else None,
            answers=answers,
        )
        if keep is not None:
            keep(pgconn)
            pgconn = None
        return ConnectResult(True, phases, verbose=hs.verbose, server=server, hosts=connected)
    finally:
        if pgconn is not None:
            pgconn.finish()


def _connected_host(pgconn: Any) -> tuple[HostOutcome, ...]:
    """The host libpq settled on (after skipping the ones that failed), as ``host:port``."""
    try:
        host = pgconn.host.decode("utf-8", "replace")
        port = pgconn.port.decode("ascii", "replace")
    except Exception:  # noqa: BLE001 - a name is a nicety, never a reason to fail the probe
        return ()
    shown = f"[{host}]" if ":" in host and not host.startswith("/") else host
    return (HostOutcome(f"{shown}:{port}", None),)


def build_conninfo(target: Target, addresses: dict[Endpoint, tuple[str, ...]]) -> str:
    """The target's parameters with every host expanded to its resolved addresses (``hostaddr``)."""
    from psycopg.conninfo import make_conninfo

    params = dict(target.params)
    params.pop("connect_timeout", None)  # the probe enforces its own per-attempt timeout
    if any(not ep.is_socket for ep in target.endpoints):
        hosts: list[str] = []
        hostaddrs: list[str] = []
        ports: list[str] = []
        for ep in target.endpoints:
            if not ep.is_socket and not addresses.get(ep):
                # Its lookup failed (and was recorded): libpq skips such a host too, after a
                # blocking lookup of its own that no timeout bounds.
                continue
            for addr in addresses.get(ep, ()) or ("",):
                hosts.append(ep.host or "")
                hostaddrs.append(addr)
                ports.append(str(ep.port))
        params.update(host=",".join(hosts), hostaddr=",".join(hostaddrs), port=",".join(ports))
    return make_conninfo("", **params)


@dataclass(frozen=True)
class ProbeIO:
    """Everything the probe does to the outside world, replaceable in tests of the loop."""

    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    resolve: Callable[[str, int, float], net.Resolved] = net.resolve
    tcp: Callable[..., net.TcpResult] = net.tcp_probe
    connect: Callable[..., ConnectResult] = connect_and_check
    conninfo: Callable[[Target, dict[Endpoint, tuple[str, ...]]], str] = build_conninfo


class _Stop(Exception):
    def __init__(self, verdict: Verdict, attempt: Attempt | None) -> None:
        self.verdict = verdict
        self.attempt = attempt


def run_probe(
    target: Target,
    settings: ProbeSettings,
    *,
    io: ProbeIO | None = None,
    on_event: Callable[[ProbeEvent], None] | None = None,
    started: float | None = None,
    reserve: float = 0.0,
    extra: Mapping[str, str] | None = None,
) -> ProbeResult:
    """Probe until ready, refused, or ``settings.deadline`` after ``started`` (default: now),
    leaving ``reserve`` seconds for what follows (the report, the exit)."""
    io = io or ProbeIO()
    schedule = Schedule(fixed_handshake_timeout=settings.connect_timeout)
    start = io.clock() if started is None else min(started, io.clock())
    started_at = io.wall() - (io.clock() - start)
    end = start + settings.deadline - reserve
    # A verdict needs an attempt. When what ran before the probe (finding the connection
    # string in a large tree, a slow start on a loaded machine) or a slow lookup of the hosts
    # used up the deadline, the first handshake still runs, with the time it would have had
    # (no more than the deadline itself or 2 s); the report says the deadline was exceeded.
    late = io.clock() - start
    handshake = (
        schedule.fixed_handshake_timeout
        if schedule.fixed_handshake_timeout is not None
        else schedule.handshake_timeout.at(0)
    )
    first = max(min(settings.deadline, handshake, FIRST_HANDSHAKE_CAP), schedule.min_handshake)
    extended = end - io.clock() < schedule.min_handshake
    if extended:
        end = io.clock() + first  # the host lookup gets that time too
    attempts: list[Attempt] = []
    server: ServerInfo | None = None
    verbose = False

    def emit(kind: EventKind, **kw: Any) -> None:
        if on_event is not None:
            on_event(
                ProbeEvent(kind, io.clock() - start, settings.deadline, target=target.display, **kw)
            )

    def record(
        action: str, began: float, timeout: float, reason: Reason | None, **kw: Any
    ) -> Attempt:
        message = mask_text(kw.pop("message", "") or "", target.secrets)
        attempt = Attempt(
            len(attempts) + 1,
            action,
            began - start,
            io.clock() - began,
            timeout,
            reason,
            message,
            **kw,
        )
        attempts.append(attempt)
        emit(
            EventKind.RESULT,
            attempt=attempt.number,
            action=action,
            reason=reason.value if reason else None,
            failure_kind=attempt.kind.value if attempt.kind else None,
            message=message or None,
        )
        return attempt

    def result(verdict: Verdict, last: Attempt | None) -> ProbeResult:
        return ProbeResult(
            target,
            settings,
            verdict,
            tuple(attempts),
            io.clock() - start,
            started_at,
            reason=last.reason if last else None,
            message=last.message if last else "",
            sqlstate=last.sqlstate if last else None,
            server=server,
            verbose_errors=verbose,
            late_start=late,
            past_deadline=extended,
        )

    try:
        addresses = _resolve_all(target, io, schedule, start, end, record, emit)
    except _Stop as stop:
        return result(stop.verdict, stop.attempt)

    conninfo = io.conninfo(target, addresses)
    tcp_addresses = tuple(
        (a, ep.port) for ep in target.endpoints if not ep.is_socket for a in addresses.get(ep, ())
    )
    socket_path = next(
        (
            os.path.join(ep.host, f".s.PGSQL.{ep.port}")
            for ep in target.endpoints
            if ep.is_socket and ep.host and ep.host.startswith("/")
        ),
        None,
    )
    can_tcp_probe = bool(tcp_addresses) or socket_path is not None
    state = State()
    auth_retries = 0
    last: Attempt | None = None
    while True:
        now = io.clock()
        step = plan(schedule, state, now, end, io.rng, can_tcp_probe=can_tcp_probe)
        if step is None and not any(a.action == Action.HANDSHAKE for a in attempts):
            step = Step(Action.HANDSHAKE, 0.0, min(first, handshake))
            end = max(end, now + first)
            extended = True
        if step is None:
            return result(Verdict.NOT_READY, last)
        if step.wait > 0:
            emit(
                EventKind.WAIT,
                next_in=step.wait,
                reason=last.reason.value if last and last.reason else None,
            )
            io.sleep(step.wait)
        began = io.clock()
        number = len(attempts) + 1
        emit(EventKind.ATTEMPT, attempt=number, action=step.action.value)
        if step.action is Action.TCP:
            tcp = io.tcp(tcp_addresses, step.timeout, socket_path=socket_path)
            if tcp.open:
                last = record(Action.TCP, began, step.timeout, None)
                state = advance(state, Outcome.PORT_OPEN)
                continue
            reason = Reason.TIMEOUT if tcp.timed_out else classify(None, tcp.message, tcp.errno)
            last = record(
                Action.TCP, began, step.timeout, reason, message=tcp.message, phase=Phase.TCP
            )
        else:

            def on_phase(phase: Phase, number: int = number) -> None:
                emit(
                    EventKind.PHASE,
                    attempt=number,
                    action=Action.HANDSHAKE.value,
                    phase=phase.value,
                )

            res = io.connect(
                conninfo,
                step.timeout,
                end,
                settings.query_timeout,
                clock=io.clock,
                on_phase=on_phase,
                extra=extra,
            )
            verbose = verbose or res.verbose
            if res.config_error:
                raise UsageError(
                    f"libpq rejected the connection parameters of {target.display}: "
                    f"{mask_text(res.message, target.secrets)}"
                )
            last = record(
                Action.HANDSHAKE,
                began,
                step.timeout,
                res.reason if not res.ok else None,
                message=res.message,
                sqlstate=res.sqlstate,
                phase=res.failed_phase,
                phases=res.phases,
                hosts=tuple(
                    HostOutcome(h.host, h.reason, mask_text(h.message, target.secrets))
                    for h in res.hosts
                ),
            )
            if res.ok:
                server = res.server
                return result(Verdict.READY, last)
            reason = res.reason or Reason.UNKNOWN
        kind = meaning(reason).kind
        if (
            kind is FailureKind.PERMANENT
            and reason in AUTH_RETRYABLE
            and auth_retries < settings.retry_auth
        ):
            auth_retries += 1
            state = advance(state, Outcome.CAPACITY)
        elif kind in (FailureKind.PERMANENT, FailureKind.CIRCUIT_BREAKER):
            return result(Verdict.REFUSED, last)
        elif kind is FailureKind.CAPACITY:
            state = advance(state, Outcome.CAPACITY)
        elif reason is Reason.REFUSED:
            state = advance(state, Outcome.REFUSED)
        elif reason is Reason.TIMEOUT:
            state = advance(
                state, Outcome.TCP_TIMEOUT if step.action is Action.TCP else Outcome.TIMEOUT
            )
        else:
            state = advance(state, Outcome.TRANSIENT)


def _resolve_all(
    target: Target,
    io: ProbeIO,
    schedule: Schedule,
    start: float,
    end: float,
    record: Callable[..., Attempt],
    emit: Callable[..., None],
) -> dict[Endpoint, tuple[str, ...]]:
    """Resolve every TCP endpoint, the way libpq walks a multi-host URL.

    A host whose name fails is recorded and skipped, as libpq skips it; the probe stops for good
    only when no host is left to try and every failure was permanent. Temporary failures are
    retried until the deadline while no host at all is usable.
    """
    backoff: Backoff = schedule.transient_backoff
    addresses: dict[Endpoint, tuple[str, ...]] = {}
    pending: list[Endpoint] = []
    usable = False
    for ep in target.endpoints:
        if ep.hostaddr is not None:
            addresses[ep] = (ep.hostaddr,)
            usable = True
        elif ep.is_socket:
            usable = True
        else:
            pending.append(ep)
    failures = 0
    last: Attempt | None = None
    while pending:
        retry: list[Endpoint] = []
        for ep in pending:
            left = end - io.clock()
            if left < schedule.min_tcp:
                raise _Stop(Verdict.NOT_READY, last)
            timeout = min(DNS_TIMEOUT, left)
            began = io.clock()
            emit(EventKind.ATTEMPT, attempt=0, action="dns", phase=Phase.DNS.value)
            assert ep.host is not None
            found = io.resolve(ep.host, ep.port, timeout)
            if found.reason is None:
                if found.looked_up:
                    record(
                        "dns",
                        began,
                        timeout,
                        None,
                        phases={Phase.DNS: io.clock() - began},
                        host=str(ep),
                    )
                addresses[ep] = found.addresses
                usable = True
                continue
            last = record(
                "dns",
                began,
                timeout,
                found.reason,
                message=found.message,
                phase=Phase.DNS,
                host=str(ep),
            )
            if meaning(found.reason).kind is FailureKind.TRANSIENT:
                retry.append(ep)
        if usable:
            return addresses
        if not retry:
            raise _Stop(Verdict.REFUSED, last)
        pending = retry
        wait = backoff.delay(failures, io.rng)
        failures += 1
        if end - (io.clock() + wait) < schedule.min_tcp:
            raise _Stop(Verdict.NOT_READY, last)
        emit(
            EventKind.WAIT, next_in=wait, reason=last.reason.value if last and last.reason else None
        )
        io.sleep(wait)
    return addresses


def probe_db(
    url: str | None = None,
    *,
    raw: RawUrl | None = None,
    env_files: Sequence[Path] = (),
    project_dir: Path | None = None,
    config: Settings | None = None,
    deadline: float | None = None,
    connect_timeout: float | None = None,
    query_timeout: float | None = None,
    retry_auth: int | None = None,
    on_event: Callable[[ProbeEvent], None] | None = None,
    started: float | None = None,
    reserve: float = 0.0,
    capacity: Capacity | None = None,
) -> ProbeResult:
    """Probe the database named by ``raw`` (as :func:`~.conninfo.find_url` found it) or, without
    it, by ``url``, else ``DATABASE_URL``: environment, then ``.env``.

    ``started`` (on :func:`time.monotonic`) is when the deadline began, e.g. the process's start
    (:func:`.clock.process_started`); ``reserve`` is kept back for the report and the exit.
    Settings left ``None`` take :class:`~.policy.ProbeSettings`' defaults; ``db.report``
    turns the result into a report. A missing or malformed URL raises :class:`UsageError` with
    the password masked.
    """
    settings = ProbeSettings.of(
        deadline=deadline,
        connect_timeout=connect_timeout,
        query_timeout=query_timeout,
        retry_auth=retry_auth,
    )
    settings.validate()
    if raw is None:
        raw = find_url(url, env_files, project_dir, config=config)
    target = parse_target(raw)
    alembic = find_project(project_dir) if project_dir is not None else None
    extra = {"slots": SLOTS_SQL, "in_use": IN_USE_SQL}
    if alembic is not None:
        extra["alembic"] = VERSION_SQL
    result = run_probe(
        target, settings, on_event=on_event, started=started, reserve=reserve, extra=extra
    )
    return with_server_facts(result, capacity, alembic)


def with_server_facts(
    result: ProbeResult, capacity: Capacity | None, alembic: AlembicProject | None
) -> ProbeResult:
    """The result with what the optional queries said: connection slots, migration state."""
    server = result.server
    answers = server.answers if server is not None else {}
    slots = None
    if "slots" in answers:
        settings_row = answers["slots"].rows[0] if answers["slots"].rows else None
        in_use = answers.get("in_use", Answer())
        slots = parse_slots(settings_row, in_use.rows[0] if in_use.rows else None, in_use.error)
    check = None
    if capacity is not None and slots is not None and server is not None:
        pooled = server.behind_pooler or pooler_evidence(result.target, False) is not None
        check = CapacityCheck(capacity, slots, pooled)
    state = None
    if alembic is not None and "alembic" in answers:
        got = answers["alembic"]
        if got.error is None:
            revisions = tuple(r[0] for r in got.rows if r and r[0])
            state = MigrationState(alembic, revisions)
        else:
            # 42P01: no such table, so no migration ever ran against this database.
            state = MigrationState(alembic, None, error=got.error, no_table=got.sqlstate == "42P01")
    return replace(result, slots=slots, capacity=check, alembic=alembic, migrations=state)
