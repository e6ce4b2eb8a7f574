"""Files that something runs by path instead of importing as a module.

``python path/x.py``, alembic's ``env.py`` (executed with ``runpy``-like loading from the
``script_location`` of ``alembic.ini``), ``manage.py``, ``noxfile.py``, ``setup.py``, a
``conftest.py`` outside any package, and files in a directory without ``__init__.py`` below a
regular package (migrations, scripts): none of them has a parent package when it runs, so a
relative import there fails with "attempted relative import with no known parent package".
The rewrite never touches them; scan and fix report why (``Rule.RUN_BY_PATH``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..config import Settings
from .roots import PROJECT_MARKERS, PackageRoot

# Run by tools with the file's own directory (or the project) on sys.path, never as a module.
_TOOL_FILES = {
    "manage.py": "Django's manage.py is run as `python manage.py`",
    "noxfile.py": "nox loads noxfile.py by path",
    "setup.py": "setup.py is run by path",
}


def project_dir(root: PackageRoot) -> Path:
    """The nearest directory at or above the root's sys.path entry that marks a project."""
    base = root.base.absolute()
    for candidate in (base, *base.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return base


def _is_regular_package(directory: Path) -> bool:
    return (directory / "__init__.py").is_file()


def _alembic_locations(project: Path, bases: Iterable[Path]) -> dict[Path, str]:
    """Every ``script_location`` named by an ``alembic.ini`` at the project or a package base."""
    found: dict[Path, str] = {}
    candidates = {project / "alembic.ini", *(b / "alembic.ini" for b in bases)}
    try:
        candidates.update(p / "alembic.ini" for p in project.iterdir() if p.is_dir())
    except OSError:
        pass
    for ini in sorted(candidates):
        if not ini.is_file():
            continue
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(ini, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            continue
        for section in parser.sections():
            value = parser.get(section, "script_location", fallback=None)
            if not value:
                continue
            here = str(ini.parent)
            value = value.replace("%(here)s", here).strip()
            if ":" in value and not os.path.isabs(value):
                # `package:resource` names a directory inside an importable package.
                pkg, _, resource = value.partition(":")
                path = ini.parent.joinpath(*pkg.split("."), resource)
            else:
                path = ini.parent / value
            found[Path(os.path.normpath(path))] = (
                f"alembic runs the files under script_location of {ini.name} by path"
            )
    return found


def _start_scripts(project: Path, config: Settings) -> dict[Path, str]:
    """The ``python path/x.py`` of the project's discovered start command, if it has one."""
    from ..launch import may_name_a_start_command

    if not may_name_a_start_command(project, config):
        return {}
    from ..errors import UsageError
    from ..launch.command import Launcher, parse_command
    from ..launch.deploy import discover

    try:
        found = discover(project, config)
        if found is None:
            return {}
        cmd = parse_command(found.command, found.cwd, source=found.source, env=dict(found.env))
    except (UsageError, OSError):
        return {}
    if cmd.launcher is not Launcher.SCRIPT:
        return {}
    path = Path(os.path.normpath(cmd.cwd / cmd.target))
    return {path: f"the start command `{cmd.shown}` ({cmd.source}) runs it by path"}


class RunByPath:
    """Answers "is this file run by path, and why?" for the files of one run."""

    def __init__(self, roots: Sequence[PackageRoot], config: Settings | None = None) -> None:
        # Absolute paths as strings: asked once per file of the run, pathlib costs more than
        # the answer.
        self._dirs: dict[str, str] = {}
        self._files: dict[str, str] = {}
        projects = {project_dir(r) for r in roots}
        for project in sorted(projects):
            bases = [r.base.absolute() for r in roots if project_dir(r) == project]
            for directory, why in _alembic_locations(project, bases).items():
                self._dirs[str(directory) + os.sep] = why
            for file, why in _start_scripts(project, config or Settings()).items():
                self._files[str(file)] = why
        self._bare: dict[str, str | None] = {}

    def reason(self, path: Path | str) -> str | None:
        """Why ``path`` is run by path, or None when it is an ordinary module."""
        file = os.path.abspath(path)
        hit = self._files.get(file)
        if hit is not None:
            return hit
        for directory, why in self._dirs.items():
            if file.startswith(directory):
                return why
        parent, name = os.path.split(file)
        if name == "env.py" and os.path.isfile(os.path.join(parent, "script.py.mako")):
            return "alembic runs env.py by path (script.py.mako sits next to it)"
        if name in _TOOL_FILES:
            return _TOOL_FILES[name]
        return self._bare_directory(parent, name)

    def _bare_directory(self, parent: str, name: str) -> str | None:
        if parent not in self._bare:
            why = None
            directory = Path(parent)
            # Most directories are regular packages: one stat answers for all their files.
            if not _is_regular_package(directory):
                above = directory.parent
                while (
                    not _is_regular_package(above)
                    and above != above.parent
                    and not any((above / m).exists() for m in PROJECT_MARKERS)
                ):
                    above = above.parent
                if _is_regular_package(above):
                    why = (
                        f"{directory.name}/ has no __init__.py inside a package: its files are "
                        "run by path (scripts, migrations), not imported as modules"
                    )
            self._bare[parent] = why
        why = self._bare[parent]
        if why is None and name == "conftest.py" and not _is_regular_package(Path(parent)):
            return "pytest imports a conftest.py outside a package as a top-level module"
        return why

    def reasons(self, files: Iterable[Path]) -> Mapping[str, str]:
        out: dict[str, str] = {}
        for f in files:
            why = self.reason(f)
            if why is not None:
                out[str(f)] = why
        return out
