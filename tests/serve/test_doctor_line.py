"""The routes line doctor shows: present with a baseline or an importable app, absent otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

from jyoti_doctor.config import Settings
from jyoti_doctor.rules import Rule
from jyoti_doctor.serve import baseline as snapshot
from jyoti_doctor.serve.routes import RoutesStatus, check_routes, routes_line

from . import apps


def procfile(root: Path) -> None:
    (root / "Procfile").write_text("web: uvicorn main:app --port $PORT\n")


def test_importable_app_without_baseline(tmp_path: Path) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    procfile(tmp_path)
    line = routes_line(tmp_path, Settings(), python=sys.executable)
    assert line.status is RoutesStatus.OK and line.text.startswith("6 route(s)")


def test_baseline_with_a_vanished_route(tmp_path: Path) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    procfile(tmp_path)
    check_routes(tmp_path, Settings(), write_baseline=True, python=sys.executable)
    assert (tmp_path / snapshot.DEFAULT_NAME).is_file()
    main = tmp_path / "main.py"
    main.write_text(main.read_text().replace("app.include_router(items.router)\n", ""))
    line = routes_line(tmp_path, Settings(), python=sys.executable)
    assert line.status is RoutesStatus.FINDINGS
    assert "1 vanished and 0 new since routes.json" in line.text
    # The include is gone: the route vanished and its router is no longer included.
    assert {f.rule for f in line.findings if f.counts} == {
        Rule.ROUTE_VANISHED,
        Rule.ROUTER_NEVER_INCLUDED,
    }


def test_no_start_command_or_no_importable_app_gives_no_line(tmp_path: Path) -> None:
    apps.write(tmp_path, apps.ROUTERS_APP)
    assert routes_line(tmp_path, Settings()).status is RoutesStatus.SKIPPED
    apps.write(tmp_path, {"main.py": "import not_installed_anywhere\n"})
    procfile(tmp_path)
    assert routes_line(tmp_path, Settings(), python=sys.executable).status is RoutesStatus.SKIPPED
