"""SARIF 2.1.0, the format GitHub code scanning uploads: one run, every rule, results with fixes.

Choices worth knowing (the README's "Output formats" tells users the same):

* Locations are relative to ``%SRCROOT%``, the directory the tool ran in (the repository root in
  CI); an absolute path becomes a ``file://`` URI. Bytes of a file name that are not UTF-8 are
  percent-encoded as the bytes they are.
* ``helpUri`` must be absolute (SARIF 3.49.12) and the project has no published site, so it is
  written only when ``JYOTI_DOCTOR_SARIF_HELP_BASE`` names where ``docs/`` is served (the Action
  sets it to the action's own repository at its ref). The rule's documentation itself is always
  embedded as ``help``, so code scanning shows it either way.
* A finding without a location (a database that is down, a variable missing from the
  environment) cannot be a code-scanning alert, which needs a file; it is written as a
  notification of the invocation, linked to its rule, instead of being pinned to a made-up place.
* ``partialFingerprints`` hash the rule, the path and the finding's source text with whitespace
  collapsed (or its message with numbers removed), never line numbers, so an alert keeps its
  identity when lines move; identical findings in one file are told apart by their order.
* A ``fixes`` entry is written only for a safe fix whose replacement provably loses nothing:
  one line, no comment, and a region that spans exactly the reported source.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..findings import Applicability, Finding, Location, Report, Rule, Severity
from . import RenderOptions
from .json import dumps_utf8
from .ruledocs import rule_docs

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "jyotiDoctor/v1"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULES = tuple(Rule)
_INDEX = {rule: i for i, rule in enumerate(_RULES)}
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+")


def _help_base(options: RenderOptions) -> str | None:
    base = options.sarif_help_base
    if not base or not re.match(r"^[a-z][a-z0-9+.-]*://", base, flags=re.IGNORECASE):
        return None
    return base if base.endswith("/") else base + "/"


def rule_descriptor(rule: Rule, help_base: str | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"fix": rule.fix.value, "doc": rule.doc_anchor},
    }
    doc = rule_docs().get(rule)
    if doc is not None:
        descriptor["fullDescription"] = {"text": doc.summary, "markdown": doc.summary}
        descriptor["help"] = {"text": doc.markdown, "markdown": doc.markdown}
    if help_base is not None:
        descriptor["helpUri"] = help_base + rule.doc_anchor
    return descriptor


def artifact_location(path: str) -> dict[str, str]:
    """A URI for ``path``; undecodable bytes (surrogate-escaped) are percent-encoded as bytes."""
    raw = path.replace("\\", "/").encode("utf-8", "surrogateescape")
    if raw.startswith(b"/"):
        return {"uri": "file://" + quote(raw, safe="/")}
    return {"uri": quote(raw, safe="/"), "uriBaseId": SRCROOT}


def region(loc: Location) -> dict[str, int] | None:
    if loc.line is None or loc.line < 1:
        return None
    found = {"startLine": loc.line}
    if loc.col is not None and loc.col >= 1:
        found["startColumn"] = loc.col
    if loc.end_line is not None and loc.end_line >= loc.line:
        found["endLine"] = loc.end_line
        if loc.end_col is not None and loc.end_col >= 1:
            found["endColumn"] = loc.end_col
    return found


def fingerprint_key(finding: Finding) -> str:
    """What identifies a finding across commits: rule, path, and what it is about."""
    path = finding.location.path if finding.location else ""
    if finding.source is not None:
        what = _SPACE.sub(" ", finding.source).strip()
    else:
        what = _NUMBER.sub("#", finding.message)
    return f"{finding.code}\0{path}\0{what}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def safe_fix(finding: Finding) -> dict[str, Any] | None:
    """The fix as a SARIF replacement, when applying it literally provably loses nothing."""
    fix, loc, source = finding.fix, finding.location, finding.source
    if fix is None or fix.applicability is not Applicability.SAFE or fix.replacement is None:
        return None
    if loc is None or source is None or "\n" in source or "#" in source:
        return None
    if None in (loc.line, loc.col, loc.end_line, loc.end_col) or loc.end_line != loc.line:
        return None
    assert loc.col is not None and loc.end_col is not None
    if loc.end_col - loc.col != len(source):
        return None
    deleted = region(loc)
    return {
        "description": {"text": f"Replace with `{fix.replacement}`"},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(loc.path),
                "replacements": [
                    {"deletedRegion": deleted, "insertedContent": {"text": fix.replacement}}
                ],
            }
        ],
    }


def result(finding: Finding, fingerprint: str) -> dict[str, Any]:
    assert finding.location is not None
    physical: dict[str, Any] = {"artifactLocation": artifact_location(finding.location.path)}
    where = region(finding.location)
    if where is not None:
        physical["region"] = where
    found: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": _INDEX[finding.rule],
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    fix = safe_fix(finding)
    if fix is not None:
        found["fixes"] = [fix]
    return found


def notification(finding: Finding) -> dict[str, Any]:
    return {
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "associatedRule": {"id": finding.code, "index": _INDEX[finding.rule]},
    }


def _run(
    command: str,
    options: RenderOptions,
    *,
    results: list[dict[str, Any]],
    notifications: list[dict[str, Any]],
    exit_code: int,
    successful: bool,
) -> dict[str, Any]:
    help_base = _help_base(options)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "jyoti-doctor",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [rule_descriptor(rule, help_base) for rule in _RULES],
                    }
                },
                "automationDetails": {"id": f"jyoti-doctor/{command}/"},
                "originalUriBaseIds": {
                    SRCROOT: {"description": {"text": "The directory jyoti-doctor ran in."}}
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": successful,
                        "exitCode": exit_code,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                "properties": {"command": command},
            }
        ],
    }


def report_to_sarif(report: Report, options: RenderOptions) -> dict[str, Any]:
    seen: Counter[str] = Counter()
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for finding in report.findings:
        if finding.location is None:
            notifications.append(notification(finding))
            continue
        digest = _hash(fingerprint_key(finding))
        seen[digest] += 1
        # The first occurrence keeps the bare hash; repeats in the same file are numbered.
        fingerprint = digest if seen[digest] == 1 else f"{digest}:{seen[digest]}"
        results.append(result(finding, fingerprint))
    code = int(report.exit_code(exit_zero=options.exit_zero))
    return _run(
        report.command,
        options,
        results=results,
        notifications=notifications,
        exit_code=code,
        # A database that is down is a result, not a failed run: only 2, 70, 130 are.
        successful=code not in (2, 70, 130),
    )


def render_sarif(report: Report, options: RenderOptions) -> str:
    return dumps_utf8(report_to_sarif(report, options))


def render_sarif_error(command: str, code: int, message: str, options: RenderOptions) -> str:
    """The document for a run that ended in a usage (2) or internal (70) error."""
    note = {"level": "error", "message": {"text": message}}
    doc = _run(command, options, results=[], notifications=[note], exit_code=code, successful=False)
    return dumps_utf8(doc)


__all__ = ["FINGERPRINT_KEY", "SARIF_SCHEMA", "render_sarif", "render_sarif_error"]
