"""Findings, their codes, and the one rule that turns results into an exit code.

Every command produces :class:`Finding` objects and a :class:`Report`; reporters render a
report, and :func:`Report.exit_code` alone decides how the process exits (SPEC §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(StrEnum):
    """How safe a fix is, in ruff's sense."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    DB_NOT_READY = 3
    DB_REFUSED = 4
    INTERNAL = 70
    INTERRUPTED = 130


# When several checks end with different codes, the most important one wins (SPEC §4).
_PRIORITY = (
    ExitCode.INTERRUPTED,
    ExitCode.USAGE,
    ExitCode.INTERNAL,
    ExitCode.DB_REFUSED,
    ExitCode.DB_NOT_READY,
    ExitCode.FINDINGS,
    ExitCode.OK,
)


def combine_exit_codes(codes: list[ExitCode] | tuple[ExitCode, ...]) -> ExitCode:
    """The highest-priority code among ``codes`` (2 > 70 > 4 > 3 > 1 > 0)."""
    present = set(codes)
    for code in _PRIORITY:
        if code in present:
            return code
    return ExitCode.OK


@dataclass(frozen=True)
class CodeInfo:
    code: str
    title: str
    severity: Severity


CODES: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo("JD101", "absolute self-import", Severity.ERROR),
        CodeInfo("JD102", "`import pkg.mod` with no relative form", Severity.WARNING),
        CodeInfo("JD103", "self-import in a script file (unsafe fix)", Severity.WARNING),
        CodeInfo("JD104", "dynamic self-reference in a string", Severity.INFO),
        CodeInfo("JD105", "kept absolute by --max-level", Severity.INFO),
        CodeInfo("JD190", "file unreadable or unparsable", Severity.ERROR),
        CodeInfo("JD191", "file changed on disk while fixing; not written", Severity.ERROR),
        CodeInfo("JD199", "internal error: a rewrite failed verification", Severity.ERROR),
        CodeInfo("JD201", "module not found at startup", Severity.ERROR),
        CodeInfo("JD202", "relative import with no known parent package", Severity.ERROR),
        CodeInfo("JD203", "relative import beyond top-level package", Severity.ERROR),
        CodeInfo("JD204", "failing import swallowed by try/except", Severity.WARNING),
        CodeInfo("JD205", "entry module or app object not found", Severity.ERROR),
        CodeInfo("JD301", "missing required variable", Severity.ERROR),
        CodeInfo("JD302", "malformed value", Severity.ERROR),
        CodeInfo("JD303", "placeholder value", Severity.ERROR),
        CodeInfo("JD304", "stray quotes, whitespace or invisible characters", Severity.WARNING),
        CodeInfo("JD305", ".env value shadowed by the real environment", Severity.INFO),
        CodeInfo("JD306", ".env syntax problem", Severity.WARNING),
        CodeInfo("JD307", ".env tracked by git or not ignored", Severity.WARNING),
        CodeInfo("JD308", "secret in a client-exposed variable", Severity.ERROR),
        CodeInfo("JD401", "database not ready by the deadline", Severity.ERROR),
        CodeInfo("JD402", "authentication failed", Severity.ERROR),
        CodeInfo("JD403", "database does not exist", Severity.ERROR),
        CodeInfo("JD404", "host unknown or network unreachable", Severity.ERROR),
        CodeInfo("JD405", "pooler configuration advice", Severity.INFO),
        CodeInfo("JD406", "server in recovery / read-only", Severity.WARNING),
        CodeInfo("JD407", "connection URL adjusted for libpq (driver suffix)", Severity.INFO),
    )
}


@dataclass(frozen=True)
class Location:
    """A 1-based position in a file; ``end_*`` are optional."""

    path: str
    line: int | None = None
    col: int | None = None
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.col is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Fix:
    """A proposed change: what it becomes, and whether it may be applied automatically."""

    applicability: Applicability
    replacement: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: Severity
    location: Location | None = None
    fix: Fix | None = None
    # The offending text as written (an import statement, a variable name...), already masked.
    source: str | None = None

    @classmethod
    def make(
        cls,
        code: str,
        message: str,
        *,
        severity: Severity | None = None,
        location: Location | None = None,
        fix: Fix | None = None,
        source: str | None = None,
    ) -> Finding:
        """A finding with the code's default severity unless one is given."""
        return cls(
            code=code,
            message=message,
            severity=severity or CODES[code].severity,
            location=location,
            fix=fix,
            source=source,
        )

    @property
    def counts(self) -> bool:
        """Only errors and warnings change the exit code; info is reported, never counted."""
        return self.severity is not Severity.INFO


@dataclass(frozen=True)
class Section:
    """A command-specific table (env variables, probe attempts...) every reporter can render."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Shown inside the command's own panel by the human format (not as a table of its own).
    panel: bool = False


@dataclass(frozen=True)
class Report:
    """Everything a command found, ready for any reporter.

    ``status`` carries an outcome that is not a finding count (a database verdict, a usage
    error met half way); :meth:`exit_code` combines it with the findings.
    """

    command: str
    findings: tuple[Finding, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    status: ExitCode = ExitCode.OK
    # Free text shown after the findings (a diff, a recommendation); never contains secrets.
    text: str | None = None
    # --exit-zero: findings do not fail the command (every reporter shows the same exit code).
    exit_zero: bool = False
    # The rich format may show only the counts and the text (doctor without -v); the machine
    # formats always carry every finding.
    list_findings: bool = True

    def exit_code(self, *, exit_zero: bool | None = None) -> ExitCode:
        code = self.status
        if any(f.counts for f in self.findings):
            code = combine_exit_codes([code, ExitCode.FINDINGS])
        if exit_zero is None:
            exit_zero = self.exit_zero
        if exit_zero and code is ExitCode.FINDINGS:
            return ExitCode.OK
        return code

    def severity_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.value] += 1
        return counts
