"""The import style that works for a launch: the advice text, the one command to run next,
each alternative checked by predicting the start-up again after the change."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..config import Style
from ..errors import UsageError
from ..files import display_path
from ..findings import Finding, Severity
from ..launch.command import Launcher, StartCommand, parse_command, shell_join
from ..rules import Rule
from .failures import Prediction
from .finder import Finder
from .project import Project, Resolved
from .syspath import EntryKind, Launch, model_launch


def _display(path: Path | None) -> str:
    return "?" if path is None else display_path(str(path))


def _package_dir(launch: Launch) -> Path | None:
    """The application's package directory: where the entry module's file lives."""
    entry = launch.entry
    if entry.file is not None:
        return entry.file.parent
    first = entry.module.split(".")[0]
    spec = Finder([e.path for e in launch.sys_path]).find(first, None)
    if spec is None or not spec.locations and spec.origin is None:
        return None
    if spec.locations:
        return spec.locations[0]
    return spec.origin.parent if spec.origin else None


def _is_inside_launch(launch: Launch, package_dir: Path) -> bool:
    """The entry runs as a top-level module from inside a directory that is itself a package."""
    entry = launch.entry
    if entry.kind is EntryKind.MAIN_MODULE:
        return "." not in entry.module and package_dir in [e.path for e in launch.sys_path]
    return "." not in entry.module or entry.kind is EntryKind.SCRIPT


def _count(prediction: Prediction) -> int:
    return (
        (prediction.fatal is not None)
        + sum(1 for s in prediction.swallowed if not s.fallback and not s.failure.not_installed)
        # a missing optional package in code the start-up does not run is not counted
        + sum(1 for f in prediction.latent if not f.not_installed)
    )


def _alternative_command(cmd: StartCommand, package_dir: Path) -> str | None:
    """The same service launched as a package from ``package_dir``'s parent, written to run
    where the original command starts."""
    pkg = package_dir.name
    parent = package_dir.parent
    rel = os.path.relpath(parent, cmd.start_cwd)
    prefix = f"cd {shlex.quote(rel)} && " if rel != "." else ""
    env = "".join(f"{k}={shlex.quote(v)} " for k, v in cmd.env if k == "PYTHONPATH")
    args = list(cmd.argv)
    if cmd.launcher is Launcher.UVICORN:
        module, _, attr = cmd.target.partition(":")
        args = [a if a != cmd.target else f"{pkg}.{module}:{attr}" for a in args]
        args = _drop_option(args, "--app-dir")
        argv = ["uvicorn", *args]
    elif cmd.launcher is Launcher.GUNICORN:
        module, sep, obj = cmd.target.partition(":")
        args = [a if a != cmd.target else f"{pkg}.{module}{sep}{obj}" for a in args]
        argv = ["gunicorn", *_drop_option(args, "--chdir")]
    elif cmd.launcher is Launcher.HYPERCORN:
        module, sep, obj = cmd.target.partition(":")
        spec = f"{pkg}.{Path(module).name.removesuffix('.py')}{sep}{obj}"
        argv = ["hypercorn", *(a if a != cmd.target else spec for a in args)]
    elif cmd.launcher in (Launcher.SCRIPT, Launcher.MODULE):
        name = Path(cmd.target).stem if cmd.launcher is Launcher.SCRIPT else cmd.target
        argv = ["python", "-m", f"{pkg}.{name}", *args]
    else:
        return None
    if cmd.python_m and argv[0] != "python":
        argv = ["python", "-m", *argv]
    return prefix + env + shell_join(argv)


def _drop_option(args: list[str], name: str) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == name:
            skip = True
            continue
        if arg.startswith(name + "="):
            continue
        out.append(arg)
    return out


def _predict_with(project: Project, launch: Launch, command: str) -> Prediction | None:
    """The start-up predicted for another command, run where ``launch``'s command starts."""
    cmd = launch.command
    try:
        alt = parse_command(command, cmd.start_cwd, source="recommendation", env=dict(cmd.env))
    except UsageError:
        return None
    return project.predict(model_launch(alt))


def _verdict(prediction: Prediction | None) -> str:
    if prediction is None:
        return "could not be checked"
    n = _count(prediction)
    if n == 0:
        return "predicted: starts with every import resolved"
    return f"predicted: {n} import problem(s) remain" + (
        f" (first: {prediction.fatal.text})" if prediction.fatal else ""
    )


@dataclass(frozen=True)
class Recommendation:
    text: str | None
    command: str | None  # the one command to run next
    findings: tuple[Finding, ...]


def recommend(
    resolved: Resolved, prediction: Prediction, project: Project, style: Style | None
) -> Recommendation:
    """The advice text, the one command to run next, and a finding when the requested style
    cannot work with the start command."""
    project_dir = project.directory
    launch, cmd = resolved.launch, resolved.command
    package_dir = _package_dir(launch)
    findings: list[Finding] = []
    # An entry at the project root, outside any package: there is no import style to choose.
    if package_dir is None or (
        package_dir == project_dir and not (package_dir / "__init__.py").exists()
    ):
        if _count(prediction):
            return Recommendation(
                "Fix the imports listed above; no package directory was found to recommend "
                "an import style for.",
                None,
                (),
            )
        return Recommendation(None, None, ())
    rel_pkg = _display(package_dir) + "/"
    inside = _is_inside_launch(launch, package_dir)
    root_cmd = _fix_command("root", rel_pkg)
    rel_cmd = _fix_command("relative", rel_pkg)
    lines: list[str] = []
    if inside:
        fails = ("relative", "absolute")
        if style in fails:
            findings.append(
                Finding.make(
                    Rule.NO_PARENT_PACKAGE if style is Style.RELATIVE else Rule.MODULE_NOT_FOUND,
                    f"the requested import style {style.value!r} cannot work with this start command: "
                    f"`{cmd.shown}` runs {launch.entry.module or 'the entry'} as a top-level module "
                    f"from {rel_pkg}, so "
                    + (
                        "relative imports fail with 'attempted relative import with no known parent "
                        "package'"
                        if style is Style.RELATIVE
                        else f'`{package_dir.name}.` imports fail with "No module named '
                        f"'{package_dir.name}'\""
                    ),
                    severity=Severity.WARNING,
                )
            )
        if not _count(prediction) and style not in fails:
            return Recommendation(None, None, tuple(findings))
        next_command = root_cmd
        after_root = project.predict(launch, root_style=package_dir)
        alt = _alternative_command(cmd, package_dir)
        after_alt = _predict_with(project, launch, alt) if alt else None
        lines.append(
            f"`{cmd.shown}` ({cmd.source}) imports modules of {rel_pkg} as top-level modules: "
            f"`from {package_dir.name}.x import y` and relative imports cannot work under it."
        )
        lines.append(
            f"Option 1 — keep the start command, rewrite self-imports to the root style "
            f"(`from deps import get_db`):\n    {root_cmd}\n  {_verdict(after_root)}"
            + _remaining(after_root)
        )
        if alt:
            lines.append(
                f"Option 2 — launch the package as a package and use relative imports:\n"
                f"    start command: {alt}\n    {rel_cmd}\n  {_verdict(after_alt)}"
                + _remaining(after_alt)
            )
    else:
        if style is Style.ROOT:
            findings.append(
                Finding.make(
                    Rule.MODULE_NOT_FOUND,
                    f"the requested import style 'root' cannot work with this start command: "
                    f"`{cmd.shown}` imports {launch.entry.module} inside the package "
                    f'{package_dir.name}, so `from deps import x` fails with "No module named '
                    "'deps'\"; use relative imports",
                    severity=Severity.WARNING,
                )
            )
        if not _count(prediction):
            return Recommendation(None, None, tuple(findings))
        next_command = rel_cmd
        lines.append(
            f"`{cmd.shown}` ({cmd.source}) imports {launch.entry.module} as a package module: "
            "relative and package-absolute imports work; root-absolute ones (`from deps import "
            "x`) do not."
        )
        lines.append(
            f"Rewrite self-imports to relative imports:\n    {rel_cmd}\n"
            "  and turn any root-absolute import listed above into a relative one."
        )
    again = ["jyoti-doctor", "check-startup"]
    if cmd.source == "command line":
        again.append(cmd.shown)
    if project_dir != Path.cwd():
        again += ["--project", _display(project_dir)]
    lines.append("Then re-run: " + shlex.join(again))
    return Recommendation("\n".join(lines), next_command, tuple(findings))


def _fix_command(style: str, path: str) -> str:
    """Shell-quoted, with ``--`` before a path that starts with ``-``."""
    dash = ["--"] if path.startswith("-") else []
    return shlex.join(["jyoti-doctor", "fix-imports", "--style", style, "--write", *dash, path])


def _remaining(prediction: Prediction | None) -> str:
    if prediction is None or not _count(prediction):
        return ""
    failures = (
        ([prediction.fatal] if prediction.fatal else [])
        + [s.failure for s in prediction.swallowed if not s.fallback]
        + list(prediction.latent)
    )
    shown = [
        f"\n    {_display(f.path)}:{f.line}: {f.statement or ''} → {f.text}" for f in failures[:5]
    ]
    extra = f"\n    … and {len(failures) - 5} more" if len(failures) > 5 else ""
    return "\n  still failing after that (change these by hand):" + "".join(shown) + extra
