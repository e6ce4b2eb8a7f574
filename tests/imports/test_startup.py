"""Start-up: a run imports only what it uses (no pydantic through typer's coercion, no rich
unless printing rich), and the pydantic-free coercion means exactly what typer's does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from tests._cli import run_cli
from tests.imports._fixtrees import make_tree

PROBE = """
import json, sys
from jyoti_doctor.cli import main
sys.argv = ["jyoti-doctor", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"pydantic", "rich", "libcst", "psycopg"})
print(json.dumps(heavy), file=sys.stderr)
"""


def heavy_modules(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False
    )
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    top = make_tree(tmp_path)
    (top / "backend/api/routes.py").write_bytes(b"from backend.deps import get_db\n")
    return top / "backend"


def test_help_and_json_runs_import_nothing_heavy(package: Path) -> None:
    assert heavy_modules("--help") == []
    assert heavy_modules("scan-imports", "--help") == []
    assert heavy_modules("scan-imports", str(package), "--no-cache", "--format", "json") == []
    # A plain `from X import` head is rewritten without libcst.
    assert heavy_modules("fix-imports", str(package), "--format", "json") == []
    # Printing rich imports rich, and still not pydantic.
    assert heavy_modules("scan-imports", str(package), "--no-cache") == ["rich"]
    # Float and directory options are coerced without pydantic too.
    assert "pydantic" not in heavy_modules(
        "check-startup", "uvicorn api.routes:app", "--project", str(package), "--timeout", "5"
    )
    assert heavy_modules("check-env", str(package), "--format", "json") == []


@pytest.mark.parametrize(
    "args",
    [
        ["--max-level", "0"],
        ["--max-level", "x"],
        ["--format", "xml"],
        ["--config", "."],
        ["--format", "JSON", "--max-level", "2", "--package", "backend", "--exclude", "x"],
        ["--extend-exclude", "a", "--extend-exclude", "b", "--no-cache", "--format", "github"],
        # Floats (check-startup's --timeout has min=0.1) and a directory argument given a file.
        ["@check-startup", "uvicorn api.routes:app", "--timeout", "abc"],
        ["@check-startup", "uvicorn api.routes:app", "--timeout", "0.05"],
        ["@check-startup", "uvicorn api.routes:app", "--timeout", " 1_0"],
        ["@check-startup", "uvicorn api.routes:app", "--timeout", "0x10"],
        ["@check-env", "api/routes.py"],
        ["@check-env", "no-such-dir"],
    ],
)
def test_light_coercion_matches_typer(package: Path, args: list[str]) -> None:
    if args[0].startswith("@"):
        argv = [args[0][1:], *args[1:]]
    else:
        argv = ["scan-imports", str(package), *args]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(package)
        typer_run = CliRunner().invoke(app, argv)
    ours = run_cli(package, *argv)
    assert ours.returncode == typer_run.exit_code
    if typer_run.exit_code == 2:
        assert ours.stderr.strip().splitlines()[-1] == typer_run.stderr.strip().splitlines()[-1]


def test_every_plain_parameter_is_lightened() -> None:
    import typer.main
    from typer.core import _TyperParameter

    from jyoti_doctor.cli.lightparams import lighten

    command = typer.main.get_command(app)
    assert lighten(command) >= 20
    # None is left to typer's own coercion, which imports pydantic (a new kind of option, or
    # a typer that routes one more kind through pydantic, shows up here).
    params = [p for sub in command.commands.values() for p in sub.params]  # type: ignore[attr-defined]
    left = [
        p.name
        for p in [*command.params, *params]
        if isinstance(p, _TyperParameter) and p._runtime_param is None
    ]
    assert left == []


def test_the_fast_exit_delivers_the_whole_report_and_its_code(tmp_path: Path) -> None:
    # The console script leaves without the interpreter's teardown: a large report must still
    # arrive whole, through a pipe, with the command's exit code (and a usage error its own).
    top = make_tree(tmp_path)
    for i in range(400):
        (top / f"backend/api/m{i}.py").write_bytes(b"from backend.deps import get_db\n" * 5)
    done = run_cli(top, "scan-imports", "backend", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)["findings"]) == 2000
    bad = run_cli(top, "scan-imports", "--max-level", "x")
    assert bad.returncode == 2 and "--max-level" in bad.stderr


def test_the_fast_exit_with_standard_output_closed(tmp_path: Path) -> None:
    # Started with descriptor 1 closed, `sys.stdout` is None: the exit code is the command's.
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean/__init__.py").write_bytes(b"import os\n")
    done = subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", "scan-imports", "clean", "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 0, done.stderr
