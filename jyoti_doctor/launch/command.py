"""Start commands: parse one (``cd backend && uvicorn main:app``) into what it asks of the
interpreter.

A start command is read the way a shell and the launcher would read it: leading ``cd DIR &&``,
``export``/``VAR=value`` assignments, wrappers (``exec``, ``poetry run``, ``sh -c``...), then the
launcher's own options (``--app-dir``, ``--chdir``, ``--pythonpath``...). Nothing is executed.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..masking import mask_text
from .launchers import BOOL_OPTS, VALUE_OPTS, Launcher
from .shell import ASSIGN, Unwrapped, chain, expand, shell_join, tokens, unwrap

__all__ = ["Launcher", "StartCommand", "parse_command", "shell_join"]


@dataclass(frozen=True)
class StartCommand:
    """What one start command asks of the interpreter, before any modelling of ``sys.path``."""

    raw: str
    source: str
    launcher: Launcher
    # Where the launcher process starts (after any ``cd``), absolute.
    cwd: Path
    # Where the whole command starts (before any ``cd``).
    start_cwd: Path
    # uvicorn/gunicorn/hypercorn: ``main:app``; fastapi: a path or ""; python: the file or module.
    target: str
    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    app_dir: str | None = None  # uvicorn --app-dir
    chdir: str | None = None  # gunicorn --chdir
    pythonpath_opt: str | None = None  # gunicorn --pythonpath
    app_name: str | None = None  # fastapi --app
    entrypoint: str | None = None  # fastapi --entrypoint
    env_file: str | None = None  # uvicorn --env-file
    python_m: bool = False  # launched as ``python -m uvicorn`` etc.
    isolated: bool = False  # python -I / -E: PYTHONPATH ignored
    safe_path: bool = False  # python -P / -I: no script dir or cwd prepended
    notes: tuple[str, ...] = field(default=())
    # A `cd DIR &&` whose directory does not exist: the shell stops before the launcher.
    missing_dir: str | None = None
    # Python commands of the same chain that run before this one.
    before: tuple[StartCommand, ...] = ()
    # Files the platform loads into the environment before the command (compose env_file).
    env_files: tuple[Path, ...] = ()

    def env_value(self, name: str) -> str | None:
        for key, value in reversed(self.env):
            if key == name:
                return value
        return None

    @property
    def shown(self) -> str:
        """The command as people may see it: secrets written inline (`API_TOKEN=…`, a URL's
        password) masked. ``raw`` is for parsing only, never for output."""
        return mask_text(self.raw)


_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_APP_SPEC = re.compile(r"^[\w.\-/]+(:[\w.()'\",= ]+)?$")


def parse_command(
    raw: str,
    cwd: Path,
    *,
    source: str = "command line",
    env: dict[str, str] | None = None,
) -> StartCommand:
    """Parse a shell start command run in ``cwd``; raise :class:`UsageError` when it is not one
    this tool understands (the message says which forms are)."""
    cwd = start_cwd = cwd.absolute()
    shell_env: dict[str, str] = dict(env or {})
    exported: dict[str, str] = dict(env or {})
    parts = chain(tokens(raw))
    if not parts:
        raise UsageError(f"empty start command from {source}")
    # Every command of the chain runs; the launch is the last one that starts Python (a
    # launcher this tool knows), else the last command.
    candidates: list[tuple[list[str], dict[str, str], Path, str | None]] = []
    failed_cd: str | None = None
    for seg, op in parts:
        seg = [expand(t, shell_env) for t in seg]
        if seg[0] == "cd":
            target = seg[1] if len(seg) > 1 else "~"
            if target == "~" or target.startswith("$"):
                raise UsageError(f"cannot follow `cd {target}` in the start command from {source}")
            new = Path(os.path.normpath(cwd / target))
            if len(str(new)) > _MAX_PATH or any(len(p) > 255 for p in new.parts):
                raise UsageError(
                    f"cannot follow `cd` in the start command from {source}: the "
                    "path is longer than any file system allows"
                )
            if new.is_dir() or op not in (";", ""):
                cwd = new
                if not new.is_dir() and failed_cd is None:
                    # `cd missing && launch`: the shell stops here.
                    failed_cd = target
            # `cd missing; launch` (or on its own line) goes on in the same directory.
            continue
        if seg[0] == "export":
            for item in seg[1:]:
                if m := ASSIGN.match(item):
                    shell_env[m[1]] = exported[m[1]] = m[2]
            continue
        local: dict[str, str] = {}
        while seg and (m := ASSIGN.match(seg[0])):
            local[m[1]] = m[2]
            seg = seg[1:]
        if not seg:
            shell_env.update(local)
            continue
        candidates.append((seg, {**exported, **local}, cwd, failed_cd))
    if not candidates:
        raise UsageError(f"no command to run in the start command from {source}: {raw!r}")
    known = [c for c in candidates if starts_python(c[0])]
    launch, launch_env, launch_cwd, missing = (known or candidates)[-1]
    cmd = _parse_argv(raw, source, launch, launch_cwd, launch_env, start_cwd)
    if missing is not None and cmd.missing_dir is None:
        cmd = replace(cmd, missing_dir=missing)
    # The Python commands that run first (`python manage.py migrate && gunicorn …`) import the
    # project too: each is a launch of its own.
    before: list[StartCommand] = []
    for argv, env_, cwd_, _ in known[:-1]:
        try:
            first = _parse_argv(shlex.join(argv), source, argv, cwd_, env_, start_cwd)
        except UsageError:
            continue
        before.append(first)
    return replace(cmd, before=tuple(before)) if before else cmd


_MAX_PATH = 4096


def starts_python(argv: list[str]) -> bool:
    inner = unwrap(list(argv), {})
    if not inner:
        return False
    head = os.path.basename(inner[0])
    return bool(
        _PYTHON.match(head)
        or head in {launcher.value for launcher in Launcher}
        or (head in ("sh", "bash", "dash", "zsh") and len(inner) >= 3)
    )


def _parse_argv(
    raw: str, source: str, argv: list[str], cwd: Path, env: dict[str, str], start_cwd: Path
) -> StartCommand:
    seen = Unwrapped()
    argv = unwrap(list(argv), env, seen)
    if not argv:
        raise UsageError(f"no command to run in the start command from {source}: {raw!r}")
    for directory in seen.chdir:
        cwd = Path(os.path.normpath(cwd / directory))
    cmd = _parse_program(raw, source, argv, cwd, env, start_cwd)
    if seen.env_files:
        files = tuple(Path(os.path.normpath(cwd / f)) for f in seen.env_files)
        cmd = replace(cmd, env_files=(*cmd.env_files, *files))
    return cmd


def _parse_program(
    raw: str, source: str, argv: list[str], cwd: Path, env: dict[str, str], start_cwd: Path
) -> StartCommand:
    head = os.path.basename(argv[0])
    if head in ("sh", "bash", "dash", "zsh") and len(argv) >= 3 and argv[1] in ("-c", "-lc", "-ec"):
        inner = parse_command(argv[2], cwd, source=source, env=env)
        return StartCommand(**{**inner.__dict__, "raw": raw, "start_cwd": start_cwd})
    base = {
        "raw": raw,
        "source": source,
        "cwd": cwd,
        "start_cwd": start_cwd,
        "env": tuple(env.items()),
    }
    if _PYTHON.match(head):
        return _parse_python(argv[1:], base)
    for launcher in _SERVERS:
        if head == launcher.value:
            return _parse_launcher(launcher, argv[1:], base, python_m=False)
    raise UsageError(
        f"start command from {source} is not one jyoti-doctor understands: {raw!r} "
        "(known: uvicorn, gunicorn, hypercorn, fastapi run|dev, daphne, waitress-serve, "
        "flask run, celery -A APP, python file.py, python -m module)"
    )


_SERVERS = (
    Launcher.UVICORN,
    Launcher.GUNICORN,
    Launcher.HYPERCORN,
    Launcher.FASTAPI,
    Launcher.DAPHNE,
    Launcher.WAITRESS,
    Launcher.FLASK,
    Launcher.CELERY,
)
_PYTHON_M = {"waitress": Launcher.WAITRESS, "fastapi_cli": Launcher.FASTAPI}


def _parse_app_option(
    launcher: Launcher, args: list[str], base: dict[str, Any], *, python_m: bool
) -> StartCommand:
    """``flask [--app X] run`` and ``celery -A X worker``: the application is an option (or,
    for flask, ``FLASK_APP``/``.flaskenv``/the default ``app.py``/``wsgi.py``)."""
    options: dict[str, str] = {}
    positional: list[str] = []
    values = VALUE_OPTS[launcher]
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if arg.startswith("-") and len(arg) > 1:
            if not eq and name in values:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            elif not eq and name.startswith("-A") and len(name) > 2:
                name, value = "-A", name[2:]
            options[name] = value
        else:
            positional.append(arg)
        i += 1
    sub = positional[0] if positional else ""
    env = dict(base["env"])
    cwd: Path = base["cwd"]
    if launcher is Launcher.CELERY:
        target = options.get("-A") or options.get("--app") or ""
        if not target:
            raise UsageError(f"celery without -A/--app: {base['raw']!r}")
        workdir = options.get("--workdir")
        if workdir:
            base = {**base, "cwd": Path(os.path.normpath(cwd / workdir))}
    else:
        if sub != "run":
            raise UsageError(f"only `flask run` starts the app: {base['raw']!r}")
        flaskenv = _dotenv_value(cwd / ".flaskenv", "FLASK_APP")
        target = options.get("--app") or options.get("-A") or env.get("FLASK_APP") or flaskenv or ""
        if not target:
            target = next((f for f in ("wsgi.py", "app.py") if (cwd / f).is_file()), "")
        # No app to find: flask itself stops with "Could not locate a Flask application."
    return StartCommand(
        **base,
        launcher=launcher,
        target=target,
        argv=tuple(args),
        env_file=options.get("--env-file") or options.get("-e")
        if launcher is Launcher.FLASK
        else None,
        python_m=python_m,
    )


_GUNICORN_SETTINGS = ("chdir", "pythonpath", "wsgi_app", "worker_class")


def _gunicorn_config(cwd: Path, given: str | None) -> dict[str, str]:
    """The settings of a gunicorn config file that move the launch: ``-c FILE``, else the
    ``gunicorn.conf.py`` gunicorn reads from the working directory by itself. Only literal
    top-level assignments are read; the command line wins over them."""
    path = cwd / (given.removeprefix("python:") if given else "gunicorn.conf.py")
    if given and given.startswith("python:"):
        return {}  # a module on sys.path: not read
    try:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return {}
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return {}
    out: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in _GUNICORN_SETTINGS
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out[node.targets[0].id] = node.value.value
    return out


def _dotenv_value(path: Path, name: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        return None
    for line in text.splitlines():
        key, eq, value = line.strip().removeprefix("export ").partition("=")
        if eq and key.strip() == name:
            return value.strip().strip("'\"")
    return None


def _parse_python(args: list[str], base: dict[str, Any]) -> StartCommand:
    isolated = safe_path = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-X", "-W", "--check-hash-based-pycs"):
            i += 2
            continue
        if arg == "-m" or (arg.startswith("-m") and len(arg) > 2):
            module = args[i + 1] if arg == "-m" and i + 1 < len(args) else arg[2:]
            if not module:
                raise UsageError(f"`python -m` without a module in {base['raw']!r}")
            rest = args[i + 2 :] if arg == "-m" else args[i + 1 :]
            for launcher in _SERVERS:
                if module == launcher.value or _PYTHON_M.get(module) is launcher:
                    cmd = _parse_launcher(launcher, rest, base, python_m=True)
                    return StartCommand(
                        **{**cmd.__dict__, "isolated": isolated, "safe_path": safe_path}
                    )
            return StartCommand(
                **base,
                launcher=Launcher.MODULE,
                target=module,
                argv=tuple(rest),
                isolated=isolated,
                safe_path=safe_path,
            )
        if arg == "-c":
            raise UsageError(f"`python -c` cannot be analysed statically: {base['raw']!r}")
        if arg.startswith("-") and arg != "-":
            flags = arg[1:]
            isolated = isolated or "I" in flags or "E" in flags
            safe_path = safe_path or "I" in flags or "P" in flags
            i += 1
            continue
        return StartCommand(
            **base,
            launcher=Launcher.SCRIPT,
            target=arg,
            argv=tuple(args[i + 1 :]),
            isolated=isolated,
            safe_path=safe_path,
        )
    raise UsageError(f"`python` with no script or module in {base['raw']!r}")


def _parse_launcher(
    launcher: Launcher, args: list[str], base: dict[str, Any], *, python_m: bool
) -> StartCommand:
    if launcher is Launcher.FASTAPI:
        if not args or args[0] not in ("run", "dev"):
            raise UsageError(f"`fastapi` needs `run` or `dev`: {base['raw']!r}")
        args = args[1:]
    if launcher in (Launcher.FLASK, Launcher.CELERY):
        return _parse_app_option(launcher, args, base, python_m=python_m)
    options: dict[str, str] = {}
    positional: list[str] = []
    extra_env: list[tuple[str, str]] = []
    values, bools = VALUE_OPTS[launcher], BOOL_OPTS[launcher]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positional.extend(args[i + 1 :])
            break
        if arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg.partition("=")
            if not eq and name in values:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            elif not eq and name not in bools and name.startswith("--") and i + 1 < len(args):
                nxt = args[i + 1]
                if not nxt.startswith("-") and not (":" in nxt and _APP_SPEC.match(nxt)):
                    value = nxt
                    i += 1
            if name in ("-e", "--env") and (m := ASSIGN.match(value)):
                extra_env.append((m[1], m[2]))
            options[name] = value
        else:
            positional.append(arg)
        i += 1
    env = (*base["env"], *extra_env)
    kwargs = {**base, "env": env}
    if launcher is Launcher.FASTAPI:
        return StartCommand(
            **kwargs,
            launcher=launcher,
            target=positional[0] if positional else "",
            argv=tuple(args),
            app_name=options.get("--app"),
            entrypoint=options.get("--entrypoint") or options.get("-e"),
            python_m=python_m,
        )
    conf: dict[str, str] = {}
    if launcher is Launcher.GUNICORN:
        conf = _gunicorn_config(base["cwd"], options.get("-c") or options.get("--config"))
        if "worker_class" in conf and not ({"-k", "--worker-class"} & set(options)):
            args = [*args, "-k", conf["worker_class"]]  # the worker decides the pre-imports
    if not positional and conf.get("wsgi_app"):
        positional = [conf["wsgi_app"]]
    if not positional:
        raise UsageError(f"no application given to {launcher.value}: {base['raw']!r}")
    target = positional[0]
    return StartCommand(
        **kwargs,
        launcher=launcher,
        target=target,
        argv=tuple(args),
        app_dir=options.get("--app-dir") if launcher is Launcher.UVICORN else None,
        chdir=(options.get("--chdir") or conf.get("chdir"))
        if launcher is Launcher.GUNICORN
        else None,
        pythonpath_opt=(options.get("--pythonpath") or conf.get("pythonpath"))
        if launcher is Launcher.GUNICORN
        else None,
        env_file=options.get("--env-file") if launcher is Launcher.UVICORN else None,
        # waitress-serve --call: the attribute is a factory it calls
        app_name="()" if launcher is Launcher.WAITRESS and "--call" in options else None,
        python_m=python_m,
    )
