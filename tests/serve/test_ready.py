"""The readiness policy with a fake clock: TCP probes while refused, then HTTP, deadline kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from jyoti_doctor.serve.ready import HttpAnswer, Readiness, ReadyPolicy, TcpState, wait_ready

CAP = ReadyPolicy().max_interval


@dataclass
class FakeWorld:
    """A server that binds at ``binds_at`` and answers HTTP from ``answers_at`` (fake seconds)."""

    binds_at: float | None
    answers_at: float | None = None
    exits_at: float | None = None
    tcp_cost: float = 0.001
    now: float = 0.0
    calls: list[tuple[str, float, float]] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def tcp(self, timeout: float) -> TcpState:
        self.calls.append(("tcp", self.now, timeout))
        self.now += self.tcp_cost
        if self.binds_at is not None and self.now >= self.binds_at:
            return TcpState.OPEN
        return TcpState.REFUSED

    def http(self, path: str, timeout: float) -> HttpAnswer:
        self.calls.append(("http", self.now, timeout))
        if self.answers_at is not None and self.now >= self.answers_at:
            self.now += 0.01
            return HttpAnswer(200, 0.01)
        # The server holds the connection until the timeout, as a busy start-up does.
        self.now += timeout
        return HttpAnswer(None, timeout, error="TimeoutError: timed out")

    def exited(self) -> bool:
        return self.exits_at is not None and self.now >= self.exits_at


def run(world: FakeWorld, deadline: float = 60.0) -> object:
    return wait_ready(
        world, "/health", ReadyPolicy(deadline=deadline), clock=world.clock, sleep=world.sleep
    )


def test_ready_soon_after_binding_with_one_http_request() -> None:
    world = FakeWorld(binds_at=2.0, answers_at=2.0)
    wait = run(world)
    assert wait.outcome is Readiness.READY
    assert wait.http_attempts == 1
    assert 2.0 <= wait.seconds <= 2.0 + CAP + 0.02  # seen within one capped interval
    assert [c[0] for c in world.calls].count("http") == 1


def test_probes_are_capped_so_readiness_is_not_seen_late() -> None:
    world = FakeWorld(binds_at=30.0, answers_at=30.0)
    wait = run(world)
    assert wait.outcome is Readiness.READY and wait.seconds <= 30.0 + CAP + 0.02
    gaps = [b[1] - a[1] for a, b in zip(world.calls, world.calls[1:], strict=False)]
    assert max(gaps) <= CAP + 0.002


def test_deadline_is_never_overrun_even_by_a_hanging_http_answer() -> None:
    world = FakeWorld(binds_at=1.0, answers_at=None)
    wait = run(world, deadline=7.0)
    assert wait.outcome is Readiness.TIMEOUT
    assert world.now <= 7.0 + 0.002
    assert wait.first_open is not None and wait.last_error == "TimeoutError: timed out"
    assert all(start + timeout <= 7.0 + 1e-9 for kind, start, timeout in world.calls)


def test_never_binds_times_out_at_the_deadline() -> None:
    world = FakeWorld(binds_at=None)
    wait = run(world, deadline=3.0)
    assert wait.outcome is Readiness.TIMEOUT and wait.first_open is None
    assert 3.0 - CAP <= world.now <= 3.0 + 0.002
    assert wait.http_attempts == 0


def test_a_process_that_exits_ends_the_wait_at_once() -> None:
    world = FakeWorld(binds_at=None, exits_at=1.2)
    wait = run(world)
    assert wait.outcome is Readiness.EXITED and world.now < 1.2 + CAP + 0.01
