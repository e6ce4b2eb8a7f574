"""``check-startup`` as a plain function: a start command in, a :class:`Report` out.

It finds the start command (or takes the one given), models the launch, predicts every import
error the start-up meets, and recommends the import style that works for that launch, checked
by predicting the start-up again after the change.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings, Style
from ..errors import UsageError
from ..files import display_path
from ..findings import Finding, JsonValue, Location, Report, Section, Severity, SummaryValue
from ..launch.command import StartCommand, parse_command
from ..launch.deploy import Found, configured_cwd, discover, likely_command
from ..rules import Rule
from .advice import recommend
from .environment import (
    Environment,
    locate,
)
from .failures import Failure, Prediction, Resolution
from .project import Project, Resolved
from .syspath import EntryKind, model_launch
from .walker import ASSUMPTIONS

if TYPE_CHECKING:
    from .run import Observation


__all__ = [
    "NoStartCommand",
    "Project",
    "Resolved",
    "StartupResult",
    "UnknownStartDirectory",
    "check_startup",
    "resolve_found",
    "resolve_launch",
]


class NoStartCommand(UsageError):
    """No start command was given and the project names none."""


class UnknownStartDirectory(NoStartCommand):
    """The project names a start command, but not where it runs (a container ``WORKDIR`` that
    nothing of the project is copied or mounted into): not modelled, never guessed."""


def resolve_launch(
    project_dir: Path, config: Settings, *, command: str | None = None, cwd: Path | None = None
) -> Resolved:
    """The start command (given, configured or discovered) and its modelled launch."""
    try:
        return _resolve_launch(project_dir, config, command=command, cwd=cwd)
    except OSError as exc:
        # A path the system refuses (too long, a loop): the command cannot be used as given.
        raise UsageError(f"cannot use the start command's paths: {exc.strerror or exc}") from None


def _resolve_launch(
    project_dir: Path, config: Settings, *, command: str | None = None, cwd: Path | None = None
) -> Resolved:
    project_dir = project_dir.absolute()
    if not project_dir.is_dir():
        raise UsageError(f"not a directory: {project_dir}")
    if command is not None:
        base = cwd or configured_cwd(project_dir, config) or project_dir
        if not base.is_dir():
            raise UsageError(f"--cwd is not a directory: {base}")
        cmd = parse_command(command, base, source="command line")
    else:
        found = discover(project_dir, config)
        if found is None:
            candidate = likely_command(project_dir)
            raise NoStartCommand(
                f"no start command given and none found in {project_dir} ([tool.jyoti-doctor] "
                "start, Procfile, render.yaml, compose file, Dockerfile); pass yours: "
                + (
                    shlex.join(["jyoti-doctor", "check-startup", candidate])
                    if candidate
                    else "jyoti-doctor check-startup 'COMMAND'"
                )
            )
        return _resolve_found(found, cwd)
    return Resolved(cmd, model_launch(cmd))


def resolve_found(found: Found) -> Resolved:
    """A discovered start command's modelled launch; :class:`UnknownStartDirectory` when where
    it starts cannot be told, :class:`UsageError` when it is not a command this tool models."""
    try:
        return _resolve_found(found, None)
    except OSError as exc:
        raise UsageError(f"cannot use the start command's paths: {exc.strerror or exc}") from None


def _resolve_found(found: Found, cwd: Path | None) -> Resolved:
    if found.unknown_cwd is not None and cwd is None:
        raise UnknownStartDirectory(
            f"`{found.command}` ({found.source}) not checked: {found.unknown_cwd}; pass "
            "--cwd DIR (the project directory that ends up there)"
        )
    base = cwd or found.cwd
    cmd = parse_command(found.command, base, source=found.source, env=dict(found.env))
    if found.env_files:
        cmd = replace(cmd, env_files=found.env_files)
    return Resolved(cmd, model_launch(cmd))


def _display(path: Path | None) -> str:
    return "?" if path is None else display_path(str(path))


def _location(failure: Failure) -> Location | None:
    if failure.path is None:
        return None
    return Location(
        _display(failure.path),
        failure.line,
        failure.col,
        failure.end_line,
        failure.end_col,
    )


def chain_text(failure: Failure) -> str:
    return " → ".join(failure.chain)


def prediction_findings(prediction: Prediction) -> list[Finding]:
    return [finding for finding, _ in prediction_pairs(prediction)]


def chain_findings(cmd: StartCommand, project: Project) -> list[Finding]:
    """The Python commands that run before the launch in the same chain: a failure there stops
    the chain before the app starts."""
    findings: list[Finding] = []
    for first in cmd.before:
        prediction = project.predict(model_launch(first))
        fatal = prediction.fatal
        if fatal is None:
            continue
        findings.append(
            Finding.make(
                fatal.code,
                f"`{first.shown}` runs before the launch in `{cmd.shown}` and fails: {fatal.text} "
                f"({chain_text(fatal)})",
                location=_location(fatal),
                source=fatal.statement,
            )
        )
    return findings


def watched_names(prediction: Prediction) -> tuple[str, ...]:
    """The module names the prediction says cannot be imported: ``--run`` reports where the
    real import found each of them, if it did."""
    failures = [*(s.failure for s in prediction.swallowed), *prediction.latent]
    if prediction.fatal is not None:
        failures.append(prediction.fatal)
    return tuple(sorted({f.missing for f in failures if f.missing}))


def not_checked_findings(environment: Environment, prediction: Prediction) -> list[Finding]:
    """What the prediction could not decide, said once each, as info."""
    findings = [Finding.make(Rule.NOT_CHECKED, note) for note in prediction.notes]
    unchecked = sorted(n for n, r in prediction.external if r is Resolution.NOT_CHECKED)
    if unchecked:
        why = (
            "no environment found (pass --python, or create the project's .venv)"
            if environment.interpreter is None
            else f"the environment {environment.describe()} could not be asked"
        )
        shown = ", ".join(unchecked[:12]) + (" …" if len(unchecked) > 12 else "")
        findings.append(
            Finding.make(
                Rule.NOT_CHECKED,
                f"{len(unchecked)} third-party module(s) not checked: {why}: {shown}",
            )
        )
    return findings


def environment_details(environment: Environment) -> dict[str, JsonValue]:
    interpreter = environment.interpreter
    return {
        "python": interpreter.path if interpreter else None,
        "from": interpreter.origin if interpreter else None,
        "version": ".".join(map(str, environment.version)) if environment.version else None,
        "problem": environment.problem,
    }


def _said_by(failure: Failure, environment: Environment | None) -> str:
    """For a name the environment was asked about: which environment lacks it."""
    missing = (failure.missing or "").split(".")[0]
    if environment is None or environment.interpreter is None or missing not in environment.asked:
        return ""
    return f"; not installed in {environment.describe()}"


def prediction_pairs(
    prediction: Prediction, environment: Environment | None = None
) -> list[tuple[Finding, Failure | None]]:
    """Each finding of the prediction with the failure it reports."""
    findings: list[tuple[Finding, Failure | None]] = []
    fatal = prediction.fatal
    if fatal is not None:
        findings.append(
            (
                Finding.make(
                    fatal.code,
                    f"{fatal.text} — the app does not start ({chain_text(fatal)})"
                    + _said_by(fatal, environment),
                    location=_location(fatal),
                    source=fatal.statement,
                ),
                fatal,
            )
        )
    for item in prediction.swallowed:
        f = item.failure
        where = f"{_display(item.path)}:{item.line}"
        if item.fallback:
            findings.append(
                (
                    Finding.make(
                        Rule.SWALLOWED_IMPORT_ERROR,
                        f"{f.text} is caught by `except {item.catches}` at {where}, which imports a "
                        f"fallback instead ({chain_text(f)})",
                        severity=Severity.INFO,
                        location=_location(f),
                        source=f.statement,
                    ),
                    f,
                )
            )
            continue
        if f.not_installed and f.exc_type in ("ModuleNotFoundError", "ImportError"):
            # `try: import sentry_sdk except ImportError: ...`: an optional package, absent
            # from this environment, handled the way its author meant.
            findings.append(
                (
                    Finding.make(
                        Rule.SWALLOWED_IMPORT_ERROR,
                        f"{f.text} is handled by `except {item.catches}` at {where}: an optional "
                        f"package{_said_by(f, environment)} ({chain_text(f)})",
                        severity=Severity.INFO,
                        location=_location(f),
                        source=f.statement,
                    ),
                    f,
                )
            )
            continue
        logged = f'; it logs "{item.logged[0]}"' if item.logged else "; nothing is logged"
        findings.append(
            (
                Finding.make(
                    Rule.SWALLOWED_IMPORT_ERROR,
                    f"{f.text} is swallowed by `except {item.catches}` at {where}: the app starts "
                    f"without what this import brings ({chain_text(f)}){logged}",
                    location=_location(f),
                    source=f.statement,
                ),
                f,
            )
        )
    grouped: dict[tuple[Path | None, Rule, str], list[Failure]] = {}
    for f in prediction.latent:
        grouped.setdefault((f.path, f.code, f.message), []).append(f)
    for (_, code, _), group in grouped.items():
        first = group[0]
        more = f" (and {len(group) - 1} more line(s) of this file)" if len(group) > 1 else ""
        said = _said_by(first, environment) if first.not_installed else ""
        findings.append(
            (
                Finding.make(
                    code,
                    f"{first.text} when this line runs (today's start-up does not reach it){more}"
                    + (
                        f"{said}: an optional dependency imported where it is used?" if said else ""
                    ),
                    # A package the environment lacks, imported by code the start-up does not
                    # run, is often optional (a dev tool behind a setting): said, not counted.
                    severity=Severity.INFO if said else None,
                    location=_location(first),
                    source=first.statement,
                ),
                first,
            )
        )
    return findings


def launch_sections(resolved: Resolved) -> tuple[Section, ...]:
    cmd, launch = resolved.command, resolved.launch
    entry = launch.entry
    entry_text = (
        f"{entry.file and _display(entry.file)} run as __main__"
        if entry.kind is EntryKind.SCRIPT
        else f"{entry.module} run as __main__"
        if entry.kind is EntryKind.MAIN_MODULE
        else f"{entry.module}:{entry.app_attr or '(discovered)'}"
    )
    rows = (
        ("command", cmd.shown),
        ("from", cmd.source),
        ("launcher", cmd.launcher.value + (" (python -m)" if cmd.python_m else "")),
        ("working directory", _display(launch.cwd) or "."),
        ("entry", entry_text),
    )
    path_rows = tuple(
        (str(i), _display(e.path) or ".", e.reason) for i, e in enumerate(launch.sys_path)
    )
    return (
        Section("start_command", "Start command", ("item", "value"), rows),
        Section("modelled_sys.path", "Modelled sys.path", ("#", "path", "why"), path_rows),
    )


def check_startup(
    project_dir: Path,
    config: Settings,
    *,
    command: str | None = None,
    cwd: Path | None = None,
    run: bool = False,
    style: Style | None = None,
    timeout: float = 20.0,
    python: str | None = None,
) -> StartupResult:
    """Predict (and with ``run``, observe) the import errors of a start command."""
    project_dir = project_dir.absolute()
    style = style or config.style
    resolved = resolve_launch(project_dir, config, command=command, cwd=cwd)
    launch = resolved.launch
    interpreter = locate(project_dir, python, extra_dirs=(launch.cwd,))
    project = Project.at(project_dir, interpreter, (launch.entry.module.split(".")[0],), launch.cwd)
    prediction = project.predict(launch)
    pairs = prediction_pairs(prediction, project.environment)
    not_checked = not_checked_findings(project.environment, prediction)
    advice = recommend(resolved, prediction, project, style)
    text = advice.text
    sections = list(launch_sections(resolved))
    details: dict[str, JsonValue] = {
        "prediction": prediction_details(prediction),
        "environment": environment_details(project.environment),
        "assumptions": list(ASSUMPTIONS),
        "recommended_command": advice.command,
    }
    observation: Observation | None = None
    observed_findings: list[Finding] = []
    if run:
        from .run import compare, observe, overruled

        observation = observe(
            launch,
            project_dir,
            timeout=timeout,
            python=interpreter.path if interpreter else None,
            watch=watched_names(prediction),
        )
        rows, observed_findings = compare(prediction, observation)
        # What was observed wins: a predicted import error the real import did not meet is
        # the model's mistake, reported as such, never left standing as an error.
        pairs = overruled(pairs, observation, prediction.fatal)
        sections.append(
            Section(
                "observed_(--run)_vs_predicted",
                "Observed (--run) vs predicted",
                ("check", "predicted", "observed", "match"),
                tuple(rows),
            )
        )
        details["observed"] = observation.as_dict()
    findings = [f for f, _ in pairs] + not_checked + list(advice.findings) + observed_findings
    findings += chain_findings(resolved.command, project)
    return StartupResult(
        start_command=resolved.command.shown,
        source=resolved.command.source,
        prediction=prediction,
        observation=observation,
        predicted=outcome_text(prediction),
        recommended_command=advice.command,
        observed=observation.outcome if observation else None,
        findings=tuple(findings),
        sections=tuple(sections),
        details=details,
        text=text,
    )


@dataclass(frozen=True)
class StartupResult:
    """What check-startup predicted (and observed), typed; doctor reads these fields."""

    start_command: str
    source: str
    prediction: Prediction
    observation: Observation | None
    predicted: str
    recommended_command: str | None
    observed: str | None
    findings: tuple[Finding, ...]
    sections: tuple[Section, ...]
    details: dict[str, JsonValue]
    text: str | None

    def to_report(self) -> Report:
        summary: dict[str, SummaryValue] = {
            "start_command": self.start_command,
            "from": self.source,
            "predicted": self.predicted,
        }
        if self.observed is not None:
            summary["observed"] = self.observed
        return Report(
            command="check-startup",
            findings=self.findings,
            summary=summary,
            sections=self.sections,
            details=self.details,
            text=self.text,
        )


def outcome_text(prediction: Prediction) -> str:
    if not prediction.complete:
        return "not checked: " + "; ".join(prediction.notes)
    if prediction.fatal is not None:
        return f"fails: {prediction.fatal.text}"
    lost = sum(1 for s in prediction.swallowed if not s.fallback and not s.failure.not_installed)
    if lost:
        return f"starts, {lost} import(s) swallowed"
    return "starts"


def prediction_details(prediction: Prediction) -> dict[str, JsonValue]:
    def failure(f: Failure) -> dict[str, JsonValue]:
        return {
            "code": f.code.code,
            "exception": f.exc_type,
            "message": f.message,
            "chain": list(f.chain),
            "path": _display(f.path) if f.path else None,
            "line": f.line,
            "statement": f.statement,
        }

    return {
        "starts": prediction.starts,
        "fatal": failure(prediction.fatal) if prediction.fatal else None,
        "swallowed": [
            {
                **failure(s.failure),
                "caught_by": s.catches,
                "logged": list(s.logged),
                "fallback": s.fallback,
            }
            for s in prediction.swallowed
        ],
        "latent": [failure(f) for f in prediction.latent],
        "executed": list(prediction.executed),
        "stdlib": [n for n, r in prediction.external if r is Resolution.STDLIB],
        "installed": [n for n, r in prediction.external if r is Resolution.INSTALLED],
        "not_checked": [n for n, r in prediction.external if r is Resolution.NOT_CHECKED],
        "notes": list(prediction.notes),
        "sys_path": [str(e.path) for e in prediction.launch.sys_path],
    }
