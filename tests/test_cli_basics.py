"""The CLI's shared behaviour: version, help, usage errors, lazy imports."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from jyoti_doctor import __version__
from jyoti_doctor.cli import app


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"jyoti-doctor {__version__}"


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"jyoti-doctor {__version__}"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from jyoti_doctor.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'psycopg'))\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_unknown_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan-imports", "--no-such-flag"])
    assert result.exit_code == 2
