"""check-routes: the live listing, the static inventory, the baseline, on real FastAPI apps."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.serve.inventory import inventory

from . import apps

PY = sys.executable
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def routes(runner: CliRunner, project: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app, ["check-routes", *args, "--project", str(project), "--python", PY, "--format", "json"]
    )
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"no JSON document: {result.output}") from None


def by_code(doc: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["code"] == code]


def listed(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(",".join(r["methods"]), r["path"], r["endpoint"]) for r in doc["details"]["routes"]}


def test_shop_lists_nested_routers_and_the_mounted_sub_app(
    runner: CliRunner, tmp_path: Path
) -> None:
    project = shutil.copytree(FIXTURES / "fastapi-shop", tmp_path / "shop")
    code, doc = routes(runner, project)
    got = listed(doc)
    assert ("GET", "/api/v1/items/{item_id}/reviews/", "app.api.routes.reviews:list_reviews") in got
    assert ("GET", "/admin/orders/{order_id}", "app.admin.site:order") in got
    assert ("POST", "/api/v1/payments/checkout", "app.api.routes.payments:checkout") in got
    assert ("GET", "/", "app.main:root") in got
    assert doc["summary"]["framework"] == "fastapi" and doc["summary"]["routes"] == 19
    # The guarded payments include works today: said, not counted.
    (guarded,) = by_code(doc, "JD243")
    assert guarded["severity"] == "info" and "works today" in guarded["message"]
    assert code == 0


def test_shop_baseline_then_a_broken_router_import_shows_the_vanished_endpoints(
    runner: CliRunner, tmp_path: Path
) -> None:
    project = shutil.copytree(FIXTURES / "fastapi-shop", tmp_path / "shop")
    (project / "routes.json").unlink()  # the fixture's committed baseline; written afresh here
    code, doc = routes(runner, project, "--write-baseline")
    assert code == 0 and doc["summary"]["baseline_written"] is True
    baseline = project / "routes.json"
    text = baseline.read_text()
    entries = json.loads(text)["routes"]
    assert entries == sorted(entries, key=lambda e: (e["path"], e["method"]))
    assert text.endswith("}\n") and '  "routes": [\n    {\n' in text
    # Stable: a second write changes nothing.
    code, doc = routes(runner, project, "--write-baseline")
    assert doc["summary"]["baseline_written"] is False and baseline.read_text() == text
    code, doc = routes(runner, project, "--baseline", str(baseline))
    assert code == 0 and doc["summary"]["vanished"] == 0

    # The billing service module is renamed; payments.py still imports the old name.
    (project / "app/services/billing.py").rename(project / "app/services/billing_v2.py")
    code, doc = routes(runner, project, "--baseline", str(baseline))
    assert code == 1
    vanished = by_code(doc, "JD240")
    assert sorted(f["message"].split(" (")[0] for f in vanished) == [
        "GET /api/v1/payments/{charge_id}",
        "POST /api/v1/payments/checkout",
    ]
    assert all("its include fails" in f["message"] for f in vanished)
    (swallowed,) = by_code(doc, "JD243")
    assert swallowed["severity"] == "error"
    assert Path(swallowed["location"]["path"]).resolve() == (project / "app/api/main.py").resolve()
    assert (
        "app/api/main.py:20 → app/api/routes/payments.py:3 → "
        "ModuleNotFoundError: No module named 'app.services.billing'" in swallowed["message"]
    )
    assert doc["summary"]["vanished"] == 2 and doc["summary"]["added"] == 0


def test_new_routes_are_information(runner: CliRunner, tmp_path: Path) -> None:
    project = apps.write(tmp_path, apps.ROUTERS_APP)
    code, _ = routes(runner, project, "uvicorn main:app", "--write-baseline")
    assert code == 0
    with (project / "routers/items.py").open("a") as fh:
        fh.write('\n\n@router.post("/")\ndef add_item() -> int:\n    return 3\n')
    code, doc = routes(
        runner, project, "uvicorn main:app", "--baseline", str(project / "routes.json")
    )
    (added,) = by_code(doc, "JD241")
    assert added["severity"] == "info" and "POST /items/" in added["message"] and code == 0


def test_jyotiflow_incident_and_after_fix_imports(runner: CliRunner, tmp_path: Path) -> None:
    project = shutil.copytree(FIXTURES / "jyotiflow-served", tmp_path / "jyotiflow")
    code, doc = routes(runner, project)
    (swallowed,) = by_code(doc, "JD243")
    assert swallowed["severity"] == "error" and code == 1
    assert (
        "backend/main.py:19 → backend/missing_endpoints.py:5 → "
        "ModuleNotFoundError: No module named 'backend'" in swallowed["message"]
    )
    assert "GET /api/credits/balance" in swallowed["message"]
    assert 'it logs "Failed to register missing endpoints: {…}"' in swallowed["message"]
    serve = runner.invoke(
        app, ["check-serve", "--project", str(project), "--python", PY, "--format", "json"]
    )
    served = json.loads(serve.stdout)
    assert served["summary"]["outcome"] == "ready" and serve.exit_code == 1
    assert [f["code"] for f in served["findings"]] == ["JD204"]
    assert "No module named 'backend'" in served["findings"][0]["message"]

    fixed = runner.invoke(app, ["fix-imports", str(project / "backend"), "--write"])
    assert fixed.exit_code == 0, fixed.output
    code, doc = routes(runner, project)
    assert [f["severity"] for f in doc["findings"]] == ["info"] and code == 0
    assert ("GET", "/api/credits/balance", "missing_endpoints:credits_balance") in listed(doc)
    serve = runner.invoke(
        app, ["check-serve", "--project", str(project), "--python", PY, "--format", "json"]
    )
    served = json.loads(serve.stdout)
    assert served["summary"]["outcome"] == "ready"
    assert served["findings"] == [] and serve.exit_code == 0


def test_an_app_that_does_not_import_is_reported_and_no_baseline_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    project = apps.write(tmp_path, {"main.py": "import not_installed_anywhere\napp = None\n"})
    code, doc = routes(runner, project, "uvicorn main:app", "--write-baseline")
    (failed,) = by_code(doc, "JD244")
    assert "No module named 'not_installed_anywhere'" in failed["message"] and code == 1
    assert not (project / "routes.json").exists()


def test_a_bad_baseline_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    project = apps.write(tmp_path, apps.ROUTERS_APP)
    (project / "routes.json").write_text("[1, 2]")
    result = runner.invoke(
        app,
        [
            "check-routes",
            "uvicorn main:app",
            "--project",
            str(project),
            "--baseline",
            str(project / "routes.json"),
        ],
    )
    assert result.exit_code == 2 and "not a routes baseline" in result.output


def source(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def test_inventory_reads_includes_in_functions_loops_and_try(tmp_path: Path) -> None:
    root = source(
        tmp_path,
        {
            "a.py": "from fastapi import APIRouter\nrouter = APIRouter()\n",
            "b.py": "from fastapi import APIRouter\nrouter = APIRouter(prefix='/b')\n",
            "c.py": "from fastapi import APIRouter\nrouter = APIRouter()\n",
            "orphan.py": (
                "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                "@router.get('/lost')\ndef lost():\n    return 1\n"
            ),
            "main.py": """
                from fastapi import FastAPI
                import a, b

                app = FastAPI()

                def create_app():
                    for module in (a, b):
                        app.include_router(module.router)
                    try:
                        from c import router as c_router
                        app.include_router(c_router)
                    except ImportError:
                        raise
                    return app
            """,
        },
    )
    inv = inventory(root, [root])
    included = {t for i in inv.includes for t in i.targets}
    assert included == {("a", "router"), ("b", "router"), ("c", "router")}
    c_include = next(i for i in inv.includes if ("c", "router") in i.targets)
    assert c_include.function == "create_app" and c_include.guard is not None
    assert not c_include.guard.swallows  # it re-raises
    loop_include = next(i for i in inv.includes if ("a", "router") in i.targets)
    assert loop_include.in_loop
    orphan = next(r for r in inv.routers if r.module == "orphan")
    assert inv.includes_of(orphan) == () and orphan.routes == (("GET", "/lost", "lost"),)


def test_a_router_never_included_is_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    project = apps.write(
        tmp_path,
        {
            **apps.ROUTERS_APP,
            "routers/admin.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/admin")


                @router.get("/stats")
                def stats() -> dict[str, int]:
                    return {}
            """,
        },
    )
    code, doc = routes(runner, project, "uvicorn main:app")
    (never,) = by_code(doc, "JD242")
    assert never["severity"] == "warning" and "routers.admin.router" in never["message"]
    assert "GET /admin/stats" in never["message"] and code == 1


FLASK_APP = {
    "views/__init__.py": "",
    "views/pages.py": """
        from flask import Blueprint

        pages = Blueprint("pages", __name__)


        @pages.route("/about")
        def about():
            return "about"
    """,
    "views/admin.py": """
        from flask import Blueprint

        admin = Blueprint("admin", __name__, url_prefix="/admin")


        @admin.route("/stats", methods=["GET", "POST"])
        def stats():
            return "stats"
    """,
    "app.py": """
        from flask import Flask

        from views.pages import pages

        app = Flask(__name__)
        app.register_blueprint(pages, url_prefix="/site")


        @app.get("/")
        def index():
            return "index"
    """,
}


def test_flask_url_map_and_a_blueprint_never_registered(runner: CliRunner, tmp_path: Path) -> None:
    project = apps.write(tmp_path, FLASK_APP)
    code, doc = routes(runner, project, "gunicorn app:app")
    assert doc["summary"]["framework"] == "flask"
    got = listed(doc)
    assert ("GET", "/", "app:index") in got
    assert ("GET", "/site/about", "views.pages:about") in got
    assert not any(path.startswith("/admin") for _, path, _ in got)
    (never,) = by_code(doc, "JD242")
    assert "views.admin.admin" in never["message"] and code == 1


def test_a_secret_in_the_start_command_is_masked(runner: CliRunner, tmp_path: Path) -> None:
    project = apps.write(tmp_path, apps.ROUTERS_APP)
    command = "OPENAI_API_KEY=sk-proj-Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A uvicorn main:app"
    result = runner.invoke(
        app,
        ["check-routes", command, "--project", str(project), "--python", PY, "--format", "json"],
    )
    assert "Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eU" not in result.output
    assert json.loads(result.stdout)["summary"]["command"].endswith("uvicorn main:app")


def test_a_baseline_that_cannot_be_written_is_a_usage_error_and_leaves_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    project = apps.write(tmp_path / "p", apps.ROUTERS_APP)
    target = project / "routes.json"
    target.mkdir()  # a directory where the file should go: os.replace fails
    result = runner.invoke(
        app,
        [
            "check-routes",
            "uvicorn main:app",
            "--project",
            str(project),
            "--python",
            PY,
            "--write-baseline",
        ],
    )
    assert result.exit_code == 2 and "cannot write" in result.output
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".routes")) == []


def test_an_import_that_hangs_is_stopped_with_what_it_started(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .procs import no_survivors

    project = apps.write(
        tmp_path,
        {
            "main.py": """
                import subprocess
                import sys
                import time

                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
                time.sleep(120)
                app = None
            """
        },
    )
    with no_survivors(monkeypatch):
        code, doc = routes(runner, project, "uvicorn main:app", "--timeout", "3")
    (failed,) = by_code(doc, "JD244")
    assert "did not finish in 3 s" in failed["message"] and code == 1


def test_a_named_app_attribute_that_does_not_exist_is_not_replaced_by_another(
    runner: CliRunner, tmp_path: Path
) -> None:
    """uvicorn fails with "Attribute 'nothere' not found"; the listing must not fall back to
    the module's `app` and call the launch clean."""
    project = apps.write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/main.py": """
                from fastapi import FastAPI

                app = FastAPI()
            """,
        },
    )
    code, doc = routes(runner, project, "uvicorn app.main:nothere")
    assert code == 1
    (failed,) = by_code(doc, "JD244")
    assert "'nothere' not found" in failed["message"]
