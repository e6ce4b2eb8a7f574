"""The project's own start command, found the way its deployment finds it: ``[tool.jyoti-doctor]
start``, a ``Procfile``, ``render.yaml``, a compose file, then a ``Dockerfile`` (its final stage,
``WORKDIR`` mapped back to the project through ``COPY`` and compose mounts)."""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from ..config import Settings
from ..errors import UsageError
from ..textfile import read_bounded_text
from . import COMPOSE_FILES, DOCKERFILE, PROCFILE, RENDER_FILES
from .shell import expand
from .yamlsubset import Yaml

_T = TypeVar("_T")


@dataclass(frozen=True)
class Found:
    """A start command a deploy file names, with where it runs and its environment."""

    command: str
    cwd: Path
    source: str
    env: tuple[tuple[str, str], ...] = ()
    # Why the directory the command starts in cannot be told (a WORKDIR nothing of the
    # project is copied or mounted into): the launch is not modelled then.
    unknown_cwd: str | None = None
    # Files whose variables the platform puts in the environment (compose `env_file`).
    env_files: tuple[Path, ...] = ()
    # Where a compose service is declared (``compose.yml:14 (migrate)``) when ``source`` names
    # the file its command comes from instead (the image's Dockerfile, a script).
    origin: str | None = None


@dataclass(frozen=True)
class Discovered:
    """Every start command the project names, in precedence order, and the deploy files that
    could not be read (why)."""

    commands: tuple[Found, ...]
    unread: tuple[str, ...] = ()


def discover(project_dir: Path, config: Settings) -> Found | None:
    """The project's own start command: ``[tool.jyoti-doctor] start``, a ``Procfile``,
    ``render.yaml``, a compose file, then a ``Dockerfile``; ``None`` when there is none."""
    for finder in _finders(project_dir.absolute(), config):
        # The first one found decides: the files after it are not even read.
        for found in finder():
            return found
    return None


def discover_all(project_dir: Path, config: Settings) -> Discovered:
    """Every start command the project names (``discover``'s first, then the others: each
    Procfile process, render service, compose service, the Dockerfile's own command), in
    ``discover``'s order; the same command in the same directory with the same ``PYTHONPATH``
    once. A deploy file that cannot be read is said, never fatal: the others still count."""
    commands: list[Found] = []
    unread: list[str] = []
    seen: set[tuple[str, Path | None, str | None]] = set()
    for finder in _finders(project_dir.absolute(), config, unread):
        try:
            for found in finder():
                key = (
                    found.command,
                    None if found.unknown_cwd is not None else found.cwd,
                    dict(found.env).get("PYTHONPATH"),
                )
                if key not in seen:
                    seen.add(key)
                    commands.append(found)
        except UsageError as exc:
            unread.append(str(exc))
    return Discovered(tuple(commands), tuple(unread))


def _finders(
    project_dir: Path, config: Settings, unread: list[str] | None = None
) -> list[Callable[[], Iterator[Found]]]:
    """The sources of start commands in precedence order, each read only when asked."""
    return [
        lambda: _from_config(project_dir, config),
        lambda: _from_procfile(project_dir),
        lambda: _from_render(project_dir),
        lambda: _from_compose(project_dir, unread),
        lambda: _from_dockerfile(project_dir),
    ]


def _from_config(project_dir: Path, config: Settings) -> Iterator[Found]:
    if config.start is not None:
        cwd = configured_cwd(project_dir, config) or config.base_dir or project_dir
        yield Found(
            config.start, cwd, f"{_rel(config.path, project_dir)} [tool.jyoti-doctor] start"
        )


def _chosen_first(items: list[_T], chosen: _T | None) -> list[_T]:
    """``items`` with the one the platform serves from first, the others in file order."""
    if chosen is None:
        return items
    return [chosen, *(item for item in items if item is not chosen)]


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
    """A deploy file's text, ``None`` when absent; a FIFO, a device, a huge or undecodable file
    is a usage error naming it (never a hang, never an unbounded read)."""
    try:
        if not path.exists():
            return None
    except OSError:
        return None
    return read_bounded_text(path, what="deploy file", encoding="utf-8-sig")


def _from_procfile(project_dir: Path) -> Iterator[Found]:
    """Each process of the ``Procfile``, ``web`` first (the one the platform routes to)."""
    text = _read(project_dir / PROCFILE)
    if text is None:
        return
    entries: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([A-Za-z0-9_-]+):\s*(.*)$", line)
        if m and m[2].strip():
            entries.append((number, m[1], m[2].strip()))
    web = next((e for e in entries if e[1] == "web"), None)
    for number, process, command in _chosen_first(entries, web):
        yield Found(command, project_dir, f"Procfile:{number} ({process})")


def _from_render(project_dir: Path) -> Iterator[Found]:
    """Each service of ``render.yaml`` with a ``startCommand``, the first web service first.
    Only the first blueprint file found is read, as for compose files."""
    for name in RENDER_FILES:
        text = _read(project_dir / name)
        if text is None:
            continue
        services = parse_render_services(text, name)
        usable = [s for s in services if s.get("startCommand")]
        web = next((s for s in usable if s.get("type") == "web"), None)
        for chosen in _chosen_first(usable, web):
            root = chosen.get("rootDir") or "."
            env = tuple((k, v) for k, v in chosen.items() if k.startswith("env:"))
            env = tuple((k[4:], v) for k, v in env)
            label = chosen.get("name") or "?"
            yield Found(
                chosen["startCommand"],
                project_dir / root,
                f"{name}: service {label!r} startCommand"
                + (f" (rootDir {root})" if root != "." else ""),
                env,
            )
        return


def parse_render_services(text: str, name: str = "render.yaml") -> list[dict[str, str]]:
    """The scalar keys of each item of the top-level ``services:`` list, plus ``env:KEY`` for
    each literal ``envVars`` value."""
    parser = Yaml(text, name)
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


@dataclass(frozen=True)
class Image:
    """The final stage of a Dockerfile, as far as a start-up depends on it."""

    path: Path
    context: Path  # the build context COPY sources are relative to
    workdir: PurePosixPath
    copies: tuple[tuple[PurePosixPath, Path], ...]  # container destination, host source
    env: tuple[tuple[str, str], ...]
    entrypoint: tuple[int, list[str]] | None
    cmd: tuple[int, list[str]] | None
    entry_shell: bool = False  # ENTRYPOINT in shell form: CMD is not appended


def read_image(path: Path, context: Path) -> Image | None:
    text = _read(path)
    if text is None:
        return None
    instructions = _dockerfile_instructions(text)
    # The last stage is the image that runs.
    starts = [i for i, ins in enumerate(instructions) if ins[1] == "FROM"]
    if starts:
        instructions = instructions[starts[-1] :]
    workdir = PurePosixPath("/")
    env: dict[str, str] = {}
    copies: list[tuple[PurePosixPath, Path]] = []
    cmd: tuple[int, list[str]] | None = None
    entry: tuple[int, list[str]] | None = None
    entry_shell = False
    for number, op, arg in instructions:
        if op == "WORKDIR":
            workdir = workdir / expand(arg.strip().strip('"'), env)
        elif op == "ENV":
            for key, value in _env_pairs(arg):
                env[key] = expand(value, env)
        elif op in ("COPY", "ADD"):
            words, _ = _exec_or_shell(arg)
            if words[:2] == ["/bin/sh", "-c"]:
                words = shlex.split(arg)
            if any(w.startswith("--from") for w in words):
                continue  # from another stage or image, not from the project
            parts = [w for w in words if not w.startswith("--")]
            if len(parts) >= 2:
                dest = workdir / expand(parts[-1], env)
                for src in parts[:-1]:
                    copies.append((dest, Path(os.path.normpath(context / src))))
        elif op == "CMD":
            cmd = (number, _exec_or_shell(arg)[0])
        elif op == "ENTRYPOINT":
            words, exec_form = _exec_or_shell(arg)
            entry, entry_shell = (number, words), not exec_form
            cmd = None  # an ENTRYPOINT resets an inherited CMD
    return Image(path, context, workdir, tuple(copies), tuple(env.items()), entry, cmd, entry_shell)


def host_dir(
    container: PurePosixPath,
    copies: tuple[tuple[PurePosixPath, Path], ...],
    mounts: tuple[tuple[PurePosixPath, Path], ...] = (),
) -> Path | None:
    """The project directory a container directory holds: a bind mount over it first (it
    hides what the image has there), else what COPY put there; None when neither says."""
    for table in (mounts, copies):
        best: tuple[int, Path] | None = None
        for dest, src in table:
            if not src.exists():
                continue
            try:
                rest = container.relative_to(dest)
            except ValueError:
                # `WORKDIR /app` + `COPY ./app /app/app`: the copy lands below the directory;
                # when it keeps its name there, the directory is the source's parent.
                try:
                    below = dest.relative_to(container).parts
                except ValueError:
                    continue
                if not below or src.parts[-len(below) :] != below:
                    continue
                candidate = Path(*src.parts[: -len(below)])
                if best is None:
                    best = (0, candidate)
                continue
            if not src.is_dir():
                continue
            candidate = src.joinpath(*rest.parts)
            if best is None or len(dest.parts) > best[0]:
                best = (len(dest.parts), candidate)
        if best is not None:
            return best[1]
    return None


def _from_dockerfile(project_dir: Path) -> Iterator[Found]:
    image = read_image(project_dir / DOCKERFILE, project_dir)
    found = _image_launch(image, project_dir, "Dockerfile") if image is not None else None
    if found is not None:
        yield found


def _image_launch(
    image: Image,
    project_dir: Path,
    label: str,
    *,
    command: list[str] | None = None,
    command_where: str | None = None,
    workdir: PurePosixPath | None = None,
    mounts: tuple[tuple[PurePosixPath, Path], ...] = (),
    extra_env: tuple[tuple[str, str], ...] = (),
    env_files: tuple[Path, ...] = (),
) -> Found | None:
    argv: list[str] = []
    where: list[str] = []
    if image.entrypoint:
        argv += image.entrypoint[1]
        where.append(f"{label}:{image.entrypoint[0]}")
    if command is not None:
        if not image.entry_shell:
            argv += command
        where.append(command_where or "compose command")
    elif image.cmd and not image.entry_shell:
        argv += image.cmd[1]
        where.append(f"{label}:{image.cmd[0]}")
    if not argv:
        return None
    container_dir = workdir or image.workdir
    host = host_dir(container_dir, image.copies, mounts)
    env = dict(image.env)
    env.update(extra_env)
    # The service's literal environment is the command's (a `${VAR}` one is interpolated by
    # compose from elsewhere: left out rather than passed on unexpanded).
    env_pairs: tuple[tuple[str, str], ...] = tuple(
        (k, v) for k, v in extra_env if k != "PYTHONPATH" and "$" not in v
    )
    if env.get("PYTHONPATH"):
        mapped = [
            str(host_dir(PurePosixPath(p), image.copies, mounts) or p)
            for p in env["PYTHONPATH"].split(":")
            if p
        ]
        env_pairs += (("PYTHONPATH", os.pathsep.join(mapped)),)
    source = f"{', '.join(where)} (WORKDIR {container_dir})"
    unknown = None
    if host is None:
        unknown = (
            f"nothing of the project is copied or mounted into WORKDIR {container_dir} "
            f"({label}): the directory the command starts in is unknown"
        )
    start = host or project_dir
    script = _entry_script(argv, start, image, mounts)
    if script is not None:
        text, script_label = script
        return Found(text, start, f"{script_label} (via {source})", env_pairs, unknown, env_files)
    return Found(shlex.join(argv), start, source, env_pairs, unknown, env_files)


def _script_launch(text: str, args: list[str] | None = None) -> str | None:
    """The part of a start-up script that decides the launch: its ``cd``/``export``/``VAR=``
    lines and the last line that starts Python, in order; the loops and checks around them do
    not change where or how the app is imported. ``exec "$@"`` runs the script's arguments
    (the image's CMD or compose's command)."""
    from .command import starts_python

    if args:
        text = re.sub(
            r'^(\s*(?:exec\s+)?)"?\$(?:@|\{@\})"?\s*$',
            lambda m: m[1] + shlex.join(args),
            text,
            flags=re.MULTILINE,
        )
    from .shell import chain, tokens

    kept: list[str] = []
    last: int | None = None
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    for index, line in enumerate(lines):
        try:
            parts = chain(tokens(line))
        except UsageError:
            continue
        if parts and any(starts_python(seg) for seg, _ in parts):
            last = index
    if last is None:
        return None
    for index, line in enumerate(lines):
        head = line.split(None, 1)[0]
        if index == last or head in ("cd", "export") or re.match(r"^[A-Za-z_]\w*=\S*$", line):
            kept.append(line)
    return "\n".join(kept[: kept.index(lines[last]) + 1])


def _entry_script(
    argv: list[str],
    start: Path,
    image: Image,
    mounts: tuple[tuple[PurePosixPath, Path], ...],
) -> tuple[str, str] | None:
    """A shell script the image runs (``./boot.sh``, ``sh start.sh``, ``/entrypoint.sh``):
    its text, read as one chain of commands (``cd``, ``export``, ``exec``, ``&&``, ``;``)."""
    words = list(argv)
    if words[:2] == ["/bin/sh", "-c"] and len(words) == 3:
        words = shlex.split(words[2]) if words[2].strip() else []
    while words and os.path.basename(words[0]) in ("sh", "bash", "dash", "exec"):
        words = words[1:]
    if not words or not words[0].endswith(".sh"):
        return None
    name = words[0]
    container = PurePosixPath(name)
    if container.is_absolute():
        host = host_dir(container.parent, image.copies, mounts)
        path = host / container.name if host else None
    else:
        path = start / name
    if path is None:
        return None
    text = _read(path)
    if text is None:
        return None
    body = _script_launch(text, words[1:])
    if body is None:
        return None
    try:
        label = str(path.relative_to(image.context))
    except ValueError:
        label = path.name
    return body, label


def _from_compose(project_dir: Path, unread: list[str] | None = None) -> Iterator[Found]:
    """Each service of the compose file built from the project, web-named ones first. Like
    `docker compose` without `-f`, only the first file of compose's own order is read: a stale
    second one describes nothing that runs."""
    for name in COMPOSE_FILES:
        text = _read(project_dir / name)
        if text is None:
            continue
        try:
            doc = Yaml(text, name)
            data = doc.node(doc.lines[0].indent) if doc.lines else None
        except UsageError as exc:
            # Beyond the subset this reads (anchors...): the Dockerfile decides.
            if unread is not None:
                unread.append(f"{exc} (its services are not checked)")
            return
        if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
            return
        services = {k: v for k, v in data["services"].items() if isinstance(v, dict)}
        yield from _compose_services(project_dir, name, services, text)
        return


_WEB_NAMES = ("web", "api", "app", "backend", "server")


def _compose_services(
    project_dir: Path, name: str, services: dict[str, dict[str, object]], text: str
) -> Iterator[Found]:
    """The services built from the project, the ones named like a web service first (the one
    the project serves from). A service without ``build`` that runs the image a sibling builds
    (the same ``image:`` tag: a worker, a migration job) runs the project too."""
    builds = {
        str(v["image"]): v["build"]
        for v in services.values()
        if v.get("build") is not None and isinstance(v.get("image"), str)
    }
    built = [
        k
        for k, v in services.items()
        if v.get("build") is not None or (isinstance(v.get("image"), str) and v["image"] in builds)
    ]
    order = sorted(built, key=lambda k: (k not in _WEB_NAMES, built.index(k)))
    # Services built from the same Dockerfile (a web and its worker) share its reading.
    images: dict[Path, Image | None] = {}
    for key in order:
        service = services[key]
        build = service.get("build")
        if build is None:
            build = builds[str(service["image"])]
        context_rel = build if isinstance(build, str) else None
        dockerfile = DOCKERFILE
        if isinstance(build, dict):
            context_rel = str(build.get("context") or ".")
            dockerfile = str(build.get("dockerfile") or DOCKERFILE)
        context = Path(os.path.normpath(project_dir / (context_rel or ".")))
        path = context / dockerfile
        if path not in images:
            images[path] = read_image(path, context)
        image = images[path] or Image(path, context, PurePosixPath("/"), (), (), None, None)
        mounts = tuple(_mounts(service.get("volumes"), project_dir))
        command = service.get("command")
        argv: list[str] | None = None
        if isinstance(command, str):
            argv = ["/bin/sh", "-c", command] if _needs_shell(command) else shlex.split(command)
        elif isinstance(command, list):
            argv = [str(c) for c in command]
        workdir = service.get("working_dir")
        env = tuple(_compose_env(service.get("environment")))
        label = os.path.relpath(image.path, project_dir)
        found = _image_launch(
            image,
            project_dir,
            label,
            command=argv,
            command_where=f"{name}: service {key!r} command" if argv is not None else None,
            workdir=PurePosixPath(str(workdir)) if isinstance(workdir, str) else None,
            mounts=mounts,
            extra_env=env,
            env_files=tuple(_env_files(service.get("env_file"), project_dir)),
        )
        if found is not None:
            line = _service_line(text, key)
            yield replace(found, origin=f"{name}:{line} ({key})" if line else f"{name} ({key})")


def _service_line(text: str, key: str) -> int | None:
    """The line declaring service ``key`` under the top-level ``services:`` (at the services'
    own indentation: a ``depends_on`` key of the same name further in is not it)."""
    indent: int | None = None
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.match(r"^services\s*:", line):
            inside = True
            continue
        if inside and not line[0].isspace():
            inside = False
        if not inside:
            continue
        here = len(line) - len(line.lstrip())
        indent = here if indent is None else indent
        if here == indent and re.match(rf"^\s+[\"']?{re.escape(key)}[\"']?\s*:", line):
            return number
    return None


def _needs_shell(command: str) -> bool:
    return any(op in command for op in ("&&", ";", "||", "|", "$"))


def _mounts(volumes: object, project_dir: Path) -> list[tuple[PurePosixPath, Path]]:
    out: list[tuple[PurePosixPath, Path]] = []
    for item in volumes if isinstance(volumes, list) else ():
        source = target = None
        if isinstance(item, str):
            parts = item.split(":")
            if len(parts) >= 2:
                source, target = parts[0], parts[1]
        elif isinstance(item, dict) and item.get("type", "bind") == "bind":
            source, target = item.get("source"), item.get("target")
        # Only host paths (./src, ../x, /abs); a named volume holds no project file.
        if isinstance(source, str) and isinstance(target, str) and source[:1] in "./~":
            out.append((PurePosixPath(target), Path(os.path.normpath(project_dir / source))))
    return out


def _env_files(value: object, project_dir: Path) -> list[Path]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    out: list[Path] = []
    for item in items:
        path = item.get("path") if isinstance(item, dict) else item
        if isinstance(path, str):
            out.append(Path(os.path.normpath(project_dir / path)))
    return out


def _compose_env(environment: object) -> list[tuple[str, str]]:
    if isinstance(environment, dict):
        return [(str(k), str(v)) for k, v in environment.items() if isinstance(v, str)]
    if isinstance(environment, list):
        pairs = (str(e).partition("=") for e in environment)
        return [(key, value) for key, eq, value in pairs if eq]
    return []


def _env_pairs(arg: str) -> list[tuple[str, str]]:
    tokens = shlex.split(arg)
    if tokens and "=" not in tokens[0]:
        return [(tokens[0], " ".join(tokens[1:]))]
    return [(t.split("=", 1)[0], t.split("=", 1)[1]) for t in tokens if "=" in t]


def likely_command(project_dir: Path) -> str | None:
    """``uvicorn main:app`` (or ``app.main:app``...) when such a file binds ``app`` at top level."""
    for rel in ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "src/main.py"):
        path = project_dir / rel
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            continue
        if "/" not in rel and "__main__" in text and re.search(r"uvicorn\.run\(", text):
            return f"python {rel}"  # the script starts the server itself
        if re.search(r"^app\s*[:=]", text, re.MULTILINE):
            module = rel.removesuffix(".py").replace("/", ".")
            if "/" in rel and not (project_dir / rel.split("/")[0] / "__init__.py").is_file():
                continue
            return f"uvicorn {module}:app"
    return None
