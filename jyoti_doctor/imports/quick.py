"""Scanning without parsing the whole file: find the import statements, parse only those.

Parsing is nearly all the cost of a scan, and nearly all of a file is not imports. A search for
the keywords finds the lines that start with ``import`` or ``from``; a string- and comment-aware
pass drops those inside a multi-line string; the remaining statements are cut out at their exact
byte spans and parsed together, once, at their own line numbers, so every position ``ast``
reports is the position in the file. Whatever this module is not sure of, it declines (returns
``None``) and the caller parses the whole file, as before:

* NUL bytes, a byte-order mark, ``\\r`` line breaks, bytes that are not UTF-8 or a coding
  cookie naming another encoding;
* a possible ``if __name__ == "__main__":`` block (it needs the whole tree);
* a possible dynamic reference (JD104) whose logical line does not parse alone (a ``case``
  clause) or is also a scanned import statement;
* an import after ``;`` or after a block header's ``:`` on the same line;
* on Python 3.12 and later, any f-string (PEP 701 lets them nest quotes);
* statements that do not parse on their own, or parse as anything but one import each.

A possible dynamic reference needs only the logical lines holding a string that starts with the
package's name: a bracket-, string- and comment-aware pass finds where each of them begins and
ends, and each is parsed alone at its own position: a block header with a stand-in body after
it, a clause (``elif``, ``except``...) with a stand-in statement to continue before it.

A file with a syntax error outside its imports is therefore not reported here (only the
``--check-syntax`` whole-file parse sees it); everything else is found exactly as the whole-file
parse finds it (tests/imports/test_quick_differential.py).
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from collections.abc import Iterator, Sequence

from .roots import ModuleInfo
from .scan import _DYNAMIC_CALLS, FileScan, ScanOptions, scan_tree

_SIMPLE_END = re.compile(rb"[^\n(\\#'\";]*\n")
_STRING_OR_COMMENT = re.compile(
    rb"'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    rb"|'(?:[^'\\\n]|\\.)*'"
    rb'|"(?:[^"\\\n]|\\.)*"'
    rb"|\#[^\n]*",
    re.DOTALL,
)
# What decides where a logical line ends: strings and comments (a bracket or a line break inside
# one does not count), brackets, and a backslash that joins the next line.
_LOGICAL_TOKEN = re.compile(_STRING_OR_COMMENT.pattern + rb"|[()\[\]{}]|\\\n", re.DOTALL)
# The clauses that continue a compound statement begun on an earlier line.
_CLAUSE = re.compile(rb"(?:elif|else|except|finally)(?![\w])")
# A form feed resets the column: blanks ending in one indent nothing.
_TOP_LEVEL_IF = re.compile(rb"(?:^|\n)(?:[ \t\f]*\f)?if(?![\w])")
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_FSTRING = re.compile(rb"(?<![\w])(?:[rRbB]?[fF]|[fF][rRbB])['\"]")
_UTF8 = frozenset({b"utf-8", b"utf8", b"utf_8"})
_DYNAMIC_NAMES = tuple(n.encode() for n in sorted(_DYNAMIC_CALLS))
# What `\w` matches in a bytes pattern.
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_GAP = frozenset(b" \t\f")
_WORD_BYTES = tuple(bytes([c]) for c in _WORD)
_AFTER_KEYWORD = (b" ", b"\t", b"\f", b"\\", b"(")


# Both searches below match exactly what their definitions, regexes kept in
# tests/imports/test_quick_searches.py, match, but start from `bytes.find` on a literal:
# a regex without a literal prefix tries every byte (or line) of the file, several times slower
# (tests/imports/test_quick_searches.py compares them).
def _dynamic_word(data: bytes) -> bool:
    """``_DYNAMIC_WORD.search(data)`` is not None."""
    size = len(data)
    for name in _DYNAMIC_NAMES:
        at = data.find(name)
        while at >= 0:
            end = at + len(name)
            if (at == 0 or data[at - 1] not in _WORD) and (end >= size or data[end] not in _WORD):
                return True
            at = data.find(name, at + 1)
    return False


def _keyword_lines(data: bytes) -> tuple[list[int], bool]:
    """Where the lines that start with ``import``/``from`` start (what ``_CANDIDATE`` and
    ``_FIRST_CANDIDATE`` find), and whether an import follows ``;`` or ``:``
    (``_INLINE_IMPORT``), in one pass over the keywords' occurrences."""
    starts: list[int] = []
    inline = False
    for keyword in (b"import", b"from"):
        size = len(keyword)
        at = data.find(keyword)
        while at >= 0:
            if data[at + size : at + size + 1] in _AFTER_KEYWORD:
                before = at - 1
                while before >= 0 and data[before] in _GAP:
                    before -= 1
                if before < 0:
                    starts.append(0)
                elif data[before] == 0x0A:  # \n
                    starts.append(before + 1)
                elif data[before] in b";:":
                    inline = True
            at = data.find(keyword, at + 1)
    starts.sort()
    return starts, inline


def _maybe_dynamic(data: bytes, root: bytes) -> bool:
    """Whether the file may hold a dynamic reference (JD104): a string starting with the
    package's name, and a call named like a dynamic import. The whole-file search looks at calls
    whose function is named exactly one of these, so only the whole words matter (`dispatch` and
    `autoreload` do not); a non-ASCII identifier may become one (NFKC normalization)."""
    if b'"' + root not in data and b"'" + root not in data:
        return False
    return _dynamic_word(data) or not data.isascii()


def _top_level_ifs(data: bytes) -> list[int]:
    """Where the keyword ``if`` starts a line at column 0 (a form feed resets the column, so
    blanks ending in one count as none): where every top-level ``if`` statement starts."""
    if b"\f" in data:
        return [m.end() - 2 for m in _TOP_LEVEL_IF.finditer(data)]
    starts = [0] if data.startswith(b"if") else []
    at = data.find(b"\nif")
    while at >= 0:
        starts.append(at + 1)
        at = data.find(b"\nif", at + 1)
    return [i for i in starts if data[i + 2 : i + 3] not in _WORD_BYTES]


def _bracket_depths(data: bytes, start: int = 0) -> Iterator[tuple[int, re.Match[bytes] | None]]:
    """Each token of a logical-line walk from ``start`` (outside any string), with the bracket
    depth of the code just before it, then ``(depth, None)`` for the code after the last one.
    A closing bracket without an opening one ends the walk with a depth of -1."""
    depth = 0
    for m in _LOGICAL_TOKEN.finditer(data, start):
        yield depth, m
        first = data[m.start()]
        if first in b"([{":
            depth += 1
        elif first in b")]}":
            depth -= 1
            if depth < 0:
                break
    yield depth, None


def _logical_line_end(data: bytes, start: int) -> int | None:
    """Where the logical line starting at ``start`` (outside any string) ends, or ``None``
    when its brackets do not add up."""
    pos = start
    for depth, m in _bracket_depths(data, start):
        code_end = len(data) if m is None else m.start()
        if depth == 0:
            end = data.find(b"\n", pos, code_end)
            if end >= 0:
                return end
        if m is None:
            return len(data) if depth == 0 else None
        pos = m.end()
    return None  # not reached: the walk always ends with (depth, None)


def _guard_spelt_otherwise(data: bytes) -> bool:
    """Whether an ``if __name__ == "__main__":`` block may hide behind another spelling of
    its string ("\\x5f_main__"): a top-level ``if`` whose header names ``__name__`` (in a
    non-ASCII file, any: NFKC normalization may make the name)."""
    ascii_only = data.isascii()
    if ascii_only and b"__name__" not in data:
        return False
    for start in _top_level_ifs(data):
        end = _logical_line_end(data, start)
        if not ascii_only or end is None or b"__name__" in data[start:end]:
            return True
    return False


def _unsure(data: bytes) -> bool:
    if b"\0" in data or b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
        return True
    for line in data.split(b"\n", 2)[:2]:
        cookie = _COOKIE.match(line)
        if cookie and not (
            cookie.group(1).lower() in _UTF8 or cookie.group(1).lower().startswith(b"utf-8-")
        ):
            return True
    if b"__main__" in data:
        return True
    if _guard_spelt_otherwise(data):
        return True
    return sys.version_info >= (3, 12) and _FSTRING.search(data) is not None


def _statement_end(data: bytes, start: int) -> int | None:
    """Where the logical line starting at ``start`` ends (its ``\\n``, or the end of data)."""
    simple = _SIMPLE_END.match(data, start)
    if simple is not None:
        return simple.end() - 1
    depth = 0
    i = start
    n = len(data)
    while i < n:
        c = data[i]
        if c == 0x0A:  # \n
            if depth == 0:
                return i
        elif c == 0x23:  # '#': a comment runs to the end of its line
            nl = data.find(b"\n", i)
            i = n if nl < 0 else nl
            continue
        elif c == 0x5C:  # backslash: a continuation joins the next line
            i += 2
            continue
        elif c == 0x28:  # (
            depth += 1
        elif c == 0x29:  # )
            depth -= 1
        elif c in (0x27, 0x22, 0x3B):  # a quote or ';' in an import: not sure
            return None
        i += 1
    return n if depth == 0 else None


def _logical_spans(data: bytes, offsets: Sequence[int]) -> list[tuple[int, int]] | None:
    """The logical lines holding ``offsets`` (sorted positions of quotes), each once, as byte
    spans from the start of its first physical line to the line break that ends it; ``None``
    when an offset is not in a string or comment, or the brackets do not add up."""
    spans: list[tuple[int, int]] = []
    line_start = 0  # where the current logical line's first physical line starts
    pos = 0  # the end of the previous token
    k = 0  # the next offset to place
    pending = False  # the current logical line holds an offset
    depth = 0
    for depth, m in _bracket_depths(data):
        code_end = len(data) if m is None else m.start()
        if depth == 0 and data.find(b"\n", pos, code_end) >= 0:
            # Line breaks outside brackets, strings and comments end logical lines.
            if pending:
                spans.append((line_start, data.find(b"\n", pos, code_end)))
                pending = False
                if k == len(offsets):
                    return spans
            line_start = data.rfind(b"\n", pos, code_end) + 1
        if k < len(offsets) and offsets[k] < code_end:
            return None  # a quote outside every string: an unterminated one
        if m is None:
            break
        if data[m.start()] not in b"()[]{}\\":  # a string or a comment
            while k < len(offsets) and offsets[k] < m.end():
                k += 1
                pending = True
        pos = m.end()
    if depth or k < len(offsets):
        return None
    if pending:  # the last logical line, without a line break after it
        spans.append((line_start, len(data)))
    return spans


def _place(statements: Sequence[ast.stmt], delta: int, first: int, indent: int) -> None:
    """Move statements parsed alone to where they sit in the file: ``delta`` lines down, and
    the nodes on their first line (``first`` in the parse) ``indent`` columns right."""
    for stmt in statements:
        for node in ast.walk(stmt):
            lineno = getattr(node, "lineno", None)
            if lineno is None:
                continue
            if lineno == first:
                node.col_offset += indent  # type: ignore[attr-defined]
            node.lineno = lineno + delta  # type: ignore[attr-defined]
            end = getattr(node, "end_lineno", None)
            if end is not None:
                if end == first:
                    node.end_col_offset += indent  # type: ignore[attr-defined]
                node.end_lineno = end + delta  # type: ignore[attr-defined]


def _parse_alone(text: bytes, line: int, path: str) -> tuple[list[ast.stmt], int] | None:
    """``text``, the logical line starting at ``line`` of the file, parsed alone: its
    statements, and the line of the parse it starts on. A block header (``def``, ``with``, a
    decorator...) gets a stand-in body on the lines after it, a clause (``elif``, ``except``...)
    a stand-in statement to continue on the line before it. ``None`` if it does not parse.
    Parsed from line 1, not at its own line: padding every line before it would make a file
    with many such lines quadratic."""
    clause = _CLAUSE.match(text)
    if clause is not None:
        if line < 2:
            return None
        opener = b"try: pass\n" if clause.group() in (b"except", b"finally") else b"if 1: pass\n"
        attempts: tuple[tuple[bytes, bytes], ...] = ((opener, b"\n pass"),)
    elif text.startswith(b"@"):
        attempts = ((b"", b"\nclass _: pass"),)
    else:
        attempts = ((b"", b""), (b"", b"\n pass"))
    for before, after in attempts:
        try:
            return ast.parse(before + text + after, filename=path).body, 1 + before.count(b"\n")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None


def dynamic_statements(
    data: bytes, root: bytes, path: str, imports: Sequence[ast.stmt]
) -> list[ast.stmt] | None:
    """The statements (each parsed alone, placed at its position in the file) of the logical
    lines holding a string that starts with the package's name, inside one stand-in block:
    every call the whole-file search for dynamic references (JD104) looks at lies in one of
    them. ``None`` when unsure, or when one of them is also among ``imports`` (those statements
    are already scanned)."""
    offsets: list[int] = []
    for quoted in (b'"' + root, b"'" + root):
        at = data.find(quoted)
        while at >= 0:
            offsets.append(at)
            at = data.find(quoted, at + 1)
    offsets.sort()
    spans = _logical_spans(data, offsets)
    # A line parsed alone costs about what five lines of a whole-file parse cost (measured on
    # generated test modules): a file made mostly of such lines is cheaper parsed whole.
    if spans is None or len(spans) * 5 > data.count(b"\n"):
        return None
    # The import statements, in order and disjoint: the one that may share lines with a span
    # is the last one starting at or before the span's last line.
    first_lines = [s.lineno for s in imports]
    last_lines = [s.end_lineno or s.lineno for s in imports]
    body: list[ast.stmt] = []
    line = 1
    pos = 0
    for start, end in spans:
        line += data.count(b"\n", pos, start)
        pos = start
        last = line + data.count(b"\n", start, end)
        i = bisect.bisect_right(first_lines, last)
        if i and last_lines[i - 1] >= line:
            return None
        text_start = start
        while data[text_start] in _GAP:
            text_start += 1
        if data[text_start] == 0x23:  # '#': a line of comment holds no statement
            continue
        parsed = _parse_alone(data[text_start:end], line, path)
        if parsed is None:
            return None
        statements, first = parsed
        _place(statements, line - first, first, text_start - start)
        body.extend(statements)
    if not body:
        return []
    # Out of the module's top level, where `scan_tree` looks for an `if __name__ ==
    # "__main__":` block: a line parsed alone may come from inside a function. (A stand-in
    # block without a position: every walk enters it.)
    return [ast.If(test=ast.Constant(value=False), body=body, orelse=[])]


def quick_scan(data: bytes, path: str, info: ModuleInfo, options: ScanOptions) -> FileScan | None:
    """The file's self-imports from its import statements alone, or ``None`` when unsure."""
    trees = statement_trees(data, info.root.name, path)
    if trees is None:
        return None
    _, scanned = trees
    if not scanned.body:
        return FileScan(path, info.module)
    return scan_tree(scanned, data, path, info, options)


def statement_trees(data: bytes, root_name: str, path: str) -> tuple[ast.Module, ast.Module] | None:
    """What a scan of the file needs, without parsing all of it: its import statements that
    name ``root_name`` (:func:`import_tree`), and the same with the statements that may hold a
    dynamic reference (:func:`dynamic_statements`); ``None`` when unsure."""
    imports = import_tree(data, root_name, path)
    if imports is None:
        return None
    root = root_name.encode()
    if not _maybe_dynamic(data, root):
        return imports, imports
    dynamic = dynamic_statements(data, root, path, imports.body)
    if dynamic is None:
        return None
    return imports, ast.Module(body=[*imports.body, *dynamic], type_ignores=[])


def import_tree(data: bytes, root_name: str, path: str) -> ast.Module | None:
    """A module of the file's import statements that name ``root_name``, each at its own
    position in the file (line and column), or ``None`` when unsure. A caller that looks for
    dynamic references (JD104) adds their statements (:func:`statement_trees`)."""
    root = root_name.encode()
    if _unsure(data):
        return None
    starts, inline = _keyword_lines(data)
    if inline:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    empty = ast.Module(body=[], type_ignores=[])
    if root not in data:
        return empty
    if not starts:
        return empty
    # Drop the candidates inside multi-line strings; stop once past the last one.
    inside: set[int] = set()
    last = starts[-1]
    k = 0
    for m in _STRING_OR_COMMENT.finditer(data):
        s, e = m.start(), m.end()
        if s > last:
            break
        while k < len(starts) and starts[k] < s:
            k += 1
        j = k
        while j < len(starts) and starts[j] < e:
            inside.add(starts[j])
            j += 1
    pieces: list[tuple[int, int, int, int]] = []  # (line, indent, start, end)
    line = 1
    pos = 0
    for start in starts:
        if start in inside:
            continue
        line += data.count(b"\n", pos, start)
        pos = start
        text_start = start
        while data[text_start] in b" \t\f":
            text_start += 1
        end = _statement_end(data, text_start)
        if end is None:
            return None
        if root not in data[text_start:end]:
            continue
        pieces.append((line, text_start - start, text_start, end))
    if not pieces:
        return empty
    chunks: list[bytes] = []
    at = 1
    for line, _, start, end in pieces:
        chunks.append(b"\n" * (line - at))
        text = data[start:end]
        chunks.append(text)
        at = line + text.count(b"\n")
    try:
        tree = ast.parse(b"".join(chunks), filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != len(pieces):
        return None
    for stmt, (line, indent, _, _) in zip(tree.body, pieces, strict=True):
        if not isinstance(stmt, (ast.Import, ast.ImportFrom)) or stmt.lineno != line:
            return None
        if stmt.col_offset != 0:
            return None
        if indent:
            _place([stmt], 0, line, indent)
    return tree
