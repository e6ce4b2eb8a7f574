"""Connection capacity against a real server with max_connections=10, and the arithmetic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jyoti_doctor.db.capacity import Capacity, CapacityCheck, Slots
from jyoti_doctor.db.probe import probe_db
from jyoti_doctor.db.report import build_report
from jyoti_doctor.findings import ExitCode
from testing_servers import PgBouncer, PgFactory, PgServer, hold_connections


def test_the_arithmetic() -> None:
    slots = Slots(100, 3, 0, False, in_use=20)
    assert slots.usable == 97 and slots.free == 77
    assert CapacityCheck(Capacity(10, 4), slots, False).fits is True
    assert CapacityCheck(Capacity(10, 4), slots, False).fits_twice is False
    assert CapacityCheck(Capacity(10, 8), slots, False).fits is False
    unknown = Slots(100, 3, 0, False, in_use=None)
    assert CapacityCheck(Capacity(10, 4), unknown, False).fits is None
    assert CapacityCheck(Capacity(100, 1), unknown, False).fits is False  # never fits
    assert CapacityCheck(Capacity(10, 8), slots, True).fits is None  # a pooler decides
    assert Capacity.of(None, 4) is None and Capacity.of(5, None) == Capacity(5, 1)


@pytest.fixture(scope="module")
def small(pg_factory: PgFactory) -> Iterator[PgServer]:
    server = pg_factory.new(max_connections="10")
    server.start()
    yield server
    server.stop()


@pytest.mark.db
def test_a_pool_that_cannot_fit(small: PgServer) -> None:
    import psycopg

    # Two held by the app's role, one by another role that the app's role may not inspect.
    with (
        hold_connections(small.port, 2),
        psycopg.connect(small.url(user="postgres", dbname="postgres")),
    ):
        result = probe_db(small.url(), deadline=10, capacity=Capacity(pool_size=3, workers=2))
    report = build_report(result)
    assert report.status is ExitCode.OK  # the database is ready; the warning is a finding
    assert result.slots is not None
    assert result.slots.max_connections == 10 and result.slots.superuser_reserved == 3
    assert result.slots.in_use == 3  # the three held, not the probe's own connection
    (finding,) = [f for f in report.findings if f.code == "JD409"]
    assert "2 worker(s) x 3 connection(s) = 6 do not fit" in finding.message
    assert "only 4 of 10 slot(s) are free" in finding.message
    assert "53300" in (finding.fix.reason or "")  # type: ignore[union-attr]
    assert report.exit_code() is ExitCode.FINDINGS
    assert report.details["capacity"]["fits"] is False  # type: ignore[index]


@pytest.mark.db
def test_a_pool_that_fits_once_but_not_during_a_deploy(small: PgServer) -> None:
    result = probe_db(small.url(), deadline=10, capacity=Capacity(pool_size=2, workers=2))
    report = build_report(result)
    (finding,) = [f for f in report.findings if f.code == "JD409"]
    assert finding.severity.value == "info" and "overlapping deploy" in finding.message
    result = probe_db(small.url(), deadline=10, capacity=Capacity(pool_size=1, workers=2))
    assert not [f for f in build_report(result).findings if f.code == "JD409"]


@pytest.mark.db
def test_pool_size_from_the_config_and_flags(small: PgServer, tmp_path, runner) -> None:  # type: ignore[no-untyped-def]
    from jyoti_doctor.cli import app

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.jyoti-doctor.db]\npool-size = 4\nworkers = 2\n")
    result = runner.invoke(
        app, ["probe-db", "--url", small.url(), "--config", str(pyproject), "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    assert '"JD409"' in result.output and "2 worker(s) x 4" in result.output
    # The flag wins over the config.
    result = runner.invoke(
        app,
        [
            "probe-db",
            "--url",
            small.url(),
            "--config",
            str(pyproject),
            "--pool-size",
            "1",
            "--workers",
            "1",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["probe-db", "--url", small.url(), "--pool-size", "0"]).exit_code == 2


@pytest.mark.db
def test_behind_a_pooler_the_servers_slots_do_not_decide(pgbouncer: PgBouncer) -> None:
    result = probe_db(
        pgbouncer.url("main"), deadline=10, capacity=Capacity(pool_size=50, workers=8)
    )
    report = build_report(result)
    assert report.status is ExitCode.OK, report.findings
    (finding,) = [f for f in report.findings if f.code == "JD409"]
    assert finding.severity.value == "info" and "not checked" in finding.message
    reason = finding.fix.reason or ""  # type: ignore[union-attr]
    assert "max_client_conn" in reason and "prepared statements" in reason
    assert "advisory locks" in reason


def test_config_pool_size_must_be_positive(tmp_path, runner) -> None:  # type: ignore[no-untyped-def]
    from jyoti_doctor.cli import app

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.jyoti-doctor.db]\nworkers = 2\npool-size = 0\n")
    result = runner.invoke(
        app, ["probe-db", "--url", "postgresql://a@127.0.0.1:1/x", "--config", str(pyproject)]
    )
    assert result.exit_code == 2
    assert f"{pyproject}:3" in result.output and "`pool-size` must be an integer from 1" in (
        result.output
    )
