"""The routes the app really registers: import it as its launch does, in a subprocess, and list them.

The child gets the launch's working directory, ``sys.path`` and environment exactly as
``check-startup --run`` builds them (the same functions are called), imports the entry module,
finds the app object and walks its routes: Starlette/FastAPI routes, routers included inside
routers (FastAPI copies them into the app), mounted sub-apps (walked with the mount's prefix)
and Flask's ``url_map``. It then tries the modules a guarded include imports, one by one, so a
failing import chain can be shown with its frames. Results come back through a file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..masking import mask_text
from ..startup.syspath import Launch
from .process import group_members

_CHILD = r"""
import importlib, json, logging, os, runpy, sys, traceback
out, spec = sys.argv[1], json.loads(sys.argv[2])
sys.path[:] = spec["sys_path"] + sys.path[1:]
os.chdir(spec["cwd"])
records = []
class _Recorder(logging.Handler):
    def emit(self, record):
        try:
            records.append([record.levelname, record.getMessage()])
        except Exception:
            records.append([record.levelname, str(record.msg)])
logging.getLogger().addHandler(_Recorder(logging.DEBUG))
root = os.path.realpath(spec["project"])

def frames(exc):
    found = []
    for f in traceback.extract_tb(exc.__traceback__):
        if f.filename.startswith("<"):
            continue
        path = os.path.realpath(f.filename)
        if path.startswith(root + os.sep):
            found.append([os.path.relpath(path, root), f.lineno, (f.line or "").strip()])
    return found

def failure(exc):
    return {"type": type(exc).__name__, "message": str(exc), "frames": frames(exc)}

def endpoint_name(fn):
    fn = getattr(fn, "func", fn)
    module = getattr(fn, "__module__", None) or "?"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    return module + ":" + name

routes = []
try:
    # Newer FastAPI keeps included routers as lazy branches; this yields their effective routes.
    from fastapi.routing import iter_route_contexts as _contexts
except Exception:
    _contexts = None

def expand(items):
    if _contexts is None:
        return list(items)
    try:
        return list(_contexts(items))
    except Exception:
        return list(items)

def walk(items, prefix, depth):
    for r in expand(items):
        orig = getattr(r, "original_route", r)
        path = prefix + (getattr(r, "path", "") or "")
        if hasattr(orig, "app") and not hasattr(orig, "endpoint"):
            sub = getattr(orig, "routes", None)
            if sub and depth < 20:
                walk(sub, path, depth + 1)
            else:
                target = getattr(orig, "app", None)
                routes.append({"methods": ["MOUNT"], "path": path or "/",
                               "name": getattr(r, "name", None) or "",
                               "endpoint": endpoint_name(type(target)) if target is not None else "?"})
            continue
        methods = getattr(r, "methods", None)
        if methods is None:
            methods = ["WEBSOCKET"] if "websocket" in type(orig).__name__.lower() else ["*"]
        methods = sorted(set(methods) - ({"HEAD"} if "GET" in methods else set()))
        routes.append({"methods": methods, "path": path, "name": getattr(r, "name", None) or "",
                       "endpoint": endpoint_name(getattr(r, "endpoint", None))})

result = {"ok": False, "framework": None, "routes": [], "probes": {}}
try:
    if spec["kind"] == "script":
        namespace = runpy.run_path(spec["file"], run_name="__jyoti_doctor__")
    elif spec["kind"] == "main-module":
        namespace = runpy.run_module(spec["module"], run_name="__jyoti_doctor__", alter_sys=False)
    else:
        namespace = vars(importlib.import_module(spec["module"]))
    app = None
    # A command that names its attribute gets that one or nothing, like the launcher itself.
    for name in [spec["attr"]] if spec["attr"] else ["app", "application", "api"]:
        obj = namespace.get(name.split(".")[0])
        for part in name.split(".")[1:]:
            obj = getattr(obj, part, None)
        if obj is not None:
            app = obj
            break
    if app is None:
        missing = (
            f"Attribute {spec['attr']!r} not found in module {spec['module']!r}"
            if spec["attr"] else "no app object found"
        )
        result["error"] = {"type": "AttributeError", "message": missing, "frames": []}
    else:
        if spec["factory"] and callable(app):
            app = app()
        if hasattr(app, "url_map") and hasattr(app, "view_functions"):
            result["framework"] = "flask"
            for rule in app.url_map.iter_rules():
                methods = sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"})
                view = app.view_functions.get(rule.endpoint)
                routes.append({"methods": methods, "path": rule.rule, "name": rule.endpoint,
                               "endpoint": endpoint_name(view) if view else "?"})
        elif hasattr(app, "routes") or hasattr(getattr(app, "router", None), "routes"):
            result["framework"] = type(app).__module__.split(".")[0]
            items = getattr(app, "routes", None)
            if items is None:
                items = app.router.routes
            walk(items, "", 0)
        else:
            result["error"] = {"type": "TypeError",
                               "message": "the app object is a " + type(app).__name__
                               + ", not a Starlette, FastAPI or Flask app", "frames": []}
        result["ok"] = "error" not in result
except BaseException as exc:
    result["error"] = failure(exc)
for name in spec["probes"]:
    try:
        importlib.import_module(name)
        result["probes"][name] = None
    except BaseException as exc:
        result["probes"][name] = failure(exc)
result["routes"] = routes
result["records"] = records
with open(out, "w", encoding="utf-8") as fh:
    json.dump(result, fh)
sys.stdout.flush(); sys.stderr.flush()
os._exit(0)
"""


@dataclass(frozen=True, order=True)
class Route:
    path: str
    methods: tuple[str, ...]
    name: str
    endpoint: str  # module:qualname


@dataclass(frozen=True)
class Failure:
    type: str
    message: str
    frames: tuple[tuple[str, int, str], ...]  # (file relative to the project, line, source)

    @property
    def text(self) -> str:
        return f"{self.type}: {self.message}"

    def chain(self) -> str:
        steps = [f"{f}:{line}" for f, line, _ in self.frames]
        return " → ".join([*steps, self.text])


@dataclass(frozen=True)
class Listing:
    outcome: str  # "listed", "failed", "timeout", "crashed"
    python: str
    framework: str | None
    routes: tuple[Route, ...]
    error: Failure | None
    probes: tuple[tuple[str, Failure | None], ...]  # module -> failure (None: it imports)
    logged: tuple[tuple[str, str], ...]
    seconds: float

    def probe(self, module: str) -> tuple[bool, Failure | None]:
        """Whether ``module`` was tried, and how it failed (``None``: it imports)."""
        tried = dict(self.probes)
        return (module in tried, tried.get(module))


def _failure(data: object, secrets: tuple[str, ...]) -> Failure | None:
    if not isinstance(data, dict):
        return None
    frames = tuple(
        (str(f[0]), int(f[1]), mask_text(str(f[2]), secrets))
        for f in data.get("frames", [])
        if isinstance(f, list) and len(f) == 3
    )
    return Failure(
        str(data.get("type", "?")), mask_text(str(data.get("message", "")), secrets), frames
    )


def list_routes(
    launch: Launch,
    project_dir: Path,
    *,
    probes: Sequence[str] = (),
    timeout: float = 30.0,
    python: str | None = None,
) -> Listing:
    """The app's routes as the launch imports it; never raises for what the app does."""
    from ..startup.run import launch_environment, project_python

    python = python or project_python(project_dir)
    if "/" in python:
        # The child runs in the launch's directory: a relative interpreter path must not move.
        python = os.path.abspath(python)
    env, secret_list = launch_environment(launch, project_dir)
    secrets = tuple(secret_list)
    entry = launch.entry
    spec = {
        "sys_path": [str(e.path) for e in launch.sys_path],
        "cwd": str(launch.cwd),
        "kind": entry.kind.value,
        "module": entry.module,
        "attr": entry.app_attr,
        "file": str(entry.file) if entry.file else None,
        "project": str(project_dir.absolute()),
        "probes": list(probes),
        "factory": "--factory" in launch.command.argv,
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jyoti-doctor-routes-") as tmp:
        out = Path(tmp) / "result.json"
        try:
            proc = subprocess.Popen(
                [python, "-c", _CHILD, str(out), json.dumps(spec)],
                cwd=launch.cwd if launch.cwd.is_dir() else project_dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                # Whatever the import started (a pool, a scheduler) goes with it.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.communicate()
                return Listing(
                    "timeout",
                    python,
                    None,
                    (),
                    Failure("Timeout", f"importing the app did not finish in {timeout:g} s", ()),
                    (),
                    (),
                    time.monotonic() - started,
                )
            finally:
                # The child ends with os._exit: anything it forked and left behind is stopped.
                if group_members(proc.pid):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        except OSError as exc:
            return Listing(
                "crashed",
                python,
                None,
                (),
                Failure("OSError", f"cannot run {python}: {exc.strerror}", ()),
                (),
                (),
                0.0,
            )
        elapsed = time.monotonic() - started
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = (stdout + stderr).strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
            return Listing(
                "crashed",
                python,
                None,
                (),
                Failure("Crash", mask_text(tail[0], secrets), ()),
                (),
                (),
                elapsed,
            )
    routes = tuple(
        sorted(
            Route(
                str(r["path"]),
                tuple(str(m) for m in r["methods"]),
                mask_text(str(r["name"]), secrets),
                str(r["endpoint"]),
            )
            for r in data.get("routes", [])
        )
    )
    probes_out = tuple(
        (name, _failure(value, secrets)) for name, value in data.get("probes", {}).items()
    )
    logged = tuple(
        (str(level), mask_text(str(msg), secrets)) for level, msg in data.get("records", [])
    )
    return Listing(
        "listed" if data.get("ok") else "failed",
        python,
        data.get("framework"),
        routes,
        _failure(data.get("error"), secrets),
        probes_out,
        logged,
        elapsed,
    )
