"""Accuracy, measured: check-startup's prediction against what the real launcher does.

Each scenario writes a tiny project into tmp_path, asks ``check_startup`` for its prediction,
then starts the *real* launcher (uvicorn, gunicorn with the uvicorn worker, hypercorn, the
fastapi CLI, python) on 127.0.0.1 with the same command in the same directory, and reads what
happened from its output: started (its own "startup complete"/"Running on" line), or the
exception it died with; plus every line the app's except-handlers logged. Predicted must equal
observed in every scenario.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jyoti_doctor.config import Settings
from jyoti_doctor.startup.check import check_startup
from tests.conftest import require

BIN = Path(sys.executable).parent
ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
"""
FASTAPI_APP = "from fastapi import FastAPI\napp = FastAPI()\n"
MAIN_GUARD = '\nif __name__ == "__main__":\n    print("SCRIPT STARTED")\n'
DEPS = "def get_db():\n    return 'db'\n"
IMPORT = {
    "absolute": "from backend.deps import get_db\n",
    "relative": "from .deps import get_db\n",
    "root": "from deps import get_db\n",
}
SWALLOW = (
    "import logging\n"
    "try:\n"
    "    import {module}\n"
    "except Exception as e:\n"
    "    logging.getLogger('app').error(f\"SWALLOWED Failed to register {module}: {{e}}\")\n"
)


@dataclass(frozen=True)
class Scenario:
    id: str
    command: str
    files: dict[str, str]
    style: str
    package: str  # regular / namespace
    # The project's environment is known (this interpreter, as a project's .venv would be):
    # third-party names are decided by it instead of being "not checked".
    known_env: bool = False

    @property
    def launcher(self) -> str:
        words = [w for w in shlex.split(self.command.split("&&")[-1]) if "=" not in w]
        return words[0] if words[0] != "python" else ("python -m" if "-m" in words else "python")


def project(
    style: str,
    *,
    namespace: bool = False,
    fastapi: bool = False,
    main_extra: str = "",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    app = FASTAPI_APP if fastapi else ASGI_APP
    files = {
        "backend/deps.py": DEPS,
        "backend/main.py": IMPORT[style] + main_extra + app + MAIN_GUARD,
    }
    if not namespace:
        files["backend/__init__.py"] = ""
    files.update(extra or {})
    return files


UV = "uvicorn"
GU = "gunicorn -k uvicorn.workers.UvicornWorker"


def scenarios() -> list[Scenario]:
    s: list[Scenario] = []

    def add(
        id_: str,
        command: str,
        style: str,
        files: dict[str, str],
        namespace: bool = False,
        known_env: bool = False,
    ) -> None:
        s.append(
            Scenario(id_, command, files, style, "namespace" if namespace else "regular", known_env)
        )

    # The motivating one: started from inside backend/, a router registered in try/except.
    add(
        "motivating",
        f"cd backend && {UV} main:app",
        "absolute (in a swallowed module)",
        project(
            "root",
            main_extra=SWALLOW.format(module="missing_endpoints"),
            extra={
                "backend/missing_endpoints.py": "from backend.deps import get_db\n",
            },
        ),
    )
    for style in ("absolute", "relative", "root"):
        add(f"uvicorn-inside-{style}", f"cd backend && {UV} main:app", style, project(style))
        add(f"uvicorn-package-{style}", f"{UV} backend.main:app", style, project(style))
    add(
        "uvicorn-package-relative-ns",
        f"{UV} backend.main:app",
        "relative",
        project("relative", namespace=True),
        namespace=True,
    )
    add(
        "uvicorn-app-dir-root-ns",
        f"{UV} main:app --app-dir backend",
        "root",
        project("root", namespace=True),
        namespace=True,
    )
    add(
        "uvicorn-app-dir-absolute",
        f"{UV} main:app --app-dir backend",
        "absolute",
        project("absolute"),
    )
    add(
        "uvicorn-pythonpath-absolute",
        f"cd backend && PYTHONPATH=.. {UV} main:app",
        "absolute",
        project("absolute"),
    )
    add(
        "uvicorn-beyond-top",
        f"cd backend && {UV} main:app",
        "relative (in a subpackage)",
        project(
            "root",
            main_extra="from routers.spiritual import guidance\n",
            extra={
                "backend/routers/__init__.py": "",
                "backend/routers/spiritual.py": "from ..deps import get_db\nguidance = 1\n",
            },
        ),
    )
    add(
        "uvicorn-fallback",
        f"cd backend && {UV} main:app",
        "relative with root fallback",
        project(
            "root",
            main_extra=(
                "try:\n    from .deps import get_db as g\nexcept ImportError:\n"
                "    from deps import get_db as g\n"
            ),
        ),
    )
    add("uvicorn-no-module", f"cd backend && {UV} nope:app", "root", project("root"))
    add("uvicorn-no-attr", f"cd backend && {UV} main:application", "root", project("root"))
    add(
        "uvicorn-cannot-import-name",
        f"{UV} backend.main:app",
        "absolute",
        project(
            "root",
            extra={
                "backend/main.py": "from backend.deps import get_dbx\n" + ASGI_APP,
                "backend/__init__.py": "",
            },
        ),
    )
    add(
        "python-m-uvicorn-inside-absolute",
        f"cd backend && python -m {UV} main:app",
        "absolute",
        project("absolute"),
    )
    add(
        "uvicorn-inside-router-chain",
        f"cd backend && {UV} main:app",
        "absolute (import pkg.mod as m, in a subpackage)",
        project(
            "root",
            main_extra=(
                "import logging\ntry:\n    from routers import health\nexcept Exception as e:\n"
                "    logging.error(f'SWALLOWED Failed to register core routers: {e}')\n"
            ),
            extra={
                "backend/routers/__init__.py": "",
                "backend/routers/health.py": "import backend.deps as deps\n",
            },
        ),
    )
    add(
        "uvicorn-inside-absolute-ns",
        f"cd backend && {UV} main:app",
        "absolute",
        project("absolute", namespace=True),
        namespace=True,
    )
    add(
        "gunicorn-chdir-absolute", f"{GU} --chdir backend main:app", "absolute", project("absolute")
    )
    add("gunicorn-chdir-root", f"{GU} --chdir backend main:app", "root", project("root"))
    add("gunicorn-package-relative", f"{GU} backend.main:app", "relative", project("relative"))
    add(
        "gunicorn-package-relative-ns",
        f"{GU} backend.main:app",
        "relative",
        project("relative", namespace=True),
        namespace=True,
    )
    add("hypercorn-package-absolute", "hypercorn backend.main:app", "absolute", project("absolute"))
    add(
        "hypercorn-inside-relative",
        "cd backend && hypercorn main:app",
        "relative",
        project("relative"),
    )
    add("hypercorn-path-absolute", "hypercorn backend/main:app", "absolute", project("absolute"))
    add(
        "fastapi-run-relative",
        "fastapi run backend/main.py",
        "relative",
        project("relative", fastapi=True),
    )
    add(
        "fastapi-run-relative-ns",
        "fastapi run backend/main.py",
        "relative",
        project("relative", namespace=True, fastapi=True),
        namespace=True,
    )
    add("fastapi-run-root", "fastapi run backend/main.py", "root", project("root", fastapi=True))
    add(
        "fastapi-dev-root-ns",
        "fastapi dev backend/main.py",
        "root",
        project("root", namespace=True, fastapi=True),
        namespace=True,
    )
    add("python-script-absolute", "python backend/main.py", "absolute", project("absolute"))
    add("python-script-root", "python backend/main.py", "root", project("root"))
    add("python-script-relative", "cd backend && python main.py", "relative", project("relative"))
    add("python-m-relative", "python -m backend.main", "relative", project("relative"))
    add("python-m-root", "python -m backend.main", "root", project("root"))
    add(
        "python-m-relative-ns",
        "python -m backend.main",
        "relative",
        project("relative", namespace=True),
        namespace=True,
    )
    add_launch_truth(add)
    add_django(add)
    add_wsgi(add)
    add_script_servers(add)
    conf = {
        "gunicorn.conf.py": "chdir = 'backend'\nworker_class = 'uvicorn.workers.UvicornWorker'\n"
    }
    for style in ("root", "relative"):
        add(
            f"gunicorn-conf-py-chdir-{style}",
            "gunicorn main:app",
            f"{style} (chdir and worker from gunicorn.conf.py)",
            {**project(style), **conf},
        )
    return s


RUN_SCRIPT = (
    "import uvicorn\n"
    "if __name__ == '__main__':\n"
    "    uvicorn.run('backend.main:app', host='127.0.0.1', port=0)\n"
)


def add_script_servers(add: Any) -> None:
    """`python run.py` where the script starts uvicorn with an import string."""
    for style in ("relative", "root"):
        add(
            f"script-uvicorn-run-{style}",
            "python run.py",
            style,
            {**project(style), "run.py": RUN_SCRIPT},
            known_env=True,
        )


FLASK_APP = "from flask import Flask\napp = Flask(__name__)\n"
WSGI_APP = "def app(environ, start_response):\n    return []\n"


def wsgi_project(style: str, app: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    files = {
        "backend/__init__.py": "",
        "backend/deps.py": DEPS,
        "backend/main.py": IMPORT[style] + app,
    }
    files.update(extra or {})
    return files


def add_wsgi(add: Any) -> None:
    """flask run (--app, FLASK_APP, a factory), waitress-serve, gunicorn's factory call."""
    add(
        "flask-run-app-relative",
        "flask --app backend.main run",
        "relative",
        wsgi_project("relative", FLASK_APP),
        known_env=True,
    )
    add(
        "flask-run-app-root",
        "flask --app backend.main run",
        "root",
        wsgi_project("root", FLASK_APP),
        known_env=True,
    )
    add(
        "flask-run-flask-app-env",
        "cd backend && FLASK_APP=main flask run",
        "root (started inside)",
        wsgi_project("root", FLASK_APP),
        known_env=True,
    )
    factory = (
        "from flask import Flask\n"
        "def create_app():\n"
        "    from backend.views import bp\n"
        "    return Flask(__name__)\n"
    )
    add(
        "flask-run-factory-call-failing",
        "flask --app 'backend.main:create_app()' run",
        "absolute (inside the factory)",
        wsgi_project("absolute", factory, {"backend/views.py": "from backend.gone import x\n"}),
        known_env=True,
    )
    add(
        "flask-run-no-app",
        "flask run",
        "no app to find",
        {"backend/__init__.py": "", "backend/main.py": FLASK_APP},
        known_env=True,
    )
    add(
        "waitress-package-relative",
        "waitress-serve backend.main:app",
        "relative",
        wsgi_project("relative", WSGI_APP),
        known_env=True,
    )
    add(
        "waitress-inside-absolute",
        "cd backend && waitress-serve main:app",
        "absolute",
        wsgi_project("absolute", WSGI_APP),
        known_env=True,
    )
    add(
        "gunicorn-factory-call-failing",
        f"{GU} 'backend.main:create_app()'",
        "absolute (inside the factory)",
        wsgi_project(
            "absolute",
            ASGI_APP + "def create_app():\n    from backend.views import bp\n    return app\n",
            {"backend/views.py": "from backend.gone import x\n"},
        ),
        known_env=True,
    )


MANAGE = """\
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
"""
SETTINGS = (
    "SECRET_KEY = 'x'\nDEBUG = True\nALLOWED_HOSTS = ['*']\nINSTALLED_APPS = []\n"
    "ROOT_URLCONF = 'mysite.urls'\nDATABASES = {}\nUSE_TZ = True\n"
)
ASGI = (
    "import os\nfrom django.core.asgi import get_asgi_application\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
    "application = get_asgi_application()\n"
)


def django_project(settings: str = "", urls: str = "") -> dict[str, str]:
    return {
        "manage.py": MANAGE,
        "mysite/__init__.py": "",
        "mysite/settings.py": settings + SETTINGS,
        "mysite/urls.py": urls + "urlpatterns = []\n",
        "mysite/asgi.py": ASGI,
    }


def add_django(add: Any) -> None:
    """Django imports DJANGO_SETTINGS_MODULE at set-up, and the URLconf for its checks."""
    add("django-check", "python manage.py check", "django", django_project(), known_env=True)
    add(
        "django-check-settings-broken",
        "python manage.py check",
        "django (settings import)",
        django_project(settings="from mysite.local_conf import X\n"),
        known_env=True,
    )
    add(
        "django-check-urls-broken",
        "python manage.py check",
        "django (URLconf import)",
        django_project(urls="from mysite import views\n"),
        known_env=True,
    )
    add(
        "django-asgi-urls-broken-starts",
        f"{GU} mysite.asgi:application",
        "django (URLconf not imported at start-up)",
        django_project(urls="from mysite import views\n"),
        known_env=True,
    )
    add(
        "django-asgi-settings-broken",
        f"{GU} mysite.asgi:application",
        "django (settings import)",
        django_project(settings="from mysite.local_conf import X\n"),
        known_env=True,
    )


FACTORY = "def create_app():\n    from backend.routes import router\n    return router\n"


def add_launch_truth(add: Any) -> None:
    """Scenarios for what launches really do beyond sys.path: installed packages, launcher
    pre-imports shadowing project modules, factories run at import, package __init__ imports,
    chains and missing directories."""
    missing_pkg = "import jd_not_installed_pkg\n"
    # An installed package next to a project module of the same name: the package wins.
    add(
        "installed-beside-sibling-uvicorn",
        f"{UV} backend.main:app",
        "absolute + installed `typer`",
        project("absolute", main_extra="import typer\n", extra={"backend/typer.py": "X = 1\n"}),
        known_env=True,
    )
    add(
        "installed-beside-sibling-python-m",
        "python -m backend.main",
        "relative + installed `typer`",
        project("relative", main_extra="import typer\n", extra={"backend/typer.py": "X = 1\n"}),
        known_env=True,
    )
    add(
        "not-installed-known-env",
        f"{UV} backend.main:app",
        "absolute + missing package",
        project("absolute", main_extra=missing_pkg),
        known_env=True,
    )
    add(
        "implicit-relative-known-env",
        f"{UV} backend.main:app",
        "root (a sibling module)",
        project("relative", main_extra="import helpers\n", extra={"backend/helpers.py": ""}),
        known_env=True,
    )
    # Launcher pre-imports: the project's logging.py/email.py/json.py in the start directory.
    bad_logging = {"backend/logging.py": missing_pkg}
    add(
        "preimported-logging-uvicorn",
        f"cd backend && {UV} main:app",
        "root + project logging.py",
        project("root", main_extra="import logging\n", extra=bad_logging),
        known_env=True,
    )
    add(
        "preimported-logging-gunicorn",
        f"{GU} --chdir backend main:app",
        "root + project logging.py",
        project("root", main_extra="import logging\n", extra=bad_logging),
        known_env=True,
    )
    add(
        "project-logging-python-script",
        "python backend/main.py",
        "root + project logging.py",
        project("root", main_extra="import logging\n", extra=bad_logging),
        known_env=True,
    )
    add(
        "preimported-email-gunicorn",
        f"{GU} --chdir backend main:app",
        "root + project email.py",
        project("root", main_extra="import email.utils\n", extra={"backend/email.py": ""}),
        known_env=True,
    )
    add(
        "project-email-python-script",
        "python backend/main.py",
        "root + project email.py",
        project("root", main_extra="import email.utils\n", extra={"backend/email.py": ""}),
        known_env=True,
    )
    add(
        "preimported-json-hypercorn",
        "cd backend && hypercorn main:app",
        "root + project json.py",
        project("root", main_extra="import json\n", extra={"backend/json.py": missing_pkg}),
        known_env=True,
    )
    # Factories called at import run their bodies then.
    factory_files = {
        "backend/factory.py": FACTORY,
        "backend/routes.py": "from backend.missing_part import x\nrouter = 1\n",
    }
    add(
        "factory-failing-uvicorn",
        f"{UV} backend.main:app",
        "absolute (inside create_app())",
        project(
            "absolute",
            main_extra="from backend.factory import create_app\nrouter = create_app()\n",
            extra=factory_files,
        ),
    )
    add(
        "factory-failing-fastapi-run",
        "fastapi run backend/main.py",
        "absolute (inside create_app())",
        project(
            "absolute",
            fastapi=True,
            main_extra="from backend.factory import create_app\nrouter = create_app()\n",
            extra=factory_files,
        ),
    )
    add(
        "factory-working-gunicorn",
        f"{GU} backend.main:app",
        "absolute (inside create_app())",
        project(
            "absolute",
            main_extra="from backend.factory import create_app\nrouter = create_app()\n",
            extra={"backend/factory.py": FACTORY, "backend/routes.py": "router = 1\n"},
        ),
    )
    add(
        "factory-two-levels",
        f"{UV} backend.main:app",
        "relative (a helper the factory calls)",
        project(
            "relative",
            main_extra="from .factory import create_app\nrouter = create_app()\n",
            extra={
                "backend/factory.py": "from .register import register\n"
                "def create_app():\n    return register()\n",
                "backend/register.py": "def register():\n"
                "    from .nothing_here import x\n    return x\n",
            },
        ),
    )
    add(
        "factory-swallowed-uvicorn",
        f"{UV} backend.main:app",
        "absolute (swallowed inside create_app())",
        project(
            "absolute",
            main_extra="from backend.factory import create_app\nrouter = create_app()\n",
            extra={
                "backend/factory.py": "import logging\n"
                "def create_app():\n"
                "    try:\n"
                "        from backend.gone import x\n"
                "    except ImportError as e:\n"
                "        logging.getLogger('app').error(f'SWALLOWED factory: {e}')\n",
            },
        ),
    )
    # A package's own __init__ importing its submodules.
    add(
        "package-init-imports-failing-submodule",
        f"{UV} backend.main:app",
        "relative (`from . import routes` in __init__)",
        project(
            "relative",
            extra={
                "backend/__init__.py": "from . import routes\n",
                "backend/routes.py": "from .nowhere import x\n",
            },
        ),
    )
    add(
        "package-init-imports-submodule-hypercorn",
        "hypercorn backend.main:app",
        "relative (`from . import routes` in __init__)",
        project(
            "relative",
            extra={"backend/__init__.py": "from . import routes\n", "backend/routes.py": ""},
        ),
    )
    # Chains and directories.
    add(
        "chain-last-launcher",
        f"echo migrating && cd backend && {UV} main:app",
        "root",
        project("root"),
    )
    add(
        "gunicorn-chdir-missing",
        f"{GU} --chdir /nonexistent-jd-dir main:app",
        "root",
        project("root"),
    )
    add(
        "uvicorn-app-dir-missing",
        f"{UV} main:app --app-dir nowhere",
        "root",
        project("root"),
    )


SCENARIOS = scenarios()

_STARTED = (
    "Application startup complete",
    "Uvicorn running on",
    "Running on http",
    "SCRIPT STARTED",
    "System check identified no issues",
    "Serving on http",
)
_EXC_LINE = re.compile(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception)): (.*)$")
_ASGI_LINE = re.compile(r"(Error loading ASGI app\. .*)$")
_PYTHON_LINE = re.compile(r"^\S*python[\d.]*: (.*)$")


def launch_argv(command: str) -> tuple[list[str], str, dict[str, str]]:
    """The real command to run: the venv's executables, loopback, an ephemeral port."""
    cwd = "."
    env: dict[str, str] = {}
    for part in command.split("&&"):
        words = shlex.split(part)
        if words[0] == "cd":
            cwd = os.path.join(cwd, words[1])
            continue
        while "=" in words[0]:
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        exe, args = words[0], words[1:]
    path = str(BIN / exe) if exe != "python" else sys.executable
    if exe == "uvicorn":
        args += ["--host", "127.0.0.1", "--port", "0"]
    elif exe in ("gunicorn", "hypercorn"):
        args += ["-b", "127.0.0.1:0"]
    elif exe == "flask":
        args += ["-h", "127.0.0.1", "-p", "0"]
    elif exe == "waitress-serve":
        args = ["--listen=127.0.0.1:0", *args]  # options before the application
    elif exe == "fastapi":
        args += ["--host", "127.0.0.1", "--port", "0"]
        if args[0] == "dev":
            args += ["--no-reload"]  # the reloader's watcher would outlive the test
    return [path, *args], cwd, env


def observe(root: Path, command: str, timeout: float = 30.0) -> tuple[str, list[str]]:
    """Run the real thing; ("starts" | the fatal message, swallowed log lines)."""
    argv, cwd, extra_env = launch_argv(command)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(extra_env)
    env["NO_COLOR"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        argv,
        cwd=root / cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    started = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(marker in line for line in list(lines) for marker in _STARTED):
            started = True
            break
        if proc.poll() is not None:
            reader.join(2)
            started = any(marker in line for line in lines for marker in _STARTED)
            break
        time.sleep(0.05)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"{command}: neither started nor failed in {timeout} s: {lines}")
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(2)
    text = [line.rstrip("\n") for line in lines]
    swallowed = sorted(line[line.index("SWALLOWED") + 10 :] for line in text if "SWALLOWED" in line)
    if started:
        return "starts", swallowed
    fatal = None
    for line in text:
        stripped = line.strip()
        if m := _ASGI_LINE.search(stripped):
            fatal = m[1]
        elif m := _EXC_LINE.match(stripped):
            fatal = m[2]
        elif m := _PYTHON_LINE.match(stripped):
            fatal = m[1]
    assert fatal is not None, f"{command}: no start-up and no exception seen: {text}"
    return fatal, swallowed


def predicted(root: Path, command: str, known_env: bool = False) -> tuple[str, list[str], str]:
    result = check_startup(
        root, Settings(), command=command, python=sys.executable if known_env else None
    )
    fatal = result.prediction.fatal
    logs = sorted(
        m.removeprefix("SWALLOWED ") for s in result.prediction.swallowed for m in s.logged
    )
    codes = ",".join(sorted({f.code for f in result.findings if f.counts})) or "—"
    return ("starts" if fatal is None else fatal.message), logs, codes


def _need_launchers() -> None:
    missing = [n for n in ("uvicorn", "gunicorn", "hypercorn", "fastapi") if not (BIN / n).exists()]
    require(not missing, f"test launchers not installed (pip install -e '.[test]'): {missing}")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_prediction_equals_real_launch(
    scenario: Scenario, tmp_path: Path, accuracy_table: list[tuple[object, ...]]
) -> None:
    _need_launchers()
    root = tmp_path / "proj"
    for rel, text in scenario.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    started = time.monotonic()
    expect, expect_logs, codes = predicted(root, scenario.command, scenario.known_env)
    seen, seen_logs = observe(root, scenario.command)
    accuracy_table.append(
        (
            scenario,
            expect + (f" | logs {expect_logs}" if expect_logs else ""),
            codes,
            time.monotonic() - started,
        )
    )
    assert (expect, expect_logs) == (seen, seen_logs)


def test_scenario_table_is_large_enough() -> None:
    assert len(SCENARIOS) >= 73
    launchers = {s.launcher for s in SCENARIOS}
    assert {"uvicorn", "gunicorn", "hypercorn", "fastapi", "python", "python -m"} <= launchers
    assert {s.package for s in SCENARIOS} == {"regular", "namespace"}
    assert any(s.id == "motivating" for s in SCENARIOS)
