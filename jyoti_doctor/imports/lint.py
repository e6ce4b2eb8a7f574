"""The project's own import rules, read from its lint configuration.

A rewrite must not trade one failure for another: where the project bans relative imports
(ruff TID252, flake8-tidy-imports, wemake-python-styleguide's WPS300) fix-imports does not
propose them; where pylint would call a relative import in a namespace directory
"relative-beyond-top-level" it does not write one there; and where a sorter owns the order of
imports (ruff's ``I`` rules, isort) every rewritten file is passed through that sorter before it is
written, so the touched blocks stay sorted the way the project's tool sorts them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..textfile import read_bounded_text

if TYPE_CHECKING:
    import configparser

_SETUP_FILES = ("setup.cfg", "tox.ini", ".flake8")


class Sorter(StrEnum):
    RUFF = "ruff"
    ISORT = "isort"


@dataclass(frozen=True)
class RelativeBan:
    """Relative imports needing more than ``max_dots`` dots are banned by ``source``."""

    max_dots: int
    source: str


@dataclass(frozen=True)
class SorterUse:
    """An import sorter the project runs, and the setting that says so."""

    tool: Sorter
    source: str


@dataclass(frozen=True)
class LintPolicy:
    """What the project's linters say about relative imports and their order."""

    bans: tuple[RelativeBan, ...] = ()
    sorters: tuple[SorterUse, ...] = ()
    # pylint reports relative imports in directories without __init__.py (E0402).
    pylint: str | None = None

    @property
    def ban(self) -> RelativeBan | None:
        """The strictest ban, if any."""
        return min(self.bans, key=lambda b: b.max_dots) if self.bans else None


def _selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """ruff's rule: the most specific matching prefix wins; on a tie, ``ignore`` wins."""

    def best(prefixes: Iterable[str]) -> int:
        return max(
            (0 if p == "ALL" else len(p) for p in prefixes if p == "ALL" or code.startswith(p)),
            default=-1,
        )

    chosen = best(select)
    return chosen >= 0 and best(ignore) < chosen


def _strings(value: object) -> list[str]:
    return (
        [v.strip().upper() for v in value if isinstance(v, str)] if isinstance(value, list) else []
    )


def _read_toml(path: Path) -> Mapping[str, object] | None:
    text = _read_small(path)  # never a FIFO or a device: that read would not end
    if text is None:
        return None
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _ruff_config(project: Path) -> tuple[Mapping[str, object], str] | None:
    """ruff's settings for the project directory, as ruff chooses them (the first file wins)."""
    for name in (".ruff.toml", "ruff.toml"):
        data = _read_toml(project / name)
        if data is not None:
            return data, name
    data = _read_toml(project / "pyproject.toml")
    if data is not None:
        tool = data.get("tool")
        ruff = tool.get("ruff") if isinstance(tool, dict) else None
        if isinstance(ruff, dict):
            return ruff, "pyproject.toml [tool.ruff]"
    return None


def _ruff(project: Path, bans: list[RelativeBan], sorters: list[SorterUse]) -> None:
    found = _ruff_config(project)
    if found is None:
        return
    config, where = found
    lint = config.get("lint")
    lint = lint if isinstance(lint, dict) else {}

    def listed(key: str) -> list[str]:
        return _strings(lint.get(key, config.get(key)))

    select = listed("select") or ["E4", "E7", "E9", "F"]
    select += listed("extend-select")
    ignore = listed("ignore") + listed("extend-ignore")
    if _selected("TID252", select, ignore):
        tidy = lint.get("flake8-tidy-imports", config.get("flake8-tidy-imports"))
        mode = tidy.get("ban-relative-imports") if isinstance(tidy, dict) else None
        mode = mode if isinstance(mode, str) else "parents"
        bans.append(
            RelativeBan(
                0 if mode == "all" else 1,
                f'ruff TID252 ({where}: ban-relative-imports = "{mode}")',
            )
        )
    if _selected("I001", select, ignore):
        sorters.append(SorterUse(Sorter.RUFF, f"ruff I001 ({where})"))


def _ini_sections(project: Path) -> list[tuple[str, configparser.ConfigParser]]:
    out = []
    for name in (*_SETUP_FILES, ".isort.cfg", ".pylintrc", "pylintrc"):
        path = project / name
        if not path.is_file():
            continue
        import configparser

        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            continue
        out.append((name, parser))
    return out


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.replace("\n", ",").split(",") if c.strip()]


def _ignored(code: str, codes: Iterable[str]) -> bool:
    return any(code.startswith(c) for c in codes if c)


def _flake8(name: str, parser: configparser.ConfigParser, bans: list[RelativeBan]) -> None:
    if name not in _SETUP_FILES or not parser.has_section("flake8"):
        return
    section = parser["flake8"]
    ignore = _codes(section.get("ignore", "")) + _codes(section.get("extend-ignore", ""))
    everything = " ".join(section.values()).upper()
    wemake = section.get("format", "").strip() == "wemake" or "WPS" in everything
    if wemake and not _ignored("WPS300", ignore):
        bans.append(RelativeBan(0, f"wemake-python-styleguide WPS300 ({name} [flake8])"))
    tidy = section.get("ban-relative-imports", "").strip().lower()
    if tidy in ("true", "parents") and not _ignored("I252", ignore):
        bans.append(
            RelativeBan(1 if tidy == "parents" else 0, f"flake8-tidy-imports I252 ({name})")
        )


def _pylint_disabled(disable: str) -> bool:
    names = {c.lower() for c in _codes(disable)}
    return bool(names & {"e0402", "relative-beyond-top-level", "all", "e"})


def detect(project: Path) -> LintPolicy:
    """The import rules of the project whose configuration lives in ``project``."""
    bans: list[RelativeBan] = []
    sorters: list[SorterUse] = []
    pylint: str | None = None
    _ruff(project, bans, sorters)
    pyproject = _read_toml(project / "pyproject.toml") or {}
    tool = pyproject.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    if isinstance(tool.get("isort"), dict):
        sorters.append(SorterUse(Sorter.ISORT, "isort (pyproject.toml [tool.isort])"))
    pylint_table = tool.get("pylint")
    if isinstance(pylint_table, dict):
        messages = pylint_table.get("messages_control", pylint_table.get("MESSAGES CONTROL"))
        disable = messages.get("disable", []) if isinstance(messages, dict) else []
        text = ",".join(disable) if isinstance(disable, list) else str(disable)
        if not _pylint_disabled(text):
            pylint = "pylint E0402 (pyproject.toml [tool.pylint])"
    for name, parser in _ini_sections(project):
        _flake8(name, parser, bans)
        isort_section = "settings" if name == ".isort.cfg" else "isort"
        configured = parser.has_section(isort_section) or (
            name == ".isort.cfg" and bool(parser.sections())
        )
        if configured and not any(s.tool is Sorter.ISORT for s in sorters):
            sorters.append(SorterUse(Sorter.ISORT, f"isort ({name})"))
        pylint_sections = [
            s for s in parser.sections() if s.lower().startswith(("pylint", "messages control"))
        ]
        if name in (".pylintrc", "pylintrc") or pylint_sections:
            disable = ",".join(parser.get(s, "disable", fallback="") for s in parser.sections())
            if pylint is None and not _pylint_disabled(disable):
                pylint = f"pylint E0402 ({name})"
    if not sorters:
        # Only when no sorter is configured: next to ruff's I rules, an isort in a requirements
        # file is most often a leftover, and its defaults would fight ruff's order.
        used = _isort_used(project, pyproject)
        if used is not None:
            sorters.append(SorterUse(Sorter.ISORT, f"isort (run or installed by {used})"))
    return LintPolicy(tuple(bans), tuple(sorters), pylint)


# isort run as a command (a Dockerfile's RUN, a Makefile, a CI step, a pre-commit hook).
_ISORT_COMMAND = re.compile(r"(?<![\w./-])isort(?![\w.-])")
# isort as a requirement: `isort`, `isort==5.13.2`, `isort[colors]>=5`...
_ISORT_REQUIREMENT = re.compile(r"isort(?![\w.-])", re.IGNORECASE)


def _requirement_lists(pyproject: Mapping[str, object]) -> Iterable[object]:
    """The dependency lists of a pyproject that name development tools."""
    project = pyproject.get("project")
    if isinstance(project, dict) and isinstance(project.get("optional-dependencies"), dict):
        yield from project["optional-dependencies"].values()
    groups = pyproject.get("dependency-groups")
    if isinstance(groups, dict):
        yield from groups.values()
    tool = pyproject.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        yield list(poetry.get("dev-dependencies") or {})
        for group in (poetry.get("group") or {}).values():
            if isinstance(group, dict):
                yield list(group.get("dependencies") or {})


def _isort_used(project: Path, pyproject: Mapping[str, object]) -> str | None:
    """Where the project runs or installs isort without configuring it (isort's defaults then
    decide the order, and a check like `isort --check-only .` in its image or CI enforces it)."""
    for listed in _requirement_lists(pyproject):
        if any(_ISORT_REQUIREMENT.match(item.strip()) for item in _strings(listed)):
            return "pyproject.toml"
    requirements = sorted(project.glob("requirements*.txt")) + sorted(
        project.glob("requirements/*.txt")
    )
    for path in requirements:
        text = _read_small(path)
        if text and any(_ISORT_REQUIREMENT.match(line.strip()) for line in text.splitlines()):
            return path.relative_to(project).as_posix()
    commands = [
        project / ".pre-commit-config.yaml",
        project / "Makefile",
        project / "tox.ini",
        *sorted(project.glob("Dockerfile*")),
        *sorted(project.glob(".github/workflows/*.y*ml")),
    ]
    for path in commands:
        text = _read_small(path)
        # A whole-line comment runs nothing in any of these files (`# - id: isort` left from
        # a hook taken out, `# moved from isort to ruff`).
        lines = (line for line in (text or "").splitlines() if not line.lstrip().startswith("#"))
        if any(_ISORT_COMMAND.search(line) for line in lines):
            return path.relative_to(project).as_posix()
    return None


def _read_small(path: Path) -> str | None:
    try:
        return read_bounded_text(path, what="lint configuration")
    except (OSError, UsageError):
        return None


def find_tool(tool: Sorter, project: Path) -> str | None:
    """The sorter's executable: the project's virtualenv first, then this one, then PATH."""
    exe = "ruff.exe" if os.name == "nt" else tool.value
    bindir = "Scripts" if os.name == "nt" else "bin"
    for venv in (project / ".venv", project / "venv"):
        candidate = venv / bindir / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    here = Path(sys.executable).parent / exe
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    import shutil

    return shutil.which(tool.value)


class SortError(Exception):
    """The project's sorter could not sort a file; nothing is written."""


def run_sorter(tool: Sorter, exe: str, project: Path, path: Path, data: bytes) -> bytes:
    """The sorter's output for ``data`` as the file ``path`` of ``project``, via stdin."""
    if tool is Sorter.RUFF:
        argv = [
            exe,
            "check",
            "--select",
            "I",
            "--fix",
            "--exit-zero",
            "--no-cache",
            "--quiet",
            "--stdin-filename",
            str(path),
            "-",
        ]
    else:
        argv = [exe, "--settings-path", str(project), "--filename", str(path), "-"]
    import subprocess

    try:
        done = subprocess.run(
            argv, input=data, capture_output=True, cwd=project, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SortError(f"{tool.value} could not run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SortError(f"{tool.value} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def policy_for(projects: Sequence[Path]) -> Mapping[Path, LintPolicy]:
    return {p: detect(p) for p in projects}
