"""check-serve against real servers on 127.0.0.1: each scenario's verdict, and nothing left running."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.serve.launch import free_port

from . import apps
from .procs import no_survivors

PY = sys.executable
BIN = Path(PY).parent


def serve(
    runner: CliRunner, project: Path, command: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app,
        [
            "check-serve",
            command,
            "--project",
            str(project),
            "--python",
            PY,
            "--format",
            "json",
            *extra,
        ],
    )
    try:
        doc = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"no JSON document: {result.output}") from None
    return result.exit_code, doc


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        "uvicorn main:app --host 0.0.0.0 --port $PORT",
        "hypercorn main:app --bind 0.0.0.0:8000",
        "fastapi run main.py --port 80",
        "gunicorn -k uvicorn.workers.UvicornWorker -w 2 -b 0.0.0.0:$PORT main:app",
        "python -m uvicorn main:app --port 8000",
        "uvicorn main:app --reload",  # a reloader process and its server child
        "uvicorn main:app --workers 2",  # a supervisor and two worker processes
    ],
)
def test_fastapi_app_with_routers_is_ready_and_clean(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, command)
    summary = doc["summary"]
    assert summary["outcome"] == "ready", doc
    assert summary["health_path"] == "/openapi.json" and summary["health_status"] == 200
    assert summary["seconds_to_ready"] > 0 and summary["processes_left"] == 0
    assert summary["url"].startswith("http://127.0.0.1:")
    assert codes(doc) == [] and code == 0


def test_health_path_is_requested_and_reported(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "uvicorn main:app", "--path", "/health")
    assert doc["summary"]["health_path"] == "/health" and doc["summary"]["health_status"] == 200
    assert code == 0
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "uvicorn main:app", "--path", "/nope")
    assert codes(doc) == ["JD232"] and code == 1
    assert "GET /nope answered 404" in doc["findings"][0]["message"]


def test_router_include_swallowed_is_seen_in_the_log_of_a_ready_server(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.SWALLOWED_APP)
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "uvicorn main:app")
    assert doc["summary"]["outcome"] == "ready"
    assert codes(doc) == ["JD204"] and code == 1
    message = doc["findings"][0]["message"]
    assert "Failed to register billing endpoints: No module named 'backend'" in message
    assert "became ready" in message


def test_lifespan_that_raises_never_becomes_ready(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.LIFESPAN_APP)
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "uvicorn main:app")
    assert doc["summary"]["outcome"] == "exited" and code == 1
    assert doc["details"]["server_exit_code"] == 3
    assert codes(doc) == ["JD230"]  # the traceback is its cause, with the frame that raised
    message = doc["findings"][0]["message"]
    assert "RuntimeError: cache warm-up failed" in message and "main.py:" in message
    kinds = [e["kind"] for e in doc["details"]["events"]]
    assert "startup-failed" in kinds and "traceback" in kinds


def test_a_server_that_never_binds_times_out_within_the_deadline_and_is_killed(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.NEVER_BINDS_APP)
    started = time.monotonic()
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "python main.py", "--deadline", "3", "--grace", "1")
    elapsed = time.monotonic() - started
    assert doc["summary"]["outcome"] == "timeout" and code == 1
    assert codes(doc) == ["JD230"]
    assert "never accepted a connection" in doc["findings"][0]["message"]
    # It ignores SIGTERM: the group was killed after the grace period.
    assert doc["summary"]["stopped_with"] == "SIGKILL"
    assert elapsed < 3 + 1 + 4  # deadline + grace + process start/stop overheads


def test_a_script_that_ignores_port_is_named(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = free_port()
    apps.write(tmp_path, apps.wrong_port_app(fixed))
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "python main.py", "--deadline", "6")
    assert doc["summary"]["outcome"] == "timeout" and code == 1
    message = doc["findings"][0]["message"]
    assert f"127.0.0.1:{fixed}" in message and "$PORT" in message


def test_gunicorn_whose_workers_die(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.GUNICORN_BROKEN_WORKER)
    monkeypatch.delenv("DATABASE_READY", raising=False)
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "gunicorn -w 2 wsgi:application")
    assert doc["summary"]["outcome"] in ("exited", "timeout") and code == 1
    found = codes(doc)
    # One verdict with the exception, one finding for all the deaths (not one per log line).
    assert found == ["JD230", "JD233"]
    assert "KeyError: 'DATABASE_READY'" in doc["findings"][0]["message"]
    assert "2 worker(s) died" in doc["findings"][1]["message"]
    assert "Worker failed to boot" in doc["findings"][1]["message"]
    kinds = [e["kind"] for e in doc["details"]["events"]]
    assert "worker-boot" in kinds and "worker-died" in kinds


def test_gunicorn_wsgi_app_is_ready_on_root(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.WSGI_APP)
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "gunicorn -w 2 wsgi:application")
    assert doc["summary"]["outcome"] == "ready" and doc["summary"]["health_path"] == "/"
    assert doc["summary"]["health_status"] == 200 and code == 0


def test_a_start_command_that_cannot_run_is_a_usage_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    result = runner.invoke(
        app,
        [
            "check-serve",
            "uvicorn main:app",
            "--project",
            str(tmp_path),
            "--python",
            str(tmp_path / "no-such-python"),
        ],
    )
    assert result.exit_code == 2 and "interpreter not found" in result.output


def test_no_start_command_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    result = runner.invoke(app, ["check-serve", "--project", str(tmp_path)])
    assert result.exit_code == 2 and "no start command" in result.output


def test_secrets_printed_by_the_server_are_masked_in_every_format(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "s3cr3t-Pa55word-xyz"
    key = "sk-proj-Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A"
    apps.write(tmp_path, apps.ROUTERS_APP)
    with (tmp_path / "main.py").open("a") as fh:
        fh.write(
            "import os\n"
            'print("ERROR connecting with", os.environ["DATABASE_URL"], flush=True)\n'
            'print("ERROR bad key", os.environ["OPENAI_API_KEY"], flush=True)\n'
            'print("ERROR token", os.environ["INTERNAL_TOKEN"], flush=True)\n'
        )
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{password}@127.0.0.1:1/app")
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("INTERNAL_TOKEN", "plain-internal-token-value")
    for fmt in ("json", "rich", "github"):
        with no_survivors(monkeypatch):
            result = runner.invoke(
                app,
                [
                    "check-serve",
                    "uvicorn main:app",
                    "--project",
                    str(tmp_path),
                    "--python",
                    PY,
                    "--format",
                    fmt,
                ],
            )
        # The lines are reported (masked), not dropped.
        assert "ERROR connecting with" in result.output
        for secret in (password, key, "plain-internal-token-value"):
            assert secret not in result.output, (fmt, secret)
    assert result.exit_code == 1


def test_a_database_refusing_at_startup_is_classified(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.database_lifespan_app(free_port()))
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "uvicorn main:app")
    assert doc["summary"]["outcome"] == "exited" and code == 1
    found = codes(doc)
    assert found[0] == "JD230" and "Connection refused" in doc["findings"][0]["message"]
    assert "JD401" in found  # refused is transient: the database is not ready
    assert "pw-not-shown" not in json.dumps(doc)


def test_a_health_path_that_raises_names_the_exception(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    with (tmp_path / "routers/health.py").open("a") as fh:
        fh.write('\n\n@router.get("/ready")\ndef ready() -> dict[str, str]:\n    return {}["db"]\n')
    with no_survivors(monkeypatch):
        code, doc = serve(runner, tmp_path, "uvicorn main:app", "--path", "/ready")
    assert doc["summary"]["outcome"] == "ready" and doc["summary"]["health_status"] == 500
    assert codes(doc) == ["JD232"] and code == 1
    message = doc["findings"][0]["message"]
    assert "KeyError: 'db'" in message and "routers/health.py:" in message
