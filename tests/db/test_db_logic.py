"""Pure logic of the probe, without a server: the failure table, the schedule, the probe loop.

The loop is driven by a fake clock whose sleep advances time, so deadlines are checked exactly.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from jyoti_doctor.db.classify import (
    FailureKind,
    Reason,
    classify,
    classify_libpq_text,
    meaning,
    parse_libpq_error,
    per_host,
)
from jyoti_doctor.db.conninfo import Endpoint, Target
from jyoti_doctor.db.libpq import Phase
from jyoti_doctor.db.net import Resolved, TcpResult, resolve
from jyoti_doctor.db.policy import (
    Action,
    Backoff,
    Outcome,
    ProbeSettings,
    Schedule,
    State,
    advance,
    plan,
)
from jyoti_doctor.db.probe import ConnectResult, ProbeIO, Verdict, run_probe

# --- classification -------------------------------------------------------------------------

CASES = [
    # (sqlstate, message, errno) -> reason
    ("28P01", 'password authentication failed for user "app"', None, Reason.AUTH_FAILED),
    ("28000", 'pg_hba.conf rejects connection for host "1.2.3.4"', None, Reason.HBA_REJECTED),
    (
        "28000",
        'no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", no encryption',
        None,
        Reason.HBA_REJECTED,
    ),
    ("28000", 'role "ghost" does not exist', None, Reason.NO_ROLE),
    ("3D000", 'database "nodb" does not exist', None, Reason.NO_DATABASE),
    ("57P03", "the database system is starting up", None, Reason.STARTING_UP),
    ("57P03", "the database system is not accepting connections", None, Reason.STARTING_UP),
    ("57P01", "terminating connection due to administrator command", None, Reason.SHUTTING_DOWN),
    ("57P03", "the database system is shutting down", None, Reason.SHUTTING_DOWN),
    ("53300", "sorry, too many clients already", None, Reason.TOO_MANY_CONNECTIONS),
    (
        "53300",
        "remaining connection slots are reserved for roles with the SUPERUSER attribute",
        None,
        Reason.TOO_MANY_CONNECTIONS,
    ),
    (
        "08P01",
        "server login has been failing, try again later (server_login_retry)",
        None,
        Reason.POOLER_ERROR,
    ),
    ("08P01", "unsupported startup parameter: options", None, Reason.UNSUPPORTED_PARAMETER),
    ("08006", "connection failure", None, Reason.CLOSED),
    ("XX000", "Tenant or user not found", None, Reason.TENANT_NOT_FOUND),
    ("XX000", "(EMAXCONN) Max client connections reached", None, Reason.TOO_MANY_CONNECTIONS),
    ("XX000", "(ECIRCUITBREAKER) too many authentication errors", None, Reason.CIRCUIT_OPEN),
    # No SQLSTATE: libpq's prose.
    (None, "Connection refused", None, Reason.REFUSED),
    (None, "timeout expired", None, Reason.TIMEOUT),
    (None, "server closed the connection unexpectedly", None, Reason.CLOSED),
    (None, "server does not support SSL, but SSL was required", None, Reason.SSL_MISMATCH),
    (None, "received invalid response to SSL negotiation: H", None, Reason.NOT_POSTGRES),
    (
        None,
        "expected authentication request from server, but received H",
        None,
        Reason.NOT_POSTGRES,
    ),
    (
        None,
        'could not translate host name "x" to address: Name or service not known',
        None,
        Reason.UNKNOWN_HOST,
    ),
    (None, "Network is unreachable", None, Reason.NETWORK_UNREACHABLE),
    (None, "fe_sendauth: no password supplied", None, Reason.NO_PASSWORD),
    (None, "the database system is starting up", None, Reason.STARTING_UP),
    # errno only.
    (None, "", errno.ECONNREFUSED, Reason.REFUSED),
    (None, "", errno.ENETUNREACH, Reason.NETWORK_UNREACHABLE),
    (None, "", errno.EHOSTUNREACH, Reason.HOST_UNREACHABLE),
    (None, "something nobody has seen", None, Reason.UNKNOWN),
]


@pytest.mark.parametrize(("sqlstate", "message", "err", "reason"), CASES)
def test_classify(sqlstate: str | None, message: str, err: int | None, reason: Reason) -> None:
    assert classify(sqlstate, message, err) is reason


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (Reason.AUTH_FAILED, FailureKind.PERMANENT),
        (Reason.NO_DATABASE, FailureKind.PERMANENT),
        (Reason.UNKNOWN_HOST, FailureKind.PERMANENT),
        (Reason.NETWORK_UNREACHABLE, FailureKind.PERMANENT),
        (Reason.SSL_MISMATCH, FailureKind.PERMANENT),
        (Reason.NOT_POSTGRES, FailureKind.PERMANENT),
        (Reason.TENANT_NOT_FOUND, FailureKind.PERMANENT),
        (Reason.REFUSED, FailureKind.TRANSIENT),
        (Reason.TIMEOUT, FailureKind.TRANSIENT),
        (Reason.STARTING_UP, FailureKind.TRANSIENT),
        (Reason.POOLER_ERROR, FailureKind.TRANSIENT),
        (Reason.TOO_MANY_CONNECTIONS, FailureKind.CAPACITY),
        (Reason.CIRCUIT_OPEN, FailureKind.CIRCUIT_BREAKER),
    ],
)
def test_kinds_follow_the_spec(reason: Reason, kind: FailureKind) -> None:
    assert meaning(reason).kind is kind


def test_every_reason_has_a_meaning_with_a_known_code() -> None:
    from jyoti_doctor.rules import Rule

    for reason in Reason:
        m = meaning(reason)
        # A database verdict is reported under a database rule, documented on the database page.
        assert m.rule is Rule.from_code(m.rule.code) and m.rule.doc == "db.md"
        assert m.hint and m.title


def test_parse_verbose_error() -> None:
    text = (
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  28P01: password '
        'authentication failed for user "app"\nLOCATION:  auth_failed, auth.c:334\n'
    )
    parsed = parse_libpq_error(text)
    assert parsed.sqlstate == "28P01"
    assert parsed.message == 'password authentication failed for user "app"'


def test_parse_terse_error_keeps_detail_drops_libpq_advice() -> None:
    standby = (
        'connection to server at "127.0.0.1", port 1 failed: FATAL:  the database system is not '
        "accepting connections\nDETAIL:  Hot standby mode is disabled.\n"
    )
    assert parse_libpq_error(standby).message == (
        "the database system is not accepting connections Hot standby mode is disabled."
    )
    refused = (
        'connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server '
        "running on that host and accepting TCP/IP connections?\n"
    )
    assert parse_libpq_error(refused) == parse_libpq_error("Connection refused")


def test_one_unreachable_address_does_not_hide_a_refused_one() -> None:
    text = (
        'connection to server at "localhost" (::1), port 5432 failed: Cannot assign requested '
        "address\n\tIs the server running on that host and accepting TCP/IP connections?\n"
        'connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?\n"
    )
    assert classify_libpq_text(text)[0] is Reason.REFUSED
    only_v6 = text.split('connection to server at "localhost" (127')[0]
    assert classify_libpq_text(only_v6)[0] is Reason.NETWORK_UNREACHABLE
    # Two addresses of one host: the server that answered has the last word.
    server_said = (
        'connection to server at "a" (10.0.0.1), port 5432 failed: FATAL:  28P01: password '
        'authentication failed for user "u"\nconnection to server at "a" (10.0.0.2), port 5432 '
        "failed: Connection refused\n"
    )
    assert classify_libpq_text(server_said)[0] is Reason.AUTH_FAILED
    # Two hosts of a multi-host URL: the one still down may come up, and libpq would then use it.
    two_hosts = server_said.replace('"a" (10.0.0.2)', '"b" (10.0.0.2)')
    assert classify_libpq_text(two_hosts)[0] is Reason.REFUSED
    both_permanent = two_hosts.replace(
        "Connection refused", 'FATAL:  3D000: database "x" does not exist'
    )
    assert classify_libpq_text(both_permanent)[0] is Reason.AUTH_FAILED
    names = [name for name, _, _ in per_host(two_hosts)]
    assert names == ["a:5432 (10.0.0.1)", "b:5432 (10.0.0.2)"]


def test_invalid_names_fail_without_asking_a_resolver() -> None:
    found = resolve("db.example.invalid", 5432, 0.001)
    assert found.reason is Reason.UNKNOWN_HOST
    assert resolve("127.0.0.1", 5432, 1).addresses == ("127.0.0.1",)


# --- schedule --------------------------------------------------------------------------------


def test_backoff_is_capped_and_jitter_only_shortens() -> None:
    b = Backoff(base=0.5, cap=2.0, jitter=0.25)
    assert [b.delay(n, lambda: 0.0) for n in range(5)] == [0.5, 1.0, 2.0, 2.0, 2.0]
    assert b.delay(10, lambda: 1.0) == pytest.approx(1.5)
    assert b.delay(1000, lambda: 0.0) == 2.0


def test_plan_refused_switches_to_tcp_probes() -> None:
    s = Schedule()
    state = advance(State(), Outcome.REFUSED)
    step = plan(s, state, now=0.0, end=10.0, rng=lambda: 0.0)
    assert step is not None and step.action is Action.TCP and step.wait <= s.tcp_backoff.cap
    state = advance(state, Outcome.PORT_OPEN)
    step = plan(s, state, 0.0, 10.0, lambda: 0.0)
    assert step is not None and step.action is Action.HANDSHAKE and step.wait == 0.0
    # A server that has just opened its port gets one quick retry, then the normal pace.
    state = advance(state, Outcome.TRANSIENT)
    step = plan(s, state, 0.0, 10.0, lambda: 0.0)
    assert step is not None and step.wait == s.just_opened_retry
    state = advance(state, Outcome.TRANSIENT)
    step = plan(s, state, 0.0, 10.0, lambda: 0.0)
    assert step is not None and step.wait >= 1.0


def test_plan_without_tcp_probes_retries_a_refusal_with_handshakes() -> None:
    # A Unix socket given only as libpq's default cannot be TCP-probed: the refusal is retried
    # with a handshake, under the handshake's timeout and minimum, at the same quick pace.
    s = Schedule()
    state = advance(advance(State(), Outcome.TIMEOUT), Outcome.REFUSED)
    step = plan(s, state, 0.0, 100.0, lambda: 0.0, can_tcp_probe=False)
    assert step is not None and step.action is Action.HANDSHAKE
    assert step.timeout == s.handshake_timeout.at(1) and step.wait <= s.tcp_backoff.cap
    # Room for a TCP probe but not for a handshake: stop rather than start it.
    end = s.tcp_backoff.base + (s.min_tcp + s.min_handshake) / 2
    assert plan(s, state, 0.0, end, lambda: 0.0) is not None
    assert plan(s, state, 0.0, end, lambda: 0.0, can_tcp_probe=False) is None


def test_plan_timeouts_grow_and_are_clamped_to_time_left() -> None:
    s = Schedule()
    state = State()
    timeouts = []
    for _ in range(5):
        step = plan(s, state, 0.0, 100.0, lambda: 0.0)
        assert step is not None
        timeouts.append(step.timeout)
        state = advance(state, Outcome.TIMEOUT)
    assert timeouts == [2.0, 4.0, 8.0, 16.0, 30.0]
    step = plan(s, state, now=99.0, end=100.0, rng=lambda: 0.0)
    assert step is not None and step.timeout == 1.0


def test_plan_fixed_connect_timeout() -> None:
    s = Schedule(fixed_handshake_timeout=7.0)
    state = advance(advance(State(), Outcome.TIMEOUT), Outcome.TIMEOUT)
    step = plan(s, state, 0.0, 100.0, lambda: 0.0)
    assert step is not None and step.timeout == 7.0


def test_plan_never_starts_an_attempt_that_cannot_finish() -> None:
    s = Schedule()
    state = advance(State(), Outcome.CAPACITY)
    assert plan(s, state, now=9.5, end=10.0, rng=lambda: 0.0) is None  # 1 s wait > 0.5 s left
    assert plan(s, State(), now=9.9, end=10.0, rng=lambda: 0.0) is None  # < min_handshake left


# --- the loop, with a fake clock -------------------------------------------------------------


@dataclass
class Fake:
    """A scripted world: connect() and tcp() pop results; sleep() advances the clock."""

    connects: list[ConnectResult]
    tcps: list[TcpResult] = field(default_factory=list)
    now: float = 0.0
    connect_cost: float = 0.01
    calls: list[tuple[str, float]] = field(default_factory=list)
    tcp_targets: list[tuple[tuple[str, int], ...]] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def tcp(self, addresses: Any, timeout: float, **kw: Any) -> TcpResult:
        self.calls.append(("tcp", timeout))
        self.tcp_targets.append(tuple(addresses))
        result = (
            self.tcps.pop(0)
            if self.tcps
            else TcpResult(False, errno.ECONNREFUSED, "Connection refused")
        )
        self.now += timeout if result.timed_out else 0.001
        return result

    def connect(
        self, conninfo: str, timeout: float, end: float, qt: float, **kw: Any
    ) -> ConnectResult:
        self.calls.append(("handshake", timeout))
        result = self.connects.pop(0) if self.connects else TIMEOUT_RESULT
        self.now += timeout if result.reason is Reason.TIMEOUT else self.connect_cost
        return result

    def io(self) -> ProbeIO:
        return ProbeIO(
            clock=self.clock,
            wall=lambda: 0.0,
            sleep=self.sleep,
            rng=lambda: 0.5,
            resolve=lambda host, port, timeout: Resolved(("10.0.0.1",)),
            tcp=self.tcp,
            connect=self.connect,
            conninfo=lambda target, addresses: "host=x",
        )


TIMEOUT_RESULT = ConnectResult(
    False, {Phase.STARTUP: 1.0}, Reason.TIMEOUT, Phase.STARTUP, message="timeout"
)
OK = ConnectResult(True, {Phase.TCP: 0.001}, server=None)
REFUSED = ConnectResult(False, {}, Reason.REFUSED, Phase.TCP, message="Connection refused")
STARTING = ConnectResult(False, {}, Reason.STARTING_UP, Phase.STARTUP, "57P03", "starting up")
AUTH = ConnectResult(
    False, {}, Reason.AUTH_FAILED, Phase.AUTH, "28P01", "password authentication failed"
)
FULL = ConnectResult(
    False, {}, Reason.TOO_MANY_CONNECTIONS, Phase.AUTH, "53300", "too many clients"
)
TARGET = Target(
    {"host": "db.example.com"},
    "postgresql://u:********@db.example.com/d",
    "--url",
    None,
    (Endpoint("db.example.com", 5432),),
)


def run(fake: Fake, deadline: float = 10.0, **kw: Any) -> Any:
    return run_probe(TARGET, ProbeSettings(deadline=deadline, **kw), io=fake.io())


def test_loop_refused_then_tcp_open_then_ready() -> None:
    fake = Fake(
        [REFUSED, OK],
        tcps=[TcpResult(False, errno.ECONNREFUSED, "Connection refused")] * 3 + [TcpResult(True)],
    )
    result = run(fake)
    assert result.verdict is Verdict.READY
    assert [c[0] for c in fake.calls] == ["handshake", "tcp", "tcp", "tcp", "tcp", "handshake"]


def test_loop_permanent_stops_after_one_attempt() -> None:
    fake = Fake([AUTH, OK])
    result = run(fake)
    assert result.verdict is Verdict.REFUSED and result.reason is Reason.AUTH_FAILED
    assert len(fake.calls) == 1


def test_loop_retry_auth_is_opt_in_and_bounded() -> None:
    fake = Fake([AUTH, AUTH, OK])
    assert run(fake, retry_auth=2).verdict is Verdict.READY
    fake = Fake([AUTH, AUTH, AUTH, OK])
    assert run(fake, retry_auth=2).verdict is Verdict.REFUSED


@pytest.mark.parametrize("deadline", [0.5, 1.0, 3.0, 7.3, 20.0, 61.0])
@pytest.mark.parametrize("script", ["timeouts", "refused", "starting", "full"])
def test_loop_never_overruns_the_deadline(deadline: float, script: str) -> None:
    first = {"timeouts": TIMEOUT_RESULT, "refused": REFUSED, "starting": STARTING, "full": FULL}[
        script
    ]
    fake = Fake([first] * 1000)
    result = run(fake, deadline=deadline)
    assert result.verdict is Verdict.NOT_READY
    assert fake.now <= deadline + 1e-9
    # ...and does not give up long before it either.
    assert fake.now >= deadline - 8.0 * 1.0001


@pytest.mark.parametrize("deadline", [4.0, 10.0, 30.0])
def test_loop_handshake_rate_while_starting_up(deadline: float) -> None:
    fake = Fake([STARTING] * 1000)
    run(fake, deadline=deadline)
    handshakes = sum(1 for c in fake.calls if c[0] == "handshake")
    assert handshakes / deadline <= 1.0


def test_loop_uses_capacity_backoff() -> None:
    fake = Fake([FULL] * 1000)
    run(fake, deadline=30.0)
    handshakes = sum(1 for c in fake.calls if c[0] == "handshake")
    assert 3 <= handshakes <= 10


def test_loop_dns_failure_is_permanent_for_unknown_names() -> None:
    fake = Fake([OK])
    io = fake.io()
    io = ProbeIO(
        **{
            **io.__dict__,
            "resolve": lambda h, p, t: Resolved(reason=Reason.UNKNOWN_HOST, message="nope"),
        }
    )
    result = run_probe(TARGET, ProbeSettings(deadline=5), io=io)
    assert result.verdict is Verdict.REFUSED and fake.calls == []


def test_loop_dns_temporary_failure_is_retried_until_deadline() -> None:
    fake = Fake([OK])
    io = fake.io()
    io = ProbeIO(
        **{
            **io.__dict__,
            "resolve": lambda h, p, t: Resolved(reason=Reason.DNS_TEMPORARY, message="later"),
        }
    )
    result = run_probe(TARGET, ProbeSettings(deadline=5), io=io)
    assert result.verdict is Verdict.NOT_READY and fake.now <= 5
    assert len(result.attempts) >= 3


def test_the_probe_never_imports_its_report_not_even_inside_a_function() -> None:
    """report.py builds on probe.py; the reverse, even hidden in a function, would be a cycle."""
    import ast
    from pathlib import Path

    import jyoti_doctor.db as package

    root = Path(package.__file__).parent
    for core in ("probe.py", "policy.py", "classify.py", "net.py", "libpq.py", "conninfo.py"):
        tree = ast.parse((root / core).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[-1] not in {"report", "view", "cli"}, (core, name)


# --- several hosts: name lookups (the real-server side is in test_db_multihost.py) ----------


def _two_hosts() -> Target:
    return Target(
        params={"host": "a.example,b.example", "port": "5432,5433"},
        display="postgresql://app@a.example:5432,b.example:5433/app",
        source="--url",
        path=None,
        endpoints=(Endpoint("a.example", 5432), Endpoint("b.example", 5433)),
    )


def test_a_temporary_lookup_failure_of_one_host_does_not_hold_up_the_other() -> None:
    from jyoti_doctor.db.policy import ProbeSettings

    fake = Fake([OK])
    answers = {
        "a.example": Resolved(reason=Reason.DNS_TEMPORARY, message="Temporary failure"),
        "b.example": Resolved(("10.0.0.2",)),
    }
    seen: list[dict[Endpoint, tuple[str, ...]]] = []

    def conninfo(target: Target, addresses: dict[Endpoint, tuple[str, ...]]) -> str:
        seen.append(addresses)
        return "host=x"

    io = ProbeIO(
        clock=fake.clock,
        wall=lambda: 0.0,
        sleep=fake.sleep,
        rng=lambda: 0.5,
        resolve=lambda host, port, timeout: answers[host],
        tcp=fake.tcp,
        connect=fake.connect,
        conninfo=conninfo,
    )
    result = run_probe(_two_hosts(), ProbeSettings(deadline=10), io=io)
    assert result.verdict is Verdict.READY
    assert seen == [{Endpoint("b.example", 5433): ("10.0.0.2",)}]
    dns = [a for a in result.attempts if a.action == "dns"]
    assert [(a.host, a.reason) for a in dns] == [
        ("a.example:5432", Reason.DNS_TEMPORARY),
        ("b.example:5433", None),
    ]
    # TCP probes go to every resolved host with its own port.
    fake2 = Fake([REFUSED, OK], tcps=[TcpResult(True)])
    io2 = ProbeIO(
        clock=fake2.clock,
        sleep=fake2.sleep,
        rng=lambda: 0.5,
        resolve=lambda host, port, timeout: Resolved((f"10.0.0.{port - 5430}",)),
        tcp=fake2.tcp,
        connect=fake2.connect,
        conninfo=lambda target, addresses: "host=x",
    )
    assert run_probe(_two_hosts(), ProbeSettings(deadline=10), io=io2).verdict is Verdict.READY
    assert fake2.tcp_targets[0] == (("10.0.0.2", 5432), ("10.0.0.3", 5433))


def test_every_lookup_failing_for_good_is_refused_and_temporary_ones_are_retried() -> None:
    from jyoti_doctor.db.policy import ProbeSettings

    fake = Fake([])
    io = ProbeIO(
        clock=fake.clock,
        sleep=fake.sleep,
        rng=lambda: 0.5,
        resolve=lambda host, port, timeout: Resolved(reason=Reason.UNKNOWN_HOST, message="no"),
        tcp=fake.tcp,
        connect=fake.connect,
    )
    result = run_probe(_two_hosts(), ProbeSettings(deadline=10), io=io)
    assert result.verdict is Verdict.REFUSED and len(result.attempts) == 2
    calls = {"n": 0}

    def flaky(host: str, port: int, timeout: float) -> Resolved:
        calls["n"] += 1
        if host == "a.example" or calls["n"] < 5:
            return Resolved(reason=Reason.DNS_TEMPORARY, message="try again")
        return Resolved(("10.0.0.9",))

    fake = Fake([OK])
    io = ProbeIO(
        clock=fake.clock,
        sleep=fake.sleep,
        rng=lambda: 0.5,
        resolve=flaky,
        tcp=fake.tcp,
        connect=fake.connect,
        conninfo=lambda target, addresses: "host=x",
    )
    result = run_probe(_two_hosts(), ProbeSettings(deadline=30), io=io)
    assert result.verdict is Verdict.READY and calls["n"] >= 5


def _result(host: str, port: int, *attempts: tuple[Reason, Phase]) -> Any:
    from jyoti_doctor.db.policy import ProbeSettings
    from jyoti_doctor.db.probe import Attempt, ProbeResult

    target = Target(
        params={"host": host, "port": str(port)},
        display=f"postgresql://u@{host}:{port}/d",
        source="--url",
        path=None,
        endpoints=(Endpoint(host, port),),
    )
    tried = tuple(
        Attempt(i + 1, "handshake", float(i), 1.0, 2.0, reason, "", phase=phase)
        for i, (reason, phase) in enumerate(attempts)
    )
    return ProbeResult(
        target, ProbeSettings(), Verdict.NOT_READY, tried, 5.0, 0.0, reason=attempts[-1][0]
    )


def test_the_pooler_is_named_only_on_evidence() -> None:
    from jyoti_doctor.db.report import build_report, pooler_down

    supabase = _result(
        "aws-0-eu-west-1.pooler.supabase.com", 6543, (Reason.QUERY_TIMEOUT, Phase.QUERY)
    )
    signs = pooler_down(supabase)
    assert signs[0] == "the login succeeded but the first query got no answer"
    assert any("Supavisor" in s for s in signs) and any("6543" in s for s in signs)
    finding = build_report(supabase).findings[0]
    assert "the pooler accepted the connection" in finding.message
    assert "firewall" not in (finding.fix.reason or "")  # type: ignore[union-attr]
    # A login held after the startup answer, every time: a pooler waiting for its database...
    held = _result("db.internal", 5432, *[(Reason.TIMEOUT, Phase.AUTH)] * 3)
    assert pooler_down(held)
    # ...unless it is a Neon endpoint waking its compute, which keeps its own explanation.
    neon = _result("ep-cool-1.eu-central-1.aws.neon.tech", 5432, (Reason.TIMEOUT, Phase.AUTH))
    assert pooler_down(neon) == []
    assert "Neon" in (build_report(neon).findings[0].fix.reason or "")  # type: ignore[union-attr]
    # Nothing listening, or a timeout before any answer: no pooler is claimed.
    assert pooler_down(_result("db.internal", 6543, (Reason.REFUSED, Phase.TCP))) == []
    assert pooler_down(_result("db.internal", 5432, (Reason.TIMEOUT, Phase.STARTUP))) == []


def test_a_deadline_spent_before_the_probe_still_gets_one_attempt() -> None:
    """The process started 6 s ago with a 5 s deadline (finding the connection string in a large
    tree, a loaded machine): "not ready" would be claimed without asking. One attempt is made,
    with the first handshake's timeout, and the report says the deadline was exceeded."""
    from jyoti_doctor.db.policy import ProbeSettings
    from jyoti_doctor.db.report import build_report
    from jyoti_doctor.findings import ExitCode

    fake = Fake([OK])
    fake.now = 100.0
    result = run_probe(_two_hosts(), ProbeSettings(deadline=5), io=fake.io(), started=94.0)
    assert result.verdict is Verdict.READY, result
    assert fake.calls == [("handshake", 2.0)]
    assert result.late_start == pytest.approx(6.0)

    silent = Fake([])  # nothing answers: the attempt times out, and that is the evidence
    silent.now = 100.0
    result = run_probe(_two_hosts(), ProbeSettings(deadline=5), io=silent.io(), started=94.0)
    assert result.verdict is Verdict.NOT_READY
    assert silent.calls == [("handshake", 2.0)] and silent.now == pytest.approx(102.0)
    report = build_report(result)
    assert report.exit_code() is ExitCode.DB_NOT_READY
    assert "not ready after 8.0 s (1 connection attempt(s)" in report.findings[0].message
    assert report.summary["deadline_exceeded"].startswith(
        "the 5 s deadline was used up before the first handshake (the start took 6.00 s"
    )
    assert report.details["late_start"] == pytest.approx(6.0)
    assert report.details["past_deadline"] is True


def test_a_deadline_shorter_than_a_handshake_still_gets_one() -> None:
    from jyoti_doctor.db.policy import ProbeSettings

    fake = Fake([OK])
    fake.now = 100.0
    # 0.1 s is shorter than the shortest handshake the schedule plans (0.2 s).
    result = run_probe(_two_hosts(), ProbeSettings(deadline=0.1), io=fake.io(), started=100.0)
    assert result.verdict is Verdict.READY
    assert fake.calls == [("handshake", pytest.approx(0.2))]
    assert result.past_deadline and result.late_start == 0.0  # a short deadline, a quick start


def test_a_slow_host_lookup_still_leaves_one_handshake() -> None:
    """The lookup of two hosts takes 3 s of a 5 s deadline that started 1.9 s before the probe:
    nothing would be left for a handshake."""
    from jyoti_doctor.db.policy import ProbeSettings

    fake = Fake([OK])
    fake.now = 100.0
    io = fake.io()

    def slow_resolve(host: str, port: int, timeout: float) -> Resolved:
        fake.now += 1.5
        return Resolved(("10.0.0.1",))

    io = replace(io, resolve=slow_resolve)
    result = run_probe(_two_hosts(), ProbeSettings(deadline=5), io=io, started=98.1)
    assert result.verdict is Verdict.READY, result
    assert [c[0] for c in fake.calls] == ["handshake"]
    assert result.past_deadline
