"""Measure `fix-imports --write` on a copy of a real project: lint, compile and launch, before and after.

For one project directory it makes two fresh temporary copies (the original is never written),
counts the Python files, runs `jyoti-doctor scan-imports`, the project's own import lint, a
`compileall` of every file and `check-startup` (predicted, and observed with `--run` when an
interpreter is given) on the "before" copy; then `fix-imports --write` on the "after" copy and the
same checks again. With `--launch` it also starts the real command in both copies (127.0.0.1 only)
and reports what it did. Output: one Markdown table row and a JSON dump.

    python scripts/realworld_table.py <project> --python <venv>/bin/python --package backend \
        --name owner/repo@abc123 --launch 'cd backend && uvicorn app.main:app --port 8123' \
        --env KEY=VALUE --url http://127.0.0.1:8123/docs --json out.json

`jyoti-doctor` is run as a program (the one next to this interpreter, else on PATH, else
`--jd`); the real launches use check-serve's process handling, so this interpreter must have it
installed.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from textwrap import shorten

from jyoti_doctor.serve.launch import ServeCommand
from jyoti_doctor.serve.process import Server

SKIP = (".venv", "venv", ".git", "__pycache__", "node_modules", ".mypy_cache", ".ruff_cache")
# The ruff rules a rewrite of import statements can turn on or off.
IMPORT_RULES = ("I001", "I002", "TID251", "TID252", "TID253", "F401", "F403", "E401", "E402")
RUFF_DEFAULT_SELECT = ["E4", "E7", "E9", "F"]


def sh(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


def py_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if not any(part in SKIP for part in p.parts)]


def tool(name: str, bins: list[Path]) -> str | None:
    """The project's own copy of a tool (its venv, then --tool-bin), never one found elsewhere."""
    found = [b / name for b in bins if (b / name).exists()]
    return str(found[0]) if found else None


def ruff_import_rules(pkg: Path) -> list[str] | None:
    """The import rules the project's ruff configuration enables, or None with no ruff config."""
    for name in ("ruff.toml", ".ruff.toml", "pyproject.toml"):
        path = pkg / name
        if not path.is_file():
            continue
        data = tomllib.loads(path.read_text())
        top = data.get("tool", {}).get("ruff") if name == "pyproject.toml" else data
        if top is None:
            continue
        lint = {**top, **top.get("lint", {})}
        select = lint.get("select", RUFF_DEFAULT_SELECT) + lint.get("extend-select", [])
        ignore = lint.get("ignore", []) + lint.get("extend-ignore", [])
        on = [r for r in IMPORT_RULES if any(s == "ALL" or r.startswith(s) for s in select)]
        return [r for r in on if not any(r.startswith(i) for i in ignore)]
    return None


def ini_has(pkg: Path, sections: tuple[str, ...]) -> bool:
    for name in ("setup.cfg", "tox.ini", ".flake8", ".isort.cfg"):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(pkg / name)
        except configparser.Error:
            continue
        if any(parser.has_section(s) for s in sections):
            return True
    return False


def detect_lints(pkg: Path, bins: list[Path]) -> dict[str, list[str] | str]:
    """Each configured import lint: its command, or why it cannot run."""
    lints: dict[str, list[str] | str] = {}
    rules = ruff_import_rules(pkg)
    if rules is not None:
        ruff = tool("ruff", bins) or shutil.which("ruff")
        if not rules:
            lints["ruff"] = "configured, but enables no import rule"
        elif ruff is None:
            lints["ruff"] = "not runnable: no ruff installed"
        else:
            lints["ruff"] = [
                ruff,
                "check",
                "--no-fix",
                "--output-format",
                "concise",
                "--select",
                ",".join(rules),
                ".",
            ]
    pyproject = pkg / "pyproject.toml"
    isort_cfg = ini_has(pkg, ("isort", "tool:isort")) or (
        pyproject.is_file() and "isort" in tomllib.loads(pyproject.read_text()).get("tool", {})
    )
    isort = tool("isort", bins)
    if isort_cfg or isort:
        lints["isort"] = [isort, "--check-only", "."] if isort else "not runnable: not in the venv"
    if ini_has(pkg, ("flake8",)):
        flake8 = tool("flake8", bins)
        lints["flake8"] = (
            [flake8, "--format=default", "."] if flake8 else "not runnable: not in the venv"
        )
    return lints


def run_lint(name: str, cmd: list[str], pkg: Path) -> dict[str, int]:
    _, out = sh(cmd, pkg)
    if name == "isort":
        return {"isort": len(re.findall(r"^ERROR: ", out, re.MULTILINE))}
    return dict(Counter(re.findall(r":\d+:\d+: ([A-Z]+\d+)", out)))


def compile_all(root: Path, python: str, cache: Path) -> int:
    """Files that fail to compile (byte-code goes to a throw-away prefix, not the copy)."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(cache)}
    _, out = sh(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-f",
            "-x",
            r"[/\\](\.venv|venv|node_modules)[/\\]",
            ".",
        ],
        root,
        env,
    )
    return len(re.findall(r"^\*\*\* Error compiling", out, re.MULTILINE))


def jd_json(jd: str, args: list[str], cwd: Path, root: Path, env: dict[str, str]) -> dict:
    code, out = sh([jd, *args, "--format", "json", "--no-color"], cwd, env)
    out = out.replace(str(root), "<project>")
    start = out.find("{")
    try:
        return json.JSONDecoder().raw_decode(out[start:])[0] if start >= 0 else {"raw": out[-400:]}
    except json.JSONDecodeError:
        return {"raw": out[-400:], "exit": code}


def startup(jd: str, root: Path, pkg: Path, args: argparse.Namespace) -> list[dict]:
    """Per start command: the prediction, and with an interpreter what `--run` observed."""
    verdicts, run = [], ["--run", "--python", args.python] if args.python else []
    for start in [None, *args.start]:
        cmd, cwd = ["check-startup", *([start] if start else []), *run], root
        report = jd_json(jd, cmd, cwd, root, args.env)
        if start is None and "error" in report and pkg != root:
            alt = jd_json(jd, cmd, pkg, root, args.env)
            if "error" not in alt:
                cwd, report = pkg, alt
        summary = report.get("summary", {})
        failed = "error: " + report["error"]["message"][:140] if "error" in report else None
        verdicts.append(
            {
                "command": start or "(discovered)",
                "in": cwd.relative_to(root).as_posix(),
                "start_command": summary.get("start_command"),
                "from": summary.get("from"),
                "predicted": summary.get("predicted") or failed or report.get("raw", "?")[:140],
                "observed": (summary.get("observed") or "not run")
                if run
                else "not run (no --python)",
                "errors": [
                    f"{f['code']} {f['message'][:120]}"
                    for f in report.get("findings", [])
                    if f.get("severity") == "error"
                ],
            }
        )
    return verdicts


def launch(cmd: str, root: Path, env: dict[str, str], url: str | None, wait: float) -> str:
    """Start the real command, wait for `url` (or for the process to exit), stop it, say what
    happened. The process handling is check-serve's own: its own process group, SIGTERM, then
    SIGKILL after the grace period."""
    port = (urllib.parse.urlsplit(url).port or 0) if url else 0
    server = Server(ServeCommand(("bash", "-c", cmd), root, env, port, False, cmd))
    result, deadline = None, time.monotonic() + wait
    while time.monotonic() < deadline and result is None:
        time.sleep(0.5)
        code = server.exit_code()
        if code is not None:
            result = f"exited {code}"
        elif url:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    result = f"served HTTP {resp.status}"
            except urllib.error.HTTPError as exc:
                result = f"served HTTP {exc.code}"
            except OSError:
                pass
    server.stop(grace=10)
    text = "".join(server.lines())
    errors = [ln.strip() for ln in text.splitlines() if re.search(r"(Error|Exception|error:)", ln)]
    if result is None:
        result = (
            f"running, no answer in {wait:.0f} s" if url else f"still running after {wait:.0f} s"
        )
    return result + (f": {errors[-1][:160]}" if errors and not result.startswith("served") else "")


def measure(args: argparse.Namespace, jd: str) -> dict:
    project = Path(args.project).resolve()
    python = args.python or sys.executable
    data: dict = {"project": args.name or project.name}
    with tempfile.TemporaryDirectory(prefix="jd-table-") as tmp:
        copies = {side: Path(tmp) / side / "p" for side in ("before", "after")}
        for dest in copies.values():
            shutil.copytree(project, dest, symlinks=True, ignore=shutil.ignore_patterns(*SKIP))
        pkg = {side: copies[side] / args.package for side in copies}
        data["files"] = len(py_files(pkg["before"]))
        scan = jd_json(
            jd, ["scan-imports", "--no-cache"], pkg["before"], copies["before"], args.env
        )
        data["scan"] = dict(Counter(f["code"] for f in scan.get("findings", [])))
        fix = jd_json(jd, ["fix-imports", "--write"], pkg["after"], copies["after"], args.env)
        summary = fix.get("summary", {})
        data["fix"] = {
            k: summary.get(k)
            for k in ("files_written", "imports_fixed", "sorted_by", "entry_points", "exit_code")
        }
        if "error" in fix or "raw" in fix:
            data["fix"]["error"] = (fix.get("error") or {}).get("message") or fix.get("raw")
        left = Counter(
            f"{f['code']}: {shorten((f.get('fix') or {}).get('reason') or f['message'], 150)}"
            for f in fix.get("findings", [])
        )
        data["left_alone"] = dict(left)
        lints = detect_lints(pkg["before"], args.bins)
        data["lint"] = {
            name: cmd
            if isinstance(cmd, str)
            else {
                "command": " ".join([Path(cmd[0]).name, *cmd[1:]]),
                **{side: run_lint(name, cmd, pkg[side]) for side in copies},
            }
            for name, cmd in lints.items()
        }
        for side, root in copies.items():
            data.setdefault("compile_errors", {})[side] = compile_all(
                root, python, Path(tmp) / "pyc"
            )
            data.setdefault("startup", {})[side] = startup(jd, root, pkg[side], args)
            if args.launch:
                data.setdefault("launch", {"command": args.launch})[side] = launch(
                    args.launch, root, args.env, args.url, args.wait
                )
    return data


def cell_lint(lint: dict) -> str:
    parts = []
    for name, res in lint.items():
        if isinstance(res, str):
            parts.append(f"{name}: {res}")
            continue
        before, after = sum(res["before"].values()), sum(res["after"].values())
        new = {
            c: n - res["before"].get(c, 0)
            for c, n in res["after"].items()
            if n > res["before"].get(c, 0)
        }
        extra = f" (new: {', '.join(f'{n}×{c}' for c, n in sorted(new.items()))})" if new else ""
        parts.append(f"{name}: {before} → {after}{extra}")
    return "<br>".join(parts) or "none configured"


def row(d: dict) -> str:
    fix = d["fix"]
    rewritten = (
        f"{fix['imports_fixed']} in {fix['files_written']} files"
        if "error" not in fix
        else f"not run: {shorten(str(fix['error']), 150)}"
    )
    left = "<br>".join(f"{n}× {k}" for k, n in d["left_alone"].items()) or "none"
    launches = []
    for b, a in zip(d["startup"]["before"], d["startup"]["after"]):
        launches.append(
            f"`{b['start_command'] or b['command']}`: {b['predicted']} / {b['observed']}"
            f" → {a['predicted']} / {a['observed']}"
        )
    real = d.get("launch")
    real_cell = f"`{real['command']}`: {real['before']} → {real['after']}" if real else "not run"
    ce = d["compile_errors"]
    return (
        f"| {d['project']} | {d['files']} | {rewritten} | {left} | {cell_lint(d['lint'])} | "
        f"{ce['before']} → {ce['after']} failing | {'<br>'.join(launches)} | {real_cell} |"
    )


HEADER = (
    "| project | .py files | imports rewritten | left alone (why) | import lint before → after |"
    " compileall before → after | check-startup predicted / observed, before → after |"
    " real launch before → after |\n|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", help="project directory (read, never written)")
    parser.add_argument("--name", help="name for the table row (default: the directory name)")
    parser.add_argument(
        "--python", help="the project's venv interpreter (for --run, lints, compile)"
    )
    parser.add_argument(
        "--package", default=".", help="where fix-imports and the lints run, relative"
    )
    parser.add_argument("--start", action="append", default=[], help="extra start command to check")
    parser.add_argument("--launch", help="real start command, run with bash in the copy's root")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set for check-startup --run and the launch (repeatable)",
    )
    parser.add_argument("--tool-bin", help="directory with lint tools the project's venv lacks")
    parser.add_argument("--url", help="URL on 127.0.0.1 that answers once the launch serves")
    parser.add_argument("--wait", type=float, default=25.0, help="seconds to wait for the launch")
    parser.add_argument("--jd", help="jyoti-doctor executable")
    parser.add_argument("--json", help="append the JSON dump to this file (one object a line)")
    parser.add_argument("--header", action="store_true", help="print the Markdown table header")
    args = parser.parse_args()
    jd = (
        args.jd
        or shutil.which("jyoti-doctor", path=str(Path(sys.executable).parent))
        or shutil.which("jyoti-doctor")
    )
    if jd is None:
        parser.error("jyoti-doctor not found; pass --jd")
    if not (Path(args.project) / args.package).is_dir():
        parser.error(f"not a directory: {Path(args.project) / args.package}")
    if args.python and not Path(args.python).is_file():
        parser.error(f"no interpreter at {args.python}")
    venv = Path(args.python).parent if args.python else None
    args.bins = [Path(b) for b in (venv, args.tool_bin) if b]
    args.env = dict(os.environ, **dict(pair.split("=", 1) for pair in args.env))
    args.env["PATH"] = os.pathsep.join([*map(str, args.bins), args.env["PATH"]])
    if venv:
        args.env["VIRTUAL_ENV"] = str(venv.parent)
    data = measure(args, jd)
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(data) + "\n")
    print((HEADER + "\n" if args.header else "") + row(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
