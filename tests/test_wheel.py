"""The wheel installs clean: built (sdist, then the wheel from the sdist, as `python -m build`
does), installed into a fresh venv with no source tree in sight, every command answers --help
and doctor runs on a copy of the fixture. A module or data file missing from the package fails
here, not on a user's machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from jyoti_doctor.rules import Rule
from tests._cli import CHECKOUT_IGNORE

REPO = Path(__file__).resolve().parent.parent
COMMANDS = (
    "scan-imports",
    "fix-imports",
    "probe-db",
    "check-env",
    "check-startup",
    "doctor",
    "check-serve",
    "check-routes",
    "init",
)


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.mark.slow
def test_the_wheel_installs_and_runs_clean(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        REPO, source, ignore=CHECKOUT_IGNORE
    )  # a clean checkout: nothing built lying around
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist = tmp_path / "dist"
    built = run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], tmp_path, env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheels = list(dist.glob("jyoti_doctor-*.whl"))
    assert len(wheels) == 1 and list(dist.glob("jyoti_doctor-*.tar.gz"))

    target = tmp_path / "venv"
    # No pip inside (ensurepip costs seconds): this environment's pip installs into it.
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    install = run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-compile",  # bytecode is beside the point here and costs seconds
            "--disable-pip-version-check",
            *map(str, wheels),
        ],
        tmp_path,
        env,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    work = tmp_path / "work"
    shutil.copytree(REPO / "fixtures" / "jyotiflow", work / "jyotiflow", ignore=CHECKOUT_IGNORE)
    exe = str(target / "bin" / "jyoti-doctor")
    where = run([str(python), "-c", "import jyoti_doctor; print(jyoti_doctor.__file__)"], work, env)
    assert where.stdout.startswith(str(target)), where.stdout  # not the source tree

    version = run([exe, "--version"], work, env)
    assert version.returncode == 0 and version.stdout.startswith("jyoti-doctor "), version.stderr
    helps = {
        command: subprocess.Popen(
            [exe, command, "--help"], cwd=work, env=env, stdout=subprocess.PIPE, text=True
        )
        for command in COMMANDS
    }
    for command, proc in helps.items():
        stdout, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "Usage:" in stdout, command

    doctor = run([exe, "doctor", "jyotiflow", "--skip", "db", "--format", "json"], work, env)
    assert doctor.returncode == 1, doctor.stderr
    checks = json.loads(doctor.stdout)["details"]["checks"]
    assert [c["check"] for c in checks] == [
        "Environment",
        "Imports",
        "Start-up",
        "Routes",
        "Database",
    ]

    # The rule documentation travels in the wheel (SARIF embeds it).
    sarif = run([exe, "scan-imports", "jyotiflow", "--format", "sarif"], work, env)
    rules = json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len(Rule)
    assert all("fullDescription" in r and r["help"]["markdown"] for r in rules)
