"""check-env beside dotenv-linter (wemake-services, from PyPI) and plain python-dotenv parsing.

Two parts, run on demand (not in the test suite):

1. Findings: the same `.env` files through dotenv-linter and through check-env, line by line.
2. Speed: one large generated `.env` through python-dotenv's ``dotenv_values`` (parse, expand),
   dotenv-linter (a process) and check-env (a process, and in-process), as ratios from one run.

    python bench/check_env.py [--dotenv-linter PATH] [--lines 50000] [--repeat 5]

The speed part also runs check-env on half as many lines: linear work keeps the ratio near 2.
The script byte-compiles the package first (PYTHONDONTWRITEBYTECODE would otherwise make every
process pay for compiling).

dotenv-linter is looked up on PATH unless given; install it in its own virtualenv
(`pip install dotenv-linter`). Without it, only the python-dotenv comparison runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jyoti_doctor.config import Settings
from jyoti_doctor.env.check import check_env

SCHEMA = "# @optional\nAPP_MODE=\n"
DOTENV_VALUES_MAX = 10_000
KEY = "sk-proj-Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A"

# (name, .env bytes, .env.example or None for the built-in default schema)
CASES: list[tuple[str, bytes, str | None]] = [
    (
        "jyotiflow fixture",
        (REPO / "fixtures/jyotiflow/.env").read_bytes(),
        (REPO / "fixtures/jyotiflow/.env.example").read_text(),
    ),
    ("clean, quoted value", b'APP_MODE="fast"\n', SCHEMA),
    ("unparsable line", b"APP_MODE=fast\nTHIS IS NOT AN ASSIGNMENT\n", SCHEMA),
    ("unclosed quote", b'APP_MODE="fast\nOTHER=1\n', SCHEMA),
    ("duplicate key", b"APP_MODE=a\nAPP_MODE=b\n", SCHEMA),
    ("value cut at ' #'", b"DB_PASSWORD=abc #def\n", SCHEMA),
    ("BOM", b"\xef\xbb\xbfAPP_MODE=fast\n", SCHEMA),
    ("CRLF", b"APP_MODE=fast\r\nOTHER=1\r\n", SCHEMA),
    ("${UNDEFINED}", b"APP_MODE=${NOPE}/x\n", SCHEMA),
    ("spaces around =", b"APP_MODE = fast\n", SCHEMA),
    ("lowercase key", b"app_mode=fast\n", SCHEMA),
    ("trailing whitespace", b"APP_MODE=fast   \n", SCHEMA),
    (
        "placeholder key",
        b"DATABASE_URL=postgresql://u:pw@h/db\nOPENAI_API_KEY=your-key-here\n",
        None,
    ),
    (
        "zero-width space in key",
        (
            "DATABASE_URL=postgresql://u:pw@h/db\nOPENAI_API_KEY="
            + KEY[:12]
            + "\u200b"
            + KEY[12:]
            + "\n"
        ).encode(),
        None,
    ),
    (
        "postgres:// + unencoded @",
        b"DATABASE_URL=postgres://u:p@ss@h/db\n" + f"OPENAI_API_KEY={KEY}\n".encode(),
        "# @type=postgres-url @consumer=sqlalchemy\nDATABASE_URL=\n",
    ),
    (
        "anthropic key as openai",
        f"DATABASE_URL=postgresql://u:pw@h/db\nOPENAI_API_KEY=sk-ant-api03-{'x1' * 30}\n".encode(),
        None,
    ),
    (
        "secret in NEXT_PUBLIC_",
        f"DATABASE_URL=postgresql://u:pw@h/db\nOPENAI_API_KEY={KEY}\n"
        f"NEXT_PUBLIC_OPENAI_API_KEY={KEY}\n".encode(),
        None,
    ),
    ("missing required", b"SENTRY_DSN=\n", None),
]


def linter_findings(linter: str, path: Path) -> list[str]:
    out = subprocess.run([linter, "lint", str(path)], capture_output=True, text=True, check=False)
    found = []
    for line in (out.stdout + out.stderr).splitlines():
        match = re.match(r".*?:(\d+) (\d+) (.*)", line)
        if match:
            found.append(f"L{match[1]} {match[2]} {match[3]}")
    return sorted(set(found), key=lambda s: (int(s.split()[0][1:]), s))


def our_findings(root: Path) -> list[str]:
    report = check_env(root, Settings(), environ={})
    found = []
    for f in report.findings:
        line = f"L{f.location.line}" if f.location and f.location.line else "--"
        found.append(f"{line} {f.code} {f.severity.value}: {f.message[:70]}")
    return found


def findings_table(linter: str | None, base: Path) -> None:
    print("## Findings on the same files\n")
    for index, (name, data, example) in enumerate(CASES):
        root = base / f"case{index}"
        root.mkdir()
        (root / ".env").write_bytes(data)
        if example is not None:
            (root / ".env.example").write_text(example)
        print(f"### {name}")
        if linter:
            theirs = linter_findings(linter, root / ".env")
            print("  dotenv-linter: " + ("; ".join(theirs) if theirs else "(nothing)"))
        ours = our_findings(root)
        print("  check-env:     " + ("\n                 ".join(ours) if ours else "(nothing)"))
        print()


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def speed(linter: str | None, base: Path, lines: int, repeat: int) -> None:
    from dotenv import dotenv_values

    root = base / "big"
    root.mkdir()
    body = "".join(
        f"VAR_{i}=value-{i}\n" if i % 3 else f'SECRET_TOKEN_{i}="tok{i:08d}abcdefghijklmnop"\n'
        for i in range(lines)
    )
    (root / ".env").write_text(
        f"DATABASE_URL=postgresql://u:pw@h/db\nOPENAI_API_KEY={KEY}\n" + body
    )
    env_path = root / ".env"
    results: list[tuple[str, float]] = []
    if lines <= DOTENV_VALUES_MAX:
        results.append(
            (
                "python-dotenv dotenv_values (parse + ${VAR}, in-process)",
                best_of(repeat, lambda: dotenv_values(env_path)),
            )
        )
    else:
        print(
            f"(python-dotenv's dotenv_values is left out above {DOTENV_VALUES_MAX:,} lines: it "
            "copies the environment for every line, so its time grows with the square of the "
            "file: 1.0 s for 2,500 lines, 4.4 s for 5,000, 12.9 s for 10,000 on the 2-core "
            "build machine)\n"
        )
    results.append(
        (
            "check-env core (in-process)",
            best_of(repeat, lambda: check_env(root, Settings(), environ={})),
        )
    )
    cli = [sys.executable, "-m", "jyoti_doctor", "check-env", str(root), "--format", "json"]
    results.append(
        (
            "check-env CLI (process)",
            best_of(
                repeat, lambda: subprocess.run(cli, capture_output=True, check=False, cwd=REPO)
            ),
        )
    )
    if linter:
        results.append(
            (
                "dotenv-linter CLI (process)",
                best_of(
                    repeat,
                    lambda: subprocess.run(
                        [linter, "lint", str(env_path)], capture_output=True, check=False
                    ),
                ),
            )
        )
    half = base / "half"
    half.mkdir()
    half_lines = (env_path.read_text().splitlines(keepends=True))[: lines // 2 + 2]
    (half / ".env").write_text("".join(half_lines))
    results.append(
        (
            f"check-env core on {lines // 2 + 2} lines (in-process)",
            best_of(repeat, lambda: check_env(half, Settings(), environ={})),
        )
    )
    print(f"## Speed: one .env of {lines + 2} lines, best of {repeat}\n")
    base_time = results[0][1]
    for label, seconds in results:
        print(f"  {label:55s} {seconds * 1000:9.1f} ms  x{seconds / base_time:6.1f}")
    core = dict(results)["check-env core (in-process)"]
    halved = results[-1][1] if "lines (in-process)" in results[-1][0] else None
    if halved:
        print(f"\n  check-env core, full / half the lines = {core / halved:.2f} (linear: about 2)")
    if linter:
        ours = dict(results)["check-env CLI (process)"]
        theirs = dict(results)["dotenv-linter CLI (process)"]
        print(f"\n  check-env CLI / dotenv-linter CLI = {ours / theirs:.2f}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dotenv-linter", default=shutil.which("dotenv-linter"))
    parser.add_argument("--lines", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "jyoti_doctor")],
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )
    if not args.dotenv_linter:
        print("dotenv-linter not found: comparing with python-dotenv only\n")
    with tempfile.TemporaryDirectory() as tmp:
        findings_table(args.dotenv_linter, Path(tmp))
        speed(args.dotenv_linter, Path(tmp), args.lines, args.repeat)


if __name__ == "__main__":
    main()
