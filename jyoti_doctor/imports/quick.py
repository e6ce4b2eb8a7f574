"""Scanning without parsing the whole file: find the import statements, parse only those.

Parsing is nearly all the cost of a scan, and nearly all of a file is not imports. A search for
the keywords finds the lines that start with ``import`` or ``from``; a string- and comment-aware
pass drops those inside a multi-line string; the remaining statements are cut out at their exact
byte spans and parsed together, once, at their own line numbers, so every position ``ast``
reports is the position in the file. Whatever this module is not sure of, it declines (returns
``None``) and the caller parses the whole file, as before:

* NUL bytes, a byte-order mark, ``\\r`` line breaks, bytes that are not UTF-8 or a coding
  cookie naming another encoding;
* a possible ``if __name__ == "__main__":`` block or dynamic reference (they need the whole tree);
* an import after ``;`` or after a block header's ``:`` on the same line;
* on Python 3.12 and later, any f-string (PEP 701 lets them nest quotes);
* statements that do not parse on their own, or parse as anything but one import each.

A file with a syntax error outside its imports is therefore not reported here (only the
``--check-syntax`` whole-file parse sees it); everything else is found exactly as the whole-file
parse finds it (tests/imports/test_quick_differential.py).
"""

from __future__ import annotations

import ast
import re
import sys

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
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_FSTRING = re.compile(rb"(?<![\w])(?:[rRbB]?[fF]|[fF][rRbB])['\"]")
_UTF8 = frozenset({b"utf-8", b"utf8", b"utf_8"})
_DYNAMIC_NAMES = tuple(n.encode() for n in sorted(_DYNAMIC_CALLS))
# What `\w` matches in a bytes pattern.
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_GAP = frozenset(b" \t\f")
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


def _unsure(data: bytes, root: bytes, dynamic: bool = True) -> bool:
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
    quoted = (b'"' + root, b"'" + root)
    # The whole-file search looks at calls whose function is named exactly one of these, so
    # only the whole words matter (`dispatch` and `autoreload` do not).
    if dynamic and any(q in data for q in quoted) and _dynamic_word(data):
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


def quick_scan(data: bytes, path: str, info: ModuleInfo, options: ScanOptions) -> FileScan | None:
    """The file's self-imports from its import statements alone, or ``None`` when unsure."""
    tree = import_tree(data, info.root.name, path)
    if tree is None:
        return None
    if not tree.body:
        return FileScan(path, info.module)
    return scan_tree(tree, data, path, info, options)


def import_tree(
    data: bytes, root_name: str, path: str, *, dynamic: bool = True
) -> ast.Module | None:
    """A module of the file's import statements that name ``root_name``, each at its own
    position in the file (line and column), or ``None`` when unsure.

    ``dynamic=False``: for a caller that does not look for dynamic references (JD104), a
    possible one is no reason to decline.
    """
    root = root_name.encode()
    if _unsure(data, root, dynamic):
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
        if not indent:
            continue
        for node in ast.walk(stmt):
            if getattr(node, "lineno", None) == line:
                node.col_offset += indent  # type: ignore[attr-defined]
            if getattr(node, "end_lineno", None) == line:
                node.end_col_offset += indent  # type: ignore[attr-defined]
    return tree
