"""Measurement: time to ready per launcher, and the verdict of check-serve in each scenario.

Run on demand (not part of the test suite), from the repository root:

    python bench/serve_ready.py [--runs 5]

Part 1 starts ``fixtures/fastapi-shop`` with each launcher through ``jyoti-doctor check-serve``
(a subprocess, JSON output) and reports the time from spawn to the first HTTP answer, the latency
of the health request on the warm server, and how the process group was stopped.

Part 2 runs every scenario of tests/serve (the same small apps) once and prints the verdict:
outcome, exit code, finding codes, seconds. Each run uses a fresh temporary copy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jyoti_doctor.serve.launch import free_port
from tests.serve import apps

LAUNCHERS = (
    "uvicorn app.main:app --host 0.0.0.0 --port $PORT",
    "python -m uvicorn app.main:app",
    "fastapi run app/main.py --port $PORT",
    "hypercorn app.main:app --bind 0.0.0.0:8000",
    "gunicorn -k uvicorn.workers.UvicornWorker -w 2 app.main:app",
    "uvicorn app.main:app --workers 2",
)


def serve(project: Path, command: str, *extra: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jyoti_doctor",
            "check-serve",
            command,
            "--project",
            str(project),
            "--python",
            sys.executable,
            "--format",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def part1(runs: int) -> None:
    print(f"## time to ready, fixtures/fastapi-shop, {runs} runs each\n")
    print("| launcher | ready (s) median | min | max | health latency (ms) median | stopped with |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        project = shutil.copytree(REPO / "fixtures" / "fastapi-shop", Path(tmp) / "shop")
        for command in LAUNCHERS:
            ready, latency, stops = [], [], set()
            for _ in range(runs):
                code, doc = serve(project, command, "--path", "/api/v1/utils/health-check/")
                s = doc["summary"]
                if s["outcome"] != "ready":
                    print(f"| `{command}` | not ready: {s['outcome']} (exit {code}) |")
                    break
                ready.append(s["seconds_to_ready"])
                latency.append(s["health_seconds"] * 1000)
                stops.add(s["stopped_with"])
            else:
                print(
                    f"| `{command}` | {statistics.median(ready):.2f} | {min(ready):.2f} | "
                    f"{max(ready):.2f} | {statistics.median(latency):.1f} | {', '.join(sorted(stops))} |"
                )


def part2() -> None:
    scenarios: list[tuple[str, dict[str, str], str, tuple[str, ...]]] = [
        ("FastAPI with routers", apps.ROUTERS_APP, "uvicorn main:app", ()),
        ("router include fails inside try/except", apps.SWALLOWED_APP, "uvicorn main:app", ()),
        ("lifespan raises", apps.LIFESPAN_APP, "uvicorn main:app", ()),
        (
            "never binds (ignores SIGTERM)",
            apps.NEVER_BINDS_APP,
            "python main.py",
            ("--deadline", "5", "--grace", "1"),
        ),
        (
            "listens on a fixed port, ignores $PORT",
            apps.wrong_port_app(free_port()),
            "python main.py",
            ("--deadline", "5"),
        ),
        (
            "gunicorn, every worker dies at boot",
            apps.GUNICORN_BROKEN_WORKER,
            "gunicorn -w 2 wsgi:application",
            (),
        ),
        (
            "database refuses at start-up",
            apps.database_lifespan_app(free_port()),
            "uvicorn main:app",
            (),
        ),
    ]
    print("\n## scenarios\n")
    print("| scenario | command | outcome | exit | findings | seconds | stopped with |")
    print("|---|---|---|---|---|---|---|")
    for title, files, command, extra in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            project = apps.write(Path(tmp), files)
            code, doc = serve(project, command, *extra)
        s = doc["summary"]
        found = " ".join(f["code"] for f in doc["findings"]) or "none"
        seconds = s["seconds_to_ready"] if s["seconds_to_ready"] is not None else "–"
        print(
            f"| {title} | `{command}` | {s['outcome']} | {code} | {found} | {seconds} | "
            f"{s['stopped_with']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    part1(args.runs)
    part2()


if __name__ == "__main__":
    main()
