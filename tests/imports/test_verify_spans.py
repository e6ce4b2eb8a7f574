"""The second pass of the verification parses the rewritten statements alone: each must come
out exactly where a whole-file parse puts it (lines, byte columns), or not at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jyoti_doctor.imports import rewrite
from jyoti_doctor.imports.fix import FileRules, FixOptions, fix_source, run_fix
from jyoti_doctor.imports.lint import RelativeBan
from jyoti_doctor.imports.roots import infer_roots, module_info
from jyoti_doctor.imports.run import ImportSettings
from jyoti_doctor.imports.verify import _rewritten_statements
from jyoti_doctor.rules import Rule
from tests.imports._fixtrees import make_tree

# Each case: a file, and the statements (as they appear in it) that are the rewritten spans.
PLACED = {
    "top level": (
        b"import os\nfrom .. import deps\nx = 1\nfrom .deps import get_db\n",
        [
            b"from .. import deps",
            b"from .deps import get_db",
        ],
    ),
    "indented": (
        b"def f():\n    from .deps import get_db\n    return get_db\n",
        [
            b"from .deps import get_db",
        ],
    ),
    "after a block header": (
        b"if x: from .deps import a\nelse: pass\n",
        [
            b"from .deps import a",
        ],
    ),
    "after non-ASCII on its line": (
        b"s = '\xc3\xa9t\xc3\xa9'; from .deps import a\n",
        [
            b"from .deps import a",
        ],
    ),
    "over several lines": (
        b"try:\n    from .deps import (\n        a,\n  b)\nexcept E: pass\n",
        [
            b"from .deps import (\n        a,\n  b)",
        ],
    ),
    "two statements in one span": (
        b"import os; from .. import deps as d\n",
        [
            b"import os; from .. import deps as d",
        ],
    ),
    "a split import over two lines": (
        b"import os\nfrom .. import deps as d\ny = 2\n",
        [
            b"import os\nfrom .. import deps as d",
        ],
    ),
}


def _spans(data: bytes, texts: list[bytes]) -> list[tuple[int, int]]:
    spans = []
    for text in texts:
        start = data.index(text)
        spans.append((start, start + len(text)))
    return spans


def _dump(stmts: list[ast.stmt]) -> list[str]:
    return [ast.dump(s, include_attributes=True) for s in stmts]


@pytest.mark.parametrize("name", sorted(PLACED))
def test_statements_come_out_where_a_whole_file_parse_puts_them(name: str) -> None:
    data, texts = PLACED[name]
    spans = _spans(data, texts)
    tree = _rewritten_statements(data, spans, "x.py")
    assert tree is not None
    lines = data.split(b"\n")
    offset = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
    whole = [
        node
        for node in ast.walk(ast.parse(data))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any(s <= offset[node.lineno - 1] + node.col_offset < e for s, e in spans)
    ]
    assert _dump(tree.body) == _dump(whole)


@pytest.mark.parametrize(
    ("data", "texts"),
    [
        # Two spans on one line, and a span starting on the line the one before ends on.
        (b"from .a import b; from .c import d\n", [b"from .a import b", b"from .c import d"]),
        (
            b"from .a import (\n b); from .c import d\n",
            [b"from .a import (\n b)", b"from .c import d"],
        ),
        # A \r line break (the parser reads it as one; the line count here would not).
        (b"x = 1\rfrom .a import b\n", [b"from .a import b"]),
        # An indented block of two statements does not parse from its first line alone.
        (
            b"if x:\n    import os\n    from .. import deps\n",
            [b"import os\n    from .. import deps"],
        ),
    ],
)
def test_what_cannot_be_placed_exactly_is_left_to_the_whole_pass(
    data: bytes, texts: list[bytes]
) -> None:
    assert _rewritten_statements(data, _spans(data, texts), "x.py") is None


CONTINUED = {
    # `import a.b as m, os` splits in two; on a line that continues `if c: \`, a new line
    # would start a statement outside the `if`.
    "split import": (
        b"if c: \\\n    import backend.api.models as m, os\n",
        b"if c: \\\n    from . import models as m; import os\n",
    ),
    # A parenthesised import keeps its own lines: still one logical line, still rewritten.
    "parenthesised": (
        b"if c: \\\n    from backend.deps import (\n        get_db,\n    )\n",
        b"if c: \\\n    from ..deps import (\n        get_db,\n    )\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CONTINUED))
def test_a_line_that_continues_another_gets_a_rewrite_on_that_line(
    name: str, tmp_path: Path
) -> None:
    source, expected = CONTINUED[name]
    top = make_tree(tmp_path)
    path = top / "backend/api/routes.py"
    path.write_bytes(source)
    report = run_fix(ImportSettings(paths=(path,)), FixOptions(), write=True).to_report()
    assert Rule.VERIFICATION_FAILED not in [f.rule for f in report.findings]
    assert path.read_bytes() == expected
    compile(path.read_bytes(), str(path), "exec")


def test_a_new_line_on_a_continued_line_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The planner as it was: the statement taken for alone on its line.
    monkeypatch.setattr(rewrite, "_is_alone", lambda *args: True)
    source = CONTINUED["split import"][0]
    top = make_tree(tmp_path)
    path = top / "backend/api/routes.py"
    path.write_bytes(source)
    report = run_fix(ImportSettings(paths=(path,)), FixOptions(), write=True).to_report()
    assert Rule.VERIFICATION_FAILED in [f.rule for f in report.findings]
    assert path.read_bytes() == source


@pytest.mark.parametrize("check_syntax", [False, True])
def test_the_second_pass_keeps_the_projects_ban(check_syntax: bool, tmp_path: Path) -> None:
    # A lint that bans `..` keeps `from backend.deps import sub` absolute; the second pass,
    # under the same ban, must not call that unstable (it did, parsing the whole file).
    top = make_tree(tmp_path)
    path = top / "backend/api/v1/routes.py"
    source = b"from backend.api.v1.handlers import a\nfrom backend.deps import sub\n"
    info = module_info(path, list(infer_roots(top / "backend")))
    rules = FileRules(ban=RelativeBan(1, "ruff TID252"))
    fixed = fix_source(source, str(path), info, FixOptions(check_syntax=check_syntax), rules)
    assert fixed.error is None
    assert fixed.new == b"from .handlers import a\nfrom backend.deps import sub\n"
