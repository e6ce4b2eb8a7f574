"""The project's own start command, found the way its deployment finds it: ``[tool.jyoti-doctor]
start``, a ``Procfile``, ``render.yaml``, a compose file, then a ``Dockerfile`` (its final stage,
``WORKDIR`` mapped back to the project through ``COPY`` and compose mounts)."""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..config import Settings
from ..errors import UsageError
from .shell import expand
from .yamlsubset import Yaml


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
            workdir = workdir / expand(arg.strip().strip('"'), env)
        elif op == "ENV":
            for key, value in _env_pairs(arg):
                env[key] = expand(value, env)
        elif op in ("COPY", "ADD"):
            parts = [p for p in _exec_or_shell(arg)[0] if not p.startswith("--")]
            if parts[:2] == ["/bin/sh", "-c"]:
                parts = [p for p in shlex.split(arg) if not p.startswith("--")]
            if len(parts) >= 2:
                dest = workdir / expand(parts[-1], env)
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
