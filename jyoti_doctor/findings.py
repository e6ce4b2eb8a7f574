"""Findings, reports, and the one rule that turns results into an exit code.

Every command's core returns its own typed result; at the edge, its ``to_report()`` builds a
:class:`Report` of :class:`Finding` objects and typed sections. Reporters render only that,
and :meth:`Report.exit_code` alone decides how the process exits (docs/contract.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TypeAlias

from .rules import Applicability, Rule, Severity

__all__ = [
    "Applicability",
    "ExitCode",
    "Finding",
    "Fix",
    "JsonValue",
    "Location",
    "Panel",
    "PanelLine",
    "Report",
    "Rule",
    "Section",
    "Severity",
    "SummaryValue",
    "combine_exit_codes",
]


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    DB_NOT_READY = 3
    DB_REFUSED = 4
    INTERNAL = 70
    INTERRUPTED = 130


# When several checks end with different codes, the most important one wins.
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
    """One problem found: a rule, where, and the fix when there is one."""

    rule: Rule
    message: str
    severity: Severity
    location: Location | None = None
    fix: Fix | None = None
    # The offending text as written (an import statement, a variable name...), already masked.
    source: str | None = None

    @classmethod
    def make(
        cls,
        rule: Rule,
        message: str,
        *,
        severity: Severity | None = None,
        location: Location | None = None,
        fix: Fix | None = None,
        source: str | None = None,
    ) -> Finding:
        """A finding with the rule's default severity unless one is given."""
        return cls(
            rule=rule,
            message=message,
            severity=severity or rule.severity,
            location=location,
            fix=fix,
            source=source,
        )

    @property
    def code(self) -> str:
        """The rule's stable code, ``JD101``."""
        return self.rule.code

    @property
    def counts(self) -> bool:
        """Only errors and warnings change the exit code; info is reported, never counted."""
        return self.severity is not Severity.INFO


# What the machine formats may carry beyond findings: plain JSON values, typed, never ``Any``.
JsonValue: TypeAlias = "str | int | float | bool | None | list[JsonValue] | dict[str, JsonValue]"
SummaryValue: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True)
class Section:
    """A command-specific table (env variables, probe attempts...) every reporter can render.

    ``key`` is the section's stable name in the JSON document; ``title`` is for people and may
    change without breaking ``schema_version``.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PanelLine:
    """A labelled row of a panel."""

    label: str
    value: str
    style: str | None = None


@dataclass(frozen=True)
class Panel:
    """A boxed verdict the human format draws first (probe-db's). ``replaces`` names the
    sections whose content the panel already shows, so the human format skips those tables."""

    title: str
    style: str
    lines: tuple[PanelLine, ...]
    replaces: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Report:
    """Everything a command found, ready for any reporter.

    ``status`` carries an outcome that is not a finding count (a database verdict, a usage
    error met half way); :meth:`exit_code` combines it with the findings.
    """

    command: str
    findings: tuple[Finding, ...] = ()
    summary: Mapping[str, SummaryValue] = field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    # Extra records for the machine formats only (probe attempts, the observed launch...).
    details: Mapping[str, JsonValue] = field(default_factory=dict)
    status: ExitCode = ExitCode.OK
    # Free text shown after the findings (a diff, a recommendation); never contains secrets.
    text: str | None = None
    panel: Panel | None = None

    def exit_code(self, *, exit_zero: bool = False) -> ExitCode:
        """The process exit code; ``exit_zero`` (``--exit-zero``) turns findings into 0."""
        code = self.status
        if any(f.counts for f in self.findings):
            code = combine_exit_codes([code, ExitCode.FINDINGS])
        if exit_zero and code is ExitCode.FINDINGS:
            return ExitCode.OK
        return code

    def severity_counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(Severity, 0)
        for f in self.findings:
            counts[f.severity] += 1
        return counts
