"""The JSON format: one document on stdout with stable key names; never produced through Rich."""

from __future__ import annotations

import json
from typing import Any

from ..findings import Finding, Report
from . import RenderOptions

SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "location": None
        if loc is None
        else {
            "path": loc.path,
            "line": loc.line,
            "column": loc.col,
            "end_line": loc.end_line,
            "end_column": loc.end_col,
        },
        "source": finding.source,
        "fix": None
        if finding.fix is None
        else {
            "applicability": finding.fix.applicability.value,
            "replacement": finding.fix.replacement,
            "reason": finding.fix.reason,
        },
    }


def report_to_dict(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    options = options or RenderOptions()
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "findings": [finding_to_dict(f) for f in report.findings],
        "summary": {
            **report.summary,
            "counts": {s.value: n for s, n in report.severity_counts().items()},
            "exit_code": int(report.exit_code(exit_zero=options.exit_zero)),
        },
    }
    for section in report.sections:
        doc.setdefault("sections", {})[section.key] = [
            dict(zip(section.columns, row, strict=True)) for row in section.rows
        ]
    if report.details:
        doc["details"] = report.details
    if report.text is not None:
        doc["text"] = report.text
    return doc


def render_json(report: Report, options: RenderOptions) -> str:
    # Compact: with an indent the json module falls back to its pure-Python encoder (~10x slower).
    return (
        json.dumps(report_to_dict(report, options), ensure_ascii=False, separators=(",", ":"))
        + "\n"
    )
