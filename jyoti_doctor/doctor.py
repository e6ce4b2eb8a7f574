"""``doctor``: every check in the order the app's own start-up meets them, one summary.

The environment is read first, then the code is imported (scan-imports, check-startup), then the
database is connected to, with a short deadline so the whole run stays quick. Each check is a
line with ✓ (fine), ! (warnings), ✗ (errors, or could not be checked) and the one command to run
next. A check whose module cannot be loaded is reported as not available, never as passing.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .config import Config
from .errors import UsageError
from .findings import ExitCode, Finding, Report, Severity, combine_exit_codes
from .masking import mask_text


class Check(StrEnum):
    """The checks, in the order the app's own start-up meets them."""

    ENV = "env"
    IMPORTS = "imports"
    STARTUP = "startup"
    DB = "db"


CHECKS = tuple(Check)
TITLES = {"env": "Environment", "imports": "Imports", "startup": "Start-up", "db": "Database"}
DEFAULT_DB_DEADLINE = 5.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    mark: str  # ✓ ! ✗ or - (skipped)
    code: ExitCode
    found: str
    next_command: str | None = None
    report: Report | None = None
    seconds: float = 0.0

    @property
    def checked(self) -> bool:
        return self.report is not None


def _mark(report: Report) -> str:
    code = report.exit_code()
    if code is ExitCode.OK:
        return "✓"
    counts = report.severity_counts()
    if code is ExitCode.FINDINGS and counts["error"] == 0:
        return "!"
    return "✗"


def _counts_text(report: Report) -> str:
    counts = report.severity_counts()
    parts = [f"{counts[k]} {k}(s)" for k in ("error", "warning", "info") if counts[k]]
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


def _load(module: str, attr: str) -> Callable[..., Report] | str:
    """The check's core function, or why it cannot be loaded."""
    try:
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        parts = module.split(".")
        if exc.name in {".".join(parts[:i]) for i in range(1, len(parts) + 1)}:
            return f"this jyoti-doctor has no {module} (the check is not available)"
        return f"the check failed to load (ModuleNotFoundError: {exc})"
    except ImportError as exc:
        return f"the check failed to load (ImportError: {exc})"
    except AttributeError:
        return f"{module} has no {attr} (the check is not available)"


def _unavailable(name: str, reason: str) -> CheckResult:
    return CheckResult(
        name, "✗", ExitCode.INTERNAL, f"not checked: {reason}", "pip install --upgrade jyoti-doctor"
    )


def _usage(name: str, exc: UsageError, next_command: str) -> CheckResult:
    return CheckResult(name, "✗", ExitCode.USAGE, f"not checked: {exc}", next_command)


def _arg(path: Path) -> str:
    text = str(path)
    return text if text not in ("", ".") else "."


def check_env_line(project_dir: Path, config: Config) -> CheckResult:
    check_env = _load("jyoti_doctor.env.check", "check_env")
    if isinstance(check_env, str):
        return _unavailable("env", check_env)
    try:
        report = check_env(project_dir, config)
    except UsageError as exc:
        return _usage("env", exc, f"jyoti-doctor check-env {_arg(project_dir)}")
    code = report.exit_code()
    found = _counts_text(report)
    if code is not ExitCode.OK:
        found += f" — {_first(report)}"
    return CheckResult(
        "env",
        _mark(report),
        code,
        _short(found),
        None if code is ExitCode.OK else f"jyoti-doctor check-env {_arg(project_dir)}",
        report,
    )


def check_imports_line(project_dir: Path, config: Config, fix_command: str | None) -> CheckResult:
    scan = _load("jyoti_doctor.imports.run", "scan_imports")
    if isinstance(scan, str):
        return _unavailable("imports", scan)
    try:
        report = scan([project_dir], config)
    except UsageError as exc:
        return _usage("imports", exc, f"jyoti-doctor scan-imports {_arg(project_dir)}")
    code = report.exit_code()
    summary = report.summary
    found = (
        f"{_counts_text(report)} in {summary.get('files', 0)} file(s) "
        f"(packages: {summary.get('packages', '?')}; safe fixes: {summary.get('fixable', 0)})"
    )
    next_command = None
    if code is not ExitCode.OK:
        next_command = fix_command or f"jyoti-doctor fix-imports {_arg(project_dir)}"
    return CheckResult("imports", _mark(report), code, _short(found, 200), next_command, report)


def check_startup_line(project_dir: Path, config: Config) -> CheckResult:
    check_startup = _load("jyoti_doctor.startup.check", "check_startup")
    if isinstance(check_startup, str):
        return _unavailable("startup", check_startup)
    from .startup.check import NoStartCommand

    try:
        report = check_startup(project_dir, config)
    except NoStartCommand:
        return CheckResult(
            "startup",
            "!",
            ExitCode.FINDINGS,
            "not checked: no start command found ([tool.jyoti-doctor] start, Procfile, "
            "render.yaml, Dockerfile)",
            f"jyoti-doctor check-startup 'uvicorn main:app' --project {_arg(project_dir)}",
        )
    except UsageError as exc:
        return _usage("startup", exc, f"jyoti-doctor check-startup --project {_arg(project_dir)}")
    code = report.exit_code()
    found = (
        f"`{report.summary.get('start_command')}` ({report.summary.get('from')}): "
        f"{report.summary.get('predicted')}"
    )
    worst = next((f"{f.code} {f.message}" for f in report.findings if f.counts), "")
    if worst:
        found += f" — {worst}"
    next_command = report.details.get("recommended_command") if code is not ExitCode.OK else None
    if code is not ExitCode.OK and not next_command:
        next_command = f"jyoti-doctor check-startup --project {_arg(project_dir)}"
    return CheckResult("startup", _mark(report), code, _short(found, 240), next_command, report)


def check_db_line(project_dir: Path, config: Config, deadline: float) -> CheckResult:
    probe_db = _load("jyoti_doctor.db.probe", "probe_db")
    if isinstance(probe_db, str):
        return _unavailable("db", probe_db)
    try:
        # No explicit env file: DATABASE_URL from the environment, then the project's .env, the
        # way the app's own load_dotenv() sees it.
        report = probe_db(project_dir=project_dir, config=config, deadline=deadline)
    except UsageError as exc:
        return _usage("db", exc, f"jyoti-doctor check-env {_arg(project_dir)}")
    code = report.exit_code()
    if code is ExitCode.OK:
        found = "ready" + (f" — {_first(report)}" if _first(report) else "")
        return CheckResult("db", _mark(report), code, _short(found), None, report)
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
    return CheckResult("db", "✗", code, _short(found, 240), next_command, report)


def doctor(
    project_dir: Path,
    config: Config,
    *,
    skip: frozenset[str] = frozenset(),
    db_deadline: float = DEFAULT_DB_DEADLINE,
) -> Report:
    """Run the checks in start-up order and summarise them in one report."""
    unknown = set(skip) - set(CHECKS)
    if unknown:
        raise UsageError(
            f"unknown check(s) to skip: {', '.join(sorted(unknown))} "
            f"(choose from {', '.join(CHECKS)})"
        )
    if not project_dir.is_dir():
        raise UsageError(f"not a directory: {project_dir}")
    results: list[CheckResult] = []

    def timed(fn: Callable[[], CheckResult]) -> CheckResult:
        started = time.monotonic()
        result = fn()
        return dataclasses.replace(result, seconds=time.monotonic() - started)

    def skipped(name: str) -> CheckResult:
        return CheckResult(name, "-", ExitCode.OK, "skipped (--skip)")

    # Start-up runs before imports in code so the import line can name the fix that suits the
    # start command; they are shown (and happen, for the app) in the documented order.
    startup = (
        skipped("startup")
        if "startup" in skip
        else timed(lambda: check_startup_line(project_dir, config))
    )
    fix_command = startup.report.details.get("recommended_command") if startup.report else None
    results.append(
        skipped("env") if "env" in skip else timed(lambda: check_env_line(project_dir, config))
    )
    results.append(
        skipped("imports")
        if "imports" in skip
        else timed(lambda: check_imports_line(project_dir, config, fix_command))
    )
    results.append(startup)
    results.append(
        skipped("db")
        if "db" in skip
        else timed(lambda: check_db_line(project_dir, config, db_deadline))
    )

    findings: list[Finding] = []
    for result in results:
        if result.report is not None:
            findings.extend(result.report.findings)
    status = combine_exit_codes([r.code for r in results])
    lines = [f"Doctor summary for {_arg(project_dir)} (checks in start-up order):"]
    for result in results:
        lines.append(f"[{result.mark}] {TITLES[result.name]}: {result.found}")
        if result.next_command:
            lines.append(f"    → {result.next_command}")
    first_next = next((r.next_command for r in results if r.next_command), None)
    not_checked = [TITLES[r.name] for r in results if r.mark != "-" and not r.checked]
    if not_checked:
        lines.append(f"Not checked: {', '.join(not_checked)} (see above).")
    lines.append(f"Next: {first_next}" if first_next else "No issues found.")
    return Report(
        command="doctor",
        findings=tuple(findings),
        summary={
            "checks": len([r for r in results if r.mark != "-"]),
            "not_checked": len(not_checked),
            "next": first_next or "",
        },
        sections=(),
        details={
            "checks": [
                {
                    "mark": r.mark,
                    "check": TITLES[r.name],
                    "found": r.found,
                    "next": r.next_command or "",
                    "exit_code": str(int(r.code)),
                    "seconds": f"{r.seconds:.1f}",
                }
                for r in results
            ]
        },
        status=status,
        text=mask_text("\n".join(lines)),
    )


__all__ = ["CHECKS", "Check", "CheckResult", "doctor"]
