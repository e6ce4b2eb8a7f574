"""Benchmark: ``fix-imports --write`` against absolufy-imports ``--never`` on Django 5.2's tree.

Usage: python bench/fix_imports.py [--absolufy PATH-TO-absolufy-imports]

Downloads the Django 5.2 sdist into bench/.corpus (once), copies its ``django/`` package into two
fresh temporary directories (outside any git checkout, so no .gitignore applies), times each tool
on its own copy in the same run, then checks that the rewritten tree compiles and that a second
``fix-imports`` changes nothing. Prints the ratio (target: <= 0.5).
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

from corpus import django_package

CPU: dict[str, list[float]] = {"absolufy": [], "jyoti": []}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, label: str = "") -> tuple[float, int]:
    """Wall seconds and exit code; the CPU seconds (user+sys) go to ``CPU[label]``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    elapsed = time.perf_counter() - start
    if label:
        CPU[label].append(_children_cpu() - cpu)
    return elapsed, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--absolufy", default=shutil.which("absolufy-imports"))
    parser.add_argument("--jyoti", default=shutil.which("jyoti-doctor") or "jyoti-doctor")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.absolufy:
        print(
            "absolufy-imports not found; pip install absolufy-imports (separate venv) "
            "and pass --absolufy PATH",
            file=sys.stderr,
        )
        return 2
    source = django_package()
    # PYTHONDONTWRITEBYTECODE may be set: without bytecode on disk every run would compile
    # jyoti-doctor's sources first (absolufy-imports' come compiled with its install).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            str(Path(__file__).resolve().parents[1] / "jyoti_doctor"),
        ],
        check=False,
    )
    print(f"load average at start: {os.getloadavg()}")
    theirs_times: list[float] = []
    ours_times: list[float] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            ours, theirs = Path(tmp, "ours"), Path(tmp, "theirs")
            for d in (ours, theirs):
                shutil.copytree(source, d / "django")
            files = sorted(str(p.relative_to(theirs)) for p in (theirs / "django").rglob("*.py"))
            t_theirs, _ = timed([args.absolufy, "--never", *files], theirs, "absolufy")
            t_ours, rc = timed(
                [args.jyoti, "fix-imports", "django", "--write", "-q"], ours, "jyoti"
            )
            theirs_times.append(t_theirs)
            ours_times.append(t_ours)
            compiled = subprocess.run(
                [sys.executable, "-m", "compileall", "-q", "django"],
                cwd=ours,
                capture_output=True,
                text=True,
                check=False,
            )
            second = subprocess.run(
                [args.jyoti, "fix-imports", "django", "--format", "json"],
                cwd=ours,
                capture_output=True,
                text=True,
                check=False,
            )
            would = json.loads(second.stdout)["summary"]["files_would_change"]
    t_theirs, t_ours = statistics.median(theirs_times), statistics.median(ours_times)
    print(f"files: {len(files)}; load average after the runs: {os.getloadavg()}")
    print(f"rounds: {args.rounds} (medians; each round times both tools back to back)")
    print(f"absolufy-imports --never: {t_theirs:.2f} s {[round(t, 2) for t in theirs_times]}")
    print(
        f"jyoti-doctor fix-imports --write: {t_ours:.2f} s {[round(t, 2) for t in ours_times]}"
        f" (exit {rc})"
    )
    print(f"ratio: {t_ours / t_theirs:.2f} (target <= 0.5)")
    per_round = [round(o / t, 2) for o, t in zip(ours_times, theirs_times, strict=True)]
    print(f"per-round ratios: {per_round}")
    c_theirs, c_ours = statistics.median(CPU["absolufy"]), statistics.median(CPU["jyoti"])
    print(f"CPU seconds (user+sys) medians: absolufy {c_theirs:.2f}, jyoti-doctor {c_ours:.2f}")
    print(f"CPU ratio: {c_ours / c_theirs:.2f}")
    print(f"compileall after rewrite: {'ok' if compiled.returncode == 0 else 'FAILED'}")
    print(f"second fix-imports would change: {would} file(s)")
    return 0 if compiled.returncode == 0 and would == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
