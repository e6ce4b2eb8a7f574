"""Each rule's documentation, cut out of docs/*.md, for formats that carry it (SARIF).

The pages are the one source: in a source checkout they are read from ``docs/``; a built wheel
carries copies in ``jyoti_doctor/_docs/`` (setup.py adds them at build time). When neither is
there, a rule simply has no long description; nothing is made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..rules import Rule

_PACKAGE = Path(__file__).resolve().parent.parent
_HEADING = re.compile(r"^#{1,6} ")
_ANCHOR = re.compile(r'^<a id="[^"]+"></a>\s*$')


@dataclass(frozen=True)
class RuleDoc:
    heading: str  # "JD101 — absolute self-import (safe fix)"
    summary: str  # the first paragraph after the heading
    markdown: str  # the whole entry, heading excluded


def docs_dir() -> Path | None:
    """Where the pages are: the wheel's copy first, else the checkout's ``docs/``."""
    for candidate in (_PACKAGE / "_docs", _PACKAGE.parent / "docs"):
        if (candidate / "imports.md").is_file():
            return candidate
    return None


def _entry(text: str, anchor: str) -> RuleDoc | None:
    marker = f'<a id="{anchor}"></a>'
    if marker not in text:
        return None
    lines = text.split(marker, 1)[1].strip("\n").splitlines()
    if not lines or not _HEADING.match(lines[0]):
        return None
    heading = _HEADING.sub("", lines[0]).strip()
    body: list[str] = []
    for line in lines[1:]:
        # The entry ends where the next one (its anchor) or the next heading begins.
        if _ANCHOR.match(line) or _HEADING.match(line):
            break
        body.append(line)
    markdown = "\n".join(body).strip()
    summary = markdown.split("\n\n", 1)[0].replace("\n", " ").strip()
    return RuleDoc(heading, summary, markdown)


@cache
def rule_docs() -> dict[Rule, RuleDoc]:
    """The documentation entry of every rule that has one."""
    directory = docs_dir()
    if directory is None:
        return {}
    pages: dict[str, str] = {}
    found: dict[Rule, RuleDoc] = {}
    for rule in Rule:
        if rule.doc not in pages:
            try:
                pages[rule.doc] = (directory / rule.doc).read_text(encoding="utf-8")
            except OSError:
                pages[rule.doc] = ""
        entry = _entry(pages[rule.doc], rule.code.lower())
        if entry is not None:
            found[rule] = entry
    return found
