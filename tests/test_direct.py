"""The import commands' typer-free lane (cli/direct.py) against typer itself.

Every command line the lane accepts must reach the command with exactly the parameters typer
passes; every other line is left to typer. Lines are generated from the commands' options,
misspellings, odd values and the tokens click treats specially.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import typer.main

from jyoti_doctor.cli import actions, app, direct
from jyoti_doctor.cli.lightparams import lighten
from jyoti_doctor.config import OutputFormat
from tests._cli import REPO, bare_env, run_process

FIXTURE = REPO / "fixtures" / "jyotiflow"


class _Reached(Exception):
    """The command was called: its parameters are recorded, nothing runs."""


@pytest.fixture(scope="module")
def typer_command() -> Any:
    command = typer.main.get_command(app)
    lighten(command)  # as cli.main runs it
    return command


def typer_params(command: Any, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def record(**params: Any) -> None:
        seen.update(params)
        raise _Reached

    monkeypatch.setattr(actions, argv[0].replace("-", "_"), record)
    with pytest.raises(_Reached):
        command.main(args=argv, prog_name="jyoti-doctor", standalone_mode=False)
    return seen


def _typed(params: dict[str, Any]) -> dict[str, Any]:
    """Values with their types, so that a tuple is not taken for a list nor a str for a Path."""

    def typed(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return (type(value).__name__, [typed(v) for v in value])
        return (type(value).__name__, value)

    return {name: typed(value) for name, value in params.items()}


STYLES = ["root", "RELATIVE", "Absolute", "flat"]
VALUES = ["json", "JSON", "Sarif", "rich", "xml", "", "-q", "a b", "pkg", "root", "ｊson", "1"]
TOKENS = [
    "app",
    "a=b",
    ".",
    "x/",
    "-",
    "--",
    "-qq",
    "-q=1",
    "--nope",
    "--formats",
    "--help",
    "--format=json",
    "--format=SARIF",
    "--format=",
    "--write=1",
    "--package=backend",
    "--no-cache=true",
    "scan-imports",
]


def generated_lines(count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        name = rng.choice(list(direct.OPTIONS))
        options = list(direct.OPTIONS[name])
        line = [name]
        for _ in range(rng.randrange(6)):
            pick = rng.random()
            if pick < 0.55:
                option = rng.choice(options)
                line.append(option)
                if direct.OPTIONS[name][option][1] not in (direct.Kind.FLAG, direct.Kind.SWITCH):
                    line.append(
                        rng.choice([*VALUES[:5], "backend", "tests/*", ".env.prod", *STYLES])
                    )
            elif pick < 0.75:
                line.append(rng.choice(["app", "src/pkg", "one.py", "uvicorn main:app"]))
            elif pick < 0.9:
                line.append(rng.choice(TOKENS))
            else:
                line.append(rng.choice(VALUES))
        lines.append(line)
    return lines


def test_every_accepted_line_gets_typers_parameters(
    typer_command: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted: Counter[str] = Counter()
    declined: Counter[str] = Counter()
    for line in generated_lines(1500, seed=20261202):
        found = direct.parse(line, {})
        if found is None:
            declined[line[0]] += 1
            continue
        accepted[line[0]] += 1
        name, params = found
        assert name == line[0]
        assert _typed(params) == _typed(typer_params(typer_command, line, monkeypatch)), line
    # Both branches are exercised for every command, so the comparison is not vacuous.
    for name in direct.OPTIONS:
        assert accepted[name] > 100 and declined[name] > 100, (name, accepted, declined)


@pytest.mark.parametrize(
    "line",
    [
        ["scan-imports"],
        ["scan-imports", "backend", "--format", "github"],
        ["scan-imports", "--format=sarif", "-q", "--no-cache", "src/app", "tests"],
        ["fix-imports", "--write", "backend"],
        ["fix-imports", "backend", "--write", "--unsafe-fixes", "--style", "root", "--force"],
        ["fix-imports", "--package", "backend", "--package", "shared", "--exclude", "migrations"],
        ["fix-imports", "--format", "JSON", "--exit-zero", "--debug", "--no-color"],
        ["check-env"],
        ["check-env", "--env-file", ".env", "--env-file=.env.local", "--strict", "--format=sarif"],
        ["check-env", "--schema", ".env.example", "--require", "OPENAI_API_KEY", "-q"],
        ["check-startup"],
        ["check-startup", "cd backend && uvicorn main:app", "--format", "github"],
        ["check-startup", "--style", "ROOT", "--run", "--python", ".venv/bin/python"],
        ["check-startup", "uvicorn app:app", "--serve", "--path", "/health", "--exit-zero"],
    ],
)
def test_the_lines_hooks_type_are_run_without_typer(
    line: list[str], typer_command: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = direct.parse(line, {})
    assert found is not None
    assert _typed(found[1]) == _typed(typer_params(typer_command, line, monkeypatch))


@pytest.mark.parametrize(
    "line",
    [
        [],
        ["--help"],
        ["--version"],
        ["scan-imports", "--help"],
        ["scan-imports", "--max-level", "2"],
        ["scan-imports", "--config", "pyproject.toml"],
        ["scan-imports", "--format", "xml"],
        ["scan-imports", "--format"],
        ["scan-imports", "--", "-weird.py"],
        ["fix-imports", "--no-cache"],  # not an option of fix-imports
        ["fix-imports", "--style"],
        ["check-env", "backend"],  # typer checks that the directory is not a file
        ["check-env", "--no-cache"],
        ["check-startup", "uvicorn a:app", "uvicorn b:app"],  # one start command only
        ["check-startup", "--project", "backend"],  # typer checks it is not a file
        ["check-startup", "--timeout", "5"],  # typer checks the minimum
        ["check-startup", "--style", "flat"],
        ["doctor"],
        ["probe-db", "--url", "postgresql://localhost/x"],
    ],
)
def test_any_other_line_is_left_to_typer(line: list[str]) -> None:
    assert direct.parse(line, {}) is None


def test_shell_completion_is_left_to_typer() -> None:
    assert direct.parse(["scan-imports"], {"_JYOTI_DOCTOR_COMPLETE": "bash_complete"}) is None
    assert direct.parse(["scan-imports"], {"OTHER": "1"}) is not None


def test_formats_are_all_known() -> None:
    for fmt in OutputFormat:
        found = direct.parse(["scan-imports", "--format", fmt.value.upper()], {})
        assert found is not None and found[1]["fmt"] is fmt


def _run(cwd: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_process(cwd, [sys.executable, "-c", code, *args], bare_env(cwd), timeout=120)


# Runs the CLI as the console script does, then says whether typer was loaded.
_MAIN = (
    "import sys\nfrom jyoti_doctor.cli import main\nsys.argv[0] = 'jyoti-doctor'\n"
    "try:\n    main()\nfinally:\n    print('typer loaded:', 'typer' in sys.modules, file=sys.stderr)"
)
# The same command line through typer (the full app, as ``from jyoti_doctor.cli import app``).
_TYPER = (
    "import sys\nfrom jyoti_doctor.cli import app\napp(args=sys.argv[1:], prog_name='jyoti-doctor')"
)


@pytest.mark.parametrize(
    "args",
    [
        ("scan-imports", "--format", "json", "--no-cache"),
        ("fix-imports", "--format", "json"),
        ("fix-imports", "--format", "github", "--unsafe-fixes"),
        ("check-env", "--format", "json"),
        ("check-env", "--require", "SENTRY_DSN", "--strict"),
        ("check-startup", "--format", "json"),
        ("check-startup", "cd backend && uvicorn main:app", "--style", "root"),
    ],
)
def test_both_lanes_print_the_same_report(args: tuple[str, ...]) -> None:
    direct_run = _run(FIXTURE, _MAIN, *args)
    typer_run = _run(FIXTURE, _TYPER, *args)
    assert "typer loaded: False" in direct_run.stderr
    assert direct_run.returncode == typer_run.returncode == 1
    assert direct_run.stdout == typer_run.stdout
    if "json" in args:
        assert json.loads(direct_run.stdout)["findings"]


def test_the_direct_lane_writes_like_typer(tmp_path: Path) -> None:
    import shutil

    copies = [tmp_path / "direct", tmp_path / "typer"]
    for copy in copies:
        shutil.copytree(FIXTURE, copy)
    direct_run = _run(copies[0], _MAIN, "fix-imports", "--write", "--format", "json")
    typer_run = _run(copies[1], _TYPER, "fix-imports", "--write", "--format", "json")
    assert "typer loaded: False" in direct_run.stderr
    assert direct_run.returncode == typer_run.returncode
    assert direct_run.stdout == typer_run.stdout
    written = [
        {p.relative_to(copy): p.read_bytes() for p in sorted(copy.rglob("*.py"))} for copy in copies
    ]
    assert written[0] == written[1]
    assert written[0] != {
        p.relative_to(FIXTURE): p.read_bytes() for p in sorted(FIXTURE.rglob("*.py"))
    }


def test_a_bad_option_still_goes_to_typers_usage_error(tmp_path: Path) -> None:
    done = _run(tmp_path, _MAIN, "scan-imports", "--formt", "json")
    assert done.returncode == 2
    assert "No such option" in done.stderr and "typer loaded: True" in done.stderr
