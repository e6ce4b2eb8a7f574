"""Fixtures for the database tests: real PostgreSQL clusters and PgBouncer on 127.0.0.1.

Without PostgreSQL (or PgBouncer) the tests are skipped on a developer machine and *fail* in CI
(``CI=true``): a database check that did not run must never look like one that passed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing_servers import PgBouncer, PgFactory, PgServer, Unavailable, pgbouncer_bin
from tests.conftest import require


def unavailable(reason: str) -> None:
    require(False, f"database tests: {reason}")


@pytest.fixture(autouse=True)
def _no_ambient_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # The probe reads DATABASE_URL and libpq reads PG*: the developer's own must not leak in.
    for name in (
        "DATABASE_URL",
        "PGPASSWORD",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGSSLMODE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[PgFactory]:
    try:
        factory = PgFactory()
    except Unavailable as exc:
        unavailable(str(exc))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def pg(pg_factory: PgFactory) -> PgServer:
    """A running server shared by the tests that do not change it."""
    server = pg_factory.new()
    server.start()
    return server


@pytest.fixture
def fresh(pg_factory: PgFactory) -> Iterator[PgServer]:
    """A cluster of its own, not started: the test decides when (and how) it runs."""
    server = pg_factory.new()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def behind_pooler(pg_factory: PgFactory) -> PgServer:
    """A server that the pooler tests stop and start."""
    return pg_factory.new()


@pytest.fixture(scope="session")
def pgbouncer(pg_factory: PgFactory, pg: PgServer, behind_pooler: PgServer) -> Iterator[PgBouncer]:
    try:
        pgbouncer_bin()
    except Unavailable as exc:
        unavailable(str(exc))
    bouncer = PgBouncer(
        pg_factory.run_as,
        pg_factory.base,
        {"main": pg.port, "flaky": behind_pooler.port, "cold": behind_pooler.port},
    )
    try:
        yield bouncer
    finally:
        bouncer.close()
