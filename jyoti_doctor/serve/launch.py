"""The real start command, rewritten to listen on 127.0.0.1 and a port chosen here.

Each launcher takes its address its own way: uvicorn and ``fastapi run`` ``--host``/``--port``,
gunicorn and hypercorn ``--bind HOST:PORT`` (``-b``). Those options are replaced; everything
else in the command stays as written. ``$PORT`` is set in the environment, as Render and
Heroku do, so a script that reads it (``python main.py``) listens where it is told. Nothing
else is added to the environment: a ``.env`` is loaded only if the command or the app loads it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..files import display_path
from ..launch.command import Launcher, StartCommand
from ..startup.check import Resolved

HOST = "127.0.0.1"

# Options that choose where the server listens, per launcher; each takes a value.
_ADDRESS_OPTS: dict[Launcher, tuple[str, ...]] = {
    Launcher.UVICORN: ("--host", "--port", "--uds", "--fd"),
    Launcher.FASTAPI: ("--host", "--port"),
    Launcher.GUNICORN: ("-b", "--bind"),
    Launcher.HYPERCORN: ("-b", "--bind", "--insecure-bind", "--quic-bind"),
}
_PORT_REF = re.compile(r"\$(?:PORT\b|\{PORT(?::?-[^}]*)?\})")


@dataclass(frozen=True)
class ServeCommand:
    """What is executed: argv, working directory, environment, and the address asked for."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str]
    port: int
    # True when the launcher's own options choose the address; False when only $PORT can
    # (a script or ``python -m`` module starting the server itself).
    address_rewritten: bool
    shown: str  # the command line as shown to the user

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


class CannotRun(Exception):
    """The start command cannot be executed at all (no such launcher, no interpreter)."""


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice, released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _strip_options(args: list[str], names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name, eq, _ = arg.partition("=")
        if name in names:
            skip = not eq
            continue
        # gunicorn/hypercorn accept ``-b127.0.0.1:8000``.
        if "-b" in names and arg.startswith("-b") and len(arg) > 2 and not arg.startswith("--"):
            continue
        out.append(arg)
    return out


def _address_args(launcher: Launcher, port: int) -> list[str]:
    if launcher in (Launcher.GUNICORN, Launcher.HYPERCORN):
        return ["--bind", f"{HOST}:{port}"]
    return ["--host", HOST, "--port", str(port)]


def _fastapi_subcommand(raw: str) -> str:
    """``run`` or ``dev``, as the command wrote it (the parsed command keeps only the rest)."""
    try:
        tokens = shlex.split(raw)
    except ValueError:
        return "run"
    for i, token in enumerate(tokens[:-1]):
        if os.path.basename(token) in ("fastapi", "fastapi_cli") and tokens[i + 1] in (
            "run",
            "dev",
        ):
            return tokens[i + 1]
    return "run"


def _executable(name: str, python: str, path: str | None) -> str:
    """The launcher's script next to the interpreter (its virtualenv), else on ``PATH``."""
    beside = Path(python).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name, path=path)
    if found is None:
        raise CannotRun(
            f"`{name}` is not installed next to {python} nor on PATH; install it or pass --python"
        )
    return found


def build(
    resolved: Resolved,
    python: str,
    port: int,
    base_env: Mapping[str, str] | None = None,
) -> ServeCommand:
    """The command to execute for ``resolved``, listening on ``HOST:port``."""
    cmd: StartCommand = resolved.command
    env = dict(os.environ if base_env is None else base_env)
    for key, value in cmd.env:
        env[key] = value
    env["PORT"] = str(port)
    if not Path(python).is_file() and shutil.which(python) is None:
        raise CannotRun(f"interpreter not found: {python}")
    args = [_PORT_REF.sub(str(port), a) for a in cmd.argv]
    launcher = cmd.launcher
    if launcher in _ADDRESS_OPTS:
        args = _strip_options(args, _ADDRESS_OPTS[launcher]) + _address_args(launcher, port)
        head: list[str]
        module = "fastapi" if launcher is Launcher.FASTAPI else launcher.value
        if cmd.python_m:
            head = [python, "-m", module]
        else:
            head = [_executable(launcher.value, python, env.get("PATH"))]
        if launcher is Launcher.FASTAPI:
            head.append(_fastapi_subcommand(cmd.raw))
        argv = [*head, *args]
        rewritten = True
    else:
        flags = (["-E"] if cmd.isolated else []) + (["-P"] if cmd.safe_path else [])
        target = ["-m", cmd.target] if launcher is Launcher.MODULE else [cmd.target]
        argv = [python, *flags, *target, *args]
        rewritten = False
    shown = [display_path(argv[0]), *argv[1:]]
    return ServeCommand(
        tuple(argv), cmd.cwd, env, port, rewritten, " ".join(shlex.quote(a) for a in shown)
    )
