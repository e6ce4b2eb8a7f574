"""probe-db against real servers: every scenario of the issue, each password-checked in every format."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

# Loaded here, not by the first probe: the timed probes below measure the probe, not an import.
import psycopg
import pytest

from jyoti_doctor.db.probe import ProbeEvent, probe_db
from jyoti_doctor.db.report import build_report
from jyoti_doctor.findings import ExitCode, Report
from jyoti_doctor.report import OutputFormat, emit
from testing_servers import (
    PASSWORD,
    BlackHole,
    HoldingProxy,
    PgBouncer,
    PgServer,
    StrictHttp,
    free_port,
    hold_connections,
    url,
    wait_port,
)

pytestmark = pytest.mark.db


def every_output(report: Report, events: list[ProbeEvent] | None = None) -> str:
    """The report in all three formats, the final panel, and the live-view events."""
    chunks = []
    for fmt in OutputFormat:
        buf = io.StringIO()
        emit(report, fmt, stream=buf, color=False)
        chunks.append(buf.getvalue())
    # The panel is drawn by the rich format above; its typed lines are checked too.
    assert report.panel is not None
    chunks.extend(f"{line.label}: {line.value}" for line in report.panel.lines)
    chunks.extend(repr(e) for e in events or ())
    return "\n".join(chunks)


def probe(target: str, **kw: Any) -> tuple[Report, float, str]:
    events: list[ProbeEvent] = []
    began = time.monotonic()
    report = build_report(probe_db(target, on_event=events.append, **kw))
    took = time.monotonic() - began
    text = every_output(report, events)
    assert PASSWORD not in text
    return report, took, text


def attempts(report: Report, action: str | None = None) -> list[dict[str, Any]]:
    return [a for a in report.details["attempts"] if action is None or a["action"] == action]


def later(delay: float, func: Any) -> threading.Timer:
    timer = threading.Timer(delay, func)
    timer.daemon = True
    timer.start()
    return timer


def test_ready_server(pg: PgServer) -> None:
    report, _, text = probe(pg.url(), deadline=10)
    assert report.status is ExitCode.OK and report.exit_code() is ExitCode.OK
    assert (
        report.details["server"]["version"].startswith("15") or report.details["server"]["version"]
    )
    assert report.details["server"]["in_recovery"] is False
    assert report.details["server"]["behind_pooler"] is False
    assert set(report.details["timeline"]) == {"tcp", "tls/startup", "auth", "first query"}
    assert len(attempts(report, "handshake")) == 1
    assert "probe-db: READY" in text


# 1. Nothing listening, then a server starts.
def test_nothing_listening_then_server_starts(fresh: PgServer) -> None:
    later(2.0, lambda: fresh.start(wait=False))
    report, _, _ = probe(fresh.url(), deadline=15)
    assert report.status is ExitCode.OK, report.findings
    tcp = attempts(report, "tcp")
    assert tcp and all(a["reason"] == "refused" for a in tcp[:-1])
    assert tcp[-1]["ok"], "the TCP probe that found the port open"
    # TCP probes stood in for handshakes while the port refused.
    assert len(attempts(report, "handshake")) <= 3
    assert report.details["waited_on"]["refused"] > 1.0


# 2. A standby with hot_standby=off answers 57P03 until it is promoted.
def test_starting_up_until_promoted(fresh: PgServer) -> None:
    fresh.make_standby()
    fresh.start(wait=False)
    wait_port(fresh.port)
    later(2.5, fresh.promote)
    report, _, _ = probe(fresh.url(), deadline=15)
    assert report.status is ExitCode.OK, report.findings
    starting = [a for a in attempts(report) if a["reason"] == "starting-up"]
    assert starting, "the standby should have answered 'not accepting connections' first"
    # The SQLSTATE came from libpq's verbose error text: psycopg alone reports sqlstate=None.
    assert all(a["sqlstate"] == "57P03" for a in starting)
    assert report.details["verbose_errors"] is True
    assert report.details["server"]["in_recovery"] is False
    assert report.details["waited_on"]["starting-up"] > 1.5


def test_standby_in_recovery_is_reported(fresh: PgServer) -> None:
    fresh.make_standby()
    fresh.settings["hot_standby"] = "on"
    fresh.start(wait=False)
    wait_port(fresh.port)
    report, _, _ = probe(fresh.url(), deadline=10)
    assert report.status is ExitCode.OK
    assert [f.code for f in report.findings] == ["JD406"]
    assert report.exit_code() is ExitCode.FINDINGS  # a read-only database is a finding
    assert report.details["server"]["in_recovery"] is True


# 3. A proxy that accepts and holds the connection until the database is up.
def test_holding_proxy_forwards_once_database_is_up(fresh: PgServer) -> None:
    with HoldingProxy(fresh.port) as proxy:
        later(2.5, lambda: fresh.start(wait=False))
        report, _, _ = probe(url(proxy.port), deadline=15)
    assert report.status is ExitCode.OK, report.findings
    assert attempts(report, "tcp") == [], "the proxy accepted at once: no TCP probing"
    assert len(attempts(report, "handshake")) <= 3
    held = report.details["waited_on"]
    assert held.get("timeout", 0) + held.get("held", 0) > 1.5, held


# 4. A listener that accepts and never answers: exit 3 at the deadline, not later.
def test_black_hole_ends_at_the_deadline() -> None:
    with BlackHole() as hole:
        report, took, _ = probe(url(hole.port), deadline=3)
    assert report.status is ExitCode.DB_NOT_READY
    assert report.exit_code() is ExitCode.DB_NOT_READY
    assert report.details["reason"] == "timeout"
    assert 2.5 <= took <= 3.2, took
    assert [f.code for f in report.findings] == ["JD401"]
    # Growing per-attempt timeouts: 2 s, then the 1 s left.
    assert [a["timeout"] for a in attempts(report, "handshake")] == [
        2.0,
        pytest.approx(1.0, abs=0.05),
    ]


# 5. Permanent refusals: one attempt, exit 4, each with its own message.
@pytest.mark.parametrize(
    ("kw", "code", "reason", "sqlstate", "words"),
    [
        (
            {"password": "wrong-password"},
            "JD402",
            "auth-failed",
            "28P01",
            "password authentication failed",
        ),
        ({"dbname": "no_such_db"}, "JD403", "no-database", "3D000", "does not exist"),
        ({"user": "rejectme"}, "JD402", "hba-rejected", "28000", "pg_hba.conf"),
        ({"sslmode": "require"}, "JD402", "ssl-mismatch", None, "does not support SSL"),
    ],
)
def test_permanent_refusals_stop_after_one_attempt(
    pg: PgServer, kw: dict[str, str], code: str, reason: str, sqlstate: str | None, words: str
) -> None:
    report, took, text = probe(pg.url(**kw), deadline=10)
    assert report.status is ExitCode.DB_REFUSED and report.exit_code() is ExitCode.DB_REFUSED
    assert len(attempts(report, "handshake")) == 1
    assert took < 1.0
    (finding,) = report.findings
    assert finding.code == code
    assert words in finding.message
    assert report.details["reason"] == reason
    assert report.details["sqlstate"] == sqlstate
    assert finding.fix is not None and finding.fix.reason
    assert "wrong-password" not in text


def test_permanent_messages_are_distinct(pg: PgServer) -> None:
    messages = set()
    hints = set()
    for kw in (
        {"password": "nope"},
        {"dbname": "nodb"},
        {"user": "rejectme"},
        {"sslmode": "require"},
    ):
        report, _, _ = probe(pg.url(**kw), deadline=5)
        messages.add(report.findings[0].message)
        hints.add(report.details["hint"])
    assert len(messages) == 4 and len(hints) == 4


def test_retry_auth_retries_then_refuses(pg: PgServer) -> None:
    report, _, _ = probe(pg.url(password="nope"), deadline=20, retry_auth=2)
    assert report.status is ExitCode.DB_REFUSED
    assert len(attempts(report, "handshake")) == 3


# 6. max_connections exhausted: capacity, retried, then exit 3.
def test_full_server_is_capacity_and_retried(fresh: PgServer) -> None:
    fresh.settings.update(max_connections="3", superuser_reserved_connections="0")
    fresh.start()
    with hold_connections(fresh.port, 3):
        report, took, _ = probe(fresh.url(), deadline=3)
    assert report.status is ExitCode.DB_NOT_READY
    assert report.details["reason"] == "too-many-connections"
    assert report.details["kind"] == "capacity"
    assert report.details["sqlstate"] == "53300"
    assert len(attempts(report, "handshake")) >= 2
    assert took <= 3.2


# 7. An HTTP server on the port.
@pytest.mark.parametrize("sslmode", [None, "disable"])
def test_http_server_is_not_postgres(sslmode: str | None) -> None:
    with StrictHttp() as http:
        target = url(http.port, **({"sslmode": sslmode} if sslmode else {}))
        report, took, _ = probe(target, deadline=10)
    assert report.status is ExitCode.DB_REFUSED
    assert report.details["reason"] == "not-postgres"
    assert report.findings[0].code == "JD404"
    assert len(attempts(report, "handshake")) == 1
    assert took < 1.0


# 8. PgBouncer in transaction mode: in front of a stopped database, and of a running one.
def test_pooler_in_front_of_stopped_database(pgbouncer: PgBouncer, behind_pooler: PgServer) -> None:
    behind_pooler.start()
    # PgBouncer answers logins from its cached server parameters once a pool has been used.
    with psycopg.connect(pgbouncer.url("flaky"), prepare_threshold=None) as conn:
        conn.execute("SELECT 1")
    behind_pooler.stop()
    report, took, _ = probe(pgbouncer.url("flaky"), deadline=4, query_timeout=1.5)
    assert report.status is ExitCode.DB_NOT_READY
    assert report.details["reason"] in ("query-timeout", "query-failed")
    handshakes = attempts(report, "handshake")
    assert handshakes and all(a["phase"] == "first query" for a in handshakes)
    assert "pooler" in report.findings[0].fix.reason  # type: ignore[union-attr]
    assert took <= 4.2
    # The pooler is named, and neither a waking compute nor a firewall is blamed.
    message = report.findings[0].message
    assert "the pooler accepted the connection, but the database behind it did not answer" in (
        message
    )
    reason = report.findings[0].fix.reason or ""  # type: ignore[union-attr]
    assert "paused" in reason and "max_client_conn" in reason
    assert "Neon" not in reason and "firewall" not in reason
    assert report.details["pooler_down"]


def test_pooler_whose_database_never_answered(
    pgbouncer: PgBouncer, behind_pooler: PgServer
) -> None:
    # No pool was ever used: PgBouncer has no cached server parameters and must reach the
    # database to finish the login, so it reports its own error instead.
    behind_pooler.stop()
    report, _, _ = probe(pgbouncer.url("cold"), deadline=4, query_timeout=1.5)
    assert report.status in (ExitCode.DB_NOT_READY, ExitCode.DB_REFUSED), report.findings
    assert report.details["pooler_down"], report.details["attempts"]
    assert "database behind it did not answer" in report.findings[0].message
    reason = report.findings[0].fix.reason or ""  # type: ignore[union-attr]
    assert "firewall" not in reason and "compute" not in reason, reason
    assert report.panel is not None
    assert "firewall" not in " ".join(line.value for line in report.panel.lines)


def test_pooler_advice_when_database_is_up(pgbouncer: PgBouncer) -> None:
    report, _, _ = probe(pgbouncer.url("main"), deadline=10)
    assert report.status is ExitCode.OK, report.findings
    assert report.details["server"]["behind_pooler"] is True
    (advice,) = [f for f in report.findings if f.code == "JD405"]
    assert advice.severity.value == "info"
    assert "prepare_threshold=None" in (advice.fix.reason or "")  # type: ignore[union-attr]
    assert report.exit_code() is ExitCode.OK


# A deadline spent before the probe began (finding the connection string in a large tree, a
# loaded machine): a healthy server is still asked once, never declared "not ready" untried.
def test_a_deadline_spent_before_the_probe_still_asks_a_healthy_server(pg: PgServer) -> None:
    report, took, _ = probe(pg.url(), deadline=2, started=time.monotonic() - 5)
    assert report.status is ExitCode.OK, report.findings
    assert len(attempts(report, "handshake")) == 1
    assert report.details["late_start"] >= 5
    assert "the start took" in report.summary["deadline_exceeded"]
    assert took < 2.5, took  # one handshake's time at most


# 9. A host name that cannot resolve (decided locally: nothing leaves this machine).
def test_unknown_host() -> None:
    report, took, _ = probe(
        f"postgresql://app:{PASSWORD}@db.jyoti-doctor.invalid:5432/appdb", deadline=10
    )
    assert report.status is ExitCode.DB_REFUSED
    assert report.findings[0].code == "JD404"
    assert report.details["reason"] == "unknown-host"
    assert took < 0.5


def test_refused_port_is_probed_cheaply_until_deadline() -> None:
    port = free_port()
    report, took, _ = probe(url(port), deadline=2)
    assert report.status is ExitCode.DB_NOT_READY
    assert report.details["reason"] == "refused"
    assert len(attempts(report, "handshake")) == 1
    assert len(attempts(report, "tcp")) >= 5
    assert took <= 2.2, took  # the deadline, and a scheduling delay of a loaded machine
