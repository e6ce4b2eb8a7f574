"""The project's Python environment: which interpreter runs it, and which top-level names that
interpreter can import (its standard library and installed packages).

A name not found on the first-party ``sys.path`` is only "missing" when the environment the app
runs in was asked and does not have it. The interpreter is the one given with ``--python``, else
the active virtualenv (``VIRTUAL_ENV``), else the project's ``.venv/``/``venv/``, else the env
poetry manages for it. All names are asked in one subprocess with
``importlib.util.find_spec`` on top-level names only: nothing of the project or of the packages
is imported. Without an environment, a third-party name is "not checked", never missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError

# The child never sees the project: its cwd is a fresh directory and sys.path[0] is dropped.
_PROBE = r"""
import importlib.util, json, sys
sys.path[:] = [p for p in sys.path[1:] if p not in ("", ".")]
names = json.loads(sys.argv[1])
found = []
for name in names:
    try:
        if importlib.util.find_spec(name) is not None:
            found.append(name)
    except (ImportError, ValueError):
        pass
stdlib = sorted(getattr(sys, "stdlib_module_names", ()))
builtin = sorted(sys.builtin_module_names)
print(json.dumps({"version": list(sys.version_info[:2]), "found": found,
                  "stdlib": stdlib, "builtin": builtin}))
"""

_PROBE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Interpreter:
    """An interpreter the project's app runs under, and how it was chosen."""

    path: str
    origin: str  # "--python", "VIRTUAL_ENV", ".venv/", "venv/", "poetry env"


@dataclass(frozen=True)
class Environment:
    """What one interpreter can import at top level. ``interpreter`` is None when no
    environment is known: then only the standard library is known."""

    interpreter: Interpreter | None
    version: tuple[int, int] | None
    stdlib: frozenset[str]
    installed: frozenset[str] = frozenset()
    asked: frozenset[str] = frozenset()
    problem: str | None = None  # why the environment could not be asked
    notes: tuple[str, ...] = field(default=())
    # Import names the project's declared dependencies provide (requirements, pyproject...).
    declared: frozenset[str] = frozenset()
    # The Python the project says it runs on (.python-version, FROM python:X, requires-python).
    target: tuple[int, int] | None = None
    # Collecting the names to ask: every outside name is "not checked" for now.
    collecting: bool = False

    def newer_target(self) -> str | None:
        """The version whose syntax decides, when it is newer than the interpreter parsing it:
        the project's interpreter when it is known (it is what runs the app, whatever the
        project targets), else the version the project targets."""
        wanted = self.version if self.known else self.target
        if wanted is None or wanted <= sys.version_info[:2]:
            return None
        return f"{wanted[0]}.{wanted[1]}"

    def behind_target(self) -> str | None:
        """A known interpreter older than the version the project targets: ``"3.11 < 3.14"``."""
        if not self.known or self.version is None or self.target is None:
            return None
        if self.version >= self.target:
            return None
        return f"{self.version[0]}.{self.version[1]} < {self.target[0]}.{self.target[1]}"

    @property
    def known(self) -> bool:
        return self.interpreter is not None and self.problem is None

    def is_stdlib(self, name: str) -> bool:
        return name in self.stdlib

    def has(self, name: str) -> bool | None:
        """True/False when the environment was asked about ``name``; None when not known."""
        if name in self.stdlib:
            return True
        if self.collecting or not self.known or name not in self.asked:
            return None
        return name in self.installed

    def describe(self) -> str:
        if self.interpreter is None:
            return "no environment found"
        text = f"{self.interpreter.path} ({self.interpreter.origin})"
        if self.problem:
            text += f": {self.problem}"
        return text


def _own_stdlib() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)


def resolve_python(value: str, invocation_dir: Path) -> str:
    """``--python`` as given: a path (relative to where the command was run) or a name on
    PATH. A value that names no interpreter is a usage error."""
    if os.sep in value or (os.altsep and os.altsep in value) or value.startswith("."):
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = invocation_dir / path
        path = Path(os.path.normpath(path))
        if path.is_dir():
            for exe in ("bin/python", "Scripts/python.exe"):
                if (path / exe).is_file():
                    return str(path / exe)
            raise UsageError(f"--python {value}: a directory without bin/python")
        if not path.is_file() or not os.access(path, os.X_OK):
            raise UsageError(f"--python {value}: no executable interpreter at {path}")
        return str(path)
    found = shutil.which(value)
    if found is None:
        raise UsageError(f"--python {value}: not found on PATH")
    return found


def _venv_python(directory: Path) -> str | None:
    for exe in ("bin/python", "Scripts/python.exe"):
        candidate = directory / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def locate(
    project_dir: Path,
    python: str | None = None,
    *,
    invocation_dir: Path | None = None,
    environ: dict[str, str] | None = None,
    extra_dirs: Iterable[Path] = (),
) -> Interpreter | None:
    """The interpreter the project runs under, or None when none can be told."""
    if python is not None:
        return Interpreter(resolve_python(python, invocation_dir or Path.cwd()), "--python")
    env = os.environ if environ is None else environ
    active = env.get("VIRTUAL_ENV")
    if active:
        exe = _venv_python(Path(active))
        if exe is not None:
            return Interpreter(exe, "VIRTUAL_ENV")
    for directory in (project_dir, *extra_dirs):
        for name in (".venv", "venv"):
            exe = _venv_python(directory / name)
            if exe is not None:
                return Interpreter(exe, f"{_label(directory / name, project_dir)}/")
    return _poetry_env(project_dir)


def _label(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _poetry_env(project_dir: Path) -> Interpreter | None:
    """The virtualenv poetry keeps outside the project, when poetry manages it."""
    text = _read_small(project_dir / "pyproject.toml")
    if text is None or "[tool.poetry" not in text:
        return None
    poetry = shutil.which("poetry")
    if poetry is None:
        return None
    try:
        proc = subprocess.run(
            [poetry, "env", "info", "--path"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = proc.stdout.strip()
    if proc.returncode != 0 or not path:
        return None
    exe = _venv_python(Path(path))
    return Interpreter(exe, "poetry env") if exe else None


def probe(interpreter: Interpreter | None, names: Iterable[str]) -> Environment:
    """Ask ``interpreter`` which of the top-level ``names`` it can import, in one subprocess."""
    own = _own_stdlib()
    if interpreter is None:
        return Environment(None, sys.version_info[:2], own)
    asked = sorted({n for n in names if n and n.isidentifier()})
    with tempfile.TemporaryDirectory(prefix="jyoti-doctor-env-") as tmp:
        try:
            proc = subprocess.run(
                [interpreter.path, "-E", "-c", _PROBE, json.dumps(asked)],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=_PROBE_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Environment(interpreter, None, own, problem="did not answer in time")
        except OSError as exc:
            return Environment(interpreter, None, own, problem=f"cannot run it: {exc.strerror}")
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        version = (int(data["version"][0]), int(data["version"][1]))
        stdlib = frozenset(data["stdlib"]) | frozenset(data["builtin"])
        found = frozenset(str(n) for n in data["found"])
    except (ValueError, KeyError, IndexError, TypeError):
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return Environment(interpreter, None, own, problem=f"cannot be asked ({tail})")
    if not data["stdlib"]:  # before 3.10 there is no list: this interpreter's is the nearest
        stdlib = own | frozenset(data["builtin"])
    return Environment(interpreter, version, stdlib, found - stdlib, frozenset(asked))


# Distributions whose import name is not their normalised project name.
_IMPORT_NAMES = {
    "pyjwt": ("jwt",),
    "python_jose": ("jose",),
    "pillow": ("PIL",),
    "python_dotenv": ("dotenv",),
    "pyyaml": ("yaml",),
    "beautifulsoup4": ("bs4",),
    "scikit_learn": ("sklearn",),
    "psycopg2_binary": ("psycopg2",),
    "psycopg_binary": ("psycopg",),
    "python_multipart": ("multipart", "python_multipart"),
    "python_dateutil": ("dateutil",),
    "pymysql": ("pymysql",),
    "mysqlclient": ("MySQLdb",),
    "opencv_python": ("cv2",),
    "protobuf": ("google",),
    "django_environ": ("environ",),
    "djangorestframework": ("rest_framework",),
    "pyopenssl": ("OpenSSL",),
    "pycryptodome": ("Crypto",),
    "attrs": ("attr", "attrs"),
    "setuptools": ("setuptools", "pkg_resources"),
    "email_validator": ("email_validator",),
    "uvicorn_standard": ("uvicorn",),
}
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _import_names(distribution: str) -> tuple[str, ...]:
    key = re.sub(r"[-_.]+", "_", distribution).lower()
    known = _IMPORT_NAMES.get(key)
    if known:
        return known
    names = [key]
    for prefix in ("python_", "py_"):
        if key.startswith(prefix):
            names.append(key[len(prefix) :])
    return tuple(names)


def declared_imports(directories: Iterable[Path]) -> frozenset[str]:
    """The import names the project's declared dependencies provide (requirements files,
    ``pyproject.toml``, ``Pipfile``), in ``directories``: the evidence, short of an
    environment, that a top-level name is meant to come from an installed package."""
    distributions: set[str] = set()
    for directory in directories:
        for path in sorted(directory.glob("requirements*.txt")) + sorted(
            directory.glob("requirements/*.txt")
        ):
            distributions |= _requirements(path)
        distributions |= _pyproject(directory / "pyproject.toml")
        distributions |= _pipfile(directory / "Pipfile")
    return frozenset(n for d in distributions for n in _import_names(d))


def _read_small(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _requirements(path: Path) -> set[str]:
    text = _read_small(path)
    if text is None:
        return set()
    out: set[str] = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        if m := _REQ_NAME.match(line):
            out.add(m[1].split("[")[0])
    return out


def _pyproject(path: Path) -> set[str]:
    text = _read_small(path)
    if text is None:
        return set()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set()
    specs: list[object] = []
    project = data.get("project")
    if isinstance(project, dict):
        specs += list(project.get("dependencies") or [])
        for group in (project.get("optional-dependencies") or {}).values():
            specs += list(group)
    for group in (data.get("dependency-groups") or {}).values():
        specs += list(group) if isinstance(group, list) else []
    poetry = (data.get("tool") or {}).get("poetry") or {}
    names: set[str] = set()
    if isinstance(poetry, dict):
        names |= {k for k in (poetry.get("dependencies") or {}) if k != "python"}
        for group in (poetry.get("group") or {}).values():
            if isinstance(group, dict):
                names |= set(group.get("dependencies") or {})
    for spec in specs:
        if isinstance(spec, str) and (m := _REQ_NAME.match(spec)):
            names.add(m[1].split("[")[0])
    return names


def _pipfile(path: Path) -> set[str]:
    text = _read_small(path)
    if text is None:
        return set()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set()
    out: set[str] = set()
    for key in ("packages", "dev-packages"):
        section = data.get(key)
        if isinstance(section, dict):
            out |= set(section)
    return out


_VERSION = re.compile(r"(\d+)\.(\d+)")


def target_python(directories: Iterable[Path]) -> tuple[int, int] | None:
    """The Python version the project says it runs on: ``.python-version``, then the final
    ``FROM python:X`` of a Dockerfile, then the lower bound of ``requires-python``."""
    dirs = list(directories)
    for directory in dirs:
        text = _read_small(directory / ".python-version")
        if text and (m := _VERSION.match(text.strip())):
            return int(m[1]), int(m[2])
    for directory in dirs:
        text = _read_small(directory / "Dockerfile")
        if text:
            froms = re.findall(r"(?im)^\s*FROM\s+(?:--\S+\s+)*(?:\S+/)?python:(\d+)\.(\d+)", text)
            if froms:
                return int(froms[-1][0]), int(froms[-1][1])
    for directory in dirs:
        text = _read_small(directory / "pyproject.toml")
        if not text:
            continue
        try:
            project = tomllib.loads(text).get("project") or {}
        except tomllib.TOMLDecodeError:
            continue
        spec = project.get("requires-python") if isinstance(project, dict) else None
        if isinstance(spec, str) and (m := re.search(r">=?\s*(\d+)\.(\d+)", spec)):
            return int(m[1]), int(m[2])
    return None
