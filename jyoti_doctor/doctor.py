"""``doctor``: every check in the order the app's own start-up meets them, one summary.

The environment is read first, then the code is imported (scan-imports, check-startup), then the
database is connected to, with a short deadline so the whole run stays quick. Each check is a
line with ✓ (fine), ! (warnings), ✗ (errors, or could not be checked) and the one command to run
next. Each engine is called directly and returns its typed result; a check that cannot run says
"not checked" and why, never passes.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .errors import UsageError
from .findings import (
    ExitCode,
    Finding,
    JsonValue,
    Report,
    Severity,
    SummaryValue,
    combine_exit_codes,
)
from .masking import mask_text
from .rules import Rule

if TYPE_CHECKING:
    from .startup.check import StartupResult


class Check(StrEnum):
    """The checks, in the order the app's own start-up meets them."""

    ENV = "env"
    IMPORTS = "imports"
    STARTUP = "startup"
    ROUTES = "routes"
    DB = "db"


CHECKS = tuple(Check)
TITLES = {
    Check.ENV: "Environment",
    Check.IMPORTS: "Imports",
    Check.STARTUP: "Start-up",
    Check.ROUTES: "Routes",
    Check.DB: "Database",
}
DEFAULT_DB_DEADLINE = 5.0


class Mark(StrEnum):
    OK = "✓"
    WARN = "!"
    FAIL = "✗"
    SKIPPED = "-"


@dataclass(frozen=True)
class CheckResult:
    check: Check
    mark: Mark
    code: ExitCode
    found: str
    next_command: str | None = None
    report: Report | None = None
    seconds: float = 0.0

    @property
    def checked(self) -> bool:
        return self.report is not None


def _mark(report: Report) -> Mark:
    code = report.exit_code()
    if code is ExitCode.OK:
        return Mark.OK
    if code is ExitCode.FINDINGS and report.severity_counts()[Severity.ERROR] == 0:
        return Mark.WARN
    return Mark.FAIL


def _counts_text(report: Report) -> str:
    counts = report.severity_counts()
    parts = [f"{counts[s]} {s.value}(s)" for s in Severity if counts[s]]
    return ", ".join(parts) or "nothing found"


def _first(
    report: Report, severities: Iterable[Severity] = (Severity.ERROR, Severity.WARNING)
) -> str:
    for severity in severities:
        for f in report.findings:
            if f.severity is severity:
                return f"{f.code} {f.message}"
    return ""


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unavailable(check: Check, exc: ImportError) -> CheckResult:
    reason = f"the check is not available ({type(exc).__name__}: {exc})"
    return CheckResult(
        check,
        Mark.FAIL,
        ExitCode.INTERNAL,
        f"not checked: {reason}",
        "pip install --upgrade jyoti-doctor",
    )


def _usage(check: Check, exc: UsageError, next_command: str) -> CheckResult:
    return CheckResult(check, Mark.FAIL, ExitCode.USAGE, f"not checked: {exc}", next_command)


def _arg(path: Path) -> str:
    text = str(path)
    return text if text not in ("", ".") else "."


def suggest(subcommand: str, *positionals: str, options: tuple[str, ...] = ()) -> str:
    """A ``jyoti-doctor`` command line to copy: shell-quoted, options first, and ``--`` before
    the arguments when one starts with ``-`` (it would otherwise read as an option)."""
    dash = ["--"] if any(p.startswith("-") for p in positionals) else []
    return shlex.join(["jyoti-doctor", subcommand, *options, *dash, *positionals])


def check_env_line(project_dir: Path, settings: Settings) -> CheckResult:
    try:
        from .env.check import check_env
    except ImportError as exc:
        return _unavailable(Check.ENV, exc)
    try:
        report = check_env(project_dir, settings).to_report()
    except UsageError as exc:
        return _usage(Check.ENV, exc, suggest("check-env", _arg(project_dir)))
    code = report.exit_code()
    found = _counts_text(report)
    if code is not ExitCode.OK:
        found += f" — {_first(report)}"
    return CheckResult(
        Check.ENV,
        _mark(report),
        code,
        _short(found),
        None if code is ExitCode.OK else suggest("check-env", _arg(project_dir)),
        report,
    )


def check_imports_line(
    project_dir: Path,
    settings: Settings,
    fix_command: str | None,
    startup: StartupResult | None = None,
    unjudged: str = "no known start command",
) -> CheckResult:
    """``unjudged``: why there is no start-up prediction, when ``startup`` is None."""
    try:
        from .imports.run import scan_imports
    except ImportError as exc:
        return _unavailable(Check.IMPORTS, exc)
    try:
        result = scan_imports([project_dir], settings)
    except UsageError as exc:
        return _usage(Check.IMPORTS, exc, suggest("scan-imports", _arg(project_dir)))
    report = result.to_report()
    verdict = ""
    self_imports = sum(1 for f in report.findings if f.rule is Rule.ABSOLUTE_SELF_IMPORT)
    harmless = startup is not None and not _launch_breaks_on(startup, result.packages)
    if self_imports and (startup is None or harmless):
        # Absolute self-imports are an error only for a launch that breaks on them, and with no
        # known launch none can be shown to. scan-imports itself stays strict.
        report = replace(
            report,
            findings=tuple(
                replace(f, severity=Severity.INFO) if f.rule is Rule.ABSOLUTE_SELF_IMPORT else f
                for f in report.findings
            ),
        )
        inside = " or ".join(f"`cd {p} && …`" for p in result.packages[:2])
        if startup is None:
            verdict = (
                f"{self_imports} absolute self-import(s): not judged, {unjudged} "
                f"(they break a launch from inside the package: {inside}) — "
            )
        else:
            verdict = (
                f"{self_imports} absolute self-import(s): fine for `{startup.start_command}` "
                f"({startup.source}); they break a launch from inside the package ({inside}) — "
            )
    code = report.exit_code()
    found = verdict + (
        f"{_counts_text(report)} in {result.files} file(s) "
        f"(packages: {', '.join(result.packages) or 'none found'}; "
        f"safe fixes: {result.fixable})"
    )
    next_command = None
    if code is not ExitCode.OK:
        next_command = fix_command or suggest("fix-imports", _arg(project_dir))
    return CheckResult(Check.IMPORTS, _mark(report), code, _short(found, 200), next_command, report)


@dataclass(frozen=True)
class _StartupLine:
    line: CheckResult
    recommended_command: str | None = None
    result: StartupResult | None = None


def _launch_breaks_on(startup: StartupResult, packages: tuple[str, ...] | list[str]) -> bool:
    """Whether the project's known launch meets an import error on one of its own packages."""
    prediction = startup.prediction
    failures = [*(s.failure for s in prediction.swallowed if not s.fallback), *prediction.latent]
    if prediction.fatal is not None:
        failures.append(prediction.fatal)
    tops = {(f.missing or "").split(".")[0] for f in failures}
    return bool(tops & set(packages)) or any(
        f.rule is Rule.ENTRY_NOT_FOUND for f in startup.findings if f.counts
    )


def check_startup_line(project_dir: Path, settings: Settings) -> _StartupLine:
    try:
        from .launch.deploy import likely_command
        from .startup.check import NoStartCommand, UnknownStartDirectory, check_startup
    except ImportError as exc:
        return _StartupLine(_unavailable(Check.STARTUP, exc))
    try:
        result = check_startup(project_dir, settings)
    except UnknownStartDirectory as exc:
        return _StartupLine(CheckResult(Check.STARTUP, Mark.WARN, ExitCode.FINDINGS, str(exc)))
    except NoStartCommand:
        # Only a command that can work: one naming a file and an app object that exist.
        candidate = likely_command(project_dir)
        return _StartupLine(
            CheckResult(
                Check.STARTUP,
                Mark.WARN,
                ExitCode.FINDINGS,
                "not checked: no start command found ([tool.jyoti-doctor] start, Procfile, "
                "render.yaml, compose file, Dockerfile)"
                + ("" if candidate else "; pass yours: jyoti-doctor check-startup 'COMMAND'"),
                suggest("check-startup", candidate, options=("--project", _arg(project_dir)))
                if candidate
                else None,
            )
        )
    except UsageError as exc:
        return _StartupLine(
            _usage(
                Check.STARTUP,
                exc,
                suggest("check-startup", options=("--project", _arg(project_dir))),
            )
        )
    report = result.to_report()
    code = report.exit_code()
    found = f"`{result.start_command}` ({result.source}): {result.predicted}"
    if not result.prediction.complete:
        # Nothing was claimed about the start-up: never shown as passing.
        line = CheckResult(Check.STARTUP, Mark.WARN, ExitCode.FINDINGS, _short(found, 240))
        return _StartupLine(line, None, result)
    worst = next((f"{f.code} {f.message}" for f in report.findings if f.counts), "")
    if worst:
        found += f" — {worst}"
    next_command = result.recommended_command if code is not ExitCode.OK else None
    if code is not ExitCode.OK and not next_command:
        next_command = suggest("check-startup", options=("--project", _arg(project_dir)))
    line = CheckResult(Check.STARTUP, _mark(report), code, _short(found, 240), next_command, report)
    return _StartupLine(line, result.recommended_command, result)


def check_routes_line(project_dir: Path, settings: Settings) -> CheckResult | None:
    """The registered routes, against ``routes.json`` when it exists; ``None`` when there is
    nothing to say (no baseline and an app that does not import)."""
    try:
        from .serve.routes import RoutesStatus, routes_line
    except ImportError as exc:
        return _unavailable(Check.ROUTES, exc)
    line = routes_line(project_dir, settings)
    if line.status is RoutesStatus.SKIPPED:
        return None
    next_command = suggest("check-routes", options=("--project", _arg(project_dir)))
    if line.report is None:  # a baseline exists but the launch cannot be resolved
        return CheckResult(Check.ROUTES, Mark.WARN, ExitCode.OK, line.text, next_command)
    report = line.report
    first = _first(report)
    code = report.exit_code()
    return CheckResult(
        Check.ROUTES,
        _mark(report),
        code,
        _short(line.text + (f" — {first}" if first else ""), 240),
        next_command if code is not ExitCode.OK else None,
        report,
    )


def check_db_line(project_dir: Path, settings: Settings, deadline: float) -> CheckResult:
    try:
        from .db.conninfo import NoDatabaseConfigured
        from .db.probe import probe_db
        from .db.report import build_report
    except ImportError as exc:
        return _unavailable(Check.DB, exc)
    db = settings.db
    try:
        # No explicit env file: DATABASE_URL from the environment, then the project's .env, the
        # way the app's own load_dotenv() sees it.
        result = probe_db(
            project_dir=project_dir,
            config=settings,
            deadline=deadline,
            connect_timeout=db.connect_timeout,
            query_timeout=db.query_timeout,
            retry_auth=db.retry_auth,
        )
    except NoDatabaseConfigured as exc:
        # Not a bad invocation: this project names no database. Reported, never passed.
        return CheckResult(
            Check.DB,
            Mark.WARN,
            ExitCode.FINDINGS,
            f"not configured: {exc}",
            suggest("check-env", _arg(project_dir)),
        )
    except UsageError as exc:
        # A malformed or unreadable database setting is the project's configuration, which the
        # environment line reports too: a finding of this check, not a usage error of doctor's.
        return CheckResult(
            Check.DB,
            Mark.FAIL,
            ExitCode.FINDINGS,
            f"not checked: {exc}",
            suggest("check-env", _arg(project_dir)),
        )
    report = build_report(result)
    code = report.exit_code()
    if code is ExitCode.OK:
        found = "ready" + (f" — {_first(report)}" if _first(report) else "")
        return CheckResult(Check.DB, _mark(report), code, _short(found), None, report)
    if code is ExitCode.DB_NOT_READY:
        found = (
            f"not ready within {deadline:g} s — could not check it any further "
            f"(doctor's short deadline): {_first(report)}"
        )
        next_command = "jyoti-doctor probe-db --deadline 120"
    elif code is ExitCode.DB_REFUSED:
        found = f"refused for good: {_first(report)}"
        next_command = "jyoti-doctor probe-db"
    else:
        found = _counts_text(report) + f" — {_first(report)}"
        next_command = "jyoti-doctor probe-db"
    return CheckResult(Check.DB, Mark.FAIL, code, _short(found, 240), next_command, report)


def doctor(
    project_dir: Path,
    settings: Settings,
    *,
    skip: frozenset[Check] = frozenset(),
    db_deadline: float = DEFAULT_DB_DEADLINE,
) -> Report:
    """Run the checks in start-up order and summarise them in one report."""
    if not project_dir.is_dir():
        raise UsageError(f"not a directory: {project_dir}")

    def timed(fn: Callable[[], CheckResult]) -> CheckResult:
        started = time.monotonic()
        result = fn()
        return replace(result, seconds=time.monotonic() - started)

    def guarded(check: Check, fn: Callable[[], CheckResult]) -> CheckResult:
        # A pathological file (a 20,000-term expression) must not end the whole summary.
        try:
            return timed(fn)
        except (RecursionError, MemoryError) as exc:
            return CheckResult(
                check,
                Mark.FAIL,
                ExitCode.FINDINGS,
                f"not checked: a file is too deeply nested to analyse ({type(exc).__name__})",
            )

    def skipped(check: Check) -> CheckResult:
        return CheckResult(check, Mark.SKIPPED, ExitCode.OK, "skipped (--skip)")

    # Start-up runs before imports in code so the import line can name the fix that suits the
    # start command; they are shown (and happen, for the app) in the documented order.
    fix_command: str | None = None
    startup_result: StartupResult | None = None
    unjudged = "no known start command"
    if Check.STARTUP in skip:
        startup = skipped(Check.STARTUP)
        unjudged = "the start-up check is skipped"
    else:
        started = time.monotonic()
        try:
            startup_line = check_startup_line(project_dir, settings)
        except (RecursionError, MemoryError) as exc:
            startup_line = _StartupLine(
                CheckResult(
                    Check.STARTUP,
                    Mark.FAIL,
                    ExitCode.FINDINGS,
                    f"not checked: a file is too deeply nested to analyse ({type(exc).__name__})",
                )
            )
            unjudged = "the start-up check could not run"
        startup = replace(startup_line.line, seconds=time.monotonic() - started)
        fix_command = startup_line.recommended_command
        startup_result = startup_line.result
    # Routes are registered once the app has imported: listed only when start-up does not
    # already predict that the import fails (the routes line would repeat it, slowly).
    routes: CheckResult | None = None
    if Check.ROUTES in skip:
        routes = skipped(Check.ROUTES)
    elif startup_result is not None and startup_result.prediction.fatal is None:
        started = time.monotonic()
        found_routes = check_routes_line(project_dir, settings)
        if found_routes is not None:
            routes = replace(found_routes, seconds=time.monotonic() - started)
    results = [
        skipped(Check.ENV)
        if Check.ENV in skip
        else guarded(Check.ENV, lambda: check_env_line(project_dir, settings)),
        skipped(Check.IMPORTS)
        if Check.IMPORTS in skip
        else guarded(
            Check.IMPORTS,
            lambda: check_imports_line(
                project_dir, settings, fix_command, startup_result, unjudged
            ),
        ),
        startup,
        *([routes] if routes is not None else []),
        skipped(Check.DB)
        if Check.DB in skip
        else guarded(Check.DB, lambda: check_db_line(project_dir, settings, db_deadline)),
    ]

    findings: list[Finding] = []
    for result in results:
        if result.report is not None:
            findings.extend(result.report.findings)
        elif result.code is ExitCode.FINDINGS:
            # A check that could not run fails the run (a skipped check is never a pass); the
            # finding says which, so every format carries the reason for the exit code.
            findings.append(
                Finding.make(
                    Rule.NOT_CHECKED,
                    mask_text(f"{TITLES[result.check]}: {result.found}"),
                    severity=Severity.WARNING,
                )
            )
    status = combine_exit_codes([r.code for r in results])
    lines = [f"Doctor summary for {_arg(project_dir)} (checks in start-up order):"]
    for result in results:
        lines.append(f"[{result.mark}] {TITLES[result.check]}: {result.found}")
        if result.next_command:
            lines.append(f"    → {result.next_command}")
    first_next = next((r.next_command for r in results if r.next_command), None)
    not_checked = [TITLES[r.check] for r in results if r.mark is not Mark.SKIPPED and not r.checked]
    if not_checked:
        lines.append(f"Not checked: {', '.join(not_checked)} (see above).")
    if first_next:
        lines.append(f"Next: {first_next}")
    elif not_checked:
        lines.append("No issues found in what was checked; the rest was not checked (see above).")
    else:
        lines.append("No issues found.")
    summary: dict[str, SummaryValue] = {
        "checks": len([r for r in results if r.mark is not Mark.SKIPPED]),
        "not_checked": len(not_checked),
        "next": mask_text(first_next or ""),
    }
    checks: list[JsonValue] = [
        {
            "mark": r.mark.value,
            "check": TITLES[r.check],
            "found": mask_text(r.found),
            "next": mask_text(r.next_command or ""),
            "exit_code": str(int(r.code)),
            "seconds": f"{r.seconds:.1f}",
        }
        for r in results
    ]
    return Report(
        command="doctor",
        findings=tuple(findings),
        summary=summary,
        details={"checks": checks},
        status=status,
        text=mask_text("\n".join(lines)),
    )


__all__ = ["CHECKS", "Check", "CheckResult", "doctor"]
