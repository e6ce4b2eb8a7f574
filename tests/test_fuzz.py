"""Hostile input for every command, run as a real subprocess under resource limits.

Generated arguments, files (sizes, encodings, NUL bytes, FIFOs, /dev/zero, directories where
files belong, symlink loops, awkward names), .env files, [tool.jyoti-doctor] tables and start
commands go to ``python -m jyoti_doctor``; every run must keep the promises :mod:`fuzz.harness`
checks. Database URLs point only at closed ports on 127.0.0.1, ``.invalid`` hosts or nowhere
(malformed); ``check-serve`` and ``check-routes`` only ever get an argument click rejects, so
nothing is served.

Profiles: in CI (``CI`` set) few examples with a fixed seed; ``JYOTI_DOCTOR_FUZZ_EXAMPLES=2000``
for a long local run, ``JYOTI_DOCTOR_FUZZ_KEEP_GOING=1`` to collect every failure instead of
stopping (and shrinking) at the first, ``JYOTI_DOCTOR_FUZZ_LOG=runs.jsonl`` to keep every run.
"""

from __future__ import annotations

import functools
import json
import os
import random
import stat
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fuzz import harness
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests._end_of_run import end_of_run

pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EXAMPLES = int(os.environ.get("JYOTI_DOCTOR_FUZZ_EXAMPLES", "5" if IN_CI else "8"))
KEEP_GOING = os.environ.get("JYOTI_DOCTOR_FUZZ_KEEP_GOING", "") not in ("", "0")

FUZZ = settings(
    max_examples=EXAMPLES,
    # Far above the harness's own wall timeout: a slow example is reported by the harness as a
    # hang with its command line, never as a flaky hypothesis deadline.
    deadline=(harness.WALL_TIMEOUT + 30) * 3 * 1000,
    derandomize=IN_CI,
    suppress_health_check=list(HealthCheck),
    # Shrinking a subprocess run takes minutes; CI prints the failing command line as it is.
    phases=[Phase.explicit, Phase.generate] if KEEP_GOING or IN_CI else list(Phase),
    print_blob=True,
)


def _stats_lines(config: pytest.Config) -> list[str]:
    """At the end of the session: runs, slowest and largest run per command (``fuzz:`` lines)."""
    if not harness.STATS.runs:
        return []
    lines = ["", f"fuzz: {'command':<22} {'runs':>5} {'max s':>7} {'max RSS MB':>10}"]
    for command in sorted(harness.STATS.runs):
        lines.append(
            f"fuzz: {command:<22} {harness.STATS.runs[command]:>5} "
            f"{harness.STATS.max_seconds[command]:>7.2f} "
            f"{harness.STATS.max_rss_kb[command] / 1024:>10.1f}"
        )
    lines.append(
        f"fuzz: largest child by RUSAGE_CHILDREN: {harness.CHILDREN_MAXRSS_KB / 1024:.1f} MB"
    )
    return lines


end_of_run(_stats_lines)


@functools.cache
def help_text(command: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "jyoti_doctor", command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
        timeout=120,
        check=False,
    )
    return proc.stdout


def formats(command: str) -> list[str]:
    """The machine formats the command offers; sarif only where this build has it."""
    found = ["json"]
    if "sarif" in help_text(command):
        found.append("sarif")
    return found


def _probe_document(args: list[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="jd-fuzz-") as tmp:
        run = harness.run_cli(args, cwd=Path(tmp), home=Path(tmp))
    try:
        json.loads(run.stdout)
    except ValueError:
        return False
    return run.code == 2


@functools.cache
def error_documents() -> harness.Documents:
    """Whether this build writes a JSON document on its error paths (the contract says it must;
    a build from before that change is fuzzed for everything else)."""
    return harness.Documents(
        usage=_probe_document(
            ["check-env", "--format", "json", "--env-file", "/nonexistent/x.env"]
        ),
        parser=_probe_document(["scan-imports", "--format", "json", "--max-level", "abc"]),
    )


def text_formats(command: str) -> list[str]:
    return ["rich", "github", *(["markdown"] if "markdown" in help_text(command) else [])]


# --- secrets -------------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Secrets:
    password: str
    api_key: str
    token: str

    @classmethod
    def from_seed(cls, seed: int) -> Secrets:
        rng = random.Random(seed)

        def word(n: int) -> str:
            return "".join(rng.choice(ALNUM) for _ in range(n))

        return cls(password="Pw" + word(22), api_key="sk-" + word(32), token="Tk" + word(30))

    def all(self) -> tuple[str, ...]:
        return (self.password, self.api_key, self.token)

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": f"postgresql://app:{self.password}@127.0.0.1:1/app",
            "OPENAI_API_KEY": self.api_key,
            "GITHUB_TOKEN": self.token,
        }


secrets_st = st.integers(0, 2**32).map(Secrets.from_seed)


# --- database URLs (never anything but closed local ports, .invalid, or malformed) ----------

CLOSED = ["127.0.0.1:1", "127.0.0.1:9", "127.0.0.1:2,127.0.0.1:1"]
NOWHERE = ["db.invalid:5432", "x.invalid", "db.invalid:1", "127.0.0.1:1,db.invalid:2"]
MALFORMED_HOSTS = ["", "[", "[::1", "127.0.0.1:abc", "127.0.0.1:99999", "127.0.0.1:-1", "%zz", "@"]
QUERIES = [
    "",
    "?sslmode=require",
    "?sslmode=bogus",
    "?connect_timeout=abc",
    "?connect_timeout=1",
    "?application_name=%ff",
    "?options=-c%20x%3D1",
    "?unknown=1",
    "?&&=",
    "?host=x.invalid",
    "?sslmode=verify-full&sslrootcert=/nonexistent",
    "?target_session_attrs=bogus",
    "?channel_binding=require",
    "?sslmode=disable&gssencmode=disable",
]
SCHEMES = [
    "postgresql://",
    "postgres://",
    "postgresql+psycopg://",
    "postgresql+asyncpg://",
    "mysql://",
    "",
    "http://",
    "postgresql:",
    "POSTGRESQL://",
    "postgresql:///",
]


@st.composite
def db_urls(draw: st.DrawFn, secret: str) -> str:
    kind = draw(st.sampled_from(["url", "url", "url", "keywords", "junk"]))
    if kind == "keywords":
        host, _, port = draw(
            st.sampled_from(["127.0.0.1:1", "db.invalid:1", "127.0.0.1:x"])
        ).partition(":")
        return draw(
            st.sampled_from(
                [
                    f"host={host} port={port} password={secret} dbname=app",
                    f"host={host} port={port} password='{secret} x' user=u",
                    f"host={host} port={port} password={secret} sslmode=",
                    f"password={secret} host={host} port={port} '",
                ]
            )
        )
    if kind == "junk":
        # No NUL or lone surrogate: neither can reach a program through argv or the environment.
        junk = draw(
            st.text(
                st.characters(blacklist_characters="@/?&=#:\x00", blacklist_categories=("Cs",)),
                max_size=40,
            )
        )
        return f"postgresql://u:{secret}{junk}@x.invalid:1/{junk}"
    scheme = draw(st.sampled_from(SCHEMES))
    user = draw(st.sampled_from(["app", "", "a%40b", "app:x:y", "ü", "app@x"]))
    wrap = draw(st.sampled_from(["{}", "p%40ss{}", "{}%zz", "{}:", "{}%", "'{}'", "{} x"]))
    userinfo = draw(st.sampled_from([f"{user}:{wrap.format(secret)}", f":{secret}", f"{user}"]))
    host = draw(st.sampled_from(CLOSED + NOWHERE + MALFORMED_HOSTS))
    if host in MALFORMED_HOSTS[:1] and scheme not in ("postgresql:", ""):
        host = "x.invalid:1"  # an empty host would mean the local default socket or port
    path = draw(st.sampled_from(["/app", "", "/", "/a/b", "/%00", "/" + "d" * 200]))
    query = draw(st.sampled_from(QUERIES))
    return f"{scheme}{userinfo}@{host}{path}{query}"


# --- file contents -------------------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-16-le", "utf-32"]


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    enc = draw(st.sampled_from(ENCODINGS))
    data = text.encode(enc, "replace")
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    if draw(st.integers(0, 9)) == 0:
        # Up to just past the 8 MiB the tool reads of a text file; bigger costs time, not coverage.
        data = (data * draw(st.sampled_from([100, 10_000])))[: 9 * 1024 * 1024]
    return data


PY_LINES = [
    "from {pkg}.deps import get_db",
    "from {pkg} import models",
    "import {pkg}.deps",
    "import {pkg}.deps as d",
    "import os, {pkg}.deps as d",
    "from {pkg}.sub.x import (a,  # keep\n    b)",
    "from {pkg}.deps import \\\n    get_db",
    "from . import x",
    "from .... import way_too_far",
    'if __name__ == "__main__":\n    pass',
    "importlib.import_module('{pkg}.deps')",
    "def f(:\n",
    "x = " + "(" * 300 + ")" * 300,
    "x = " + "[" * 5000,
    "# -*- coding: latin-1 -*-",
    "# -*- coding: bogus -*-",
    "\ufeff",
    "\x0c",
    "\tfrom {pkg}.deps import x",
    "from {pkg}.deps import x  # jyoti-doctor: ignore",
    "from {pkg}.deps import *",
    "app = FastAPI()",
    "'''unterminated",
]


@st.composite
def python_source(draw: st.DrawFn, pkg: str) -> bytes:
    lines = draw(st.lists(st.sampled_from(PY_LINES), max_size=8))
    extra = draw(st.text(max_size=60))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(line.format(pkg=pkg) for line in lines) + extra
    return draw(encoded(text))


ENV_LINES = [
    "DATABASE_URL={url}",
    'export DATABASE_URL="{url}"',
    "DATABASE_URL='{url}",
    "OPENAI_API_KEY={api_key}",
    'GITHUB_TOKEN = "{token}"',
    "SECRET_KEY=changeme",
    "DEBUG=maybe",
    "PORT=http://",
    "=novalue",
    "JUST_A_NAME",
    "# comment {token}",
    'MULTI="line one\nline two {token}"',
    "SELF=${{SELF}}",
    "A=${{B}}\nB=${{A}}",
    "X=${{DATABASE_URL}}",
    "export",
    "\x00NUL=1",
    "KEY=" + "v" * 5000,
    "ünïcode=ß",
    "DUP=1\nDUP=2",
    "REDIS_URL=redis://:{password}@127.0.0.1:1/0",
]


@st.composite
def env_source(draw: st.DrawFn, secrets: Secrets) -> bytes:
    url = draw(db_urls(secrets.password))
    lines = draw(st.lists(st.sampled_from(ENV_LINES), max_size=8))
    extra = draw(st.text(max_size=40))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = (
        eol.join(
            line.format(
                url=url, api_key=secrets.api_key, token=secrets.token, password=secrets.password
            )
            for line in lines
        )
        + extra
    )
    return draw(encoded(text))


def toml_value() -> st.SearchStrategy[str]:
    scalars = st.sampled_from(
        [
            "1",
            "-1",
            "0",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "99999999999999999999",
            "true",
            '"x"',
            '""',
            "'''\nmulti'''",
            "1979-05-27T07:32:00Z",
            "[]",
            "{}",
            '["a", 1]',
            '"json"',
            '"sarif"',
            '"rich"',
            '"root"',
            '"relative"',
            '"bogus"',
            "0.0",
            "3.5",
            '"uvicorn main:app"',
            '"cd backend && uvicorn main:app"',
            '"$(touch {canary})"',
            '".env"',
            '"/dev/zero"',
            '"\\u0000"',
            '"' + "x" * 5000 + '"',
        ]
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.lists(
                st.tuples(st.sampled_from(["a", "type", "deadline", "x-y"]), inner), max_size=3
            ).map(lambda kv: "{" + ", ".join(f'"{k}" = {v}' for k, v in kv) + "}"),
        ),
        max_leaves=6,
    )


TOP_KEYS = [
    "package",
    "exclude",
    "extend-exclude",
    "max-level",
    "format",
    "unsafe-fixes",
    "style",
    "start",
    "cwd",
    "env-file",
    "unknown-key",
    "Format",
    "db",
    "env",
    '"quoted key"',
]
DB_KEYS = ["deadline", "connect-timeout", "query-timeout", "retry-auth", "url", "bogus"]
ENV_KEYS = ["type", "required", "secret", "consumer", "choices", "pattern", "default", "nope"]


VALID_TOP = {
    "package": ['["app"]', "[]"],
    "exclude": ['["build"]', "[]"],
    "extend-exclude": ['["*.tmp"]'],
    "max-level": ["1", "3", "0"],
    "format": ['"json"', '"rich"'],
    "unsafe-fixes": ["true", "false"],
    "style": ['"root"', '"relative"'],
    "start": ['"uvicorn main:app"', '"cd app && uvicorn main:app"', '"$(touch {canary})"'],
    "env-file": ['[".env"]', '["missing.env"]'],
}


@st.composite
def pyproject_source(draw: st.DrawFn, canary: str) -> bytes:
    """A config that is valid two times in three (so the command gets past it), else hostile."""
    if draw(st.integers(0, 2)):
        keys = draw(st.lists(st.sampled_from(sorted(VALID_TOP)), max_size=4, unique=True))
        lines = ["[tool.jyoti-doctor]"]
        lines += [f"{k} = {draw(st.sampled_from(VALID_TOP[k]))}" for k in keys]
        if draw(st.booleans()):
            lines += ["[tool.jyoti-doctor.db]", "deadline = 0.5", "retry-auth = 0"]
        return "\n".join(lines).replace("{canary}", canary).encode()
    return draw(_hostile_pyproject(canary))


@st.composite
def _hostile_pyproject(draw: st.DrawFn, canary: str) -> bytes:
    parts = [draw(st.sampled_from(["", '[project]\nname = "x"\n']))]
    parts.append("[tool.jyoti-doctor]")
    for key in draw(st.lists(st.sampled_from(TOP_KEYS), max_size=5, unique=True)):
        parts.append(f"{key} = {draw(toml_value())}")
    if draw(st.booleans()):
        parts.append("[tool.jyoti-doctor.db]")
        for key in draw(st.lists(st.sampled_from(DB_KEYS), max_size=3, unique=True)):
            parts.append(f"{key} = {draw(toml_value())}")
    if draw(st.booleans()):
        name = draw(st.sampled_from(["DATABASE_URL", "X", "bad name", "", "ÜBER"]))
        parts.append(f'[tool.jyoti-doctor.env."{name}"]')
        for key in draw(st.lists(st.sampled_from(ENV_KEYS), max_size=4, unique=True)):
            parts.append(f"{key} = {draw(toml_value())}")
    tail = draw(
        st.sampled_from(
            [
                "",
                '[tool.jyoti-doctor]\nformat = "json"',
                "x = " + "[" * 3000 + "]" * 3000,
                "[tool.jyoti-doctor",
                "a = {b = {c = {d = {e = 1}}}}",
                "[[tool.jyoti-doctor]]",
                "[tool]\njyoti-doctor = 1",
                "\x00",
            ]
        )
    )
    parts.append(tail)
    text = "\n".join(parts).replace("{canary}", canary)
    return draw(encoded(text))


META = [
    "$(touch {canary})",
    "`touch {canary}`",
    "; touch {canary}",
    "&& touch {canary}",
    "| touch {canary}",
    "> {canary}",
    "$((1+1))",
    "${X:-y}",
    "'",
    '"',
    "\\",
    "*",
    "~",
    "#",
    "\n",
    "&",
    "2>&1",
    "<(echo)",
    "{a,b}",
    "!!",
    "%",
    "\t",
    "\x00",
]
LAUNCH = [
    "uvicorn main:app",
    "uvicorn {pkg}.main:app --reload",
    "cd {pkg} && uvicorn main:app",
    "gunicorn -k uvicorn.workers.UvicornWorker {pkg}.main:app",
    "hypercorn {pkg}.main:app",
    "python -m {pkg}",
    "python {pkg}/main.py",
    "fastapi run {pkg}/main.py",
    "flask run",
    "python manage.py runserver",
    "sh -c 'uvicorn main:app'",
    "exec uvicorn main:app",
    "PYTHONPATH=. uvicorn main:app",
    "uvicorn",
    "",
    "cd",
    "cd /nonexistent && uvicorn x:y",
    "uvicorn main:app --app-dir ../..",
    "uvicorn :app",
    "uvicorn main:",
    "poetry run uvicorn a:b",
]


@st.composite
def start_commands(draw: st.DrawFn, pkg: str, canary: str) -> str:
    tokens = [draw(st.sampled_from(LAUNCH))]
    tokens += draw(st.lists(st.sampled_from(META + LAUNCH), max_size=4))
    # Not str.format: the shell braces in META are part of the input.
    cmd = " ".join(tokens).replace("{pkg}", pkg).replace("{canary}", canary)
    if draw(st.integers(0, 7)) == 0:
        cmd = (cmd + " ") * draw(st.sampled_from([100, 1000]))
        cmd = cmd[:100_000]
    return cmd.replace("\x00", "")  # an argv cannot hold NUL


# --- trees ---------------------------------------------------------------------------------

KINDS = [
    "file",
    "file",
    "file",
    "file",
    "file",
    "file",
    "file",
    "file",
    "dir",
    "fifo",
    "devzero",
    "loop",
    "dangling",
    "outside",
    "unreadable",
]
NAMES = [
    b"main.py",
    b"deps.py",
    b"__init__.py",
    b"models.py",
    b"manage.py",
    b"a b.py",
    b"-x.py",
    b"new\nline.py",
    b"\xff\xfe.py",
    b".env",
    b".env.example",
    b"Procfile",
    b"pyproject.toml",
    b"routes.json",
    b"x.pyi",
    b"--write.py",
    b"env.py",
    b"conftest.py",
]
PACKAGES = ["app", "backend", "src", "a b", "-pkg", "pkg\xe9", "api"]


@dataclass(frozen=True)
class Entry:
    path: bytes
    kind: str
    data: bytes = b""

    def describe(self) -> str:
        if self.kind != "file":
            return self.kind
        return f"{len(self.data)} bytes: {self.data[:160]!r}"


@st.composite
def trees(draw: st.DrawFn, secrets: Secrets, canary: str) -> tuple[str, list[Entry]]:
    pkg = draw(st.sampled_from(PACKAGES))
    pkgb = os.fsencode(pkg)
    entries = [Entry(pkgb + b"/__init__.py", "file", b""), Entry(b"main.py", "file", b"app = 1\n")]
    for _ in range(draw(st.integers(0, 6))):
        where = draw(st.sampled_from([b"", pkgb + b"/", pkgb + b"/sub/", b"nopkg/"]))
        name = draw(st.sampled_from(NAMES))
        kind = draw(st.sampled_from(KINDS))
        if name == b".env" or name.startswith(b".env."):
            data = draw(env_source(secrets))
        elif name == b"pyproject.toml":
            data = draw(pyproject_source(canary))
        elif name == b"Procfile":
            data = ("web: " + draw(start_commands(pkg, canary))).encode("utf-8", "replace")
        else:
            data = draw(python_source(pkg))
        if all(e.path != where + name for e in entries):
            entries.append(Entry(where + name, kind, data))
    if draw(st.booleans()):
        entries.insert(0, Entry(b".env", draw(st.sampled_from(KINDS)), draw(env_source(secrets))))
    if draw(st.booleans()):
        kind = draw(st.sampled_from(KINDS))
        entries.insert(0, Entry(b"pyproject.toml", kind, draw(pyproject_source(canary))))
    unique: dict[bytes, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.path, entry)
    entries = list(unique.values())
    return pkg, entries


def build(root: Path, entries: Sequence[Entry], outside: Path) -> None:
    base = os.fsencode(root)
    for entry in entries:
        path = base + b"/" + entry.path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            continue
        try:
            if entry.kind == "file":
                with open(path, "wb") as fh:
                    fh.write(entry.data)
            elif entry.kind == "dir":
                os.makedirs(path)
            elif entry.kind == "fifo":
                os.mkfifo(path)
            elif entry.kind == "devzero":
                os.symlink(b"/dev/zero", path)
            elif entry.kind == "loop":
                os.symlink(os.path.basename(path), path)
            elif entry.kind == "dangling":
                os.symlink(b"/nonexistent/target", path)
            elif entry.kind == "outside":
                os.symlink(os.fsencode(outside), path)
            elif entry.kind == "unreadable":
                with open(path, "wb") as fh:
                    fh.write(entry.data)
                os.chmod(path, 0)
        except OSError:
            continue  # e.g. a directory of that name already made for a deeper entry


def snapshot(root: Path) -> dict[bytes, bytes | str]:
    """Every regular file's bytes and every other entry's kind, without following links."""
    seen: dict[bytes, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for name in filenames + dirnames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, os.fsencode(root))
            if stat.S_ISREG(info.st_mode):
                try:
                    with open(path, "rb") as fh:
                        seen[rel] = fh.read()
                except OSError:
                    seen[rel] = "unreadable"
            elif stat.S_ISLNK(info.st_mode):
                seen[rel] = "link:" + os.fsdecode(os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                seen[rel] = "dir"
            else:
                seen[rel] = "special"
    return seen


def parses(data: bytes) -> bool:
    try:
        compile(data, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


@dataclass(frozen=True)
class Sandbox:
    root: Path  # the project
    home: Path
    outside: Path  # a regular file outside the project, for links that leave the tree
    canary: Path


@contextmanager
def sandbox() -> Iterator[Sandbox]:
    with tempfile.TemporaryDirectory(prefix="jd-fuzz-") as tmp:
        base = Path(tmp)
        root = base / "proj"
        home = base / "home"
        root.mkdir()
        home.mkdir()
        outside = base / "outside.py"
        outside.write_text("import os\n", encoding="utf-8")
        try:
            yield Sandbox(root, home, outside, base / "CANARY")
        finally:
            for dirpath, dirnames, _ in os.walk(base):
                for name in dirnames:  # make every directory removable again
                    try:
                        os.chmod(os.path.join(dirpath, name), 0o755)
                    except OSError:
                        pass


# --- arguments ------------------------------------------------------------------------------

COMMON_FLAGS = ["-q", "--no-color", "--exit-zero", "--debug"]


def rel(entry_path: bytes) -> str:
    return os.fsdecode(entry_path)


@st.composite
def common_args(
    draw: st.DrawFn, command: str, tree_paths: list[str]
) -> tuple[list[str], str | None]:
    args: list[str] = []
    if draw(st.integers(0, 4)):
        fmt = draw(st.sampled_from([*formats(command), *formats(command), "rich"]))
    else:
        fmt = draw(st.sampled_from([*text_formats(command), "JSON", "bogus", None]))
    if fmt is not None:
        args += ["--format", fmt]
    args += draw(st.lists(st.sampled_from(COMMON_FLAGS), max_size=2, unique=True))
    if draw(st.integers(0, 4)) == 0:
        args += ["--config", draw(path_arg(tree_paths))]
    lowered = fmt.lower() if fmt else None
    return args, lowered if lowered in ("json", "sarif") else None


def path_arg(tree_paths: list[str]) -> st.SearchStrategy[str]:
    """Mostly a path of the tree; one time in five something hostile."""
    return st.integers(0, 4).flatmap(
        lambda n: st.sampled_from([*tree_paths, "."]) if n else _hostile_path(tree_paths)
    )


def _hostile_path(tree_paths: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(
        # Never "/" or anything else outside the sandbox: fix-imports --write would rewrite it.
        [*tree_paths, ".", "nonexistent", "/dev/zero", "/dev/null", "", "-", ".."]
    )


def numbers(good: Sequence[str]) -> st.SearchStrategy[str]:
    """Mostly a good value; one time in five a bad one."""
    return st.integers(0, 4).flatmap(lambda n: st.sampled_from(good) if n else _bad_number)


_bad_number = st.sampled_from(["abc", "-1", "0", "nan", "inf", "1e308", "", "0x10"])


@dataclass(frozen=True)
class Case:
    command: str
    args: list[str]
    fmt: str | None
    env: dict[str, str]


def hostile_args(draw: st.DrawFn, values: Sequence[str]) -> list[str]:
    return draw(st.lists(st.sampled_from(values), max_size=2))


def exercise(
    name: str,
    box: Sandbox,
    case: Case,
    secrets: Secrets,
    entries: Sequence[Entry],
    failures: list[str],
    extra: Callable[[harness.Run], list[str]] = lambda run: [],
    *,
    keep_going: bool = KEEP_GOING,
) -> None:
    env = {**secrets.env(), **case.env}
    run = harness.run_cli(case.args, cwd=box.root, home=box.home, env=env)
    problems = harness.check(run, secrets=secrets.all(), fmt=case.fmt, documents=error_documents())
    problems += extra(run)
    if box.canary.exists():
        problems.append("a start command was executed (the canary file exists)")
    files = {rel(e.path): e.describe() for e in entries}
    files.update({f"env {name}": value for name, value in case.env.items()})
    harness.log(name, run, problems, files)
    if problems:
        message = (
            f"{name}: {'; '.join(problems)}\n  repro: {run.repro()}\n  files: {files}\n"
            f"  stderr: {run.stderr.decode('utf-8', 'replace')[-800:]}"
        )
        if keep_going:
            failures.append(message)
        else:
            raise AssertionError(message)


def finish(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} failing runs:\n" + "\n".join(failures[:20])


def tree_paths(entries: Sequence[Entry]) -> list[str]:
    paths = {rel(e.path) for e in entries}
    paths |= {p.split("/")[0] for p in paths}
    return sorted(paths)


# --- the tests ------------------------------------------------------------------------------


def _import_case(draw: st.DrawFn, command: str, paths: list[str]) -> tuple[list[str], str | None]:
    args, fmt = draw(common_args(command, paths))
    args = [command, *args]
    if draw(st.integers(0, 2)) == 0:
        args += ["--package", draw(st.sampled_from([*PACKAGES, "", ".", "a.b", "-", "x" * 300]))]
    if draw(st.integers(0, 2)) == 0:
        opt = draw(st.sampled_from(["--exclude", "--extend-exclude"]))
        args += [opt, draw(st.sampled_from(["[", "**/", "!", "\\", "*.py", "a\nb", "", "/"]))]
    if draw(st.integers(0, 2)) == 0:
        args += ["--max-level", draw(numbers(["1", "2", "0", "100", "101", "-5"]))]
    chosen = draw(st.lists(path_arg(paths), max_size=3))
    if chosen:
        if draw(st.booleans()):
            args.append("--")
        args += chosen
    return args, fmt


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _scan(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    with sandbox() as box:
        _pkg, entries = data.draw(trees(secrets, str(box.canary)))
        build(box.root, entries, box.outside)
        args, fmt = data.draw(
            st.composite(lambda d: _import_case(d, "scan-imports", tree_paths(entries)))()
        )
        if data.draw(st.booleans()):
            args.append("--no-cache")
        before = snapshot(box.root)

        def unchanged(run: harness.Run) -> list[str]:
            return [] if snapshot(box.root) == before else ["scan-imports changed the tree"]

        exercise(
            "scan-imports",
            box,
            Case("scan-imports", args, fmt, {}),
            secrets,
            entries,
            failures,
            unchanged,
        )


def test_scan_imports() -> None:
    failures: list[str] = []
    _scan(failures=failures)
    finish(failures)


def _fix_body(data: st.DataObject, secrets: Secrets, failures: list[str], write: bool) -> None:
    with sandbox() as box:
        _pkg, entries = data.draw(trees(secrets, str(box.canary)))
        build(box.root, entries, box.outside)
        args, fmt = data.draw(
            st.composite(lambda d: _import_case(d, "fix-imports", tree_paths(entries)))()
        )
        if write:
            args.insert(1, "--write")
        if data.draw(st.booleans()):
            args.insert(1, "--unsafe-fixes")
        if data.draw(st.booleans()):
            args[1:1] = [
                "--style",
                data.draw(st.sampled_from(["relative", "root", "absolute", "ROOT", "x", ""])),
            ]
        before = snapshot(box.root)
        outside_before = box.outside.read_bytes()

        def kept(run: harness.Run) -> list[str]:
            after = snapshot(box.root)
            problems = []
            if box.outside.read_bytes() != outside_before:
                problems.append("a file outside the tree (reached by a symlink) was rewritten")
            if not write and after != before:
                problems.append("fix-imports without --write changed the tree")
            if set(after) != set(before):
                added = sorted(os.fsdecode(p) for p in set(after) - set(before))
                gone = sorted(os.fsdecode(p) for p in set(before) - set(after))
                problems.append(f"entries added {added} / removed {gone}")
            for path, old in before.items():
                new = after.get(path)
                if isinstance(old, bytes) and isinstance(new, bytes) and new != old:
                    if not os.fsdecode(path).endswith(".py"):
                        problems.append(f"non-Python file {os.fsdecode(path)!r} rewritten")
                    elif parses(old) and not parses(new):
                        problems.append(
                            f"{os.fsdecode(path)!r} parsed before the rewrite, not after"
                        )
                elif old != new and not (isinstance(old, bytes) and isinstance(new, bytes)):
                    problems.append(f"{os.fsdecode(path)!r} changed kind")
            return problems

        name = "fix-imports --write" if write else "fix-imports"
        exercise(name, box, Case("fix-imports", args, fmt, {}), secrets, entries, failures, kept)


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _fix_dry(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    _fix_body(data, secrets, failures, write=False)


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _fix_write(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    _fix_body(data, secrets, failures, write=True)


def test_fix_imports_dry_run() -> None:
    failures: list[str] = []
    _fix_dry(failures=failures)
    finish(failures)


def test_fix_imports_write() -> None:
    failures: list[str] = []
    _fix_write(failures=failures)
    finish(failures)


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _env(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    with sandbox() as box:
        _pkg, entries = data.draw(trees(secrets, str(box.canary)))
        if data.draw(st.booleans()):
            entries.append(
                Entry(
                    b"extra.env", data.draw(st.sampled_from(KINDS)), data.draw(env_source(secrets))
                )
            )
        build(box.root, entries, box.outside)
        paths = tree_paths(entries)
        args, fmt = data.draw(common_args("check-env", paths))
        args = ["check-env", *args]
        for _ in range(data.draw(st.integers(0, 2))):
            args += ["--env-file", data.draw(path_arg(paths))]
        if data.draw(st.integers(0, 2)) == 0:
            args += [
                "--schema",
                data.draw(
                    st.sampled_from(["pyproject", "PYPROJECT", "", *paths, "/dev/zero", "x.toml"])
                ),
            ]
        for _ in range(data.draw(st.integers(0, 2))):
            args += [
                "--require",
                data.draw(
                    st.sampled_from(
                        ["X", "", "bad name", "A=B", "ü", "-x", "DATABASE_URL", "x" * 1000]
                    )
                ),
            ]
        if data.draw(st.booleans()):
            args.append("--strict")
        if data.draw(st.booleans()):
            args.append(data.draw(path_arg(paths)))
        env = data.draw(
            st.dictionaries(
                st.sampled_from(["SECRET_KEY", "DEBUG", "PORT", "DATABASE_URL", "API_TOKEN", "X"]),
                st.sampled_from(
                    ["", "changeme", "yes", "80", "http://", "${X}", f"pre{secrets.token}post"]
                ),
                max_size=3,
            )
        )
        exercise("check-env", box, Case("check-env", args, fmt, env), secrets, entries, failures)


def test_check_env() -> None:
    failures: list[str] = []
    _env(failures=failures)
    finish(failures)


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _startup(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    with sandbox() as box:
        pkg, entries = data.draw(trees(secrets, str(box.canary)))
        build(box.root, entries, box.outside)
        paths = tree_paths(entries)
        args, fmt = data.draw(common_args("check-startup", paths))
        args = ["check-startup", *args]
        if data.draw(st.integers(0, 3)) == 0:
            args += ["--project", data.draw(path_arg(paths))]
        if data.draw(st.integers(0, 3)) == 0:
            args += ["--cwd", data.draw(path_arg(paths))]
        if data.draw(st.integers(0, 3)) == 0:
            args += ["--style", data.draw(st.sampled_from(["relative", "root", "absolute", "x"]))]
        if data.draw(st.integers(0, 3)) == 0:
            args += ["--timeout", data.draw(numbers(["1", "0.1"]))]
        # Never --run: it imports the app for real, and the point here is the static path.
        if data.draw(st.integers(0, 4)):
            command = data.draw(start_commands(pkg, str(box.canary)))
            args += (["--"] if data.draw(st.booleans()) else []) + [command]
        exercise(
            "check-startup", box, Case("check-startup", args, fmt, {}), secrets, entries, failures
        )


def test_check_startup() -> None:
    failures: list[str] = []
    _startup(failures=failures)
    finish(failures)


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _probe(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    with sandbox() as box:
        entries = [
            Entry(b".env", data.draw(st.sampled_from(KINDS)), data.draw(env_source(secrets)))
        ]
        if data.draw(st.booleans()):
            entries.append(
                Entry(
                    b"other.env", data.draw(st.sampled_from(KINDS)), data.draw(env_source(secrets))
                )
            )
        if data.draw(st.booleans()):
            entries.append(
                Entry(b"pyproject.toml", "file", data.draw(pyproject_source(str(box.canary))))
            )
        build(box.root, entries, box.outside)
        paths = tree_paths(entries)
        args, fmt = data.draw(common_args("probe-db", paths))
        args = ["probe-db", *args, "--deadline", data.draw(numbers(["0.3", "1", "0.1"]))]
        if data.draw(st.integers(0, 3)):
            args += ["--url", data.draw(db_urls(secrets.password))]
        for _ in range(data.draw(st.integers(0, 2))):
            args += ["--env-file", data.draw(path_arg(paths))]
        for opt in ("--connect-timeout", "--query-timeout"):
            if data.draw(st.integers(0, 3)) == 0:
                args += [opt, data.draw(numbers(["0.2", "1"]))]
        if data.draw(st.integers(0, 3)) == 0:
            args += [
                "--retry-auth",
                data.draw(st.sampled_from(["0", "1", "-1", "99999999999", "x"])),
            ]
        env = (
            {}
            if data.draw(st.booleans())
            else {"DATABASE_URL": data.draw(db_urls(secrets.password))}
        )
        exercise("probe-db", box, Case("probe-db", args, fmt, env), secrets, entries, failures)


def test_probe_db() -> None:
    failures: list[str] = []
    _probe(failures=failures)
    finish(failures)


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _doctor(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    with sandbox() as box:
        _pkg, entries = data.draw(trees(secrets, str(box.canary)))
        build(box.root, entries, box.outside)
        paths = tree_paths(entries)
        args, fmt = data.draw(common_args("doctor", paths))
        args = [
            "doctor",
            *args,
            "--deadline",
            data.draw(st.sampled_from(["0.3", "1", "abc", "0", "nan"])),
        ]
        for _ in range(data.draw(st.integers(0, 2))):
            args += [
                "--skip",
                data.draw(st.sampled_from(["env", "imports", "startup", "db", "DB", "x"])),
            ]
        if data.draw(st.booleans()):
            args.append("-v")
        if data.draw(st.booleans()):
            args.append(data.draw(path_arg(paths)))
        env = (
            {}
            if data.draw(st.booleans())
            else {"DATABASE_URL": data.draw(db_urls(secrets.password))}
        )
        exercise("doctor", box, Case("doctor", args, fmt, env), secrets, entries, failures)


def test_doctor() -> None:
    failures: list[str] = []
    _doctor(failures=failures)
    finish(failures)


# Each of these is rejected by click before the command runs, so nothing is ever served.
REJECTED = {
    "check-serve": [
        ["--deadline", "abc"],
        ["--grace", "x"],
        ["--deadline", "0"],
        ["--format", "bogus"],
        ["--no-such-option"],
        ["--deadline", ""],
        ["--grace", "-1"],
    ],
    "check-routes": [
        ["--timeout", "abc"],
        ["--timeout", "0"],
        ["--format", "bogus"],
        ["--no-such-option"],
        ["--timeout", ""],
    ],
}


@given(data=st.data(), secrets=secrets_st)
@FUZZ
def _serve_args(data: st.DataObject, secrets: Secrets, failures: list[str]) -> None:
    with sandbox() as box:
        pkg, entries = data.draw(trees(secrets, str(box.canary)))
        build(box.root, entries, box.outside)
        paths = tree_paths(entries)
        command = data.draw(st.sampled_from(sorted(REJECTED)))
        args: list[str] = [command]
        if data.draw(st.booleans()):
            args += ["--project", data.draw(path_arg(paths))]
        if data.draw(st.booleans()):
            args += ["--cwd", data.draw(path_arg(paths))]
        if command == "check-routes" and data.draw(st.booleans()):
            args += ["--baseline", data.draw(path_arg(paths)), "--write-baseline"]
        if data.draw(st.booleans()):
            args += [
                "--python",
                data.draw(st.sampled_from(["/nonexistent", "", "/dev/zero", "python3"])),
            ]
        rejected = data.draw(st.sampled_from(REJECTED[command]))
        at = data.draw(st.integers(1, len(args)))
        args[at:at] = rejected
        args += [data.draw(start_commands(pkg, str(box.canary)))]
        before = snapshot(box.root)

        def parse_only(run: harness.Run) -> list[str]:
            problems = []
            if run.code != 2:
                problems.append(f"expected click to reject {rejected} with exit 2")
            if snapshot(box.root) != before:
                problems.append("the tree changed")
            return problems

        exercise(
            command, box, Case(command, args, None, {}), secrets, entries, failures, parse_only
        )


def test_check_serve_and_routes_arguments() -> None:
    failures: list[str] = []
    _serve_args(failures=failures)
    finish(failures)


# --- special files, every time ------------------------------------------------------------
# The generated trees reach these too, but by chance; CI must see each one on every run.

SPECIAL = ["fifo", "devzero", "dir", "loop", "dangling"]


def _special_cases(kind: str) -> list[tuple[str, bytes, list[str]]]:
    return [
        ("check-env", b".env", ["check-env", "--format", "json", "."]),
        ("check-env", b"x.env", ["check-env", "--format", "json", "--env-file", "x.env"]),
        (
            "probe-db",
            b"x.env",
            ["probe-db", "--format", "json", "--deadline", "0.2", "--env-file", "x.env"],
        ),
        ("scan-imports", b"app/deps.py", ["scan-imports", "--format", "json", "."]),
        (
            "fix-imports --write",
            b"app/deps.py",
            ["fix-imports", "--write", "--format", "json", "."],
        ),
        ("doctor", b"pyproject.toml", ["doctor", "--format", "json", "--deadline", "0.2", "."]),
        ("check-startup", b"Procfile", ["check-startup", "--format", "json"]),
    ]


@pytest.mark.parametrize("kind", SPECIAL)
def test_special_files(kind: str) -> None:
    secrets = Secrets.from_seed(7)
    failures: list[str] = []
    for name, path, args in _special_cases(kind):
        with sandbox() as box:
            entries = [
                Entry(b"app/__init__.py", "file", b""),
                Entry(b"app/main.py", "file", b"from app.deps import x\n"),
                Entry(path, kind),
            ]
            build(box.root, entries, box.outside)
            case = Case(name, args, "json", {})
            exercise(name, box, case, secrets, entries, failures, keep_going=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_error_documents(fmt: str) -> None:
    """A usage error still writes the machine document the contract promises."""
    # Both are part of the contract now: a build without them fails here, it is not skipped.
    assert fmt in formats("check-env")
    assert error_documents().usage
    secrets = Secrets.from_seed(11)
    with sandbox() as box:
        args = ["check-env", "--format", fmt, "--env-file", "missing.env"]
        run = harness.run_cli(args, cwd=box.root, home=box.home, env=secrets.env())
        problems = harness.check(run, secrets=secrets.all(), fmt=fmt, documents=error_documents())
    assert run.code == 2 and run.stdout.strip(), run.repro()
    assert not problems, problems
