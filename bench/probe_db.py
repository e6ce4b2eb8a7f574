"""Benchmark: how soon does each waiting strategy notice a database that became ready?

Run on demand (not part of the test suite), from the repository root:

    python bench/probe_db.py [--runs 10] [--min-wait 3] [--max-wait 10]

Three scenarios, each run side by side for three waiters against the *same* server in the same
run: ``jyoti-doctor probe-db`` (a subprocess, JSON output), a 1-second ``pg_isready`` loop (the
wait-for-it habit) and an uncapped doubling schedule (psycopg connects after 1, 2, 4, 8... s).

1. nothing listening, then the server starts;
2. a standby with hot_standby=off (57P03) that is promoted;
3. a proxy that holds connections until the server is up, then forwards.

The server starts (or is promoted) after a random wait in [min-wait, max-wait] seconds.
Readiness lag = the moment a waiter reports ready minus the moment the server logged "ready to
accept connections" (millisecond log timestamps, same wall clock). Also measured: connection
attempts (startup packets sent) per second while waiting, the wrong-password verdict time, and
what pg_isready says for a wrong password, a missing database and a pg_hba rejection.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from testing_servers import (
    BlackHole,
    HoldingProxy,
    PgFactory,
    PgServer,
    free_port,
    url,
    wait_port,
)

WAITERS = ("probe-db", "pg_isready 1s loop", "doubling 1,2,4,8")


@dataclass
class Outcome:
    ready_at: float | None = None  # wall clock
    attempts: int = 0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def probe_db_json(target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m jyoti_doctor probe-db --url TARGET --format json`` as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", "probe-db", "--url", target, "--format", "json"]
        + list(extra),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def pg_isready_args(
    pg_isready: str, port: int, *, user: str = "app", dbname: str = "appdb"
) -> list[str]:
    return [pg_isready, "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", dbname]


def run_probe_db(target: str, deadline: float, out: Outcome) -> None:
    proc = probe_db_json(target, "--deadline", str(deadline))
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        out.error = f"exit {proc.returncode}: {proc.stderr[-300:]}"
        return
    d = doc["details"]
    out.attempts = d["handshakes"]
    out.extra = {"tcp_probes": d["tcp_probes"], "exit": proc.returncode}
    if d["ready_after"] is not None:
        out.ready_at = d["started_at"] + d["ready_after"]
    else:
        out.error = f"exit {proc.returncode}: {d['reason']}"


def run_pg_isready(pg_isready: str, port: int, stop: threading.Event, out: Outcome) -> None:
    while not stop.is_set():
        out.attempts += 1
        rc = subprocess.run(
            [*pg_isready_args(pg_isready, port), "-q"],
            check=False,
        ).returncode
        if rc == 0:
            out.ready_at = time.time()
            return
        stop.wait(1.0)


def run_doubling(target: str, stop: threading.Event, out: Outcome) -> None:
    import psycopg

    delay = 1.0
    while not stop.is_set():
        out.attempts += 1
        try:
            with psycopg.connect(target, connect_timeout=10) as conn:
                conn.execute("SELECT 1")
            out.ready_at = time.time()
            return
        except psycopg.OperationalError:
            pass
        stop.wait(delay)
        delay *= 2


def ready_time(server: PgServer, after: float) -> float | None:
    stamps = [t.timestamp() for t in server.ready_times() if t.timestamp() >= after - 0.5]
    return stamps[-1] if stamps else None


def one_run(factory: PgFactory, scenario: int, wait: float, pg_isready: str) -> dict[str, Any]:
    server = factory.new()
    proxy = None
    if scenario == 2:
        server.make_standby()
        server.start(wait=False)
        wait_port(server.port)
    port = server.port
    if scenario == 3:
        proxy = HoldingProxy(server.port)
        port = proxy.port
    target = url(port)
    stop = threading.Event()
    outcomes = {name: Outcome() for name in WAITERS}
    deadline = wait + 60
    threads = [
        threading.Thread(target=run_probe_db, args=(target, deadline, outcomes["probe-db"])),
        threading.Thread(
            target=run_pg_isready, args=(pg_isready, port, stop, outcomes["pg_isready 1s loop"])
        ),
        threading.Thread(target=run_doubling, args=(target, stop, outcomes["doubling 1,2,4,8"])),
    ]
    began = time.time()
    for t in threads:
        t.start()
    time.sleep(wait)
    event = time.time()
    if scenario == 2:
        server.promote()
    else:
        server.start(wait=False)
    for t in threads:
        t.join(timeout=deadline + 30)
    stop.set()
    server.wait_ready() if scenario != 2 else None
    ready = ready_time(server, event)
    if proxy is not None:
        proxy.close()
    server.stop()
    shutil.rmtree(server.datadir, ignore_errors=True)
    result: dict[str, Any] = {"scenario": scenario, "wait": wait, "server_ready": ready}
    for name, o in outcomes.items():
        waited = (o.ready_at - began) if o.ready_at else None
        result[name] = {
            "lag": None if (o.ready_at is None or ready is None) else o.ready_at - ready,
            "attempts": o.attempts,
            "rate": None if not waited else o.attempts / waited,
            "error": o.error,
            **o.extra,
        }
    return result


def wrong_password(factory: PgFactory, pg_isready: str, runs: int) -> dict[str, Any]:
    server = factory.new()
    server.start()
    verdicts, walls = [], []
    for _ in range(runs):
        began = time.monotonic()
        proc = probe_db_json(server.url(password="Bad-Pass-4417"))
        walls.append(time.monotonic() - began)
        doc = json.loads(proc.stdout)
        assert proc.returncode == 4, proc.returncode
        # From the first attempt: the time before it is the interpreter's start-up.
        first = doc["details"]["attempts"][0]["started"]
        verdicts.append(doc["details"]["elapsed"] - first)
        assert "Bad-Pass-4417" not in proc.stdout
    isready = {}
    for label, kw in (
        ("wrong password", {"password": "Bad-Pass-4417"}),
        ("missing database", {"dbname": "nodb"}),
        ("pg_hba reject", {"user": "rejectme"}),
    ):
        args = pg_isready_args(
            pg_isready, server.port, user=kw.get("user", "app"), dbname=kw.get("dbname", "appdb")
        )
        isready_rc = subprocess.run(args, capture_output=True, text=True, check=False).returncode
        isready[label] = (isready_rc, probe_db_json(server.url(**kw)).returncode)
    server.stop()
    return {"verdict": verdicts, "process": walls, "pg_isready_vs_probe": isready}


def _burn(stop: Any) -> None:
    while not stop.is_set():
        pass


def deadline_walls(
    factory: PgFactory, deadline: float, runs: int, load: int
) -> dict[str, dict[str, list[float]]]:
    """Process wall time (start to exit, timed from outside) of ``probe-db --deadline D`` in
    every scenario where the database never becomes ready, with ``load`` busy processes."""
    import multiprocessing

    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_burn, args=(stop,)) for _ in range(load)]
    for b in burners:
        b.start()
    standby = factory.new()
    standby.make_standby()
    standby.start(wait=False)
    wait_port(standby.port)
    behind = factory.new()  # never started: the proxy holds every connection
    proxy = HoldingProxy(behind.port)
    hole = BlackHole()
    scenarios = {
        "nothing listening": url(free_port()),
        "black hole (no answer)": url(hole.port),
        "starting up (57P03)": url(standby.port),
        "held by a proxy": url(proxy.port),
    }
    walls: dict[str, list[float]] = {name: [] for name in scenarios}
    after: dict[str, list[float]] = {name: [] for name in scenarios}
    try:
        for _ in range(runs):
            for name, target in scenarios.items():
                began = time.monotonic()
                began_wall = time.time()
                proc = probe_db_json(target, "--deadline", str(deadline))
                walls[name].append(time.monotonic() - began)
                assert proc.returncode == 3, (name, proc.returncode, proc.stderr[-300:])
                d = json.loads(proc.stdout)["details"]
                # What ran after the probe's last attempt: the report, the output, the exit.
                after[name].append(walls[name][-1] - (d["started_at"] + d["elapsed"] - began_wall))
    finally:
        stop.set()
        for b in burners:
            b.join()
        hole.close()
        proxy.close()
        standby.stop()
    return {"wall": walls, "after_probe": after}


def fmt(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--min-wait", type=float, default=3.0)
    parser.add_argument("--max-wait", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenarios", default="1,2,3")
    parser.add_argument(
        "--deadline-only",
        action="store_true",
        help="only measure the process wall time against --deadline",
    )
    parser.add_argument("--deadline", type=float, default=5.0)
    parser.add_argument("--load", type=int, default=2, help="busy processes during that part")
    args = parser.parse_args()
    # The tool's own modules compiled once, as an installed package has them.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "jyoti_doctor")], check=True
    )
    # A terminated benchmark still stops its servers (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    pg_isready = shutil.which("pg_isready")
    factory = PgFactory()
    pg_isready = pg_isready or str(factory.bindir / "pg_isready")
    rng = random.Random(args.seed)
    results: list[dict[str, Any]] = []
    try:
        walls = deadline_walls(factory, args.deadline, max(1, args.runs // 2), args.load)
    except BaseException:
        factory.close()
        raise
    print(
        f"\nprocess wall time of `probe-db --deadline {args.deadline:g}` (start to exit, "
        f"{args.load} busy processes):"
    )
    print("| scenario | runs | wall median / worst (s) | after the last attempt (s) |")
    print("|---|---|---|---|")
    for name, values in walls["wall"].items():
        print(f"| {name} | {len(values)} | {fmt(values)} | {fmt(walls['after_probe'][name])} |")
    if args.deadline_only:
        factory.close()
        return
    try:
        for scenario in (int(s) for s in args.scenarios.split(",")):
            for i in range(args.runs):
                wait = rng.uniform(args.min_wait, args.max_wait)
                r = one_run(factory, scenario, wait, pg_isready)
                results.append(r)
                lags = "  ".join(
                    f"{n}: {r[n]['lag']:.2f}s"
                    if r[n]["lag"] is not None
                    else f"{n}: {r[n]['error']}"
                    for n in WAITERS
                )
                print(f"scenario {scenario} run {i + 1}: wait {wait:.1f}s  {lags}", flush=True)
        wrong = wrong_password(factory, pg_isready, args.runs)
    finally:
        factory.close()

    print(
        "\n| scenario | waiter | runs | lag median / worst (s) | attempts/s while waiting (mean) |"
    )
    print("|---|---|---|---|---|")
    for scenario in sorted({r["scenario"] for r in results}):
        rows = [r for r in results if r["scenario"] == scenario]
        for name in WAITERS:
            lags = [r[name]["lag"] for r in rows if r[name]["lag"] is not None]
            rates = [r[name]["rate"] for r in rows if r[name]["rate"] is not None]
            failed = len(rows) - len(lags)
            note = f" ({failed} never ready)" if failed else ""
            rate = f"{statistics.mean(rates):.2f}" if rates else "-"
            print(f"| {scenario} | {name} | {len(rows)}{note} | {fmt(lags)} | {rate} |")
    print(
        f"\nwrong password, probe-db verdict after its first attempt: median {statistics.median(wrong['verdict']) * 1000:.0f} ms, "
        f"worst {max(wrong['verdict']) * 1000:.0f} ms; whole process median {statistics.median(wrong['process']):.2f} s "
        f"({len(wrong['verdict'])} runs)"
    )
    for label, (isready_rc, probe_rc) in wrong["pg_isready_vs_probe"].items():
        print(f"{label}: pg_isready exit {isready_rc}, probe-db exit {probe_rc}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "probe_db.json").write_text(
        json.dumps({"runs": results, "wrong_password": wrong}, indent=2)
    )


if __name__ == "__main__":
    main()
