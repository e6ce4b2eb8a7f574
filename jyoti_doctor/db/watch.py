"""``probe-db --watch``: sample the database every interval over one kept connection.

While the connection is healthy each sample is a ``SELECT 1`` on it (a real keepalive, as an
application's pooled connection sees the server). When a sample fails the connection is closed
and a new one is made through the probe's cold-start schedule (TCP probes while the port refuses,
spaced handshakes while PostgreSQL starts), bounded by the next sample's time, so the end of an
outage is seen within a fraction of a second rather than an interval.

Memory stays flat however long it runs: latencies go into a fixed log-scale histogram (the
percentiles are read from it, within one bucket, 2.5 %), the sparkline keeps the last
:data:`RECENT` samples, and only the last :data:`KEPT_OUTAGES` outages are kept in full (their
count, total and the longest are kept exactly).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from ..masking import mask_text
from . import libpq
from .classify import Reason, classify, meaning
from .conninfo import Target
from .policy import ProbeSettings
from .probe import ConnectResult, ProbeIO, Verdict, connect_and_check, run_probe

RECENT = 60
KEPT_OUTAGES = 100
# A reconnection gets at least this long even when the interval is shorter: below it a handshake
# to a healthy but distant server would count as an outage. The sampling then slips, never
# the other way round.
MIN_RECONNECT = 1.0


class WatchState(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class WatchSettings:
    interval: float = 10.0
    duration: float | None = None  # None: until interrupted
    probe: ProbeSettings = field(default_factory=ProbeSettings)


@dataclass(frozen=True)
class LinkResult:
    """One keepalive query, or one reconnection, as :class:`Watcher` sees it."""

    ok: bool
    latency: float | None = None  # the SELECT 1 round trip
    reason: Reason | None = None
    message: str = ""  # masked


class Link(Protocol):
    """The kept connection. Replaceable by a fake to test the loop without a server."""

    @property
    def connected(self) -> bool: ...

    def ping(self, timeout: float) -> LinkResult: ...

    def reconnect(self, budget: float) -> LinkResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Sample:
    number: int
    at: float  # seconds since the watch started
    ok: bool
    latency: float | None
    state: WatchState
    reason: Reason | None = None
    message: str = ""
    reconnected: bool = False  # the kept connection had dropped; a new one answered


@dataclass(frozen=True)
class Outage:
    start: float  # seconds since the watch started: the failing sample's start
    end: float | None  # when a connection answered again; None while it lasts
    reason: Reason | None
    message: str = ""

    def length(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start


class EventKind(StrEnum):
    OUTAGE_START = "outage-start"
    OUTAGE_END = "outage-end"


@dataclass(frozen=True)
class WatchEvent:
    kind: EventKind
    outage: Outage
    at: float


class Histogram:
    """Latencies in log-spaced buckets from 10 µs to about 10 minutes: constant memory."""

    LOW = 1e-5
    RATIO = 1.05  # a bucket's width: percentiles are read to within 5 % (2.5 % from its middle)
    BUCKETS = 380

    def __init__(self) -> None:
        self.counts = [0] * self.BUCKETS
        self.count = 0
        self.maximum = 0.0

    def add(self, seconds: float) -> None:
        index = 0
        if seconds > self.LOW:
            index = min(self.BUCKETS - 1, int(math.log(seconds / self.LOW, self.RATIO)))
        self.counts[index] += 1
        self.count += 1
        self.maximum = max(self.maximum, seconds)

    def percentile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = max(1, math.ceil(q / 100 * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                middle = self.LOW * self.RATIO ** (index + 0.5)
                return float(min(middle, self.maximum))
        return self.maximum


@dataclass(frozen=True)
class WatchResult:
    target: Target
    settings: WatchSettings
    started_at: float  # wall clock
    elapsed: float
    samples: int
    ok_samples: int
    outages: tuple[Outage, ...]  # the last KEPT_OUTAGES
    outage_count: int
    downtime: float
    longest: Outage | None
    p50: float | None
    p95: float | None
    maximum: float | None
    recent: tuple[float | None, ...]  # the last RECENT latencies (None: a failed sample)
    interrupted: bool

    @property
    def availability(self) -> float | None:
        return None if not self.samples else 100.0 * self.ok_samples / self.samples


class Watcher:
    """The sampling loop, with its clock, sleep and connection injected."""

    def __init__(
        self,
        target: Target,
        settings: WatchSettings,
        link: Link,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_sample: Callable[[Sample], None] | None = None,
        on_event: Callable[[WatchEvent], None] | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.link = link
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.on_sample, self.on_event = on_sample, on_event
        self.histogram = Histogram()
        self.recent: deque[float | None] = deque(maxlen=RECENT)
        self.outages: deque[Outage] = deque(maxlen=KEPT_OUTAGES)
        self.outage_count = 0
        self.downtime = 0.0
        self.longest: Outage | None = None
        self.current: Outage | None = None
        self.samples = 0
        self.ok_samples = 0
        self.started_at = wall()

    def run(self) -> WatchResult:
        start = self.clock()
        started_at = self.started_at
        interval = self.settings.interval
        duration = self.settings.duration
        interrupted = False
        due = start
        try:
            while duration is None or due - start < duration:
                wait = due - self.clock()
                if wait > 0:
                    self.sleep(wait)
                # The next sample is due one interval later: a reconnection may use the time
                # until then, less a little for the bookkeeping.
                budget = max(MIN_RECONNECT, due + interval - self.clock() - 0.05)
                self._sample(start, budget)
                # Late (a reconnection longer than the interval): slip, rather than fire a
                # burst of samples to catch up.
                due = max(due + interval, self.clock())
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self.link.close()
        end = self.clock() - start
        if self.current is not None:
            self._close_outage(self.current, None, end)
        return WatchResult(
            target=self.target,
            settings=self.settings,
            started_at=started_at,
            elapsed=end,
            samples=self.samples,
            ok_samples=self.ok_samples,
            outages=tuple(self.outages),
            outage_count=self.outage_count,
            downtime=self.downtime,
            longest=self.longest,
            p50=self.histogram.percentile(50),
            p95=self.histogram.percentile(95),
            maximum=self.histogram.maximum if self.histogram.count else None,
            recent=tuple(self.recent),
            interrupted=interrupted,
        )

    def _sample(self, start: float, budget: float) -> None:
        began = self.clock() - start
        reconnected = False
        if self.link.connected:
            result = self.link.ping(min(self.settings.probe.query_timeout, budget))
            if not result.ok:
                self.link.close()
                first = result
                spent = self.clock() - start - began
                result = self.link.reconnect(max(MIN_RECONNECT, budget - spent))
                # The reconnection's failure says what the database does now; the ping's stands
                # in when it has none.
                reconnected = result.ok
                if not result.ok and result.reason is None:
                    result = first
        else:
            result = self.link.reconnect(budget)
        now = self.clock() - start
        self.samples += 1
        message = mask_text(result.message, self.target.secrets)
        if result.ok:
            self.ok_samples += 1
            if result.latency is not None:
                self.histogram.add(result.latency)
            self.recent.append(result.latency)
            if self.current is not None:
                # The connection answered at `now`: that ends the outage.
                self._close_outage(self.current, now, now)
        else:
            self.recent.append(None)
            if self.current is None:
                self.current = Outage(began, None, result.reason, message)
                self.outage_count += 1
                self._emit(WatchEvent(EventKind.OUTAGE_START, self.current, now))
        sample = Sample(
            self.samples,
            began,
            result.ok,
            result.latency,
            WatchState.UP if result.ok else WatchState.DOWN,
            result.reason,
            message,
            reconnected,
        )
        if self.on_sample is not None:
            self.on_sample(sample)

    def _close_outage(self, outage: Outage, end: float | None, now: float) -> None:
        closed = replace(outage, end=end)
        self.current = None
        self.outages.append(closed)
        length = closed.length(now)
        self.downtime += length
        if self.longest is None or length > self.longest.length(now):
            self.longest = closed
        if end is not None:
            self._emit(WatchEvent(EventKind.OUTAGE_END, closed, now))

    def _emit(self, event: WatchEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)


class PgLink:
    """A real kept connection: the probe's schedule to (re)connect, ``SELECT 1`` to sample."""

    def __init__(self, target: Target, probe: ProbeSettings) -> None:
        import psycopg.pq  # noqa: F401  (loaded now, not inside the first sample's time)

        self.target = target
        self.probe = probe
        self.pgconn: Any = None

    @property
    def connected(self) -> bool:
        return self.pgconn is not None

    def ping(self, timeout: float) -> LinkResult:
        began = time.monotonic()
        answer = libpq.query(self.pgconn, "SELECT 1", timeout)
        if answer.ok:
            return LinkResult(True, time.monotonic() - began)
        err = answer.error
        if answer.timed_out:
            reason = Reason.QUERY_TIMEOUT
        else:
            reason = classify(err.sqlstate if err else None, err.message if err else "")
            if reason is Reason.UNKNOWN:
                reason = Reason.CLOSED
        return LinkResult(False, None, reason, err.message if err else "")

    def reconnect(self, budget: float) -> LinkResult:
        kept: list[Any] = []

        def keep(*args: Any, **kw: Any) -> ConnectResult:
            return connect_and_check(*args, keep=kept.append, **kw)

        settings = replace(self.probe, deadline=max(budget, 0.05), retry_auth=0)
        result = run_probe(self.target, settings, io=ProbeIO(connect=keep))
        if result.verdict is Verdict.READY and kept:
            self.pgconn = kept[-1]
            # The sample's latency is the same round trip as every other sample's.
            return self.ping(self.probe.query_timeout)
        for pgconn in kept:
            pgconn.finish()
        reason = result.reason or Reason.TIMEOUT
        message = result.message or meaning(reason).title
        return LinkResult(False, None, reason, message)

    def close(self) -> None:
        if self.pgconn is not None:
            self.pgconn.finish()
            self.pgconn = None
