"""probe-db --watch: the sampling loop with a fake clock, and against a real server that is
stopped and started while it is watched."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass, field

import pytest

from jyoti_doctor.db.classify import Reason
from jyoti_doctor.db.conninfo import Endpoint, Target
from jyoti_doctor.db.policy import ProbeSettings
from jyoti_doctor.db.report import build_watch_report, sparkline
from jyoti_doctor.db.watch import (
    EventKind,
    Histogram,
    LinkResult,
    PgLink,
    Watcher,
    WatchEvent,
    WatchSettings,
)
from jyoti_doctor.findings import ExitCode
from jyoti_doctor.masking import password_candidates
from testing_servers import PASSWORD, PgServer, free_port, url

TARGET = Target(
    params={"host": "10.0.0.1", "port": "5432"},
    display="postgresql://app:********@10.0.0.1:5432/app",
    source="--url",
    path=None,
    endpoints=(Endpoint("10.0.0.1", 5432),),
)


@dataclass
class FakeLink:
    """A connection whose health follows a schedule of (from, to) outage windows on a fake clock."""

    clock: list[float]
    down: list[tuple[float, float]] = field(default_factory=list)
    is_connected: bool = False
    reconnects: int = 0

    def _down(self) -> bool:
        now = self.clock[0]
        return any(a <= now < b for a, b in self.down)

    @property
    def connected(self) -> bool:
        return self.is_connected

    def ping(self, timeout: float) -> LinkResult:
        self.clock[0] += 0.002
        if self._down():
            return LinkResult(False, None, Reason.CLOSED, "server closed the connection")
        return LinkResult(True, 0.002 + (self.clock[0] % 1) / 1000)

    def reconnect(self, budget: float) -> LinkResult:
        # Like the real schedule: keep trying (every 0.25 s) until the budget is spent.
        end = self.clock[0] + budget
        while self._down():
            if self.clock[0] + 0.25 > end:
                self.clock[0] = end
                return LinkResult(False, None, Reason.REFUSED, "Connection refused")
            self.clock[0] += 0.25
        self.reconnects += 1
        self.is_connected = True
        return self.ping(1.0)

    def close(self) -> None:
        self.is_connected = False


def fake_watch(
    down: list[tuple[float, float]], samples: int, interval: float = 1.0, **kw: object
) -> tuple[Watcher, FakeLink]:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    link = FakeLink(clock, down)
    watcher = Watcher(
        TARGET,
        WatchSettings(interval=interval, duration=samples * interval),
        link,
        clock=lambda: clock[0],
        wall=lambda: 1_000_000.0,
        sleep=sleep,
        **kw,  # type: ignore[arg-type]
    )
    return watcher, link


def test_outage_start_and_end_are_where_the_fake_clock_says() -> None:
    events: list[WatchEvent] = []
    watcher, link = fake_watch([(10.5, 20.3)], samples=30, on_event=events.append)
    result = watcher.run()
    assert result.samples == 30 and result.outage_count == 1
    (outage,) = result.outages
    # The first failing sample starts at 11 s (the first after 10.5); the schedule's next
    # attempt after 20.3 s (every 0.25 s) ends it.
    assert outage.start == pytest.approx(11.0, abs=0.01)
    assert outage.end is not None and 20.3 <= outage.end <= 20.3 + 0.25 + 0.01
    assert [e.kind for e in events] == [EventKind.OUTAGE_START, EventKind.OUTAGE_END]
    assert link.reconnects == 2  # the first connection, and one after the outage: a keepalive
    report = build_watch_report(result)
    assert report.exit_code() is ExitCode.DB_NOT_READY
    assert [f.code for f in report.findings] == ["JD408"]
    assert 0 < result.availability < 100  # type: ignore[operator]


def test_no_outage_exits_0_and_reports_percentiles() -> None:
    watcher, link = fake_watch([], samples=50)
    result = watcher.run()
    report = build_watch_report(result)
    assert report.exit_code() is ExitCode.OK and result.availability == 100.0
    assert link.reconnects == 1
    assert result.p50 is not None and result.p95 is not None and result.maximum is not None
    assert result.p50 <= result.p95 <= result.maximum * 1.06
    assert report.panel is not None and "NO OUTAGE" in report.panel.title


def test_memory_is_flat_over_10000_samples() -> None:
    # An outage every 500 samples, so the outage bookkeeping is exercised too.
    down = [(s + 0.5, s + 3.2) for s in range(500, 10_000, 500)]
    seen = 0

    def count(_: object) -> None:
        nonlocal seen
        seen += 1

    tracemalloc.start()
    try:
        small, _ = fake_watch(down[:1], samples=1_000, on_sample=count)
        small.run()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        big, _ = fake_watch(down, samples=10_000, on_sample=count)
        result = big.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 11_000 and result.samples == 10_000
    assert result.outage_count == len(down)
    # Ten times the samples, next to no more memory: nothing grows with the sample count.
    assert peak - base < 64 * 1024, (base, peak)


def test_histogram_percentiles_are_within_a_bucket() -> None:
    h = Histogram()
    values = [i / 1000 for i in range(1, 1001)]  # 1 ms .. 1 s
    for v in values:
        h.add(v)
    for q, exact in ((50, 0.5), (95, 0.95), (100, 1.0)):
        got = h.percentile(q)
        assert got is not None and abs(got - exact) / exact <= 0.05, (q, got)
    assert h.maximum == 1.0 and Histogram().percentile(50) is None


def test_sparkline_marks_failures() -> None:
    assert sparkline((0.001, None, 0.002)) == "▁×█"
    assert sparkline(()) == ""


def test_interrupt_returns_a_summary() -> None:
    clock = [0.0]
    calls = 0

    def sleep(seconds: float) -> None:
        nonlocal calls
        calls += 1
        clock[0] += seconds
        if calls == 5:
            raise KeyboardInterrupt

    watcher = Watcher(
        TARGET,
        WatchSettings(interval=1.0, duration=None),
        FakeLink(clock),
        clock=lambda: clock[0],
        sleep=sleep,
    )
    result = watcher.run()
    assert result.interrupted and result.samples == 5
    assert build_watch_report(result).exit_code() is ExitCode.INTERRUPTED


# --- against a real server ---------------------------------------------------------------------


@pytest.mark.db
def test_real_server_stopped_and_started_during_the_watch(fresh: PgServer) -> None:
    from jyoti_doctor.db.conninfo import RawUrl, parse_target

    fresh.start()
    interval = 0.5
    target = parse_target(RawUrl(fresh.url(), "--url"))
    link = PgLink(target, ProbeSettings(query_timeout=1.0))
    connections = []
    original = link.reconnect

    def counting(budget: float) -> LinkResult:
        got = original(budget)
        if got.ok:
            connections.append(link.pgconn.backend_pid)
        return got

    link.reconnect = counting  # type: ignore[method-assign]
    truth: dict[str, float] = {}

    def outage() -> None:
        time.sleep(2.0)
        truth["stop"] = time.time()
        fresh.stop()
        time.sleep(2.5)
        fresh.start(wait=False)
        give_up = time.monotonic() + 30
        # The second "ready to accept connections"; a server that never comes back fails the
        # test below instead of hanging it.
        while len(fresh.ready_times()) < 2 and time.monotonic() < give_up:
            time.sleep(0.01)
        if len(fresh.ready_times()) >= 2:
            truth["ready"] = fresh.ready_times()[-1].timestamp()

    thread = threading.Thread(target=outage, daemon=True)
    watcher = Watcher(target, WatchSettings(interval=interval, duration=9.0), link)
    thread.start()
    result = watcher.run()
    thread.join(timeout=40)
    assert "ready" in truth, "the server did not come back after the outage"
    assert result.outage_count == 1, result.outages
    (seen,) = result.outages
    assert seen.end is not None
    start = result.started_at + seen.start
    end = result.started_at + seen.end
    assert abs(start - truth["stop"]) <= 2 * interval, (start, truth)
    assert abs(end - truth["ready"]) <= 2 * interval, (end, truth)
    assert seen.reason in (Reason.CLOSED, Reason.SHUTTING_DOWN, Reason.REFUSED, Reason.QUERY_FAILED)
    # One connection before the outage, one after: the healthy samples reused it.
    assert len(connections) == 2 and result.samples >= 15
    assert PASSWORD not in repr(build_watch_report(result))


def _watch_json_lines(pg: PgServer) -> subprocess.Popen[str]:
    """``probe-db --watch --format json`` on ``pg``, its lines read as they come."""
    argv = ["probe-db", "--url", pg.url(), "--watch", "--interval", "0.2", "--format", "json"]
    return subprocess.Popen(
        [sys.executable, "-m", "jyoti_doctor", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.db
def test_cli_watch_json_lines_and_ctrl_c(pg: PgServer) -> None:
    proc = _watch_json_lines(pg)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # flushed as it happens, not at the end
    assert json.loads(first)["type"] == "sample"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    lines = [json.loads(line) for line in (first + out).splitlines()]
    samples = [line for line in lines if line.get("type") == "sample"]
    assert len(samples) >= 4 and all(s["ok"] for s in samples)
    summary = lines[-1]
    assert summary["command"] == "probe-db" and summary["details"]["interrupted"] is True
    assert summary["details"]["availability"] == 100.0
    assert PASSWORD not in out + err


@pytest.mark.db
def test_cli_watch_json_lines_to_a_reader_that_goes_away(pg: PgServer) -> None:
    """`probe-db --watch --format json | head -1`: the next line finds the pipe closed, and the
    watch ends quietly with exit 1 (as a report to a closed pipe does), not an internal error."""
    proc = _watch_json_lines(pg)
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["type"] == "sample"
    proc.stdout.close()
    assert proc.wait(timeout=20) == 1
    err = proc.stderr.read()
    proc.stderr.close()
    assert "Traceback" not in err and "internal error" not in err, err
    assert PASSWORD not in err


@pytest.mark.db
def test_cli_watch_of_a_dead_port_exits_3_with_an_outage_event() -> None:
    target = url(free_port())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jyoti_doctor",
            "probe-db",
            "--url",
            target,
            "--watch",
            "--interval",
            "0.3",
            "--duration",
            "1",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 3, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [line.get("type") for line in lines]
    assert "outage-start" in kinds and lines[-1]["command"] == "probe-db"
    assert lines[-1]["details"]["type"] == "summary"
    assert lines[-1]["details"]["outage_count"] == 1
    assert lines[-1]["details"]["longest"]["reason"] == "refused"
    assert all(p not in proc.stdout for p in password_candidates(target))


def test_a_late_sample_slips_instead_of_bursting() -> None:
    # Interval 0.2 s, but a reconnection through an outage takes its full 1 s minimum.
    clock = [0.0]
    at: list[float] = []

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    watcher = Watcher(
        TARGET,
        WatchSettings(interval=0.2, duration=4.0),
        FakeLink(clock, [(1.0, 2.5)]),
        clock=lambda: clock[0],
        sleep=sleep,
        on_sample=lambda s: at.append(s.at),
    )
    watcher.run()
    gaps = [b - a for a, b in itertools.pairwise(at)]
    assert min(gaps) >= 0.2 - 1e-9, gaps  # never two samples closer than the interval
