"""One environment rule for every command: check-env and probe-db, run through the real CLI with
the same inputs, must read DATABASE_URL from the same source (docs/env.md, "Which value wins")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app

# Each source names its own database; nothing listens on port 1, so probe-db ends quickly (exit 3)
# after saying which URL it tried.
FILES = {
    "a.env": "DATABASE_URL=postgresql://u@127.0.0.1:1/from_a\n",
    "b.env": "OTHER=1\nDATABASE_URL=postgresql://u@127.0.0.1:1/from_b\n",
    "none.env": "OTHER=1\n",
    ".env": "DATABASE_URL=postgresql://u@127.0.0.1:1/from_dotenv\n",
    "c1.env": "DATABASE_URL=postgresql://u@127.0.0.1:1/from_c1\n",
    "c2.env": "DATABASE_URL=postgresql://u@127.0.0.1:1/from_c2\n",
}
ENV_URL = "postgresql://u@127.0.0.1:1/from_env"
CONFIG = '[tool.jyoti-doctor]\nenv-file = ["c1.env", "c2.env"]\n'

# (files present, config?, environment has DATABASE_URL?, --env-file flags, expected database)
TABLE = [
    ((".env",), False, False, (), "from_dotenv"),
    ((".env",), False, True, (), "from_env"),
    ((".env", "a.env"), False, False, ("a.env",), "from_a"),
    ((".env", "a.env"), False, True, ("a.env",), "from_a"),
    (("a.env", "b.env"), False, False, ("a.env", "b.env"), "from_b"),
    (("a.env", "b.env"), False, True, ("b.env", "a.env"), "from_a"),
    (("none.env", ".env"), False, True, ("none.env",), "from_env"),
    ((".env", "c1.env", "c2.env"), True, False, (), "from_c2"),
    ((".env", "c1.env", "c2.env"), True, True, (), "from_env"),
    ((".env", "a.env", "c1.env", "c2.env"), True, False, ("a.env",), "from_a"),
]


def _database(url: str) -> str:
    return url.rsplit("/", 1)[-1]


@pytest.mark.parametrize(("present", "config", "in_env", "flags", "expected"), TABLE)
def test_check_env_and_probe_db_read_the_same_source(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    present: tuple[str, ...],
    config: bool,
    in_env: bool,
    flags: tuple[str, ...],
    expected: str,
) -> None:
    for name in present:
        (tmp_path / name).write_text(FILES[name])
    if config:
        (tmp_path / "pyproject.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    if in_env:
        monkeypatch.setenv("DATABASE_URL", ENV_URL)
    args = [a for flag in flags for a in ("--env-file", flag)]
    runner = CliRunner()

    checked = runner.invoke(
        app, ["check-env", ".", "--require", "DATABASE_URL", *args, "--format", "json"]
    )
    assert checked.exit_code in (0, 1), checked.output
    rows = json.loads(checked.stdout)["sections"]["environment_variables"]
    row = next(r for r in rows if r["variable"] == "DATABASE_URL")

    probed = runner.invoke(app, ["probe-db", *args, "--format", "json", "--deadline", "0.2"])
    assert probed.exit_code == 3, probed.output
    target = json.loads(probed.stdout)["details"]["target"]

    assert _database(row["value"]) == _database(target["url"]) == expected
    # Both name the same place: a file (and check-env its line) or the environment.
    if expected == "from_env":
        assert row["source"].startswith("environment") and target["source"] == "environment"
    else:
        assert row["source"].split(":")[0] == Path(target["source"]).name


def test_the_environment_hidden_by_an_env_file_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.env").write_text(FILES["a.env"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", ENV_URL)
    result = CliRunner().invoke(
        app,
        ["check-env", ".", "--env-file", "a.env", "--require", "DATABASE_URL", "--format", "json"],
    )
    rows = json.loads(result.stdout)["sections"]["environment_variables"]
    row = next(r for r in rows if r["variable"] == "DATABASE_URL")
    assert row["source"] == "a.env:1 (over the environment)"
