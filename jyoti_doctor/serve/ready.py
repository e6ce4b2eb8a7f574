"""When is a server ready: the waiting policy, pure, with the world behind :class:`ReadyIO`.

Like probe-db's schedule: while the port refuses connections, cheap TCP probes at a capped,
growing interval; once it accepts, one HTTP request (a server can accept before the app has
finished its start-up; uvicorn binds only after the lifespan startup, gunicorn's master binds
before any worker boots). Any HTTP answer, whatever its status, means ready. The overall
deadline is never overrun: every wait and every timeout is clamped to the time left, and the
wait stops at once when the server process exits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Readiness(StrEnum):
    READY = "ready"  # an HTTP answer came back
    EXITED = "exited"  # the server process ended before answering
    TIMEOUT = "timeout"  # the deadline passed


class TcpState(StrEnum):
    OPEN = "open"
    REFUSED = "refused"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class HttpAnswer:
    status: int | None  # None: no HTTP answer (reset, timeout, garbage)
    seconds: float
    error: str | None = None
    body: bytes = b""
    content_type: str = ""


class ReadyIO(Protocol):
    def tcp(self, timeout: float) -> TcpState: ...

    def http(self, path: str, timeout: float) -> HttpAnswer: ...

    def exited(self) -> bool: ...


@dataclass(frozen=True)
class Wait:
    outcome: Readiness
    seconds: float  # from the start of the wait to the outcome
    tcp_probes: int
    http_attempts: int
    first_open: float | None  # when the port first accepted a connection
    answer: HttpAnswer | None  # the answer that made it ready
    last_error: str | None = None


@dataclass(frozen=True)
class ReadyPolicy:
    deadline: float = 60.0
    first_interval: float = 0.05
    max_interval: float = 0.25
    growth: float = 1.5
    http_timeout: float = 5.0


def wait_ready(
    io: ReadyIO,
    path: str,
    policy: ReadyPolicy,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Wait:
    """Wait until ``path`` answers over HTTP, the process exits, or the deadline passes."""
    start = clock()
    end = start + policy.deadline
    interval = policy.first_interval
    probes = attempts = 0
    first_open: float | None = None
    last_error: str | None = None

    def result(outcome: Readiness, answer: HttpAnswer | None = None) -> Wait:
        return Wait(outcome, clock() - start, probes, attempts, first_open, answer, last_error)

    while True:
        if io.exited():
            return result(Readiness.EXITED)
        left = end - clock()
        if left <= 0:
            return result(Readiness.TIMEOUT)
        probes += 1
        state = io.tcp(min(1.0, left))
        if state is TcpState.OPEN:
            if first_open is None:
                first_open = clock() - start
            left = end - clock()
            if left <= 0:
                return result(Readiness.TIMEOUT)
            attempts += 1
            answer = io.http(path, min(policy.http_timeout, left))
            if answer.status is not None:
                return result(Readiness.READY, answer)
            last_error = answer.error
        else:
            last_error = f"connection {state.value}"
        left = end - clock()
        if left <= 0:
            return result(Readiness.TIMEOUT)
        sleep(min(interval, left))
        interval = min(policy.max_interval, interval * policy.growth)
