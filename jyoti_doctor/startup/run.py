"""``check-startup --run``: import the entry module and the app object for real, in a subprocess.

The child gets the launch's working directory, its first-party ``sys.path`` (set explicitly,
in the modelled order) and its environment (the command's own assignments, then ``.env`` via
python-dotenv without overriding the real environment), and reports back through a file, so
whatever the app prints cannot be mistaken for the result. It runs under a timeout; the
``if __name__ == "__main__":`` block of a script is not run (it usually starts the server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding, JsonValue, Severity
from ..launch.launchers import Launcher
from ..masking import mask_text
from ..rules import Rule
from .failures import Failure, Prediction
from .preimports import preimported
from .syspath import EntryKind, Launch

_CHILD = r"""
import sys
_baseline = set(sys.modules)
_rest = sys.path[1:]  # without `python -c`'s own '' (the cwd): the project is not on it yet
sys.path[:] = _rest
import importlib, json, os, runpy, traceback
out, spec = sys.argv[1], json.loads(sys.argv[2])
# What the launcher has imported before the app, imported here too (from the environment's
# own path, before the app's directories are on it); what only this script needed is dropped,
# so a project module of that name is found the way the real launch finds it.
for _name in spec["preimport"]:
    try:
        importlib.import_module(_name)
    except BaseException:
        pass
_keep = _baseline | set(spec["preimport"])
for _name in list(sys.modules):
    if _name.split(".")[0] not in _keep and not _name.startswith("_"):
        del sys.modules[_name]
sys.path[:] = spec["sys_path"] + _rest
os.chdir(spec["cwd"])
records = []
if "logging" in sys.modules:
    import logging
    class _Recorder(logging.Handler):
        def emit(self, record):
            try:
                records.append([record.levelname, record.getMessage()])
            except Exception:
                records.append([record.levelname, str(record.msg)])
    logging.getLogger().addHandler(_Recorder(logging.DEBUG))
result = {"ok": False, "app_found": None}
try:
    if spec["kind"] == "script":
        runpy.run_path(spec["file"], run_name="__jyoti_doctor__")
    elif spec["kind"] == "main-module":
        runpy.run_module(spec["module"], run_name="__jyoti_doctor__", alter_sys=False)
    else:
        module = importlib.import_module(spec["module"])
        names = [spec["attr"]] if spec["attr"] else ["app", "api"]
        found = False
        for name in names:
            obj = module
            try:
                for part in name.split("."):
                    obj = getattr(obj, part)
                found = True
                break
            except AttributeError:
                continue
        result["app_found"] = found
    result["ok"] = True
except BaseException as exc:
    result["exc_type"] = type(exc).__name__
    result["message"] = str(exc)
    result["name"] = getattr(exc, "name", None)
    result["frames"] = [[f.filename, f.lineno] for f in traceback.extract_tb(exc.__traceback__)]
result["records"] = records
resolved = {}
for _name in spec["watch"]:
    _module = sys.modules.get(_name)
    if _module is not None:
        resolved[_name] = getattr(_module, "__file__", None) or "(built in or namespace)"
result["resolved"] = resolved
with open(out, "w", encoding="utf-8") as fh:
    json.dump(result, fh)
sys.stdout.flush(); sys.stderr.flush()
os._exit(0)
"""


@dataclass(frozen=True)
class Observation:
    python: str
    outcome: str  # "imported", "failed", "timeout" (inconclusive), "crashed"
    exc_type: str | None = None
    message: str | None = None
    missing: str | None = None
    app_found: bool | None = None
    records: tuple[tuple[str, str], ...] = ()
    output: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    # Modules the prediction called missing that the real import did load, and from where.
    resolved: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, JsonValue]:
        return {
            "python": self.python,
            "outcome": self.outcome,
            "exception": self.exc_type,
            "message": self.message,
            "app_found": self.app_found,
            "logged": [list(r) for r in self.records],
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "resolved": {name: where for name, where in self.resolved},
        }


def project_python(project_dir: Path) -> str:
    """The project's own virtualenv interpreter when there is one, else this one."""
    for name in (".venv", "venv", "env"):
        for exe in ("bin/python", "Scripts/python.exe"):
            candidate = project_dir / name / exe
            if candidate.is_file():
                return str(candidate)
    return sys.executable


def launch_environment(
    launch: Launch, project_dir: Path, base: dict[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The child's environment, as the real launcher starts with it, and the secret values in
    it and in the project's ``.env`` files (for masking).

    A ``.env`` is loaded only when the command says so (uvicorn ``--env-file``), the platform
    does (compose ``env_file``) or the launcher reads one itself (``flask run``): uvicorn, gunicorn, hypercorn and ``python``
    never do, so loading it here would hide the very ``KeyError`` the real start-up meets."""
    from ..env.secrets import read_env_file, secret_values

    env = dict(os.environ if base is None else base)
    env.pop("PYTHONPATH", None)  # sys.path is set explicitly, in the modelled order
    cmd = launch.command
    pairs: list[tuple[str, str]] = []
    loaded = [*cmd.env_files, *([launch.cwd / cmd.env_file] if cmd.env_file else [])]
    if cmd.launcher is Launcher.FLASK:
        # flask run loads .env then .flaskenv itself (python-dotenv), never overriding.
        loaded += [launch.cwd / ".env", launch.cwd / ".flaskenv"]
    for path in loaded:
        values = read_env_file(path, env)
        pairs.extend(values.items())
        for key, value in values.items():
            env.setdefault(key, value)
    for path in (launch.cwd / ".env", project_dir / ".env"):
        # Masked even when not loaded: the app may load a .env itself.
        pairs.extend(read_env_file(path, env).items())
    for key, value in cmd.env:
        if key != "PYTHONPATH":
            env[key] = value
    return env, list(secret_values([*env.items(), *pairs]))


def observe(
    launch: Launch,
    project_dir: Path,
    *,
    timeout: float = 20.0,
    python: str | None = None,
    base_env: dict[str, str] | None = None,
    watch: tuple[str, ...] = (),
) -> Observation:
    """Import the app the way ``launch`` would, in a subprocess, and say what happened."""
    python = python or project_python(project_dir)
    entry = launch.entry
    env, secrets = launch_environment(launch, project_dir, base_env)
    secrets_t = tuple(secrets)
    spec = {
        "sys_path": [str(e.path) for e in launch.sys_path],
        "cwd": str(launch.cwd),
        "kind": entry.kind.value,
        "module": entry.module,
        "attr": entry.app_attr,
        "file": str(entry.file) if entry.file else None,
        "preimport": sorted(preimported(launch.command)),
        "watch": list(watch),
    }
    notes = []
    if entry.kind is EntryKind.SCRIPT:
        notes.append('the script\'s `if __name__ == "__main__":` block was not run')
    with tempfile.TemporaryDirectory(prefix="jyoti-doctor-run-") as tmp:
        out = Path(tmp) / "result.json"
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [python, "-c", _CHILD, str(out), json.dumps(spec)],
                check=False,
                cwd=launch.cwd if launch.cwd.is_dir() else project_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            text = _text(exc.stdout) + _text(exc.stderr)
            return Observation(
                python,
                "timeout",
                message=f"inconclusive: the import did not finish in {timeout:g} s",
                output=mask_text(text, secrets_t),
                seconds=time.monotonic() - started,
                notes=tuple(notes),
            )
        except OSError as exc:
            return Observation(
                python,
                "crashed",
                message=f"cannot run {python}: {exc.strerror}",
                notes=tuple(notes),
            )
        elapsed = time.monotonic() - started
        output = mask_text(proc.stdout + proc.stderr, secrets_t)
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = output.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
            return Observation(
                python,
                "crashed",
                message=tail[0],
                output=output,
                seconds=elapsed,
                notes=tuple(notes),
            )
    records = tuple((level, mask_text(msg, secrets_t)) for level, msg in data.get("records", []))
    resolved = tuple(sorted((str(k), str(v)) for k, v in (data.get("resolved") or {}).items()))
    if data.get("ok"):
        return Observation(
            python,
            "imported",
            app_found=data.get("app_found"),
            records=records,
            output=output,
            seconds=elapsed,
            notes=tuple(notes),
            resolved=resolved,
        )
    return Observation(
        python,
        "failed",
        exc_type=data.get("exc_type"),
        message=mask_text(data.get("message") or "", secrets_t),
        missing=data.get("name"),
        records=records,
        output=output,
        seconds=elapsed,
        notes=tuple(notes),
        resolved=resolved,
    )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def compare(
    prediction: Prediction, observed: Observation
) -> tuple[list[tuple[str, ...]], list[Finding]]:
    """Rows of the predicted-vs-observed table, and findings for what the prediction missed."""
    rows: list[tuple[str, ...]] = []
    findings: list[Finding] = []
    fatal = prediction.fatal
    predicted = "imports" if fatal is None else f"fails: {fatal.text}"
    if observed.outcome == "imported":
        seen = "imports" + ("" if observed.app_found is not False else ", app object missing")
        if observed.app_found is False and fatal is None:
            seen = "fails: app object not found"
    elif observed.outcome == "failed":
        seen = f"fails: {observed.exc_type}: {observed.message}"
    else:
        seen = f"{observed.outcome}: {observed.message}"
    if fatal is None:
        match = seen == "imports"
    elif fatal.code is Rule.ENTRY_NOT_FOUND and observed.outcome == "failed":
        match = (
            observed.missing is not None
            and observed.missing == fatal.missing
            or (fatal.missing is None and "app object" in seen)
            # runpy's ImportError carries no module name: the message itself must agree.
            or observed.message == fatal.message
        )
    elif fatal.code is Rule.ENTRY_NOT_FOUND and observed.outcome == "imported":
        match = observed.app_found is False
    else:
        match = observed.outcome == "failed" and observed.message == fatal.message
    rows.append(("start-up", predicted, seen, "✓" if match else "✗"))
    if observed.outcome == "timeout":
        findings.append(
            Finding.make(
                Rule.NOT_CHECKED,
                f"--run was inconclusive: {observed.message}; the prediction stands unconfirmed "
                "(raise --timeout if the import is slow)",
            )
        )
    elif not match and observed.outcome in ("failed", "crashed"):
        text = observed.message or ""
        code = (
            Rule.NO_PARENT_PACKAGE
            if "no known parent package" in text
            else Rule.BEYOND_TOP_LEVEL
            if "beyond top-level package" in text
            else Rule.MODULE_NOT_FOUND
            if observed.exc_type in ("ModuleNotFoundError", "ImportError")
            else Rule.ENTRY_NOT_FOUND
        )
        findings.append(
            Finding.make(
                code,
                f"observed with --run ({observed.python}): importing the app "
                f"{'raised ' + str(observed.exc_type) + ': ' if observed.exc_type else ''}{text}"
                + f" — the static prediction was: {predicted}",
            )
        )
    logged = "\n".join(m for _, m in observed.records) + "\n" + observed.output
    for item in prediction.swallowed:
        if not item.logged:
            rows.append(
                (f"swallowed: {item.failure.text}", "nothing logged", "(not observable)", "–")
            )
            continue
        message = item.logged[0]
        ok = message in logged
        rows.append(
            (
                f"logged by {item.path.name}:{item.line}",
                message,
                "logged" if ok else "not logged",
                "✓" if ok else "✗",
            )
        )
    predicted_msgs = {m for s in prediction.swallowed for m in s.logged}
    for level, message in observed.records:
        if level in ("ERROR", "CRITICAL", "WARNING") and message not in predicted_msgs:
            rows.append((f"logged at import ({level})", "(not predicted)", message, "!"))
            findings.append(
                Finding.make(
                    Rule.SWALLOWED_IMPORT_ERROR,
                    f"observed with --run: logged at import time: {message}",
                    severity=Severity.INFO,
                )
            )
    return rows, findings


def overruled(
    pairs: list[tuple[Finding, Failure | None]], observed: Observation, fatal: Failure | None
) -> list[tuple[Finding, Failure | None]]:
    """The prediction's findings after the real import: a predicted import error for a module
    the real import loaded, or a predicted failed start-up of an app that imported, is the
    model's mistake. It stays visible as info (JD207), naming what the model missed."""
    if observed.outcome not in ("imported", "failed"):
        return pairs
    loaded = dict(observed.resolved)
    started = observed.outcome == "imported" and observed.app_found is not False
    out: list[tuple[Finding, Failure | None]] = []
    for finding, failure in pairs:
        if failure is None or finding.severity is Severity.INFO:
            out.append((finding, failure))
            continue
        where = loaded.get(failure.missing or "")
        if where is None and not (started and failure is fatal):
            out.append((finding, failure))
            continue
        missed = (
            f"`{failure.missing}` is importable: the real import loaded it from {where}"
            if where
            else "the real import got past it"
        )
        message = (
            f"the static model predicted {failure.text} ({finding.location or '?'}), but "
            f"importing the app with --run ({observed.python}) worked: the model missed that "
            f"{missed}"
        )
        out.append(
            (
                Finding.make(
                    Rule.STATIC_MODEL_MISSED,
                    message,
                    location=finding.location,
                    source=finding.source,
                ),
                failure,
            )
        )
    return out
