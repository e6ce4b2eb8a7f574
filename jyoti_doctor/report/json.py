"""The JSON format: one document on stdout with stable key names; never produced through Rich.

The document is always valid UTF-8. A file name whose bytes are not UTF-8 reaches Python as
lone surrogates (``surrogateescape``); each is written as the four characters ``\\xNN``, the
byte it stands for (``b"\\xff\\xfe.py"`` becomes the string ``"\\\\xff\\\\xfe.py"`` in JSON, shown
``\\xff\\xfe.py``). Control characters use JSON's own escapes.
"""

from __future__ import annotations

import json
import re
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


_KIND = {2: "usage", 70: "internal", 130: "interrupted"}
# Lone surrogates can only occur inside JSON strings, so one pass over the text is exact.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match[0])
    # A JSON-escaped backslash, then xNN (the byte a surrogateescape'd name held) or uNNNN.
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\\\x{code - 0xDC00:02x}"
    return f"\\\\u{code:04x}"


def dumps_utf8(doc: object) -> str:
    """``doc`` as compact JSON that encodes to UTF-8 whatever strings it holds."""
    # Compact: with an indent the json module falls back to its pure-Python encoder (~10x slower).
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if text.isascii():  # asked of the string's header, not its characters: the common case
        return text + "\n"
    return _SURROGATE.sub(_escape_surrogate, text) + "\n"


def render_json(report: Report, options: RenderOptions) -> str:
    return dumps_utf8(report_to_dict(report, options))


def render_json_error(command: str, code: int, message: str) -> str:
    """The document for a run that ended in a usage (2) or internal (70) error: no findings,
    the exit code, and the (masked) message, so a CI step can always parse stdout."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "findings": [],
        "summary": {"counts": {"error": 0, "warning": 0, "info": 0}, "exit_code": code},
        "error": {"kind": _KIND.get(code, "internal"), "message": message},
    }
    return dumps_utf8(doc)
