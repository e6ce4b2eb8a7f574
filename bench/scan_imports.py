"""Benchmark: `scan-imports` against ruff (TID251 banning the package) on Django's own source.

Run on demand (not part of the test suite):

    python -m pip install -e . -r bench/requirements.txt
    python bench/scan_imports.py [--runs 7] [--synthetic 1000,10000,50000]

It fetches the Django 5.2 source distribution from the package registry into bench/.corpus,
times each tool side by side (interleaved runs, medians), checks that scan-imports' findings equal
an independent ``ast`` reference on the whole corpus, times ``jyoti-doctor --help`` and checks it
imports neither libcst nor psycopg, and measures growth on synthetic trees. Ratios are what to
read: this machine is shared and absolute times drift.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path

from corpus import django_package

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


# CPU seconds (user + system) of the last command timed: on a shared machine wall time swings
# with the load, CPU time much less (ruff's threads add up; ours is one process).
LAST_CPU: list[float] = [0.0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    cmd: list[str], cwd: Path | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    LAST_CPU[0] = _children_cpu() - cpu
    return elapsed, proc


def _suppressing_comments(data: bytes) -> dict[int, str]:
    """Line -> comment text, for comments that suppress (found with tokenize, not regexes)."""
    out: dict[int, str] = {}
    for tok in tokenize.tokenize(io.BytesIO(data).readline):
        if tok.type == tokenize.COMMENT:
            body = tok.string.lstrip("#").strip().lower()
            if body.startswith(("noqa", "jyoti-doctor: ignore")):
                out[tok.start[0]] = body
    return out


def _suppressed(comments: dict[int, str], first: int, last: int) -> bool:
    for line in range(first, last + 1):
        body = comments.get(line)
        if body is None:
            continue
        after = body[len("noqa") :].lstrip()
        if body.startswith("jyoti-doctor") or not after.startswith(":"):
            return True  # blanket: anything after the word but a colon belongs to another tool
        codes = after[1:].replace(",", " ").upper().split()
        if "JD101" in codes or "JD102" in codes or "JD103" in codes:
            return True
    return False


def _names(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def reference_findings(package_dir: Path) -> set[tuple[str, int, int]]:
    """An independent reference: every absolute import naming the package, by plain ast.walk,
    minus those under a suppression comment (read with tokenize)."""
    name = package_dir.name
    found: set[tuple[str, int, int]] = set()
    for path in package_dir.rglob("*.py"):
        data = path.read_bytes()
        tree = ast.parse(data)
        comments = _suppressing_comments(data)
        rel = str(path.relative_to(package_dir.parent))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if _suppressed(comments, node.lineno, node.end_lineno or node.lineno):
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module and _names(node.module, name):
                    found.add((rel, node.lineno, node.col_offset + 1))
                continue
            for alias in node.names:
                if _names(alias.name, name):
                    # Columns are characters in the product; equal to bytes on ASCII lines.
                    found.add((rel, alias.lineno, alias.col_offset + 1))
    return found


def product_findings(doc: dict) -> set[tuple[str, int, int]]:  # type: ignore[type-arg]
    return {
        (f["location"]["path"], f["location"]["line"], f["location"]["column"])
        for f in doc["findings"]
        if f["code"] in ("JD101", "JD102", "JD103", "JD105")
    }


def ruff_config(tmp: Path, package: str) -> Path:
    cfg = tmp / "ruff.toml"
    cfg.write_text(
        '[lint]\nselect = ["TID251"]\n'
        f'[lint.flake8-tidy-imports.banned-api]\n"{package}".msg = "self-import"\n'
    )
    return cfg


def synthetic_tree(root: Path, files: int) -> Path:
    pkg = root / "synth"
    per_dir = 100
    for i in range(files):
        d = pkg / f"sub{i // per_dir}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
            (d / "__init__.py").write_text("")
        (d / f"m{i}.py").write_text(
            '"""A module."""\nimport os\nfrom synth.sub0 import m0\nfrom . import m1\n\n'
            "def f(x):\n    return os.path.join(str(x), 'y')\n" * 3
        )
    (pkg / "__init__.py").write_text("")
    return pkg


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--synthetic", default="1000,10000,50000")
    args = parser.parse_args()

    jd = [str(BIN / "jyoti-doctor")]
    ruff = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
    pkg = django_package()
    tree = pkg.parent
    files = list(pkg.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {pkg.relative_to(HERE.parent)}: {len(files)} files, {lines} lines")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(HERE.parent / "jyoti_doctor")], check=False
    )
    print(f"load average at start: {os.getloadavg()}")

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        cfg = ruff_config(tmp, "django")
        commands = {
            "jyoti-doctor scan-imports": [
                *jd,
                "scan-imports",
                "--format",
                "json",
                "--exit-zero",
                "django",
            ],
            "jyoti-doctor scan-imports --no-cache": [
                *jd,
                "scan-imports",
                "--no-cache",
                "--format",
                "json",
                "--exit-zero",
                "django",
            ],
            "ruff TID251 (--no-cache)": [
                ruff,
                "check",
                "--config",
                str(cfg),
                "--no-cache",
                "--exit-zero",
                "-q",
                "django",
            ],
            "ruff TID251 (cached)": [
                ruff,
                "check",
                "--config",
                str(cfg),
                "--exit-zero",
                "-q",
                "django",
            ],
        }
        times: dict[str, list[float]] = {k: [] for k in commands}
        cpu: dict[str, list[float]] = {k: [] for k in commands}
        last: dict[str, subprocess.CompletedProcess[str]] = {}
        for _ in range(args.runs):
            for label, cmd in commands.items():
                elapsed, proc = timed(cmd, cwd=tree)
                times[label].append(elapsed)
                cpu[label].append(LAST_CPU[0])
                last[label] = proc

        # absolufy-imports rewrites in place: time it on fresh copies.
        absolufy = shutil.which("absolufy-imports", path=str(BIN))
        if absolufy:
            times["absolufy-imports --never"] = []
            for _ in range(min(args.runs, 3)):
                copy = tmp / "absolufy"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(tree, copy)
                rel = [str(p.relative_to(tree)) for p in files]
                elapsed, _ = timed([absolufy, "--never", *rel], cwd=copy)
                times["absolufy-imports --never"].append(elapsed)

    medians = {k: statistics.median(v) for k, v in times.items()}
    base = medians["ruff TID251 (--no-cache)"]
    print(f"\n{'tool':32} {'median s':>9} {'min s':>7} {'vs ruff --no-cache':>19}")
    for label, med in medians.items():
        print(f"{label:32} {med:9.3f} {min(times[label]):7.3f} {med / base:18.2f}x")
    cpu_base = statistics.median(cpu["ruff TID251 (--no-cache)"])
    print("CPU seconds (user+sys), median:")
    for label, values in cpu.items():
        print(
            f"  {label:32} {statistics.median(values):7.3f}  {statistics.median(values) / cpu_base:5.2f}x"
        )
    print(
        f"ratio scan-imports (warm cache) / ruff (cached): "
        f"{medians['jyoti-doctor scan-imports'] / medians['ruff TID251 (cached)']:.2f}x"
    )

    doc = json.loads(last["jyoti-doctor scan-imports"].stdout)
    ours = product_findings(doc)
    ref = reference_findings(pkg)
    ruff_count = sum(
        1 for ln in last["ruff TID251 (--no-cache)"].stdout.splitlines() if "TID251" in ln
    )
    print(
        f"\nfindings: scan-imports {len(ours)}, ast reference {len(ref)}, ruff TID251 {ruff_count}"
    )
    print(f"identical to the reference: {ours == ref}")
    if ours != ref:
        print("  only in scan-imports:", sorted(ours - ref)[:10])
        print("  only in reference:", sorted(ref - ours)[:10])

    print(f"load average before start-up timings: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmpdir:
        small = synthetic_tree(Path(tmpdir), 20)
        startup = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "jyoti-doctor --help": [*jd, "--help"],
            "scan-imports small (json)": [*jd, "scan-imports", "--format", "json", str(small)],
            "scan-imports small (rich)": [*jd, "scan-imports", str(small)],
            "scan-imports small --no-cache": [
                *jd,
                "scan-imports",
                "--no-cache",
                "--format",
                "json",
                str(small),
            ],
            "fix-imports small (dry run, json)": [
                *jd,
                "fix-imports",
                "--format",
                "json",
                str(small),
            ],
        }
        start_times: dict[str, list[float]] = {k: [] for k in startup}
        start_cpu: dict[str, list[float]] = {k: [] for k in startup}
        for _ in range(max(args.runs, 5)):
            for label, cmd in startup.items():
                start_times[label].append(timed(cmd)[0])
                start_cpu[label].append(LAST_CPU[0])
    base_start = statistics.median(start_times["python -c pass"])
    cpu_start = statistics.median(start_cpu["python -c pass"])
    print(
        f"\n{'start-up (20-file package)':36} {'median s':>9} {'over python -c pass':>20}"
        f" {'CPU s over':>11}"
    )
    for label, values in start_times.items():
        med = statistics.median(values)
        over_cpu = statistics.median(start_cpu[label]) - cpu_start
        print(f"{label:36} {med:9.3f} {med - base_start:19.3f}s {over_cpu:10.3f}s")
    help_times = start_times["jyoti-doctor --help"]
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys\nfrom jyoti_doctor.cli import app\ntry:\n app(['--help'])\nexcept SystemExit:\n pass\n"
                "print(sorted({m.split('.')[0] for m in sys.modules} & {'libcst','psycopg'}))"
            ),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    print(
        f"\njyoti-doctor --help: median {statistics.median(help_times):.3f} s; "
        f"heavy modules imported: {probe.stdout.strip().splitlines()[-1]}"
    )

    print(f"\nload average before growth: {os.getloadavg()}")
    print("\nsynthetic trees (7 lines x3 per file, 2 self-imports each):")
    print(f"{'files':>7} {'seconds':>8} {'us/file':>8}  (no cache; then cached)")
    for n in [int(x) for x in args.synthetic.split(",") if x]:
        with tempfile.TemporaryDirectory() as tmpdir:
            synth = synthetic_tree(Path(tmpdir), n)
            cmd = [*jd, "scan-imports", "--format", "json", "--exit-zero", str(synth)]
            elapsed, proc = timed([*cmd, "--no-cache"])
            count = len(json.loads(proc.stdout)["findings"])
            timed(cmd)  # fills the cache
            cached, _ = timed(cmd)
            print(
                f"{n:7d} {elapsed:8.2f} {elapsed / n * 1e6:8.0f}   ({count} findings); "
                f"cached {cached:.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
