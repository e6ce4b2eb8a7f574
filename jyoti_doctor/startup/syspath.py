"""The interpreter's ``sys.path`` and entry module for one start command.

Each launcher adds its own entry before it imports the application, and each does it
differently (read from their sources):

- ``uvicorn``: ``sys.path.insert(0, app_dir)``, ``--app-dir`` defaulting to ``"."`` (the cwd).
- ``gunicorn``: ``os.chdir(chdir)`` then ``sys.path.insert(0, chdir)``, twice: first with the
  default (the starting directory), then with ``--chdir``; ``--pythonpath`` entries are
  inserted in front before the workers start.
- ``hypercorn``: the parent of ``Path(module).resolve()`` is inserted; the module imported is
  that path's last component.
- ``fastapi run|dev FILE``: walks up the ``__init__.py`` directories above FILE, inserts the
  first directory without one and imports the dotted name.
- ``python file.py``: the script's directory; ``python -m mod``: the cwd.

Only the first-party entries matter here; the standard library and site-packages follow them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from ..launch.command import Launcher, StartCommand

FASTAPI_DEFAULT_PATHS = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")


class EntryKind(StrEnum):
    MODULE = "module"  # imported by name: uvicorn main:app
    SCRIPT = "script"  # run as __main__ from a file: python main.py
    MAIN_MODULE = "main-module"  # run as __main__ by name: python -m backend.main


@dataclass(frozen=True)
class PathEntry:
    path: Path
    reason: str


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    module: str  # the dotted name imported or run
    app_attr: str | None = None  # "app" of main:app; None for scripts
    file: Path | None = None  # the script, for SCRIPT
    # How the launcher reports a missing entry module, e.g. 'Could not import module "main".'
    not_found: str = ""


@dataclass(frozen=True)
class Launch:
    command: StartCommand
    cwd: Path  # the working directory while the app is imported
    sys_path: tuple[PathEntry, ...]
    entry: Entry
    problem: str | None = None  # the launcher cannot even start (bad app spec, missing file)


def _norm(base: Path, value: str) -> Path:
    return Path(os.path.normpath(base / value)) if value else base


def _pythonpath(cmd: StartCommand) -> list[PathEntry]:
    value = cmd.env_value("PYTHONPATH")
    if value is None or cmd.isolated:
        return []
    return [PathEntry(_norm(cmd.cwd, part), "PYTHONPATH") for part in value.split(os.pathsep)]


def _dedupe(entries: list[PathEntry]) -> tuple[PathEntry, ...]:
    seen: set[Path] = set()
    out = []
    for entry in entries:
        if entry.path not in seen:
            seen.add(entry.path)
            out.append(entry)
    return tuple(out)


def model_launch(cmd: StartCommand) -> Launch:
    """The working directory, ``sys.path`` (first-party part) and entry of ``cmd``."""
    launch = _model(cmd)
    problem = launch.problem
    if cmd.missing_dir is not None:
        problem = f"cd: can't cd to {cmd.missing_dir} (the shell stops before the launcher)"
    elif cmd.launcher is Launcher.GUNICORN and cmd.chdir and not launch.cwd.is_dir():
        problem = f"can't chdir to '{cmd.chdir}'"
    return launch if problem == launch.problem else replace(launch, problem=problem)


def _model(cmd: StartCommand) -> Launch:
    cwd = cmd.cwd
    pp = _pythonpath(cmd)
    m_entry = (
        [PathEntry(cwd, "python -m (the working directory)")]
        if cmd.python_m and not cmd.safe_path
        else []
    )
    if cmd.launcher is Launcher.UVICORN:
        module, _, attr = cmd.target.partition(":")
        app_dir = cmd.app_dir if cmd.app_dir is not None else "."
        reason = (
            f"uvicorn --app-dir {app_dir}"
            if cmd.app_dir is not None
            else ("uvicorn's --app-dir default (the working directory)")
        )
        problem = (
            None
            if module and attr
            else (f'Import string "{cmd.target}" must be in format "<module>:<attribute>".')
        )
        return Launch(
            cmd,
            cwd,
            _dedupe([PathEntry(_norm(cwd, app_dir), reason), *m_entry, *pp]),
            Entry(
                EntryKind.MODULE,
                module,
                attr or None,
                not_found=f'Error loading ASGI app. Could not import module "{module}".',
            ),
            problem,
        )
    if cmd.launcher is Launcher.GUNICORN:
        chdir = _norm(cwd, cmd.chdir) if cmd.chdir else cwd
        module, sep, obj = cmd.target.partition(":")
        attr = re.split(r"[(\s]", obj, maxsplit=1)[0] if sep else "application"
        if sep and "(" in obj:
            attr += "()"  # a factory gunicorn calls after the import
        extra = [
            PathEntry(_norm(chdir, p), "gunicorn --pythonpath")
            for p in reversed((cmd.pythonpath_opt or "").split(","))
            if p
        ]
        reason = (
            f"gunicorn --chdir {cmd.chdir}"
            if cmd.chdir
            else ("gunicorn's --chdir default (the working directory)")
        )
        # gunicorn runs chdir() twice: once with the default (the starting directory) before
        # the command line is applied, once with --chdir after; both end up on sys.path.
        first = PathEntry(cwd, "gunicorn's first chdir() (the starting directory)")
        return Launch(
            cmd,
            chdir,
            _dedupe([*extra, PathEntry(chdir, reason), first, *m_entry, *pp]),
            Entry(EntryKind.MODULE, module, attr, not_found=f"No module named '{module}'"),
        )
    if cmd.launcher is Launcher.HYPERCORN:
        spec = cmd.target
        if spec.count(":") == 2:
            _, module_name, app_name = spec.split(":", 2)
        elif ":" in spec:
            module_name, app_name = spec.split(":", 1)
        else:
            module_name, app_name = spec, "app"
        module_path = Path(os.path.realpath(cwd / module_name))
        import_name = (
            module_path.with_suffix("").name if module_path.is_file() else module_path.name
        )
        attr = re.split(r"[^\w]", app_name.strip(), maxsplit=1)[0]
        return Launch(
            cmd,
            cwd,
            _dedupe(
                [
                    PathEntry(module_path.parent, "hypercorn (the parent of the module path)"),
                    *m_entry,
                    *pp,
                ]
            ),
            Entry(
                EntryKind.MODULE,
                import_name,
                attr,
                not_found=f"Cannot load application from '{spec}', module not found.",
            ),
        )
    if cmd.launcher is Launcher.FASTAPI:
        return _fastapi(cmd, pp, m_entry)
    if cmd.launcher in (Launcher.DAPHNE, Launcher.WAITRESS, Launcher.CELERY, Launcher.FLASK):
        return _app_launcher(cmd, pp, m_entry)
    if cmd.launcher is Launcher.SCRIPT:
        script = Path(os.path.normpath(cwd / cmd.target))
        entries = (
            []
            if cmd.safe_path
            else [PathEntry(Path(os.path.realpath(script)).parent, "the script's directory")]
        )
        problem = (
            None
            if script.is_file()
            else (f"can't open file '{script}': [Errno 2] No such file or directory")
        )
        return Launch(
            cmd,
            cwd,
            _dedupe([*entries, *pp]),
            Entry(EntryKind.SCRIPT, "__main__", None, file=script),
            problem,
        )
    entries = [] if cmd.safe_path else [PathEntry(cwd, "python -m (the working directory)")]
    return Launch(
        cmd,
        cwd,
        _dedupe([*entries, *pp]),
        Entry(EntryKind.MAIN_MODULE, cmd.target, None, not_found=f"No module named {cmd.target}"),
    )


_WHY = {
    Launcher.DAPHNE: "daphne (the working directory, '.')",
    Launcher.WAITRESS: "waitress-serve (the working directory, appended after site-packages)",
    Launcher.CELERY: "celery (the working directory)",
    Launcher.FLASK: "flask (the working directory)",
}


def _app_launcher(cmd: StartCommand, pp: list[PathEntry], m_entry: list[PathEntry]) -> Launch:
    cwd = cmd.cwd
    if cmd.launcher is Launcher.FLASK and not cmd.target:
        return Launch(
            cmd,
            cwd,
            tuple(pp),
            Entry(EntryKind.MODULE, "", None),
            "Could not locate a Flask application. Use the 'flask --app' option, 'FLASK_APP' "
            "environment variable, or a 'wsgi.py' or 'app.py' file in the current directory.",
        )
    module, sep, attr = cmd.target.partition(":")
    first = PathEntry(cwd, _WHY[cmd.launcher])
    if cmd.launcher is Launcher.FLASK:
        # flask's prepare_import, for every --app value: up the __init__.py directories
        # above the named path, the first one without becomes sys.path[0] (so `main`
        # inside a package directory is imported as `backend.main`).
        path = os.path.realpath(cwd / module)
        path = path.removesuffix(".py")
        if os.path.basename(path) == "__init__":
            path = os.path.dirname(path)
        names: list[str] = []
        while True:
            path, name = os.path.split(path)
            names.append(name)
            if not os.path.exists(os.path.join(path, "__init__.py")):
                break
        module = ".".join(reversed(names))
        first = PathEntry(
            Path(path), "flask (the first directory above the app without __init__.py)"
        )
    if cmd.launcher is Launcher.CELERY:
        attr = ""  # celery finds `app`/`celery` (or a submodule) itself: not judged
    elif cmd.launcher is Launcher.WAITRESS and cmd.app_name == "()":
        attr = attr + "()"
    return Launch(
        cmd,
        cwd,
        _dedupe([first, *m_entry, *pp]),
        Entry(
            EntryKind.MODULE,
            module,
            "" if cmd.launcher is Launcher.CELERY else (attr if sep or attr else None),
            not_found=(
                f"Could not import '{module}'."
                if cmd.launcher is Launcher.FLASK
                else f"No module named '{module.split('.')[0]}'"
            ),
        ),
    )


def _fastapi(cmd: StartCommand, pp: list[PathEntry], m_entry: list[PathEntry]) -> Launch:
    cwd = cmd.cwd
    if cmd.entrypoint:
        module, _, attr = cmd.entrypoint.partition(":")
        return Launch(
            cmd,
            cwd,
            _dedupe(
                [PathEntry(cwd, "fastapi --entrypoint (the working directory)"), *m_entry, *pp]
            ),
            Entry(EntryKind.MODULE, module, attr or None, not_found=f"No module named '{module}'"),
        )
    target = cmd.target
    if not target:
        target = next((p for p in FASTAPI_DEFAULT_PATHS if (cwd / p).is_file()), "")
        if not target:
            return Launch(
                cmd,
                cwd,
                tuple(pp),
                Entry(EntryKind.MODULE, "", "app"),
                "Could not find a default file to run, please provide an explicit path",
            )
    path = Path(os.path.realpath(cwd / target))
    if not path.exists():
        return Launch(
            cmd, cwd, tuple(pp), Entry(EntryKind.MODULE, "", "app"), f"Path does not exist {target}"
        )
    module_path = path.parent if path.is_file() and path.stem == "__init__" else path
    parts = [module_path]
    extra = module_path.parent
    for parent in module_path.parents:
        if (parent / "__init__.py").is_file():
            parts.insert(0, parent)
            extra = parent.parent
        else:
            break
    module = ".".join(p.stem for p in parts)
    return Launch(
        cmd,
        cwd,
        _dedupe(
            [
                PathEntry(
                    extra, "fastapi (the first directory above the file without __init__.py)"
                ),
                *m_entry,
                *pp,
            ]
        ),
        Entry(EntryKind.MODULE, module, cmd.app_name, not_found=f"No module named '{module}'"),
    )
