"""The statement scanner's literal-first searches match exactly what their regexes match."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jyoti_doctor.imports.quick import _TOP_LEVEL_IF, _dynamic_word, _keyword_lines, _top_level_ifs
from jyoti_doctor.imports.scan import _DYNAMIC_CALLS

# The definitions. The lines that start with an import:
_CANDIDATE = re.compile(rb"\n[ \t\f]*(?:import|from)(?=[ \t\f\\(])")
_FIRST_CANDIDATE = re.compile(rb"[ \t\f]*(?:import|from)(?=[ \t\f\\(])")
# An import that does not start its line: `x = 1; import y`, `if c: import y`, `try: from ...`.
_INLINE_IMPORT = re.compile(rb"[;:][ \t\f]*(?:import|from)[ \t\f\\(]")
# A call named like a dynamic import, as a whole word.
_DYNAMIC_WORD = re.compile(
    rb"(?<![\w])(?:" + b"|".join(n.encode() for n in sorted(_DYNAMIC_CALLS)) + rb")(?![\w])"
)


def _by_regexes(data: bytes) -> tuple[list[int], bool]:
    starts = [m.start() + 1 for m in _CANDIDATE.finditer(data)]
    if _FIRST_CANDIDATE.match(data):
        starts.insert(0, 0)
    return starts, _INLINE_IMPORT.search(data) is not None


pieces = st.sampled_from(
    [
        b"import",
        b"from",
        b"patch",
        b"reload",
        b"import_module",
        b"__import__",
        b"find_spec",
        b"import_string",
        b";",
        b":",
        b" ",
        b"\t",
        b"\f",
        b"\\",
        b"(",
        b"\n",
        b"_",
        b"x",
        b"9",
        b".",
        b"\xc3\xa9",
        b"'",
        b"if",
        b"elif",
        b"\nif",
    ]
)
gap = st.lists(st.sampled_from([b" ", b"\t", b"\f", b"x"]), max_size=3).map(b"".join)
# Near-misses of an inline import: separator, gap, keyword, the byte after it.
inline = st.tuples(
    st.sampled_from([b";", b":", b"x", b"", b"\n"]),
    gap,
    st.sampled_from([b"import", b"from", b"impor", b"_import"]),
    st.sampled_from([b" ", b"\t", b"\f", b"\\", b"(", b"x", b"_", b""]),
).map(b"".join)
texts = st.lists(st.one_of(pieces, inline), max_size=12).map(b"".join)


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_searches_equal_their_regexes(data: bytes) -> None:
    assert _dynamic_word(data) == (_DYNAMIC_WORD.search(data) is not None)
    assert _keyword_lines(data) == _by_regexes(data)
    assert _top_level_ifs(data) == [m.end() - 2 for m in _TOP_LEVEL_IF.finditer(data)]


def test_searches_equal_their_regexes_on_the_stdlib() -> None:
    stdlib = Path(sys.modules["json"].__file__ or "").parent.parent
    files = sorted(stdlib.glob("*.py")) + sorted(stdlib.glob("*/*.py"))
    assert len(files) > 300
    for path in files:
        data = path.read_bytes()
        assert _dynamic_word(data) == (_DYNAMIC_WORD.search(data) is not None), path
        assert _keyword_lines(data) == _by_regexes(data), path
        assert _top_level_ifs(data) == [m.end() - 2 for m in _TOP_LEVEL_IF.finditer(data)], path
