"""fix-imports predicts every entry point (start command, pytest, alembic) before and after a
rewrite, and refuses one that breaks an entry point that works, naming it; ``--force`` writes
anyway. Small hand-written projects modelled on a full-stack template's backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from jyoti_doctor import guard
from jyoti_doctor.cli import app

MAIN = (
    b"from fastapi import FastAPI\n\n"
    b"from app.api.routes import router\n\n"
    b"app = FastAPI()\n"
    b"app.include_router(router)\n"
)
ROUTES = (
    b"from fastapi import APIRouter\n\n"
    b"from app import crud\n\n"
    b"router = APIRouter()\n\n\n"
    b"@router.get('/items')\n"
    b"def items() -> list[int]:\n"
    b"    return crud.items()\n"
)
TEST_MAIN = (
    b"from app.main import app\n\n\ndef test_routes() -> None:\n    assert app.title == 'FastAPI'\n"
)


def write(base: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def template(base: Path) -> Path:
    """backend/: app package started by a Dockerfile as `fastapi run app/main.py`, tests that
    import `app.` with pytest's rootdir at backend/ (tests/ is a package, so backend/ is the
    directory pytest puts on sys.path)."""
    backend = base / "backend"
    write(
        backend,
        {
            "pyproject.toml": "[project]\nname = 'app'\nversion = '0'\n"
            "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
            "Dockerfile": "FROM python:3.11\nWORKDIR /app/\nCOPY ./app /app/app\n"
            'CMD ["fastapi", "run", "--workers", "4", "app/main.py"]\n',
            "app/__init__.py": "",
            "app/main.py": MAIN,
            "app/api/__init__.py": "",
            "app/api/routes.py": ROUTES,
            "app/crud.py": "def items() -> list[int]:\n    return [1]\n",
            "tests/__init__.py": "",
            "tests/conftest.py": "import pytest\n",
            "tests/api/__init__.py": "",
            "tests/api/test_main.py": TEST_MAIN,
        },
    )
    return backend


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def findings(stdout: str) -> list[dict[str, object]]:
    doc = json.loads(stdout)
    found: list[dict[str, object]] = doc["findings"]
    return found


def codes(stdout: str, code: str) -> list[str]:
    return [str(f["message"]) for f in findings(stdout) if f["code"] == code]


def write_root_style(runner: CliRunner, target: Path) -> Result:
    """``fix-imports --style root --write TARGET --format json``."""
    return runner.invoke(
        app, ["fix-imports", "--style", "root", "--write", str(target), "--format", "json"]
    )


def real_pytest(backend: Path) -> subprocess.CompletedProcess[str]:
    """The suite as a developer runs it: the `pytest` program from backend/ (no cwd on the
    path: only what pytest itself inserts)."""
    return subprocess.run(
        [sys.executable, "-c", "import sys, pytest; sys.path.pop(0); sys.exit(pytest.main())"],
        cwd=backend,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )


def test_root_style_that_breaks_the_dockerfile_and_the_tests_is_refused(
    tmp_path: Path, runner: CliRunner
) -> None:
    backend = template(tmp_path)
    package = backend / "app"
    before = {p: p.read_bytes() for p in package.rglob("*.py")}
    for extra in ([], ["--write"]):
        result = runner.invoke(
            app,
            ["fix-imports", "--style", "root", *extra, str(package), "--format", "json"],
        )
        assert result.exit_code == 1, result.output
        broken = codes(result.stdout, "JD107")
        assert len(broken) == 2, broken
        [start] = [m for m in broken if m.startswith("start command")]
        assert "fastapi run --workers 4 app/main.py" in start and "Dockerfile" in start
        assert "No module named 'api'" in start
        [tests] = [m for m in broken if m.startswith("pytest")]
        assert "tests/api/test_main.py" in tests and "No module named" in tests
        assert {p: p.read_bytes() for p in package.rglob("*.py")} == before
    rows = json.loads(result.stdout)["sections"]["entry_points"]
    table = {(r["launch"], r["before"], r["after"]) for r in rows}
    assert ("`fastapi run --workers 4 app/main.py`", "works", "fails") in table
    assert any(r["launch"].endswith("conftest.py") and r["after"] == "works" for r in rows)


def test_force_writes_and_the_verdict_matches_real_pytest(
    tmp_path: Path, runner: CliRunner
) -> None:
    backend = template(tmp_path)
    ran = real_pytest(backend)
    assert ran.returncode == 0, ran.stdout + ran.stderr  # the verdict "works" before: real
    result = runner.invoke(
        app,
        ["fix-imports", "--style", "root", "--write", "--force", str(backend / "app")],
        catch_exceptions=False,
    )
    assert b"from api.routes import router" in (backend / "app/main.py").read_bytes()
    assert "JD107 warning" in result.output and "written anyway (--force)" in result.output
    ran = real_pytest(backend)
    # The verdict "fails" after: real pytest cannot import the rewritten app either.
    assert ran.returncode != 0
    assert "ModuleNotFoundError: No module named 'api'" in ran.stdout + ran.stderr


def test_relative_style_that_keeps_every_entry_point_is_written(
    tmp_path: Path, runner: CliRunner
) -> None:
    backend = template(tmp_path)
    result = runner.invoke(
        app, ["fix-imports", "--write", str(backend / "app"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert codes(result.stdout, "JD107") == []
    assert b"from .api.routes import router" in (backend / "app/main.py").read_bytes()
    assert b"from .. import crud" in (backend / "app/api/routes.py").read_bytes()
    ran = real_pytest(backend)
    assert ran.returncode == 0, ran.stdout + ran.stderr


ENV_PY = "from app.models import TABLES\n\nprint('migrating', TABLES)\n"


@pytest.mark.parametrize("prepend", [True, False])
def test_alembic_env_py(tmp_path: Path, runner: CliRunner, prepend: bool) -> None:
    """env.py run by path from alembic.ini's directory: with `prepend_sys_path = .` it works
    now and a root-style rewrite of app/ breaks it; without it, env.py reaches the project only
    through PYTHONPATH or an installed copy: not checked (info), and the rewrite proceeds."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n",
            "alembic.ini": "[alembic]\nscript_location = migrations\n"
            + ("prepend_sys_path = .\n" if prepend else ""),
            "migrations/env.py": ENV_PY,
            "app/__init__.py": "",
            "app/db.py": "TABLES = ['items']\n",
            "app/models.py": "from app.db import TABLES\n",
        },
    )
    result = write_root_style(runner, tmp_path / "app")
    models = (tmp_path / "app/models.py").read_bytes()
    if prepend:
        assert result.exit_code == 1, result.output
        [broken] = codes(result.stdout, "JD107")
        assert broken.startswith("alembic") and "env.py" in broken
        assert "No module named 'db'" in broken
        assert models == b"from app.db import TABLES\n"
        # What alembic does with that ini: the ini's directory first on sys.path, env.py by path.
        ran = subprocess.run(
            [
                sys.executable,
                "-c",
                "import runpy, sys; sys.path[0] = '.'; runpy.run_path('migrations/env.py')",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == 0 and "migrating ['items']" in ran.stdout, ran.stderr
    else:
        assert result.exit_code == 0, result.output
        assert codes(result.stdout, "JD107") == []
        [info] = codes(result.stdout, "JD108")
        assert "not checked" in info and "prepend_sys_path" in info
        assert models == b"from db import TABLES\n"


def test_a_start_command_that_cannot_be_modelled_never_blocks(
    tmp_path: Path, runner: CliRunner
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n",
            # Nothing of the project is copied into /srv: where it starts cannot be told.
            "Dockerfile": "FROM python:3.11\nWORKDIR /srv\nCMD uvicorn app.main:app\n",
            "app/__init__.py": "",
            "app/db.py": "X = 1\n",
            "app/main.py": "from app.db import X\n",
        },
    )
    result = write_root_style(runner, tmp_path / "app")
    assert result.exit_code == 0, result.output
    [note] = codes(result.stdout, "JD108")
    assert "not checked" in note
    assert (tmp_path / "app/main.py").read_bytes() == b"from db import X\n"


def test_a_compose_file_at_the_repository_top_is_asked_too(
    tmp_path: Path, runner: CliRunner
) -> None:
    """The template's real shape: backend/Dockerfile built with the repository as its context
    (by the compose file at the top), so only the compose file says where the command starts."""
    backend = template(tmp_path)
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.uv.workspace]\nmembers = ['backend']\n",
            "docker-compose.yml": "services:\n  backend:\n    build:\n      context: .\n"
            "      dockerfile: backend/Dockerfile\n",
            "backend/Dockerfile": "FROM python:3.11\nWORKDIR /app/\n"
            "COPY ./backend/app /app/backend/app\nWORKDIR /app/backend/\n"
            'CMD ["fastapi", "run", "--workers", "4", "app/main.py"]\n',
        },
    )
    (tmp_path / ".git").mkdir()
    result = runner.invoke(
        app, ["fix-imports", "--style", "root", str(backend / "app"), "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    [start] = [m for m in codes(result.stdout, "JD107") if m.startswith("start command")]
    assert "backend/Dockerfile" in start and "No module named 'api'" in start


def test_an_error_of_the_guard_itself_never_blocks_the_rewrite(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = template(tmp_path)

    def broken(directory: Path, config: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(guard, "entry_points", broken)
    result = write_root_style(runner, backend / "app")
    assert result.exit_code == 0, result.output
    [note] = codes(result.stdout, "JD108")
    assert "not checked" in note and "RuntimeError: boom" in note
    assert b"from api.routes import router" in (backend / "app/main.py").read_bytes()


@pytest.mark.parametrize("pythonpath", [True, False])
def test_pytest_pythonpath_option(tmp_path: Path, runner: CliRunner, pythonpath: bool) -> None:
    """A src layout whose tests reach the package through the ini `pythonpath`: a root-style
    rewrite breaks them. Without that option the tests reach the package only through an
    installed copy or PYTHONPATH: not checked (information), and the rewrite proceeds."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n"
            + ("[tool.pytest.ini_options]\npythonpath = ['src']\n" if pythonpath else ""),
            "src/svc/__init__.py": "",
            "src/svc/db.py": "X = 1\n",
            "src/svc/main.py": "from svc.db import X\n",
            "tests/test_main.py": "from svc.main import X\n\n\ndef test_x() -> None:\n"
            "    assert X == 1\n",
        },
    )
    result = runner.invoke(
        app,
        [
            "fix-imports",
            "--style",
            "root",
            "--write",
            str(tmp_path / "src/svc"),
            "--format",
            "json",
        ],
    )
    main = (tmp_path / "src/svc/main.py").read_bytes()
    if pythonpath:
        assert result.exit_code == 1, result.output
        [broken] = codes(result.stdout, "JD107")
        assert broken.startswith("pytest") and "tests/test_main.py" in broken
        assert "No module named 'db'" in broken
        assert main == b"from svc.db import X\n"
    else:
        assert result.exit_code == 0, result.output
        [info] = codes(result.stdout, "JD108")
        assert "not checked" in info and "`svc` is imported from outside" in info
        assert main == b"from db import X\n"


# --- every discovered start command, not only the first -----------------------------------


def rows(stdout: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The "Entry points" table: (entry point, launch) → (before, after)."""
    table = json.loads(stdout)["sections"]["entry_points"]
    return {(r["entry point"], r["launch"]): (r["before"], r["after"]) for r in table}


def worker_project(base: Path) -> Path:
    """A web app that does not import the background jobs, and a worker that does: a
    root-style rewrite of app/ keeps the first Procfile process and breaks the second."""
    from tests.startup.test_accuracy import ASGI_APP, MAIN_GUARD

    write(
        base,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n",
            "Procfile": "web: uvicorn app.main:app --host 0.0.0.0 --port $PORT\n"
            "worker: python -m app.worker\n",
            "app/__init__.py": "",
            "app/main.py": ASGI_APP,
            "app/db.py": "URL = 'postgresql://db/app'\n",
            "app/jobs.py": "from app.db import URL\n\n\ndef run() -> str:\n    return URL\n",
            "app/worker.py": "from app.jobs import run\n" + MAIN_GUARD,
        },
    )
    return base


def test_a_later_procfile_process_that_breaks_refuses_the_rewrite(
    tmp_path: Path, runner: CliRunner
) -> None:
    from tests.startup.test_accuracy import _need_launchers, observe

    _need_launchers()
    root = worker_project(tmp_path / "proj")
    package = root / "app"
    before = {p: p.read_bytes() for p in package.rglob("*.py")}
    # What the real launchers do now: both processes start.
    assert observe(root, "uvicorn app.main:app")[0] == "starts"
    assert observe(root, "python -m app.worker")[0] == "starts"
    result = write_root_style(runner, package)
    assert result.exit_code == 1, result.output
    [broken] = codes(result.stdout, "JD107")
    assert broken.startswith("start command `python -m app.worker` (Procfile:2 (worker))")
    assert "No module named 'jobs'" in broken
    assert {p: p.read_bytes() for p in package.rglob("*.py")} == before
    table = rows(result.stdout)
    web = "start command `uvicorn app.main:app --host 0.0.0.0 --port $PORT` (Procfile:1 (web))"
    assert table[(web, "`uvicorn app.main:app --host 0.0.0.0 --port $PORT`")] == ("works", "works")
    worker = "start command `python -m app.worker` (Procfile:2 (worker))"
    assert table[(worker, "`python -m app.worker`")] == ("works", "fails")
    assert json.loads(result.stdout)["summary"]["entry_points"].startswith("2 predicted")

    # Forced: the real launchers agree with both verdicts after the rewrite.
    forced = runner.invoke(
        app, ["fix-imports", "--style", "root", "--write", "--force", str(package)]
    )
    assert "written anyway (--force)" in forced.output and "files_written: 2" in forced.output
    assert (package / "worker.py").read_bytes().startswith(b"from jobs import run\n")
    assert observe(root, "uvicorn app.main:app")[0] == "starts"
    assert observe(root, "python -m app.worker")[0] == "No module named 'jobs'"


COMPOSE = """\
services:
  api:
    build: .
    ports:
      - "8000:8000"
  worker:
    build: .
    command: python -m app.tasks
    depends_on:
      - api
  migrate:
    build: .
    command: python -m app.migrate
"""


def test_the_third_compose_service_that_breaks_refuses_the_rewrite(
    tmp_path: Path, runner: CliRunner
) -> None:
    """api (the image's CMD), worker and migrate built from one Dockerfile: only migrate
    imports the rewritten modules. The Dockerfile's own CMD is api's command: listed once."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n",
            "docker-compose.yml": COMPOSE,
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . /srv\n"
            'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n',
            "app/__init__.py": "",
            "app/main.py": "app = object()\n",
            "app/tasks.py": "print('working')\n",
            "app/db.py": "TABLES = ['items']\n",
            "app/migrate.py": "from app.db import TABLES\n\nprint('migrating', TABLES)\n",
        },
    )
    result = write_root_style(runner, tmp_path / "app")
    assert result.exit_code == 1, result.output
    [broken] = codes(result.stdout, "JD107")
    assert broken.startswith(
        "start command `python -m app.migrate` (docker-compose.yml:11 (migrate))"
    )
    assert "No module named 'db'" in broken
    assert (tmp_path / "app/migrate.py").read_bytes().startswith(b"from app.db import")
    table = rows(result.stdout)
    starts = [(group, verdict) for (group, _), verdict in table.items() if "start command" in group]
    api = (
        "start command `uvicorn app.main:app --host 0.0.0.0` (docker-compose.yml:2 (api) "
        "via Dockerfile:4 (WORKDIR /srv))"
    )
    assert starts == [
        (api, ("works", "works")),
        ("start command `python -m app.tasks` (docker-compose.yml:6 (worker))", ("works", "works")),
        (
            "start command `python -m app.migrate` (docker-compose.yml:11 (migrate))",
            ("works", "fails"),
        ),
    ]
    # The finding points at the import that would fail.
    [finding] = [f for f in findings(result.stdout) if f["code"] == "JD107"]
    location = finding["location"]
    assert isinstance(location, dict)
    assert (location["path"], location["line"]) == (str(tmp_path / "app/migrate.py"), 1)


def test_services_that_cannot_be_modelled_are_not_checked_never_blocking(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A cache built from the project with a non-Python command, and a worker image whose
    WORKDIR nothing of the project is copied into (the app is pip-installed): both are said
    to be "not checked" (JD108, information), and the rewrite that keeps the api is written."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n",
            "compose.yaml": "services:\n"
            "  api:\n    build: .\n"
            "  cache:\n    build: ./cache\n"
            "  worker:\n    build:\n      context: .\n      dockerfile: worker.Dockerfile\n",
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . /srv\n"
            'CMD ["uvicorn", "app.main:app"]\n',
            "worker.Dockerfile": "FROM python:3.12-slim\nWORKDIR /opt/worker\n"
            "RUN pip install svc\n"
            'CMD ["python", "-m", "app.tasks"]\n',
            "cache/Dockerfile": "FROM redis:7\nWORKDIR /data\nCOPY redis.conf /data/redis.conf\n"
            'CMD ["redis-server", "/data/redis.conf"]\n',
            "cache/redis.conf": "appendonly yes\n",
            "app/__init__.py": "",
            "app/db.py": "URL = 'x'\n",
            "app/main.py": "from app.db import URL\n\napp = object()\n",
            "app/tasks.py": "from app.db import URL\n",
        },
    )
    result = runner.invoke(
        app, ["fix-imports", "--write", str(tmp_path / "app"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert codes(result.stdout, "JD107") == []
    notes = codes(result.stdout, "JD108")
    [cache] = [n for n in notes if "(compose.yaml:4 (cache) via" in n]
    assert "`redis-server /data/redis.conf`" in cache and "not checked" in cache
    assert "not one jyoti-doctor understands" in cache
    [worker] = [n for n in notes if "(compose.yaml:6 (worker) via" in n]
    assert "`python -m app.tasks`" in worker
    assert "the directory the command starts in is unknown" in worker
    assert len(notes) == 2, notes
    table = rows(result.stdout)
    assert sorted(table.values()) == [
        ("not checked", "not checked"),
        ("not checked", "not checked"),
        ("works", "works"),
    ]
    assert json.loads(result.stdout)["summary"]["entry_points"] == "1 predicted, 2 not checked"
    assert (tmp_path / "app/main.py").read_bytes().startswith(b"from .db import URL")


def test_every_start_command_is_discovered_in_precedence_order_first_as_before(
    tmp_path: Path,
) -> None:
    from jyoti_doctor.config import Settings
    from jyoti_doctor.launch.deploy import discover, discover_all

    write(
        tmp_path,
        {
            "Procfile": "release: python -m app.migrate\nweb: gunicorn app.main:app\n"
            "worker: celery -A app.tasks worker\n",
            "render.yaml": "services:\n  - type: worker\n    name: jobs\n"
            "    startCommand: celery -A app.tasks worker\n"
            "  - type: web\n    name: site\n    startCommand: gunicorn app.main:app\n",
            "compose.yml": "services:\n  worker:\n    build: .\n"
            "    command: celery -A app.tasks worker\n  web:\n    build: .\n",
            "Dockerfile": "FROM python:3.12\nWORKDIR /srv\nCOPY . /srv\n"
            'CMD ["gunicorn", "app.main:app"]\n',
        },
    )
    found = discover_all(tmp_path, Settings())
    assert [(f.command, f.origin or f.source) for f in found.commands] == [
        ("gunicorn app.main:app", "Procfile:2 (web)"),
        ("python -m app.migrate", "Procfile:1 (release)"),
        ("celery -A app.tasks worker", "Procfile:3 (worker)"),
    ]
    assert found.unread == ()
    assert discover(tmp_path, Settings()) == found.commands[0]
    # The compose services and the Dockerfile run in /srv, the project: the same commands in
    # the same directory, listed once. Without the Procfile, the rest is in the same order.
    (tmp_path / "Procfile").unlink()
    (tmp_path / "render.yaml").unlink()
    found = discover_all(tmp_path, Settings())
    assert [(f.command, f.origin) for f in found.commands] == [
        ("gunicorn app.main:app", "compose.yml:5 (web)"),
        ("celery -A app.tasks worker", "compose.yml:2 (worker)"),
    ]
    assert discover(tmp_path, Settings()) == found.commands[0]
    # Like `docker compose` without -f, only compose.yaml is read when a stale
    # docker-compose.yml sits beside it: the old file's service runs nowhere.
    (tmp_path / "compose.yml").rename(tmp_path / "compose.yaml")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  old:\n    build: .\n    command: python legacy.py\n"
    )
    found = discover_all(tmp_path, Settings())
    assert "python legacy.py" not in [f.command for f in found.commands]
    assert [f.origin for f in found.commands] == ["compose.yaml:5 (web)", "compose.yaml:2 (worker)"]


def test_a_service_running_the_image_a_sibling_builds_is_an_entry_point(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A worker without `build:` that runs the app's image (`image: shop`, built by `web`) starts
    the project's code too: a rewrite that breaks it is refused like any other."""
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\nversion = '0'\n",
            "compose.yaml": "services:\n  web:\n    build: .\n    image: shop\n"
            "  worker:\n    image: shop\n    command: python -m app.worker\n"
            "  cache:\n    image: redis:7\n",
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . /srv\n"
            'CMD ["uvicorn", "app.main:app"]\n',
            "app/__init__.py": "",
            "app/main.py": "app = object()\n",
            "app/jobs.py": "QUEUE = 'q'\n",
            "app/worker.py": "from app.jobs import QUEUE\n\nprint('working', QUEUE)\n",
        },
    )
    from jyoti_doctor.config import Settings
    from jyoti_doctor.launch.deploy import discover_all

    found = discover_all(tmp_path, Settings())
    assert [f.origin for f in found.commands] == ["compose.yaml:2 (web)", "compose.yaml:5 (worker)"]
    result = write_root_style(runner, tmp_path / "app")
    assert result.exit_code == 1, result.output
    [broken] = codes(result.stdout, "JD107")
    assert "compose.yaml:5 (worker)" in broken and "No module named 'jobs'" in broken
    assert (tmp_path / "app/worker.py").read_bytes().startswith(b"from app.jobs import")
