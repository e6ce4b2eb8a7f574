"""Start commands: parse one (``cd backend && uvicorn main:app``), or find the project's own.

A start command is read the way a shell and the launcher would read it: leading ``cd DIR &&``,
``export``/``VAR=value`` assignments, wrappers (``exec``, ``poetry run``, ``sh -c``...), then the
launcher's own options (``--app-dir``, ``--chdir``, ``--pythonpath``...). Nothing is executed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import Settings
from ..errors import UsageError


class Launcher(StrEnum):
    UVICORN = "uvicorn"
    GUNICORN = "gunicorn"
    HYPERCORN = "hypercorn"
    FASTAPI = "fastapi"
    SCRIPT = "python file.py"
    MODULE = "python -m"


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

    def env_value(self, name: str) -> str | None:
        for key, value in reversed(self.env):
            if key == name:
                return value
        return None


_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_APP_SPEC = re.compile(r"^[\w.\-/]+(:[\w.()'\",= ]+)?$")
_SEPARATORS = {"&&", ";", "||", "&", "|", "\n"}
_WRAPPERS = {
    ("poetry", "run"),
    ("pipenv", "run"),
    ("pdm", "run"),
    ("hatch", "run"),
    ("rye", "run"),
    ("uv", "run"),
    ("newrelic-admin", "run-program"),
}
_SINGLE_WRAPPERS = {"exec", "nohup", "opentelemetry-instrument", "ddtrace-run", "time"}

# Options whose value is a separate token (``--opt value``). Unknown options take a value only
# when the next token does not look like the application, so a new boolean flag cannot eat it.
_VALUE_OPTS = {
    Launcher.UVICORN: {
        "--host",
        "--port",
        "--uds",
        "--fd",
        "--reload-dir",
        "--reload-include",
        "--reload-exclude",
        "--reload-delay",
        "--workers",
        "--loop",
        "--http",
        "--ws",
        "--ws-max-size",
        "--ws-max-queue",
        "--ws-ping-interval",
        "--ws-ping-timeout",
        "--ws-per-message-deflate",
        "--lifespan",
        "--interface",
        "--env-file",
        "--log-config",
        "--log-level",
        "--root-path",
        "--limit-concurrency",
        "--backlog",
        "--limit-max-requests",
        "--timeout-keep-alive",
        "--timeout-graceful-shutdown",
        "--ssl-keyfile",
        "--ssl-certfile",
        "--ssl-keyfile-password",
        "--ssl-version",
        "--ssl-cert-reqs",
        "--ssl-ca-certs",
        "--ssl-ciphers",
        "--header",
        "--forwarded-allow-ips",
        "--app-dir",
        "--h11-max-incomplete-event-size",
        "--limit-max-requests-jitter",
        "--timeout-worker-healthcheck",
    },
    Launcher.GUNICORN: {
        "-b",
        "--bind",
        "-w",
        "--workers",
        "-k",
        "--worker-class",
        "--threads",
        "--worker-connections",
        "-t",
        "--timeout",
        "--graceful-timeout",
        "--keep-alive",
        "-c",
        "--config",
        "--chdir",
        "--pythonpath",
        "-e",
        "--env",
        "--log-level",
        "--access-logfile",
        "--error-logfile",
        "--log-file",
        "-n",
        "--name",
        "-p",
        "--pid",
        "-u",
        "--user",
        "-g",
        "--group",
        "-m",
        "--umask",
        "--max-requests",
        "--max-requests-jitter",
        "--backlog",
        "--forwarded-allow-ips",
        "--paste",
        "--limit-request-line",
        "--limit-request-fields",
        "--limit-request-field_size",
        "--access-logformat",
        "--log-config",
        "--log-syslog-to",
        "--statsd-host",
        "--statsd-prefix",
        "--worker-tmp-dir",
        "--keyfile",
        "--certfile",
        "--ca-certs",
        "--ciphers",
        "--ssl-version",
        "--cert-reqs",
        "--proxy-allow-from",
        "--reload-engine",
        "--reload-extra-file",
        "--logger-class",
        "--dogstatsd-tags",
        "--initgroups",
        "--proxy-protocol",
    },
    Launcher.HYPERCORN: {
        "-b",
        "--bind",
        "-c",
        "--config",
        "-w",
        "--workers",
        "-k",
        "--worker-class",
        "--root-path",
        "--log-level",
        "--access-logfile",
        "--error-logfile",
        "--log-config",
        "--keep-alive",
        "-g",
        "--group",
        "-u",
        "--user",
        "-m",
        "--umask",
        "--certfile",
        "--keyfile",
        "--keyfile-password",
        "--ca-certs",
        "--ciphers",
        "--insecure-bind",
        "--quic-bind",
        "--backlog",
        "--graceful-timeout",
        "--read-timeout",
        "--max-requests",
        "--max-requests-jitter",
        "-p",
        "--pid",
        "--access-logformat",
        "--server-name",
        "--websocket-ping-interval",
        "--statsd-host",
        "--statsd-prefix",
        "--cert-reqs",
    },
    Launcher.FASTAPI: {
        "--host",
        "--port",
        "--app",
        "--entrypoint",
        "-e",
        "--workers",
        "--root-path",
        "--forwarded-allow-ips",
        "--reload-dir",
    },
}
_BOOL_OPTS = {
    Launcher.UVICORN: {
        "--reload",
        "--factory",
        "--proxy-headers",
        "--no-proxy-headers",
        "--access-log",
        "--no-access-log",
        "--use-colors",
        "--no-use-colors",
        "--server-header",
        "--no-server-header",
        "--date-header",
        "--no-date-header",
        "--reset-contextvars",
    },
    Launcher.GUNICORN: {
        "--reload",
        "--preload",
        "-D",
        "--daemon",
        "--check-config",
        "--print-config",
        "--spew",
        "--capture-output",
        "--enable-stdio-inheritance",
        "--reuse-port",
        "--no-sendfile",
        "--strip-header-spaces",
        "-R",
        "--paste-global",
        "--suppress-ragged-eofs",
        "--do-handshake-on-connect",
        "--sendfile",
        "--disable-redirect-access-to-syslog",
    },
    Launcher.HYPERCORN: {"--reload", "--debug", "-D", "--daemon", "--verify-mode"},
    Launcher.FASTAPI: {
        "--reload",
        "--no-reload",
        "--proxy-headers",
        "--no-proxy-headers",
        "--verbose",
        "--no-verbose",
    },
}


_SAFE = re.compile(r"^[\w@%+=:,./${}-]+$")


def shell_join(argv: list[str]) -> str:
    """``shlex.join`` that leaves ``$PORT`` and ``${VAR}`` for the shell to expand."""
    return " ".join(a if _SAFE.match(a) else shlex.quote(a) for a in argv)


def _tokens(text: str) -> list[str]:
    lex = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=";&|")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError as exc:
        raise UsageError(f"cannot parse start command {text!r}: {exc}") from None


def _segments(tokens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS or set(token) <= set(";&|"):
            out.append([])
        else:
            out[-1].append(token)
    return [s for s in out if s]


def _expand(value: str, env: dict[str, str]) -> str:
    """``$VAR``/``${VAR}``/``${VAR:-default}`` from what the command itself set; others stay."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        default = match.group(3)
        if name in env:
            return env[name]
        if default is not None:
            return default
        return match.group(0)

    return re.sub(r"\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?::?-([^}]*))?\})", sub, value)


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
    segments = _segments(_tokens(raw))
    if not segments:
        raise UsageError(f"empty start command from {source}")
    launch: list[str] | None = None
    launch_env: dict[str, str] = {}
    for seg in segments:
        seg = [_expand(t, shell_env) for t in seg]
        if seg[0] == "cd":
            target = seg[1] if len(seg) > 1 else "~"
            if target == "~" or target.startswith("$"):
                raise UsageError(f"cannot follow `cd {target}` in the start command from {source}")
            cwd = Path(os.path.normpath(cwd / target))
            continue
        if seg[0] == "export":
            for item in seg[1:]:
                if m := _ASSIGN.match(item):
                    shell_env[m[1]] = exported[m[1]] = m[2]
            continue
        local: dict[str, str] = {}
        while seg and (m := _ASSIGN.match(seg[0])):
            local[m[1]] = m[2]
            seg = seg[1:]
        if not seg:
            shell_env.update(local)
            continue
        launch, launch_env = seg, {**exported, **local}
    if launch is None:
        raise UsageError(f"no command to run in the start command from {source}: {raw!r}")
    return _parse_argv(raw, source, launch, cwd, launch_env, start_cwd)


def _unwrap(argv: list[str], env: dict[str, str]) -> list[str]:
    while argv:
        head = os.path.basename(argv[0])
        if head in _SINGLE_WRAPPERS:
            argv = argv[1:]
        elif head == "env":
            argv = argv[1:]
            while argv and (argv[0].startswith("-") or _ASSIGN.match(argv[0])):
                if m := _ASSIGN.match(argv[0]):
                    env[m[1]] = m[2]
                argv = argv[1:]
        elif len(argv) > 1 and (head, argv[1]) in _WRAPPERS:
            argv = argv[2:]
            while argv and argv[0].startswith("-"):
                argv = argv[1:]
        elif head in ("doppler", "dotenv") and "--" in argv:
            argv = argv[argv.index("--") + 1 :]
        else:
            return argv
    return argv


def _parse_argv(
    raw: str, source: str, argv: list[str], cwd: Path, env: dict[str, str], start_cwd: Path
) -> StartCommand:
    argv = _unwrap(list(argv), env)
    if not argv:
        raise UsageError(f"no command to run in the start command from {source}: {raw!r}")
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
    for launcher in (Launcher.UVICORN, Launcher.GUNICORN, Launcher.HYPERCORN, Launcher.FASTAPI):
        if head == launcher.value:
            return _parse_launcher(launcher, argv[1:], base, python_m=False)
    raise UsageError(
        f"start command from {source} is not one jyoti-doctor understands: {raw!r} "
        "(known: uvicorn, gunicorn, hypercorn, fastapi run|dev, python file.py, python -m module)"
    )


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
            for launcher in (
                Launcher.UVICORN,
                Launcher.GUNICORN,
                Launcher.HYPERCORN,
                Launcher.FASTAPI,
            ):
                if module == launcher.value or (
                    launcher is Launcher.FASTAPI and module == "fastapi_cli"
                ):
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
    options: dict[str, str] = {}
    positional: list[str] = []
    extra_env: list[tuple[str, str]] = []
    values, bools = _VALUE_OPTS[launcher], _BOOL_OPTS[launcher]
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
            if name in ("-e", "--env") and (m := _ASSIGN.match(value)):
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
    if not positional:
        raise UsageError(f"no application given to {launcher.value}: {base['raw']!r}")
    target = positional[0]
    return StartCommand(
        **kwargs,
        launcher=launcher,
        target=target,
        argv=tuple(args),
        app_dir=options.get("--app-dir") if launcher is Launcher.UVICORN else None,
        chdir=options.get("--chdir") if launcher is Launcher.GUNICORN else None,
        pythonpath_opt=options.get("--pythonpath") if launcher is Launcher.GUNICORN else None,
        env_file=options.get("--env-file") if launcher is Launcher.UVICORN else None,
        python_m=python_m,
    )


# --- discovery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    command: str
    cwd: Path
    source: str
    env: tuple[tuple[str, str], ...] = ()


def discover(project_dir: Path, config: Settings) -> Found | None:
    """The project's own start command: ``[tool.jyoti-doctor] start``, a ``Procfile``,
    ``render.yaml``, then a ``Dockerfile``; ``None`` when there is none."""
    project_dir = project_dir.absolute()
    start = config.start
    if start is not None:
        cwd = configured_cwd(project_dir, config) or config.base_dir or project_dir
        return Found(start, cwd, f"{_rel(config.path, project_dir)} [tool.jyoti-doctor] start")
    for finder in (_from_procfile, _from_render, _from_dockerfile):
        found = finder(project_dir)
        if found is not None:
            return found
    return None


def configured_cwd(project_dir: Path, config: Settings) -> Path | None:
    if config.cwd is None:
        return None
    return (config.base_dir or project_dir) / config.cwd


def _rel(path: Path | None, base: Path) -> str:
    if path is None:
        return "?"
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def _from_procfile(project_dir: Path) -> Found | None:
    text = _read(project_dir / "Procfile")
    if text is None:
        return None
    entries: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([A-Za-z0-9_-]+):\s*(.*)$", line)
        if m and m[2].strip():
            entries.append((number, m[1], m[2].strip()))
    chosen = next((e for e in entries if e[1] == "web"), entries[0] if entries else None)
    if chosen is None:
        return None
    return Found(chosen[2], project_dir, f"Procfile:{chosen[0]} ({chosen[1]})")


def _from_render(project_dir: Path) -> Found | None:
    for name in ("render.yaml", "render.yml"):
        text = _read(project_dir / name)
        if text is None:
            continue
        services = parse_render_services(text, name)
        usable = [s for s in services if s.get("startCommand")]
        chosen = next((s for s in usable if s.get("type") == "web"), usable[0] if usable else None)
        if chosen is None:
            continue
        root = chosen.get("rootDir") or "."
        env = tuple((k, v) for k, v in chosen.items() if k.startswith("env:"))
        env = tuple((k[4:], v) for k, v in env)
        label = chosen.get("name") or "?"
        return Found(
            chosen["startCommand"],
            project_dir / root,
            f"{name}: service {label!r} startCommand"
            + (f" (rootDir {root})" if root != "." else ""),
            env,
        )
    return None


# --- a YAML subset for render.yaml --------------------------------------------------------------
# render.yaml needs four scalar keys per service (name, type, startCommand, rootDir) and the
# PYTHONPATH of envVars. Block mappings, block sequences, plain/quoted scalars and |/> block
# scalars cover every render.yaml Render documents; flow collections and anchors are refused.


def _scalar(text: str, where: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if text[0] == '"':
        end = _closing_quote(text, '"')
        if end < 0:
            raise UsageError(f"{where}: unterminated double-quoted string")
        try:  # the escapes render.yaml files use (\" \\ \n \t \uXXXX) are JSON's too
            return str(json.loads(text[: end + 1]))
        except ValueError:
            raise UsageError(f"{where}: unsupported escape in a double-quoted string") from None
    if text[0] == "'":
        end = _closing_quote(text, "'")
        if end < 0:
            raise UsageError(f"{where}: unterminated single-quoted string")
        return text[1:end].replace("''", "'")
    if text[0] in "[{&*!":
        raise UsageError(f"{where}: YAML flow collections, anchors and tags are not supported here")
    return re.split(r"\s+#", text, maxsplit=1)[0].strip()


def _closing_quote(text: str, quote: str) -> int:
    i = 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


@dataclass
class _Line:
    number: int
    indent: int
    text: str


class _Yaml:
    """Block mappings and sequences of scalars; enough for render.yaml, refused beyond it."""

    def __init__(self, text: str, name: str) -> None:
        self.raw = text.splitlines()
        self.name = name
        self.lines = [
            _Line(n, len(line) - len(line.lstrip(" ")), line.strip())
            for n, line in enumerate(self.raw, 1)
            if line.strip()
            and not line.strip().startswith("#")
            and line.strip() not in ("---", "...")
        ]
        self.i = 0

    def where(self, line: _Line) -> str:
        return f"{self.name}:{line.number}"

    def node(self, indent: int) -> object:
        line = self.lines[self.i]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(line.indent)
        return self.mapping(line.indent)

    def sequence(self, indent: int) -> list[object]:
        items: list[object] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.indent != indent or not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:]
            if not rest.strip():
                self.i += 1
                if self.i < len(self.lines) and self.lines[self.i].indent > indent:
                    items.append(self.node(self.lines[self.i].indent))
                else:
                    items.append(None)
                continue
            inner = indent + 1 + len(rest) - len(rest.lstrip())
            if re.match(r"^[\w.\-]+\s*:(\s|$)", rest.strip()) and rest.strip()[0] not in "\"'":
                # "- key: value" opens a mapping whose keys sit at the column after the dash.
                self.lines[self.i] = _Line(line.number, inner, rest.strip())
                items.append(self.mapping(inner))
            else:
                items.append(_scalar(rest, self.where(line)))
                self.i += 1
        return items

    def mapping(self, indent: int) -> dict[str, object]:
        out: dict[str, object] = {}
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.indent != indent or line.text.startswith("- ") or line.text == "-":
                break
            m = re.match(r"^([^\s:'\"][^:]*?)\s*:(?:\s+(.*))?$", line.text)
            if not m:
                raise UsageError(f"{self.where(line)}: cannot read this line as YAML here")
            key, value = m[1], (m[2] or "").strip()
            self.i += 1
            if value[:1] in ("|", ">"):
                out[key] = self.block(line, folded=value[0] == ">")
            elif value and not value.startswith("#"):
                out[key] = _scalar(value, self.where(line))
            elif self.i < len(self.lines) and (
                self.lines[self.i].indent > indent
                or (
                    self.lines[self.i].indent == indent and self.lines[self.i].text.startswith("- ")
                )
            ):
                out[key] = self.node(self.lines[self.i].indent)
            else:
                out[key] = None
        return out

    def block(self, line: _Line, *, folded: bool) -> str:
        collected: list[str] = []
        block_indent = -1
        n = line.number  # raw lines are 0-based; the block starts on the next one
        while n < len(self.raw):
            raw = self.raw[n]
            if raw.strip():
                indent = len(raw) - len(raw.lstrip(" "))
                if indent <= line.indent:
                    break
                if block_indent < 0:
                    block_indent = indent
                collected.append(raw[block_indent:])
            else:
                collected.append("")
            n += 1
        while self.i < len(self.lines) and self.lines[self.i].number <= n:
            self.i += 1
        while collected and not collected[-1]:
            collected.pop()
        if folded:
            return " ".join(part.strip() for part in collected if part.strip())
        return "\n".join(collected)


def parse_render_services(text: str, name: str = "render.yaml") -> list[dict[str, str]]:
    """The scalar keys of each item of the top-level ``services:`` list, plus ``env:KEY`` for
    each literal ``envVars`` value."""
    parser = _Yaml(text, name)
    if not parser.lines:
        return []
    doc = parser.node(parser.lines[0].indent)
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), list):
        return []
    services: list[dict[str, str]] = []
    for item in doc["services"]:
        if not isinstance(item, dict):
            continue
        flat = {k: v for k, v in item.items() if isinstance(v, str)}
        for var in item.get("envVars") or ():
            if (
                isinstance(var, dict)
                and isinstance(var.get("key"), str)
                and isinstance(var.get("value"), str)
            ):
                flat[f"env:{var['key']}"] = var["value"]
        services.append(flat)
    return services


# --- Dockerfile -------------------------------------------------------------------------------


def _dockerfile_instructions(text: str) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    buffer = ""
    first = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buffer and line.lstrip().startswith("#"):
            continue
        if not buffer:
            first = number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        buffer += line
        parts = buffer.strip().split(None, 1)
        out.append((first, parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        buffer = ""
    return out


def _exec_or_shell(value: str) -> tuple[list[str], bool]:
    value = value.strip()
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            items = None
        if isinstance(items, list) and all(isinstance(x, str) for x in items):
            return items, True
    return ["/bin/sh", "-c", value], False


def _from_dockerfile(project_dir: Path) -> Found | None:
    text = _read(project_dir / "Dockerfile")
    if text is None:
        return None
    instructions = _dockerfile_instructions(text)
    # The last stage is the image that runs.
    starts = [i for i, ins in enumerate(instructions) if ins[1] == "FROM"]
    if starts:
        instructions = instructions[starts[-1] :]
    workdir = PurePosixPath("/")
    env: dict[str, str] = {}
    copies: list[tuple[PurePosixPath, str]] = []
    cmd: tuple[int, list[str]] | None = None
    entry: tuple[int, list[str]] | None = None
    for number, op, arg in instructions:
        if op == "WORKDIR":
            workdir = workdir / _expand(arg.strip().strip('"'), env)
        elif op == "ENV":
            for key, value in _env_pairs(arg):
                env[key] = _expand(value, env)
        elif op in ("COPY", "ADD"):
            parts = [p for p in _exec_or_shell(arg)[0] if not p.startswith("--")]
            if parts[:2] == ["/bin/sh", "-c"]:
                parts = [p for p in shlex.split(arg) if not p.startswith("--")]
            if len(parts) >= 2:
                dest = workdir / _expand(parts[-1], env)
                for src in parts[:-1]:
                    copies.append((dest, src))
        elif op == "CMD":
            cmd = (number, _exec_or_shell(arg)[0])
        elif op == "ENTRYPOINT":
            entry = (number, _exec_or_shell(arg)[0])
            cmd = None  # an ENTRYPOINT resets an inherited CMD
    argv: list[str] = []
    lines: list[int] = []
    if entry:
        argv += entry[1]
        lines.append(entry[0])
    if cmd:
        argv += cmd[1]
        lines.append(cmd[0])
    if not argv:
        return None
    host = _host_dir(workdir, copies, project_dir)
    command = shlex.join(argv)
    where = ", ".join(f"Dockerfile:{n}" for n in lines)
    note = f"WORKDIR {workdir}"
    pythonpath = env.get("PYTHONPATH")
    env_pairs: tuple[tuple[str, str], ...] = ()
    if pythonpath:
        mapped = [
            str(_host_dir(PurePosixPath(p), copies, project_dir))
            for p in pythonpath.split(":")
            if p
        ]
        env_pairs = (("PYTHONPATH", os.pathsep.join(mapped)),)
    return Found(command, host, f"{where} ({note})", env_pairs)


def _env_pairs(arg: str) -> list[tuple[str, str]]:
    tokens = shlex.split(arg)
    if tokens and "=" not in tokens[0]:
        return [(tokens[0], " ".join(tokens[1:]))]
    return [(t.split("=", 1)[0], t.split("=", 1)[1]) for t in tokens if "=" in t]


def _host_dir(
    container: PurePosixPath, copies: list[tuple[PurePosixPath, str]], project: Path
) -> Path:
    """The project directory a container directory holds, from the COPY instructions; the
    project root when no COPY says otherwise."""
    best: tuple[int, Path] | None = None
    for dest, src in copies:
        src_path = Path(os.path.normpath(project / src))
        if not src_path.is_dir():
            continue
        try:
            rest = container.relative_to(dest)
        except ValueError:
            continue
        candidate = src_path.joinpath(*rest.parts)
        depth = len(dest.parts)
        if best is None or depth > best[0]:
            best = (depth, candidate)
    return best[1] if best else project
