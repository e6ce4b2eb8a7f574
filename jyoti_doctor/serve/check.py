"""``check-serve`` (check-startup's serve mode): start the real server, wait, ask, read its log, stop.

The project's own start command (given, configured or discovered) runs as a child process on
127.0.0.1 and a free port. The wait follows :mod:`.ready`; then the health path is requested
and its status and latency reported. Everything the server printed up to the stop is read by
:mod:`.logscan`, masked, and turned into findings: a start-up that fails names its cause, and
a start-up that succeeds while an import failed and was only logged (a feature silently gone)
is reported as such. The whole process group is stopped before the result is returned.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..errors import UsageError
from ..findings import ExitCode, Finding, JsonValue, Report, Section, Severity, SummaryValue
from ..masking import mask_text
from ..rules import Rule
from ..startup.check import Resolved, resolve_launch
from .launch import HOST, CannotRun, ServeCommand, build, free_port
from .logscan import Event, EventKind, scan
from .process import Server, Stopped, group_members, listening_ports
from .ready import HttpAnswer, Readiness, ReadyPolicy, TcpState, Wait, wait_ready

LOG_TAIL = 60  # lines of the server's log kept in the machine formats


class _LiveIO:
    """The readiness checks against the real server."""

    def __init__(self, server: Server, port: int) -> None:
        self.server = server
        self.port = port

    def tcp(self, timeout: float) -> TcpState:
        try:
            with socket.create_connection((HOST, self.port), timeout=timeout):
                return TcpState.OPEN
        except ConnectionRefusedError:
            return TcpState.REFUSED
        except OSError:
            return TcpState.TIMEOUT

    def http(self, path: str, timeout: float) -> HttpAnswer:
        return http_get(self.port, path, timeout)

    def exited(self) -> bool:
        return self.server.exit_code() is not None


def http_get(port: int, path: str, timeout: float) -> HttpAnswer:
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "jyoti-doctor"})
        response = conn.getresponse()
        body = response.read(1_000_000)
        return HttpAnswer(
            response.status,
            time.monotonic() - started,
            body=body,
            content_type=response.getheader("content-type", "") or "",
        )
    except (OSError, http.client.HTTPException) as exc:
        return HttpAnswer(None, time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


@dataclass(frozen=True)
class Health:
    path: str
    status: int | None
    seconds: float
    explicit: bool  # the path was given with --path
    openapi_paths: int | None = None  # paths in the OpenAPI document, when that was asked
    first_seconds: float | None = None  # latency of the answer that proved readiness


@dataclass(frozen=True)
class ServeResult:
    command: ServeCommand
    source: str
    wait: Wait
    health: Health | None
    events: tuple[Event, ...]
    stopped: Stopped
    exit_code: int | None  # the server's own exit status when it ended by itself
    other_listeners: tuple[tuple[str, int], ...]  # addresses it listened on instead of ours
    log: tuple[str, ...]  # masked

    @property
    def ready(self) -> bool:
        return self.wait.outcome is Readiness.READY

    def findings(self) -> list[Finding]:
        return serve_findings(self)

    def to_report(self) -> Report:
        rows: list[tuple[str, ...]] = [
            (str(e.line), e.kind.value, e.text[:300]) for e in self.events
        ]
        summary: dict[str, SummaryValue] = {
            "command": self.command.shown,
            "source": self.source,
            "url": self.command.url,
            "outcome": self.wait.outcome.value,
            "seconds_to_ready": round(self.wait.seconds, 3) if self.ready else None,
            "health_path": self.health.path if self.health else None,
            "health_status": self.health.status if self.health else None,
            "health_seconds": round(self.health.seconds, 3) if self.health else None,
            "stopped_with": self.stopped.signal_used,
            "processes_left": len(self.stopped.survivors),
        }
        details: dict[str, JsonValue] = {
            "tcp_probes": self.wait.tcp_probes,
            "http_attempts": self.wait.http_attempts,
            "first_open_seconds": (
                round(self.wait.first_open, 3) if self.wait.first_open is not None else None
            ),
            "server_exit_code": self.exit_code,
            "first_answer_seconds": (
                round(self.health.first_seconds, 3)
                if self.health and self.health.first_seconds is not None
                else None
            ),
            "openapi_paths": self.health.openapi_paths if self.health else None,
            "log_tail": list(self.log[-LOG_TAIL:]),
            "events": [
                {"line": e.line, "kind": e.kind.value, "text": e.text, "subject": e.subject}
                for e in self.events
            ],
        }
        return Report(
            command="check-serve",
            findings=tuple(self.findings()),
            summary=summary,
            sections=(
                Section(
                    "log_events", "What the server logged", ("line", "event", "text"), tuple(rows)
                ),
            )
            if rows
            else (),
            details=details,
            text=_verdict(self),
        )


def _verdict(result: ServeResult) -> str:
    if result.ready:
        health = result.health
        asked = (
            f"; GET {health.path} → {health.status} in {health.seconds * 1000:.0f} ms"
            if health is not None
            else ""
        )
        return f"ready in {result.wait.seconds:.2f} s on {result.command.url}{asked}"
    if result.wait.outcome is Readiness.EXITED:
        return f"the server exited (status {result.exit_code}) before it answered"
    return f"the server did not answer within {result.wait.seconds:.1f} s"


def _import_rule(text: str) -> Rule:
    if "no known parent package" in text:
        return Rule.NO_PARENT_PACKAGE
    if "beyond top-level package" in text:
        return Rule.BEYOND_TOP_LEVEL
    return Rule.MODULE_NOT_FOUND


def _cause_event(result: ServeResult) -> Event | None:
    """The log event that best explains a server that never answered."""
    order = (
        EventKind.IMPORT_ERROR,
        EventKind.ADDRESS_IN_USE,
        EventKind.DATABASE,
        EventKind.LIFESPAN_FAILED,
        EventKind.TRACEBACK,
        EventKind.STARTUP_FAILED,
        EventKind.WORKER_DIED,
        EventKind.ERROR_LOGGED,
    )
    for kind in order:
        for event in result.events:
            if event.kind is kind:
                return event
    return None


def _cause(result: ServeResult, event: Event | None) -> str:
    if event is not None:
        return event.text + (f" (raised at {event.frame})" if event.frame else "")
    if result.wait.outcome is Readiness.TIMEOUT and result.other_listeners:
        where = ", ".join(f"{a}:{p}" for a, p in result.other_listeners)
        return (
            f"it listens on {where}, not on the port it was given ($PORT={result.command.port}); "
            "a platform such as Render or Heroku routes traffic to $PORT only"
        )
    if result.wait.outcome is Readiness.TIMEOUT:
        return (
            "it never accepted a connection"
            if result.wait.first_open is None
            else (f"it accepted connections but never answered HTTP ({result.wait.last_error})")
        )
    tail = [line.strip() for line in result.log if line.strip()][-1:]
    return tail[0] if tail else "it printed nothing"


# Timestamps, pids and ports differ between workers printing the same failure.
_NOISE = re.compile(r"^\[[^\]]*\] \[\d+\] |\b\d+\b")


def _grouped(events: tuple[Event, ...]) -> list[tuple[Event, int]]:
    """Events with the same kind and text (pids and times aside), first occurrence and count."""
    groups: dict[tuple[EventKind, str], list[Event]] = {}
    for event in events:
        groups.setdefault((event.kind, _NOISE.sub("", event.text)), []).append(event)
    return [(group[0], len(group)) for group in groups.values()]


def _times(count: int) -> str:
    return f" (×{count})" if count > 1 else ""


def serve_findings(result: ServeResult) -> list[Finding]:
    findings: list[Finding] = []
    ready = result.ready
    cause: Event | None = None
    if not ready:
        cause = _cause_event(result)
        status = (
            f"exited with status {result.exit_code}"
            if result.wait.outcome is Readiness.EXITED
            else f"did not answer within {result.wait.seconds:.1f} s"
        )
        findings.append(
            Finding.make(
                Rule.SERVER_NOT_READY,
                f"`{result.command.shown}` {status}: {_cause(result, cause)}",
            )
        )
    severity = Severity.WARNING if ready else Severity.ERROR
    deaths = [e for e in result.events if e.kind is EventKind.WORKER_DIED]
    if deaths:
        texts = []
        for event, count in _grouped(tuple(deaths)):
            texts.append(_NOISE.sub("", event.text).strip() + _times(count))
        pids = {e.subject for e in deaths if e.subject}
        findings.append(
            Finding.make(
                Rule.WORKER_DIED,
                f"{len(pids) or len(deaths)} worker(s) died during start-up: "
                + "; ".join(texts)
                + f" (server log line {deaths[0].line})",
                severity=severity,
            )
        )
    for event, count in _grouped(result.events):
        where = f"server log line {event.line}{_times(count)}"
        if (
            cause is not None
            and event.kind is cause.kind
            and event.text == cause.text
            and (event.kind is not EventKind.IMPORT_ERROR and event.kind is not EventKind.DATABASE)
        ):
            continue  # already the cause given by JD230
        if event.kind is EventKind.IMPORT_ERROR:
            if ready:
                findings.append(
                    Finding.make(
                        Rule.SWALLOWED_IMPORT_ERROR,
                        f"observed while serving: the server became ready, but it logged "
                        f"{event.text!r} ({where}): whatever that import brings is missing "
                        "from the running app",
                    )
                )
            else:
                findings.append(
                    Finding.make(
                        _import_rule(event.text),
                        f"observed while serving: {event.text} ({where}"
                        + (f", raised at {event.frame}" if event.frame else "")
                        + ")",
                    )
                )
        elif event.kind is EventKind.DATABASE:
            findings.append(_database_finding(event, where, ready))
        elif event.kind in (EventKind.TRACEBACK, EventKind.LIFESPAN_FAILED) or (
            event.kind is EventKind.ERROR_LOGGED and ready
        ):
            findings.append(
                Finding.make(
                    Rule.STARTUP_ERROR_LOGGED,
                    f"{event.text} ({where}"
                    + (f", raised at {event.frame}" if event.frame else "")
                    + ")",
                    severity=severity,
                )
            )
    health = result.health
    if ready and health is not None and health.status is not None:
        failed = health.status >= 500 or (health.explicit and health.status >= 400)
        if failed:
            raised = [
                e.text + (f" at {e.frame}" if e.frame else "")
                for e in result.events
                if e.kind is EventKind.REQUEST_ERROR and e.exc_type is not None
            ]
            why = f"; the server logged {raised[0]}" if raised else ""
            findings.append(
                Finding.make(
                    Rule.HEALTH_CHECK_FAILED,
                    f"GET {health.path} answered {health.status} "
                    f"in {health.seconds * 1000:.0f} ms{why}",
                )
            )
        elif health.status >= 400:
            findings.append(
                Finding.make(
                    Rule.HEALTH_CHECK_FAILED,
                    f"GET {health.path} answered {health.status}: the server is up, but this "
                    "default path is not a health check; pass --path to name one",
                    severity=Severity.INFO,
                )
            )
    if result.stopped.survivors:
        findings.append(
            Finding.make(
                Rule.PROCESS_LEFT_BEHIND,
                "still running after SIGKILL: pid "
                + ", ".join(str(p) for p in result.stopped.survivors),
            )
        )
    return findings


def _database_finding(event: Event, where: str, ready: bool) -> Finding:
    from ..db.classify import Reason, classify, meaning

    reason = classify(None, event.text)
    if reason is Reason.UNKNOWN:
        return Finding.make(
            Rule.STARTUP_ERROR_LOGGED,
            f"database error at start-up: {event.text} ({where})",
            severity=Severity.WARNING if ready else Severity.ERROR,
        )
    m = meaning(reason)
    return Finding.make(
        m.rule,
        f"observed while serving: {m.title}: {event.text} ({where}); {m.hint}",
        severity=Severity.WARNING if ready else Severity.ERROR,
    )


def _is_fastapi(resolved: Resolved) -> bool:
    from ..launch.command import Launcher

    if resolved.command.launcher is Launcher.FASTAPI:
        return True
    entry = resolved.launch.entry
    candidates: list[Path] = []
    if entry.file is not None:
        candidates.append(entry.file)
    for item in resolved.launch.sys_path:
        base = item.path / Path(*entry.module.split("."))
        candidates += [base.with_suffix(".py"), base / "__init__.py"]
    for path in candidates:
        if not path.is_file():  # a FIFO or a device: reading it would not end
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return "fastapi" in text.lower()
    return False


def _count_openapi_paths(answer: HttpAnswer) -> int | None:
    import json

    if answer.status != 200 or "json" not in answer.content_type:
        return None
    try:
        doc = json.loads(answer.body)
    except ValueError:
        return None
    paths = doc.get("paths") if isinstance(doc, dict) else None
    return len(paths) if isinstance(paths, dict) else None


def check_serve(
    project_dir: Path,
    settings: Settings,
    *,
    command: str | None = None,
    cwd: Path | None = None,
    path: str | None = None,
    deadline: float = 60.0,
    grace: float = 5.0,
    python: str | None = None,
) -> ServeResult:
    """Start the project's server, wait for it, request ``path``, stop it, and say what happened.

    Raises :class:`UsageError` (exit 2) when there is no start command or it cannot run.
    """
    from ..env.secrets import file_secrets, secret_values
    from ..startup.run import project_python

    resolved = resolve_launch(project_dir, settings, command=command, cwd=cwd)
    if resolved.launch.problem is not None:
        raise UsageError(f"the start command cannot run: {resolved.launch.problem}")
    interpreter = python or project_python(project_dir.absolute())
    if "/" in interpreter:
        # The server runs in another directory: a relative interpreter path must not move.
        interpreter = os.path.abspath(interpreter)
    port = free_port()
    try:
        serve_cmd = build(resolved, interpreter, port)
    except CannotRun as exc:
        raise UsageError(str(exc)) from None
    secrets = (
        *secret_values(serve_cmd.env.items()),
        *file_secrets([project_dir / ".env", resolved.launch.cwd / ".env"]),
    )
    serve_cmd = replace(serve_cmd, shown=mask_text(serve_cmd.shown, secrets))
    explicit = path is not None
    if path is not None and not path.startswith("/"):
        path = "/" + path  # `--path health` means /health, from either command
    ask = path or ("/openapi.json" if _is_fastapi(resolved) else "/")
    try:
        server = Server(serve_cmd)
    except CannotRun as exc:
        raise UsageError(str(exc)) from None
    health: Health | None = None
    other: tuple[tuple[str, int], ...] = ()
    try:
        wait = wait_ready(
            _LiveIO(server, port),
            ask,
            ReadyPolicy(deadline=deadline),
            clock=time.monotonic,
            sleep=time.sleep,
        )
        if wait.outcome is Readiness.READY and wait.answer is not None:
            answer = wait.answer
            openapi = _count_openapi_paths(answer) if ask == "/openapi.json" else None
            if ask == "/openapi.json" and answer.status == 404 and not explicit:
                # The app turned its OpenAPI document off: ask the root instead.
                ask = "/"
            # The answer that proved readiness may include a worker's boot (gunicorn binds
            # first): the latency reported is that of a second request to a warm server.
            first = answer.seconds
            answer = http_get(port, ask, 5.0)
            health = Health(ask, answer.status, answer.seconds, explicit, openapi, first)
        elif wait.outcome is Readiness.TIMEOUT:
            other = tuple(a for a in listening_ports(group_members(server.pgid)) if a[1] != port)
        # Let lines printed during the last request reach the reader.
        time.sleep(0.2)
    finally:
        # What the server prints once it is told to stop (workers exiting) is not start-up.
        before_stop = len(server.lines())
        stopped = server.stop(grace)
    log = tuple(mask_text(line.rstrip("\n"), secrets) for line in server.lines())
    return ServeResult(
        serve_cmd,
        resolved.command.source,
        wait,
        health,
        scan(log[:before_stop]),
        stopped,
        server.exit_code() if wait.outcome is Readiness.EXITED else None,
        other,
        log,
    )


__all__ = ["ExitCode", "ServeResult", "check_serve", "serve_findings"]
