"""What a server's own start-up log says: read line by line, classified by one table.

The launchers and frameworks print the events that matter in stable words: uvicorn's
``Application startup failed. Exiting.``, gunicorn's ``Booting worker with pid`` and
``Worker (pid:N) exited with code 3``, a Python traceback, an ``ImportError`` text that an
application caught and logged itself (``Failed to register missing endpoints: No module named
'backend'``). Each line is matched against :data:`PATTERNS`, top to bottom; a traceback is read
as one block so its last line (the exception) is kept with its innermost frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    LISTENING = "listening"  # the server says it accepts connections
    IMPORT_ERROR = "import-error"  # ImportError text, in a traceback or logged by the app
    TRACEBACK = "traceback"  # any other exception printed with its traceback
    LIFESPAN_FAILED = "lifespan-failed"  # the ASGI lifespan startup raised
    STARTUP_FAILED = "startup-failed"  # the server gave up ("Application startup failed")
    WORKER_BOOT = "worker-boot"  # gunicorn started a worker
    WORKER_DIED = "worker-died"  # a worker exited, failed to boot, timed out or was killed
    ADDRESS_IN_USE = "address-in-use"  # the port is taken
    DATABASE = "database"  # a database connection failure printed during start-up
    ERROR_LOGGED = "error-logged"  # an ERROR/CRITICAL line that matches nothing above
    # The server failed one request (``Exception in ASGI application``); the traceback that
    # follows is that request's, not the start-up's.
    REQUEST_ERROR = "request-error"
    NOTICE = "notice"  # the launcher's own framing of a failure shown elsewhere; not reported


@dataclass(frozen=True)
class Event:
    kind: EventKind
    line: int  # 1-based line of the combined log where the event starts
    text: str  # the line (or the exception line of a traceback), as printed
    # For IMPORT_ERROR: the missing module or the import that failed; for WORKER_*: the pid.
    subject: str | None = None
    # For tracebacks: the innermost frame ``file:line`` and the exception type.
    frame: str | None = None
    exc_type: str | None = None


_IMPORT_TEXT = re.compile(
    r"No module named '(?P<mod>[\w.]+)'"
    r"|cannot import name '(?P<name>\w+)' from '(?P<src>[\w.]+)'"
    r"|(?P<rel>attempted relative import (?:with no known parent package|beyond top-level package))"
)
_EXC_LINE = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Failure))(?::\s?(?P<msg>.*))?$"
)
_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+)')
_DB_MARKERS = re.compile(
    r"psycopg|asyncpg|sqlalchemy|OperationalError|postgres|connection to server|"
    r"password authentication failed|database \"[^\"]+\" does not exist|could not translate host",
    re.IGNORECASE,
)
_LEVEL = re.compile(r"\b(ERROR|CRITICAL)\b")

# (kind, pattern): the first that matches a line wins. Subject is the pattern's first group.
PATTERNS: tuple[tuple[EventKind, re.Pattern[str]], ...] = (
    (
        EventKind.STARTUP_FAILED,
        re.compile(r"Application startup failed|Lifespan failure in startup"),
    ),
    (
        EventKind.LIFESPAN_FAILED,
        re.compile(
            r"Exception in 'lifespan' protocol|ASGI Framework Lifespan error|lifespan.startup.failed"
        ),
    ),
    (
        EventKind.NOTICE,
        re.compile(r"Exception in worker process|Shutting down: Master|Handling signal: \w+"),
    ),
    (EventKind.WORKER_BOOT, re.compile(r"Booting worker with pid: (\d+)")),
    (
        EventKind.WORKER_DIED,
        re.compile(
            r"Worker \(pid:(\d+)\) (?:exited with code \d+|was sent SIG\w+)"
            r"|WORKER TIMEOUT \(pid:(\d+)\)|Worker failed to boot|Worker exiting \(pid: (\d+)\)"
        ),
    ),
    (EventKind.ADDRESS_IN_USE, re.compile(r"address already in use", re.IGNORECASE)),
    (
        EventKind.REQUEST_ERROR,
        re.compile(
            r"Exception in ASGI application|Error handling request|Exception on /\S* \[\w+\]|"
            r"Error in ASGI Framework"
        ),
    ),
    (
        EventKind.LISTENING,
        re.compile(
            r"Uvicorn running on (\S+)|Listening at: (\S+)|Running on (\S+)|"
            r"Serving on (\S+)|Server started at (\S+)"
        ),
    ),
)


def _subject(match: re.Match[str]) -> str | None:
    return next((g for g in match.groups() if g), None)


def _import_subject(match: re.Match[str]) -> str:
    if match["mod"]:
        return match["mod"]
    if match["name"]:
        return f"{match['src']}.{match['name']}"
    return match["rel"]


def scan(lines: Iterable[str]) -> tuple[Event, ...]:
    """Every event in a server's log, in order. Pure: the same lines give the same events."""
    events: list[Event] = []
    block: list[str] | None = None  # the traceback being read
    start = 0
    frame: str | None = None
    request_error = False  # the next traceback belongs to a failed request
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if block is not None:
            if m := _FRAME.match(line):
                frame = f"{m['file']}:{m['line']}"
                continue
            if line.startswith((" ", "\t", "^")) or not line.strip():
                continue
            exc = _EXC_LINE.match(line.strip())
            if exc is None and "During handling" not in line and "direct cause" not in line:
                # Not the exception line: a traceback printed without one (cut short). Keep the
                # line for the table below.
                block = None
            elif exc is not None:
                event = _traceback_event(exc, line.strip(), start, frame)
                if request_error:
                    event = Event(
                        EventKind.REQUEST_ERROR,
                        event.line,
                        event.text,
                        None,
                        event.frame,
                        event.exc_type,
                    )
                    request_error = False
                events.append(event)
                block = None
                continue
            else:
                continue
        if "Traceback (most recent call last):" in line:
            block, start, frame = [], number, None
            continue
        matched = False
        for kind, pattern in PATTERNS:
            if m := pattern.search(line):
                events.append(Event(kind, number, line.strip(), _subject(m)))
                request_error = kind is EventKind.REQUEST_ERROR
                matched = True
                break
        if matched:
            continue
        if m := _IMPORT_TEXT.search(line):
            events.append(Event(EventKind.IMPORT_ERROR, number, line.strip(), _import_subject(m)))
            continue
        if _DB_MARKERS.search(line) and _LEVEL.search(line) or _looks_like_db_failure(line):
            events.append(Event(EventKind.DATABASE, number, line.strip()))
            continue
        if _LEVEL.search(line):
            events.append(Event(EventKind.ERROR_LOGGED, number, line.strip()))
    return tuple(events)


def _looks_like_db_failure(line: str) -> bool:
    return bool(
        re.search(
            r"password authentication failed|could not translate host name|"
            r"connection to server at .* failed|database \"[^\"]+\" does not exist|"
            r"Connection refused.*5432|the database system is starting up",
            line,
        )
    )


def _traceback_event(exc: re.Match[str], text: str, start: int, frame: str | None) -> Event:
    exc_type = exc["type"].rsplit(".", 1)[-1]
    message = exc["msg"] or ""
    if exc_type in ("ModuleNotFoundError", "ImportError") or _IMPORT_TEXT.search(message):
        m = _IMPORT_TEXT.search(message)
        subject = _import_subject(m) if m else None
        return Event(EventKind.IMPORT_ERROR, start, text, subject, frame, exc_type)
    if _DB_MARKERS.search(text) or _looks_like_db_failure(text):
        return Event(EventKind.DATABASE, start, text, None, frame, exc_type)
    return Event(EventKind.TRACEBACK, start, text, None, frame, exc_type)
