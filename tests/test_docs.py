"""Every finding code is documented: a heading in docs/ and a row in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jyoti_doctor.rules import Rule

CODES = {rule.code for rule in Rule}

REPO = Path(__file__).resolve().parent.parent


def test_every_code_has_a_doc_entry() -> None:
    docs = "\n".join(p.read_text() for p in (REPO / "docs").glob("*.md"))
    headed = set(re.findall(r"^#{2,4} .*?\b(JD\d{3})\b", docs, flags=re.MULTILINE))
    assert sorted(set(CODES) - headed) == []


@pytest.mark.parametrize("rule", list(Rule), ids=lambda r: r.code)
def test_every_rule_anchor_exists(rule: Rule) -> None:
    """The registry's doc anchor points at a real heading in the page it names."""
    page, anchor = rule.doc_anchor.split("#")
    text = (REPO / page).read_text()
    assert f'<a id="{anchor}"></a>' in text
    heading = text.split(f'<a id="{anchor}"></a>', 1)[1].lstrip().splitlines()[0]
    assert heading.startswith("#") and rule.code in heading


def test_every_code_is_in_the_readme_table() -> None:
    readme = (REPO / "README.md").read_text()
    rows = set(re.findall(r"^\| (JD\d{3}) \|", readme, flags=re.MULTILINE))
    assert sorted(set(CODES) - rows) == []
    assert sorted(rows - set(CODES)) == []


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/test.sh" in ci
