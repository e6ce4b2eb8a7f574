"""The start-up log classifier, on lines as the launchers really print them."""

from __future__ import annotations

import pytest

from jyoti_doctor.serve.logscan import EventKind, scan

UVICORN_LIFESPAN = """\
INFO:     Started server process [4242]
INFO:     Waiting for application startup.
ERROR:    Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/starlette/routing.py", line 694, in lifespan
    async with self.lifespan_context(app) as maybe_state:
  File "/srv/app/main.py", line 12, in lifespan
    raise RuntimeError("cache warm-up failed")
RuntimeError: cache warm-up failed

ERROR:    Application startup failed. Exiting.
"""

GUNICORN_WORKER = """\
[2026-12-01 10:00:00 +0000] [100] [INFO] Starting gunicorn 23.0.0
[2026-12-01 10:00:00 +0000] [100] [INFO] Listening at: http://127.0.0.1:8000 (100)
[2026-12-01 10:00:00 +0000] [101] [INFO] Booting worker with pid: 101
[2026-12-01 10:00:01 +0000] [101] [ERROR] Exception in worker process
Traceback (most recent call last):
  File "/srv/app.py", line 3, in <module>
    import missing_dep
ModuleNotFoundError: No module named 'missing_dep'
[2026-12-01 10:00:01 +0000] [101] [INFO] Worker exiting (pid: 101)
[2026-12-01 10:00:01 +0000] [100] [ERROR] Worker (pid:101) exited with code 3
[2026-12-01 10:00:01 +0000] [100] [ERROR] Shutting down: Master
[2026-12-01 10:00:01 +0000] [100] [ERROR] Reason: Worker failed to boot.
"""


def kinds(text: str) -> list[EventKind]:
    return [e.kind for e in scan(text.splitlines())]


def test_uvicorn_lifespan_failure_keeps_the_exception_and_its_frame() -> None:
    events = scan(UVICORN_LIFESPAN.splitlines())
    assert [e.kind for e in events] == [EventKind.TRACEBACK, EventKind.STARTUP_FAILED]
    tb = events[0]
    assert tb.exc_type == "RuntimeError" and tb.text == "RuntimeError: cache warm-up failed"
    assert tb.frame == "/srv/app/main.py:12" and tb.line == 3


def test_gunicorn_worker_boot_import_error_and_deaths() -> None:
    events = scan(GUNICORN_WORKER.splitlines())
    assert [e.kind for e in events] == [
        EventKind.LISTENING,
        EventKind.WORKER_BOOT,
        EventKind.NOTICE,
        EventKind.IMPORT_ERROR,
        EventKind.WORKER_DIED,
        EventKind.WORKER_DIED,
        EventKind.NOTICE,
        EventKind.WORKER_DIED,
    ]
    assert events[1].subject == "101"
    assert events[3].subject == "missing_dep" and events[3].frame == "/srv/app.py:3"


@pytest.mark.parametrize(
    ("line", "subject"),
    [
        (
            "ERROR:jyotiflow:Failed to register missing endpoints: No module named 'backend'",
            "backend",
        ),
        (
            "WARNING payments disabled: cannot import name 'charge' from 'app.billing'",
            "app.billing.charge",
        ),
        (
            "error: attempted relative import with no known parent package",
            "attempted relative import with no known parent package",
        ),
    ],
)
def test_import_errors_caught_and_logged_by_the_app(line: str, subject: str) -> None:
    (event,) = scan([line])
    assert event.kind is EventKind.IMPORT_ERROR and event.subject == subject


@pytest.mark.parametrize(
    "line",
    [
        (
            "ERROR:app.db:psycopg.OperationalError: connection failed: FATAL:  password "
            'authentication failed for user "app"'
        ),
        'sqlalchemy.exc.OperationalError: could not translate host name "db" to address',
    ],
)
def test_database_failures(line: str) -> None:
    assert kinds(line) == [EventKind.DATABASE]


@pytest.mark.parametrize(
    "line",
    [
        "INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)",
        "INFO:     Application startup complete.",
        "some request log: GET /health 200",
        "DEBUG: No module named here",  # not an import error text: no quotes
    ],
)
def test_quiet_lines_are_not_problems(line: str) -> None:
    assert all(k is EventKind.LISTENING for k in kinds(line))


def test_address_in_use() -> None:
    line = "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use"
    assert kinds(line) == [EventKind.ADDRESS_IN_USE]


def test_a_traceback_after_a_failed_request_belongs_to_the_request() -> None:
    log = """\
INFO:     Application startup complete.
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "/srv/routers/health.py", line 9, in health
    return {"db": pool.ping()}
AttributeError: 'NoneType' object has no attribute 'ping'
Traceback (most recent call last):
  File "/srv/main.py", line 3, in <module>
ValueError: a later, unrelated one
"""
    events = scan(log.splitlines())
    assert [e.kind for e in events] == [
        EventKind.REQUEST_ERROR,
        EventKind.REQUEST_ERROR,
        EventKind.TRACEBACK,
    ]
    assert events[1].exc_type == "AttributeError" and events[1].frame == "/srv/routers/health.py:9"
