"""Start commands: every supported form parsed, and discovery from config, Procfile, render.yaml
and Dockerfile, with where each came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.config import Settings
from jyoti_doctor.errors import UsageError
from jyoti_doctor.findings import ExitCode
from jyoti_doctor.launch import DEPLOY_FILES, may_name_a_start_command
from jyoti_doctor.launch.command import Launcher, parse_command
from jyoti_doctor.launch.deploy import discover, discover_all, parse_render_services
from jyoti_doctor.startup.check import check_startup
from jyoti_doctor.startup.syspath import EntryKind, model_launch

R = Path("/srv/app")


@pytest.mark.parametrize(
    ("command", "launcher", "target", "cwd", "extra"),
    [
        ("uvicorn main:app", Launcher.UVICORN, "main:app", R, {}),
        (
            "cd backend && uvicorn main:app --host 0.0.0.0 --port $PORT",
            Launcher.UVICORN,
            "main:app",
            R / "backend",
            {},
        ),
        (
            "uvicorn --reload --port 8000 main:app --app-dir backend",
            Launcher.UVICORN,
            "main:app",
            R,
            {"app_dir": "backend"},
        ),
        (
            "uvicorn --app-dir=src pkg.main:app --factory",
            Launcher.UVICORN,
            "pkg.main:app",
            R,
            {"app_dir": "src"},
        ),
        (
            "gunicorn -k uvicorn.workers.UvicornWorker -w 4 --chdir backend main:app",
            Launcher.GUNICORN,
            "main:app",
            R,
            {"chdir": "backend"},
        ),
        (
            "gunicorn main:create_app() --pythonpath lib,vendor -b :8000",
            Launcher.GUNICORN,
            "main:create_app()",
            R,
            {"pythonpath_opt": "lib,vendor"},
        ),
        (
            "hypercorn -b 0.0.0.0:$PORT backend.main:app",
            Launcher.HYPERCORN,
            "backend.main:app",
            R,
            {},
        ),
        ("fastapi run backend/main.py --port 80", Launcher.FASTAPI, "backend/main.py", R, {}),
        ("fastapi dev", Launcher.FASTAPI, "", R, {}),
        ("python backend/main.py", Launcher.SCRIPT, "backend/main.py", R, {}),
        ("python3.12 -u main.py --debug", Launcher.SCRIPT, "main.py", R, {}),
        ("python -m backend.main", Launcher.MODULE, "backend.main", R, {}),
        ("python -m uvicorn main:app", Launcher.UVICORN, "main:app", R, {"python_m": True}),
        (
            "PYTHONPATH=.. uvicorn main:app",
            Launcher.UVICORN,
            "main:app",
            R,
            {"env": (("PYTHONPATH", ".."),)},
        ),
        (
            "export PYTHONPATH=src; cd api && exec uvicorn app:app",
            Launcher.UVICORN,
            "app:app",
            R / "api",
            {"env": (("PYTHONPATH", "src"),)},
        ),
        ("poetry run uvicorn main:app", Launcher.UVICORN, "main:app", R, {}),
        ("uv run --no-sync gunicorn main:app", Launcher.GUNICORN, "main:app", R, {}),
        ("sh -c 'cd backend && uvicorn main:app'", Launcher.UVICORN, "main:app", R / "backend", {}),
        ("cd backend && \\\n  uvicorn main:app", Launcher.UVICORN, "main:app", R / "backend", {}),
    ],
)
def test_parse_forms(
    command: str, launcher: Launcher, target: str, cwd: Path, extra: dict[str, object]
) -> None:
    cmd = parse_command(command, R)
    assert (cmd.launcher, cmd.target, cmd.cwd) == (launcher, target, cwd)
    assert cmd.start_cwd == R
    for key, value in extra.items():
        assert getattr(cmd, key) == value, key


@pytest.mark.parametrize(
    "command",
    [
        "",
        "node server.js",
        "python -c 'import main'",
        "uvicorn",
        "fastapi serve main.py",
        "cd && uvicorn main:app",
        "uvicorn 'main:app",
    ],
)
def test_unsupported_or_broken_commands_are_usage_errors(command: str) -> None:
    with pytest.raises(UsageError):
        parse_command(command, R)


def paths(command: str, cwd: Path = R) -> list[Path]:
    return [e.path for e in model_launch(parse_command(command, cwd)).sys_path]


def test_sys_path_per_launcher(tmp_path: Path) -> None:
    assert paths("cd backend && uvicorn main:app") == [R / "backend"]
    assert paths("uvicorn main:app --app-dir backend") == [R / "backend"]
    assert paths("cd backend && python -m uvicorn main:app --app-dir ..") == [R, R / "backend"]
    # gunicorn chdir()s twice: the starting directory stays on sys.path.
    assert paths("gunicorn --chdir backend main:app") == [R / "backend", R]
    assert paths("gunicorn --chdir backend --pythonpath lib main:app") == [
        R / "backend" / "lib",
        R / "backend",
        R,
    ]
    assert paths("cd backend && PYTHONPATH=..:shared uvicorn main:app") == [
        R / "backend",
        R,
        R / "backend" / "shared",
    ]
    assert paths("python -I -m backend.main") == []
    assert paths("hypercorn backend/main:app") == [R / "backend"]
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "__init__.py").write_text("")
    (tmp_path / "backend" / "main.py").write_text("")
    launch = model_launch(parse_command("fastapi run backend/main.py", tmp_path))
    assert [e.path for e in launch.sys_path] == [tmp_path.resolve()]
    assert launch.entry.module == "backend.main"
    script = model_launch(parse_command("python backend/main.py", tmp_path))
    assert script.entry.kind is EntryKind.SCRIPT
    assert [e.path for e in script.sys_path] == [(tmp_path / "backend").resolve()]


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_discovery_prefers_config_then_procfile(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"Procfile": "release: alembic upgrade head\nweb: cd backend && uvicorn main:app\n"},
    )
    found = discover(tmp_path, Settings())
    assert found is not None
    assert (found.command, found.source) == ("cd backend && uvicorn main:app", "Procfile:2 (web)")
    config = Settings(tmp_path / "pyproject.toml", start="uvicorn main:app", cwd="backend")
    found = discover(tmp_path, config)
    assert found is not None
    assert found.command == "uvicorn main:app"
    assert found.cwd == tmp_path / "backend"
    assert "[tool.jyoti-doctor] start" in found.source


RENDER = """\
# Render blueprint
services:
  - type: worker
    name: jobs
    startCommand: python worker.py
  - type: web
    name: "jyotiflow-api"   # the API
    runtime: python
    rootDir: backend
    buildCommand: pip install -r requirements.txt
    startCommand: >
      uvicorn main:app
      --host 0.0.0.0 --port $PORT
    envVars:
      - key: PYTHONPATH
        value: '..'
      - key: DATABASE_URL
        fromDatabase:
          name: db
          property: connectionString
databases:
  - name: db
"""


def test_render_yaml_subset() -> None:
    services = parse_render_services(RENDER)
    assert services[0] == {"type": "worker", "name": "jobs", "startCommand": "python worker.py"}
    web = services[1]
    assert web["name"] == "jyotiflow-api"
    assert web["rootDir"] == "backend"
    assert web["startCommand"] == "uvicorn main:app --host 0.0.0.0 --port $PORT"
    assert web["env:PYTHONPATH"] == ".."
    assert "env:DATABASE_URL" not in web


def test_render_yaml_discovery_uses_root_dir_and_env(tmp_path: Path) -> None:
    write(tmp_path, {"render.yaml": RENDER})
    found = discover(tmp_path, Settings())
    assert found is not None
    assert found.cwd == tmp_path / "backend"
    assert found.source == "render.yaml: service 'jyotiflow-api' startCommand (rootDir backend)"
    cmd = parse_command(found.command, found.cwd, source=found.source, env=dict(found.env))
    assert [e.path for e in model_launch(cmd).sys_path] == [tmp_path / "backend", tmp_path]


def test_render_yaml_flow_style_is_refused_clearly() -> None:
    with pytest.raises(UsageError, match="flow collections"):
        parse_render_services("services:\n  - {type: web, startCommand: uvicorn main:app}\n")


def test_render_yaml_quoted_and_literal_scalars() -> None:
    text = (
        'services:\n- type: web\n  name: api\n  startCommand: "cd backend && '
        'uvicorn main:app --port \\"$PORT\\""\n- type: web\n  name: two\n'
        "  startCommand: |\n    gunicorn main:app\n"
    )
    services = parse_render_services(text)
    assert services[0]["startCommand"] == 'cd backend && uvicorn main:app --port "$PORT"'
    assert services[1]["startCommand"] == "gunicorn main:app"


DOCKERFILE = """\
FROM python:3.12 AS build
WORKDIR /build
CMD ["python", "build.py"]

FROM python:3.12-slim
ENV PYTHONPATH=/app
WORKDIR /app
COPY requirements.txt .
COPY backend/ /app/
# the service
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", \\
     "--port", "8000"]
"""


def test_dockerfile_exec_form_maps_workdir_through_copy(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": DOCKERFILE, "backend/main.py": ""})
    found = discover(tmp_path, Settings())
    assert found is not None
    assert found.command == "uvicorn main:app --host 0.0.0.0 --port 8000"
    assert found.cwd == tmp_path / "backend"
    assert found.source == "Dockerfile:11 (WORKDIR /app)"
    assert dict(found.env)["PYTHONPATH"] == str(tmp_path / "backend")


def test_dockerfile_shell_form_and_entrypoint(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": (
                "FROM python:3.12\nWORKDIR /srv\nCOPY . .\nWORKDIR backend\n"
                'ENTRYPOINT ["python", "-m"]\nCMD ["backend.main"]\n'
            ),
            "backend/main.py": "",
        },
    )
    found = discover(tmp_path, Settings())
    assert found is not None
    assert found.command == "python -m backend.main"
    assert found.cwd == tmp_path / "backend"
    assert found.source.startswith("Dockerfile:5, Dockerfile:6")
    write(tmp_path, {"Dockerfile": "FROM python\nWORKDIR /app\nCOPY . .\nCMD uvicorn main:app\n"})
    found = discover(tmp_path, Settings())
    assert found is not None
    cmd = parse_command(found.command, found.cwd)
    assert (cmd.launcher, cmd.cwd) == (Launcher.UVICORN, tmp_path)


def test_nothing_to_discover(tmp_path: Path) -> None:
    assert discover(tmp_path, Settings()) is None
    assert not may_name_a_start_command(tmp_path, Settings())


def _deploy_sample(name: str) -> str:
    """A file of ``name``'s kind that names ``uvicorn app:app``."""
    if "compose" in name:
        return "services:\n  web:\n    build: .\n    command: uvicorn app:app\n"
    if name.startswith("render"):
        return "services:\n  - type: web\n    name: api\n    startCommand: uvicorn app:app\n"
    if name == "Procfile":
        return "web: uvicorn app:app\n"
    assert name == "Dockerfile"
    return 'FROM python:3.12\nCMD ["uvicorn", "app:app"]\n'


@pytest.mark.parametrize("name", DEPLOY_FILES)
def test_every_deploy_file_is_in_the_cheap_check(name: str, tmp_path: Path) -> None:
    # The import scan skips discovery when the cheap check says there is nothing: a file that
    # discovery reads but the check misses would lose its start command there.
    (tmp_path / name).write_text(_deploy_sample(name))
    found = discover(tmp_path, Settings())
    assert found is not None and found.command == "uvicorn app:app"
    assert may_name_a_start_command(tmp_path, Settings())


@pytest.mark.parametrize(
    "command",
    [
        "cd " + "a/" * 3000 + " && uvicorn main:app",
        "uvicorn " + "m" * 100_000 + ":app",
    ],
    ids=["cd-3000-deep", "100k-characters"],
)
def test_hostile_start_commands_are_one_line_usage_errors(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    (tmp_path / "main.py").write_text("app = 1\n")
    result = runner.invoke(app, ["check-startup", command, "--project", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("gunicorn --chdir /nonexistent main:app", "can't chdir to '/nonexistent'"),
        ("cd nowhere && uvicorn main:app", "cd: can't cd to nowhere"),
        ("sh -c 'cd nowhere && exec uvicorn main:app'", "cd: can't cd to nowhere"),
    ],
)
def test_a_missing_start_directory_is_a_predicted_failure(
    tmp_path: Path, command: str, problem: str
) -> None:
    (tmp_path / "main.py").write_text("app = 1\n")
    result = check_startup(tmp_path, Settings(), command=command)
    assert result.prediction.fatal is not None
    assert result.prediction.fatal.message.startswith(problem)
    assert result.to_report().exit_code() is ExitCode.FINDINGS


def test_multi_line_and_semicolon_chains_read_alike(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    for command in (
        "cd backend\nuvicorn main:app",
        "cd backend; uvicorn main:app",
        "cd backend && uvicorn main:app",
        "alembic upgrade head && cd backend && uvicorn main:app && echo stopped",
    ):
        cmd = parse_command(command, tmp_path)
        assert (cmd.launcher, cmd.cwd) == (Launcher.UVICORN, tmp_path / "backend"), command
    # `cd missing; x` goes on where it was; `cd missing && x` never runs x.
    assert parse_command("cd nowhere; uvicorn main:app", tmp_path).cwd == tmp_path
    assert parse_command("cd nowhere; uvicorn main:app", tmp_path).missing_dir is None
    assert parse_command("cd nowhere && uvicorn main:app", tmp_path).missing_dir == "nowhere"


def test_runner_wrappers_keep_their_directory_and_env_files(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    cmd = parse_command(
        "uv run --with httpx --directory backend --env-file .env.prod uvicorn main:app", tmp_path
    )
    assert (cmd.launcher, cmd.target, cmd.cwd) == (
        Launcher.UVICORN,
        "main:app",
        tmp_path / "backend",
    )
    assert cmd.env_files == (tmp_path / "backend" / ".env.prod",)
    assert parse_command("poetry run -C backend gunicorn main:app", tmp_path).cwd == (
        tmp_path / "backend"
    )
    # pipenv run and `dotenv run --` load .env; `uv run` alone does not.
    assert parse_command("pipenv run uvicorn main:app", tmp_path).env_files == (tmp_path / ".env",)
    assert parse_command("uv run uvicorn main:app", tmp_path).env_files == ()


def test_daphne_waitress_celery_flask_launches(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "__init__.py").write_text("")
    (tmp_path / "backend" / "main.py").write_text("app = 1\n")
    (tmp_path / ".flaskenv").write_text("FLASK_APP=backend.main\n")
    daphne = model_launch(parse_command("daphne -b 0.0.0.0 -p 8000 backend.main:app", tmp_path))
    assert (daphne.entry.module, daphne.entry.app_attr) == ("backend.main", "app")
    assert daphne.sys_path[0].path == tmp_path
    waitress = model_launch(parse_command("waitress-serve --call backend.main:make", tmp_path))
    assert waitress.entry.app_attr == "make()"
    celery = model_launch(parse_command("celery -A backend.main worker -l info", tmp_path))
    assert (celery.entry.module, celery.entry.app_attr) == ("backend.main", "")
    flask = model_launch(parse_command("flask run --port 5000", tmp_path))
    assert (flask.entry.module, flask.sys_path[0].path) == ("backend.main", tmp_path)
    with pytest.raises(UsageError, match="only `flask run`"):
        parse_command("flask db upgrade", tmp_path)
    # No app to find is flask's own failure at start-up, not a usage error of this tool.
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = model_launch(parse_command("python -m flask run", empty))
    assert nothing.problem is not None
    assert nothing.problem.startswith("Could not locate a Flask application.")


def test_only_the_first_render_blueprint_is_read(tmp_path: Path) -> None:
    blueprint = "services:\n  - type: web\n    name: {0}\n    startCommand: uvicorn {0}:app\n"
    (tmp_path / "render.yaml").write_text(blueprint.format("api"))
    (tmp_path / "render.yml").write_text(blueprint.format("stale"))
    assert [f.command for f in discover_all(tmp_path, Settings()).commands] == ["uvicorn api:app"]


def test_services_built_from_one_dockerfile_read_it_once(
    tmp_path: Path, deploy_reads: list[str]
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build: .\n    command: uvicorn app:app\n"
        "  worker:\n    build: .\n    command: python -m app.worker\n"
    )
    (tmp_path / "Dockerfile").write_text('FROM python:3.12\nCMD ["uvicorn", "app:app"]\n')
    found = discover_all(tmp_path, Settings()).commands
    assert [f.command for f in found][:2] == ["uvicorn app:app", "python -m app.worker"]
    # Once for the two compose services, once for the Dockerfile's own command.
    assert deploy_reads.count("Dockerfile") == 2
