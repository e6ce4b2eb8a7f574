"""Multi-host URLs against real servers: hosts tried in order, as libpq and psycopg try them."""

from __future__ import annotations

from typing import Any

import pytest

from jyoti_doctor.db.probe import probe_db
from jyoti_doctor.db.report import build_report
from jyoti_doctor.findings import ExitCode, Report
from testing_servers import HOST, PASSWORD, PgServer, free_port, wait_port

pytestmark = pytest.mark.db


def multi(hosts: list[str], dbname: str = "appdb", **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"postgresql://app:{PASSWORD}@{','.join(hosts)}/{dbname}" + (
        f"?{query}" if query else ""
    )


def hosts(report: Report) -> dict[str, str]:
    return {h["host"]: h["outcome"] for h in report.details["hosts"]}


def run(target: str, **kw: Any) -> Report:
    report = build_report(probe_db(target, **kw))
    assert PASSWORD not in repr(report)
    return report


def test_a_live_host_then_a_name_that_never_resolves(pg: PgServer) -> None:
    live = f"{HOST}:{pg.port}"
    report = run(multi([live, "nonexistent.invalid:5432"]), deadline=10)
    assert report.status is ExitCode.OK, report.findings
    assert hosts(report) == {
        live: "connected",
        "nonexistent.invalid:5432": "unknown-host (permanent)",
    }


def test_the_unresolvable_host_first_does_not_stop_the_probe(pg: PgServer) -> None:
    live = f"{HOST}:{pg.port}"
    report = run(multi(["nonexistent.invalid:5432", live]), deadline=10)
    assert report.status is ExitCode.OK, report.findings
    assert hosts(report)[live] == "connected"
    assert report.panel is not None
    assert any(line.label == "hosts" for line in report.panel.lines)


def test_a_refusing_host_is_skipped_and_shown(pg: PgServer) -> None:
    dead = f"{HOST}:{free_port()}"
    live = f"{HOST}:{pg.port}"
    report = run(multi([dead, live]), deadline=10)
    assert report.status is ExitCode.OK, report.findings
    # libpq forgets why it skipped a host once another accepts: no guessed reason is shown.
    assert hosts(report) == {dead: "not used (libpq settled on another host)", live: "connected"}
    report = run(multi([dead]), deadline=0.5)
    assert hosts(report) == {dead: "refused (transient)"}


def test_not_permanent_while_one_host_may_still_come_up() -> None:
    # A wrong name and a port nobody listens on yet: the second may start, so wait, don't give up.
    dead = f"{HOST}:{free_port()}"
    report = run(multi(["nonexistent.invalid:5432", dead]), deadline=1.5)
    assert report.status is ExitCode.DB_NOT_READY, report.findings
    assert hosts(report) == {
        "nonexistent.invalid:5432": "unknown-host (permanent)",
        dead: "refused (transient)",
    }


def test_permanent_only_when_every_host_failed_for_good(pg: PgServer) -> None:
    report = run(multi(["one.invalid:5432", "two.invalid:5432"]), deadline=10)
    assert report.status is ExitCode.DB_REFUSED
    assert set(hosts(report).values()) == {"unknown-host (permanent)"}
    # Every host answered, each for good: a missing database on both.
    report = run(multi([f"{HOST}:{pg.port}", f"localhost:{pg.port}"], dbname="nodb"), deadline=10)
    assert report.status is ExitCode.DB_REFUSED
    assert report.details["reason"] == "no-database"


def test_target_session_attrs_skips_a_standby(pg: PgServer, fresh: PgServer) -> None:
    fresh.make_standby()
    fresh.settings["hot_standby"] = "on"
    fresh.start(wait=False)
    wait_port(fresh.port)
    standby, primary = f"{HOST}:{fresh.port}", f"{HOST}:{pg.port}"
    report = run(multi([standby, primary], target_session_attrs="read-write"), deadline=15)
    assert report.status is ExitCode.OK, report.findings
    assert report.details["server"]["in_recovery"] is False
    # Only a standby, and a primary is asked for: not ready (it may be promoted), never refused.
    report = run(multi([standby], target_session_attrs="primary"), deadline=2)
    assert report.status is ExitCode.DB_NOT_READY
    assert report.details["reason"] == "session-mismatch"


def test_load_balance_hosts_reaches_the_live_host(pg: PgServer) -> None:
    dead = f"{HOST}:{free_port()}"
    live = f"{HOST}:{pg.port}"
    for _ in range(3):  # random order: whichever comes first, the live host is reached
        report = run(multi([dead, live], load_balance_hosts="random"), deadline=10)
        assert report.status is ExitCode.OK, report.findings
        assert hosts(report)[live] == "connected"


def test_keyword_form_with_a_port_per_host(pg: PgServer) -> None:
    dead = free_port()
    conninfo = (
        f"host=nonexistent.invalid,{HOST},{HOST} port=5432,{dead},{pg.port} "
        f"user=app password={PASSWORD} dbname=appdb"
    )
    report = run(conninfo, deadline=10)
    assert report.status is ExitCode.OK, report.findings
    assert list(hosts(report)) == [
        "nonexistent.invalid:5432",
        f"{HOST}:{dead}",
        f"{HOST}:{pg.port}",
    ]
    assert hosts(report)[f"{HOST}:{pg.port}"] == "connected"
