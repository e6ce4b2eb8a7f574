"""``[tool.jyoti-doctor]`` is parsed once into typed settings: every key of every table is
checked (with file and line), one style enum serves every command, durations are finite, and
doctor's database check uses the same db settings as probe-db."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.config import DbSettings, Settings, Style, load_config
from jyoti_doctor.errors import UsageError

runner = CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_table_is_typed(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.jyoti-doctor]
package = ["backend"]
extend-exclude = ["migrations"]
max-level = 3
format = "json"
style = "root"
unsafe-fixes = true
start = "cd backend && uvicorn main:app"
env-file = [".env"]

[tool.jyoti-doctor.env]
DATABASE_URL = "postgres-url"
LOG_LEVEL = { type = "enum", choices = ["debug", "info"], required = false }

[tool.jyoti-doctor.db]
deadline = 30
query-timeout = 2.5
retry-auth = 2
""",
    )
    settings = load_config(None, tmp_path)
    assert settings.package == ("backend",)
    assert settings.max_level == 3
    assert settings.style is Style.ROOT
    assert settings.unsafe_fixes is True
    assert settings.env_file == (".env",)
    assert settings.env["DATABASE_URL"].type == "postgres-url"
    assert settings.env["LOG_LEVEL"].choices == ("debug", "info")
    assert settings.env["LOG_LEVEL"].required is False
    assert settings.db == DbSettings(deadline=30.0, query_timeout=2.5, retry_auth=2)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[tool.jyoti-doctor.db]\ndealine = 3\n", 2, "`dealine` is not a known key"),
        ("[tool.jyoti-doctor]\npackages = ['x']\n", 2, "`packages` is not a known key"),
        (
            "[tool.jyoti-doctor]\nmax-level = 2\n\n[tool.jyoti-doctor.env.X]\ntype = 'url'\nrequred = true\n",
            6,
            "`requred` is not a known key",
        ),
        ("[tool.jyoti-doctor]\ndb.dealine = 3\n", 2, "`dealine` is not a known key"),
    ],
)
def test_unknown_keys_are_rejected_at_every_level_with_the_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_config(None, tmp_path)
    assert f"{path}:{line}:" in str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-1", "0", "'5'", "true"])
def test_db_durations_must_be_finite_positive_numbers(tmp_path: Path, value: str) -> None:
    write(tmp_path, f"[tool.jyoti-doctor.db]\ndeadline = {value}\n")
    with pytest.raises(UsageError, match="deadline"):
        load_config(None, tmp_path)


@pytest.mark.parametrize(
    "command", [["fix-imports"], ["check-startup", "uvicorn main:app", "--project"]]
)
def test_style_absolute_in_config_is_refused_by_every_command(
    tmp_path: Path, command: list[str]
) -> None:
    """One Style enum, one validation: the config cannot ask fix-imports for a style it
    cannot write, whichever command reads it first."""
    write(tmp_path, '[tool.jyoti-doctor]\nstyle = "absolute"\n')
    (tmp_path / "main.py").write_text("app = None\n")
    result = runner.invoke(app, [*command, str(tmp_path)])
    assert result.exit_code == 2
    assert "style" in result.output and "relative, root" in result.output


def test_style_flag_is_checked_by_the_same_enum(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("x = 1\n")
    result = runner.invoke(app, ["fix-imports", "--style", "absolute", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot write style 'absolute'" in result.output


def test_nested_toml_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, "[tool.jyoti-doctor]\npackage = " + "[" * 5000 + "]" * 5000 + "\n")
    result = runner.invoke(app, ["scan-imports", str(tmp_path)])
    assert result.exit_code == 2
    assert "invalid TOML" in result.output


@pytest.mark.parametrize("special", ["/dev/null", "/dev/zero"])
def test_a_device_as_config_says_what_it_is(tmp_path: Path, special: str) -> None:
    link = tmp_path / "pyproject.toml"
    os.symlink(special, link)
    result = runner.invoke(app, ["scan-imports", "--config", str(link), str(tmp_path)])
    assert result.exit_code == 2
    assert "not a regular file" in result.output


def test_non_utf8_config_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(
        "[tool.jyoti-doctor]\nstart = 'caf\xe9'\n".encode("latin-1")
    )
    result = runner.invoke(app, ["scan-imports", str(tmp_path)])
    assert result.exit_code == 2
    assert "not valid utf-8" in result.output


def test_doctor_db_check_uses_the_db_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """query-timeout and retry-auth reach doctor's probe, not only probe-db's."""
    from jyoti_doctor.doctor import check_db_line

    write(tmp_path, "[tool.jyoti-doctor.db]\nquery-timeout = 0.7\nretry-auth = 3\n")
    # Port 1 on loopback: refused at once, so the probe ends at its (short) deadline.
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1:1/app")
    settings = load_config(None, tmp_path)
    line = check_db_line(tmp_path, settings, deadline=0.3)
    assert line.report is not None
    recorded = line.report.details["settings"]
    assert isinstance(recorded, dict)
    assert recorded["query_timeout"] == 0.7
    assert recorded["retry_auth"] == 3


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().package = ("x",)  # type: ignore[misc]


def test_schema_toml_goes_through_the_one_toml_reader(tmp_path: Path) -> None:
    """A latin-1 --schema file was an internal error (exit 70) when env had its own reader."""
    schema = tmp_path / "schema.toml"
    schema.write_bytes("[tool.jyoti-doctor.env]\nNAME = 'caf\xe9'\n".encode("latin-1"))
    result = runner.invoke(app, ["check-env", "--schema", str(schema), str(tmp_path)])
    assert result.exit_code == 2
    assert "not valid utf-8" in result.output
