"""Benchmark: start-up, as a pre-commit hook or a user meets it (a regular install, not editable).

Run on demand (not part of the test suite; it needs the package registry for the venv):

    python bench/startup.py [--runs 15]

It installs this checkout into a fresh venv the way a user does (``pip install .``, plus pydantic,
which every FastAPI project has and which typer would otherwise import while parsing arguments),
compiles the venv's bytecode, and times, in interleaved rounds, ``python -c pass``, ``import typer``
(what the CLI library costs where it is loaded), ``jyoti-doctor --help``, a scan / fix of a 20-file
package, and a scan / fix of the fixture ``realworld/template-backend`` (10 files, with the
pyproject.toml, Dockerfile and compose file the fix's entry-point guard reads). It prints medians of wall and CPU time over ``python -c pass``, and which heavy modules
each run imported. Ratios and differences are what to read: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("typer", "pydantic", "rich", "libcst", "psycopg", "pathspec")
# A project with a pyproject.toml, a Dockerfile and a compose file: the fix's entry-point guard
# reads them all.
DEPLOYED = ROOT / "fixtures" / "realworld" / "template-backend"


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    cpu = cpu_of_children()
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start, cpu_of_children() - cpu


def make_package(top: Path, files: int, name: str = "app", head: str = "app") -> Path:
    """``files`` modules importing each other; ``head`` "." makes the imports relative (clean)."""
    package = top / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for i in range(files):
        (package / f"mod{i}.py").write_text(
            f"import os\nfrom {head}.mod{(i + 1) % files} import thing\n\nthing{i} = os.sep\n"
        )
    return package


def heavy_imports(python: Path, args: list[str], cwd: Path) -> list[str]:
    probe = (
        "import sys\nfrom jyoti_doctor.cli import main\nsys.argv = ['jyoti-doctor', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr)"
    )
    done = subprocess.run(
        [str(python), "-c", probe, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    return list(json.loads(done.stderr.strip().splitlines()[-1].replace("'", '"')))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        venv = top / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, str(ROOT), "pydantic"], check=True)
        subprocess.run([str(python), "-m", "compileall", "-q", str(venv / "lib")], check=False)
        versions = subprocess.run(
            [str(python), "-m", "pip", "list", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        pinned = {p["name"].lower(): p["version"] for p in json.loads(versions.stdout)}
        print(
            "python",
            sys.version.split()[0],
            "typer",
            pinned.get("typer"),
            "pydantic",
            pinned.get("pydantic"),
        )
        make_package(top, 20)
        make_package(top, 20, name="clean", head="")
        shutil.copytree(DEPLOYED, top / "deployed")
        deployed = top / "deployed" / "backend"
        jd = str(venv / "bin" / "jyoti-doctor")
        scan = [jd, "scan-imports", "app", "--no-cache", "--format", "json"]
        fix = [jd, "fix-imports", "app", "--format", "json"]
        cases = {
            "python -c pass": [str(python), "-c", "pass"],
            "python -c 'import typer'": [str(python), "-c", "import typer"],
            "jyoti-doctor --help": [jd, "--help"],
            "scan-imports app --no-cache (json)": scan,
            "scan-imports app (json, cached)": [jd, "scan-imports", "app", "--format", "json"],
            "fix-imports app (dry run, json)": fix,
            # What a pre-commit hook meets most: nothing to report, the default format, a pipe.
            "clean package: scan-imports": [jd, "scan-imports", "clean", "--no-cache"],
            "clean package: fix-imports": [jd, "fix-imports", "clean"],
            "check-env (json)": [jd, "check-env", "--format", "json"],
            # The same command lines, run in the deployed fixture's backend directory.
            "deployed: scan-imports --no-cache": scan,
            "deployed: fix-imports (dry run)": fix,
            "deployed: check-startup (json)": [jd, "check-startup", "--format", "json"],
        }
        where = {label: deployed if label.startswith("deployed") else top for label in cases}
        wall: dict[str, list[float]] = {k: [] for k in cases}
        cpu: dict[str, list[float]] = {k: [] for k in cases}
        print(f"load average before: {os.getloadavg()}")
        for _ in range(args.runs):
            for label, cmd in cases.items():
                w, c = timed(cmd, where[label])
                wall[label].append(w)
                cpu[label].append(c)
        print(f"load average after: {os.getloadavg()}")
        base_wall = statistics.median(wall["python -c pass"])
        base_cpu = statistics.median(cpu["python -c pass"])
        print(
            f"\n{'median of ' + str(args.runs):38} {'wall s':>7} {'over pass':>10} {'CPU over':>9}"
        )
        for label in cases:
            w, c = statistics.median(wall[label]), statistics.median(cpu[label])
            print(f"{label:38} {w:7.3f} {w - base_wall:10.3f} {c - base_cpu:9.3f}")
        print("\nheavy modules imported:")
        for label, cmd in cases.items():
            if cmd[0] == jd:
                print(f"  {label:36} {heavy_imports(python, cmd[1:], where[label])}")


if __name__ == "__main__":
    main()
