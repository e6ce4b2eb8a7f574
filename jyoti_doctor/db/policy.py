"""When to try again, with what timeout, and when to stop: the probe's schedule as pure functions.

Capped exponential backoff with jitter (uncapped doubling notices a database that woke up tens of
seconds late), per-attempt timeouts that grow and are clamped to the time left, and an overall
deadline that is never overrun: no attempt starts that could not finish before it. The clock, the
sleep and the random source are parameters, so the schedule is tested without waiting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Self

from ..config import MAX_SECONDS
from ..errors import UsageError


@dataclass(frozen=True)
class ProbeSettings:
    """What the user chose; the one place the defaults are defined (the CLI shows them too)."""

    deadline: float = 120.0
    connect_timeout: float | None = None  # None: the growing per-attempt timeout
    query_timeout: float = 5.0
    retry_auth: int = 0

    @classmethod
    def of(
        cls,
        *,
        deadline: float | None = None,
        connect_timeout: float | None = None,
        query_timeout: float | None = None,
        retry_auth: int | None = None,
    ) -> Self:
        """The settings with every ``None`` left at its default."""
        default = cls()
        return cls(
            deadline=default.deadline if deadline is None else deadline,
            connect_timeout=connect_timeout,  # its default is None
            query_timeout=default.query_timeout if query_timeout is None else query_timeout,
            retry_auth=default.retry_auth if retry_auth is None else retry_auth,
        )

    def validate(self) -> None:
        """Reject what the CLI and the config already reject, for callers that pass numbers."""
        check_seconds("deadline", self.deadline)
        if self.connect_timeout is not None:
            check_seconds("connect-timeout", self.connect_timeout)
        check_seconds("query-timeout", self.query_timeout)
        if not 0 <= self.retry_auth <= 100:
            raise UsageError(f"retry-auth must be from 0 to 100 (got {self.retry_auth})")


def check_seconds(name: str, value: float, maximum: float = MAX_SECONDS) -> float:
    """A duration that is a plan, not a typo: finite, above 0, at most a day (``inf``, ``nan``
    and ``1e308`` would wait for ever or break the arithmetic of the schedule)."""
    if not math.isfinite(value) or not 0 < value <= maximum:
        raise UsageError(
            f"{name} must be a finite number of seconds, above 0 and at most {maximum:g} "
            f"(got {value})"
        )
    return value


class Action(StrEnum):
    TCP = "tcp"  # a bare TCP connect: cheap for both sides, no server log line
    HANDSHAKE = "handshake"  # a full PostgreSQL connection and the first queries


class Outcome(StrEnum):
    """What the last attempt told the schedule (the probe maps each failure reason to one)."""

    REFUSED = "refused"  # nothing listening: probe the port cheaply until it opens
    PORT_OPEN = "port-open"  # a TCP probe connected: time for a handshake
    TCP_TIMEOUT = "tcp-timeout"  # a TCP probe got no answer at all
    TIMEOUT = "timeout"  # a handshake got no answer in time: the wait already happened
    TRANSIENT = "transient"  # starting up, closed, pooler trouble: back off
    CAPACITY = "capacity"  # server full (or an opted-in auth retry): back off slower


@dataclass(frozen=True)
class Backoff:
    """``min(cap, base * factor**n)``, scaled by a random factor in ``[1 - jitter, 1]``.

    Jitter only shortens a delay, so the cap is a true bound on how late readiness is noticed.
    """

    base: float
    cap: float
    factor: float = 2.0
    jitter: float = 0.25

    def delay(self, n: int, rng: Callable[[], float]) -> float:
        raw = min(self.cap, self.base * self.factor ** min(n, 64))
        return raw * (1.0 - self.jitter * rng())


@dataclass(frozen=True)
class Growth:
    """A timeout that grows with each consecutive timeout: ``min(cap, first * factor**n)``."""

    first: float
    cap: float
    factor: float = 2.0

    def at(self, n: int) -> float:
        return min(self.cap, self.first * self.factor ** min(n, 64))


@dataclass(frozen=True)
class Schedule:
    # While the port refuses, a TCP probe every <= 0.25 s: readiness is seen within a quarter
    # second, and a refused SYN costs the server nothing.
    tcp_backoff: Backoff = Backoff(base=0.05, cap=0.25)
    # Handshake failures (starting up, closed): each one is a forked backend and a log line on
    # the server, so about one every 1.2-1.8 s: under one handshake per second even counting
    # the first. When the server has only just begun to answer (a TCP probe found the port newly
    # open, or a held connection finally got through), one quick retry: a server that has just
    # started listening usually needs only milliseconds more.
    transient_backoff: Backoff = Backoff(base=1.5, factor=1.2, cap=1.8, jitter=0.2)
    just_opened_retry: float = 0.1
    capacity_backoff: Backoff = Backoff(base=1.0, cap=8.0)
    tcp_timeout: Growth = Growth(first=1.0, cap=5.0)
    handshake_timeout: Growth = Growth(first=2.0, cap=30.0)
    # --connect-timeout: a fixed per-attempt timeout instead of the growing one.
    fixed_handshake_timeout: float | None = None
    # Below these, an attempt could not do anything useful: stop instead of starting it.
    min_tcp: float = 0.05
    min_handshake: float = 0.2


@dataclass(frozen=True)
class State:
    """What the schedule remembers between attempts."""

    last: Outcome | None = None
    streak: int = 0  # consecutive outcomes equal to ``last``
    before: Outcome | None = None  # the outcome before the current streak
    handshake_timeouts: int = 0
    tcp_timeouts: int = 0


def advance(state: State, outcome: Outcome) -> State:
    if outcome is state.last:
        new = replace(state, streak=state.streak + 1)
    else:
        new = replace(state, last=outcome, streak=1, before=state.last)
    if outcome is Outcome.TIMEOUT:
        new = replace(new, handshake_timeouts=state.handshake_timeouts + 1)
    elif outcome is Outcome.TCP_TIMEOUT:
        new = replace(new, tcp_timeouts=state.tcp_timeouts + 1)
    return new


@dataclass(frozen=True)
class Step:
    action: Action
    wait: float  # seconds to sleep before starting
    timeout: float  # the attempt's own timeout, already clamped to the time left


def plan(
    schedule: Schedule,
    state: State,
    now: float,
    end: float,
    rng: Callable[[], float],
    *,
    can_tcp_probe: bool = True,
) -> Step | None:
    """The next attempt, or ``None`` when none could finish before ``end``.

    Without ``can_tcp_probe`` (a Unix socket given only as libpq's default) a refused connection
    is retried with handshakes, just as often: nothing is listening, so they cost the server
    nothing either.
    """
    handshake_timeout = (
        schedule.fixed_handshake_timeout
        if schedule.fixed_handshake_timeout is not None
        else schedule.handshake_timeout.at(state.handshake_timeouts)
    )
    n = state.streak - 1
    last = state.last
    if last is None or last is Outcome.PORT_OPEN or last is Outcome.TIMEOUT:
        action, wait, timeout = Action.HANDSHAKE, 0.0, handshake_timeout
    elif last is Outcome.REFUSED:
        wait = schedule.tcp_backoff.delay(n, rng)
        if can_tcp_probe:
            action, timeout = Action.TCP, schedule.tcp_timeout.at(state.tcp_timeouts)
        else:
            action, timeout = Action.HANDSHAKE, handshake_timeout
    elif last is Outcome.TCP_TIMEOUT:
        action, wait, timeout = Action.TCP, 0.0, schedule.tcp_timeout.at(state.tcp_timeouts)
    elif last is Outcome.TRANSIENT:
        if n == 0 and state.before in (Outcome.PORT_OPEN, Outcome.TIMEOUT):
            wait = schedule.just_opened_retry
        else:
            wait = schedule.transient_backoff.delay(n, rng)
        action, timeout = Action.HANDSHAKE, handshake_timeout
    else:
        action, wait, timeout = (
            Action.HANDSHAKE,
            schedule.capacity_backoff.delay(n, rng),
            handshake_timeout,
        )
    minimum = schedule.min_tcp if action is Action.TCP else schedule.min_handshake
    left_at_start = end - (now + wait)
    if left_at_start < minimum:
        return None
    return Step(action, wait, min(timeout, left_at_start))
