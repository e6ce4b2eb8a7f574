"""Run ``python -m jyoti_doctor`` on hostile input in a bounded subprocess and check its promises.

Every run gets a private HOME and cache, an environment holding only PATH, HOME, CI and the
planted secrets, resource limits (address space, CPU) and a wall-clock timeout enforced on its
whole process group. :func:`check` returns what the run broke; an empty list is a pass.

The promises checked, for every command and every input:

- the exit code is one of 0-4 (never 70, never a signal, never a hang);
- no Python traceback on stdout or stderr (unless ``--debug`` was given);
- ``--format json`` (and ``--format sarif``) write one parseable document on stdout, also on
  exit 2 when the error is the tool's own (an option click rejects comes before any format);
- no 10-character piece of a planted secret appears anywhere in the output.

Each run is appended to the log named by ``JYOTI_DOCTOR_FUZZ_LOG`` (JSON lines), so a long run
can be summarised afterwards with ``python tests/fuzz/summarize.py LOG``.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import signal
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL, Popen

# Generous on purpose: the CI machine may be shared and slow. A run that needs this long is a
# hang, not a slow run (the slowest command seen takes a few seconds).
WALL_TIMEOUT = float(os.environ.get("JYOTI_DOCTOR_FUZZ_TIMEOUT", "45"))
CPU_LIMIT = 60
ADDRESS_SPACE = 1536 * 1024 * 1024
EXIT_CODES = frozenset({0, 1, 2, 3, 4})
TRACEBACK = "Traceback (most recent call last)"
PIECE = 10


@dataclass(frozen=True)
class Run:
    """One finished (or killed) run of the CLI."""

    args: tuple[str, ...]
    cwd: str
    code: int | None  # None: killed at the wall timeout
    stdout: bytes
    stderr: bytes
    seconds: float
    maxrss_kb: int

    @property
    def timed_out(self) -> bool:
        return self.code is None

    def repro(self) -> str:
        return f"cd {shlex.quote(self.cwd)} && python -m jyoti_doctor " + " ".join(
            shlex.quote(a) for a in self.args
        )


@dataclass
class Stats:
    """Per-command counts and maxima over a pytest session."""

    runs: dict[str, int] = field(default_factory=dict)
    max_seconds: dict[str, float] = field(default_factory=dict)
    max_rss_kb: dict[str, int] = field(default_factory=dict)

    def add(self, command: str, run: Run) -> None:
        self.runs[command] = self.runs.get(command, 0) + 1
        self.max_seconds[command] = max(self.max_seconds.get(command, 0.0), run.seconds)
        self.max_rss_kb[command] = max(self.max_rss_kb.get(command, 0), run.maxrss_kb)


STATS = Stats()
# The largest resident set any child reached, as the kernel reports it for all waited children.
CHILDREN_MAXRSS_KB = 0


def _limits() -> None:
    """Runs in the child before exec: its own process group, bounded memory and CPU."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def clean_env(home: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    if "CI" in os.environ:
        env["CI"] = os.environ["CI"]
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    home: Path,
    env: Mapping[str, str] = {},
    timeout: float = WALL_TIMEOUT,
) -> Run:
    """Run the CLI once; the whole process group is killed at ``timeout``."""
    global CHILDREN_MAXRSS_KB
    out_path = home / ".fuzz-stdout"
    err_path = home / ".fuzz-stderr"
    # -P: the installed `jyoti-doctor` script does not put the working directory first on
    # sys.path; without it a generated `typer.py` in the project would shadow the real one.
    argv = [sys.executable, "-P", "-m", "jyoti_doctor", *args]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        proc = Popen(
            argv,
            cwd=cwd,
            env=clean_env(home, env),
            stdin=DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_limits,  # noqa: PLW1509  (limits must hold before exec; no threads here)
            start_new_session=True,
        )
        code: int | None = None
        rss = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                rss = usage.ru_maxrss
                break
            if time.monotonic() - start > timeout:
                _kill_group(proc.pid)
                _, status, usage = os.wait4(proc.pid, 0)
                rss = usage.ru_maxrss
                break
            time.sleep(0.01)
        seconds = time.monotonic() - start
        proc.returncode = code if code is not None else -9
        _kill_group(proc.pid)  # anything the command left behind in its group
    CHILDREN_MAXRSS_KB = max(
        CHILDREN_MAXRSS_KB, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    run = Run(
        args=tuple(args),
        cwd=str(cwd),
        code=code,
        stdout=out_path.read_bytes(),
        stderr=err_path.read_bytes(),
        seconds=seconds,
        maxrss_kb=rss,
    )
    return run


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def pieces(secret: str, size: int = PIECE) -> Iterable[str]:
    return (secret[i : i + size] for i in range(len(secret) - size + 1))


def leaked(secret: str, text: str) -> str | None:
    for piece in pieces(secret):
        if piece in text:
            return piece
    return None


def _click_usage_error(stderr: str) -> bool:
    """Click rejects a bad option before the command knows the format it should write."""
    return "Usage: " in stderr and "Try '" in stderr


@dataclass(frozen=True)
class Documents:
    """Which error paths of this build write a machine document (see :func:`error_documents`)."""

    usage: bool  # the tool's own usage errors (a missing file, a bad config) and exit 70
    parser: bool  # an option click rejects


def check(
    run: Run,
    *,
    secrets: Iterable[str] = (),
    fmt: str | None = None,
    documents: Documents = Documents(usage=True, parser=False),
) -> list[str]:
    """What ``run`` broke, one line each; empty when it kept every promise."""
    problems: list[str] = []
    out = run.stdout.decode("utf-8", "replace")
    err = run.stderr.decode("utf-8", "replace")
    if run.timed_out:
        problems.append(f"hang: killed after {run.seconds:.1f} s")
    elif run.code == 70:
        problems.append("exit 70 (internal error): " + _last_line(err))
    elif run.code not in EXIT_CODES:
        problems.append(f"exit {run.code}: " + _last_line(err))
    if "--debug" not in run.args:
        for name, text in (("stderr", err), ("stdout", out)):
            if TRACEBACK in text:
                problems.append(f"traceback on {name}: " + _traceback_tail(text))
    if fmt in ("json", "sarif") and not run.timed_out:
        if out.strip():
            try:
                doc = json.loads(out)
            except ValueError as exc:
                problems.append(f"--format {fmt}: stdout is not one JSON document ({exc})")
            else:
                if fmt == "sarif" and not (isinstance(doc, dict) and "runs" in doc):
                    problems.append("--format sarif: the document has no `runs`")
        elif run.code not in (2, 70) or (
            documents.parser if _click_usage_error(err) else documents.usage
        ):
            problems.append(f"--format {fmt}: no document on stdout (exit {run.code})")
    for secret in secrets:
        for name, text in (("stdout", out), ("stderr", err)):
            piece = leaked(secret, text)
            if piece:
                problems.append(f"secret leaked on {name}: {piece!r} of a planted secret")
    return problems


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no stderr)"


def _traceback_tail(text: str) -> str:
    tail = text[text.index(TRACEBACK) :].strip().splitlines()
    return (tail[-1] if tail else "")[:300]


def log(command: str, run: Run, problems: Sequence[str], files: Mapping[str, str]) -> None:
    """Count the run and, when ``JYOTI_DOCTOR_FUZZ_LOG`` names a file, append it there."""
    STATS.add(command, run)
    path = os.environ.get("JYOTI_DOCTOR_FUZZ_LOG")
    if not path:
        return
    record = {
        "command": command,
        "args": list(run.args),
        "code": run.code,
        "seconds": round(run.seconds, 3),
        "maxrss_kb": run.maxrss_kb,
        "problems": list(problems),
        "stderr_last": _last_line(run.stderr.decode("utf-8", "replace"))[:200],
        "repro": run.repro() if problems else None,
        "files": dict(files) if problems else None,
        "stderr_tail": run.stderr.decode("utf-8", "replace")[-1500:] if problems else None,
    }
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
