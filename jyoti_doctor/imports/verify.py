"""Verification of a rewrite before anything is written (black's ``assert_equivalent`` and
``assert_stable``, adapted to imports, docs/contract.md).

The new bytes must parse; outside the rewritten statements they must be the old bytes; each
rewritten statement must bind exactly the same names to exactly the same absolute modules, as
CPython resolves them; and a second pass over the new bytes must change nothing.
"""

from __future__ import annotations

import ast
import functools
from collections import Counter
from collections.abc import Callable, Sequence

from ..config import Style
from .rewrite import (
    Edit,
    bindings_of,
    blocks_of,
    continues_a_line,
    line_of,
    plan,
    root_absolutize,
    statements_at,
)
from .roots import ModuleInfo
from .scan import FileScan, ScanOptions, scan_tree
from .source import LineIndex

# What the project forbids (a lint ban, files run by path), applied to a scan as the fix did.
ProjectRules = Callable[[FileScan], FileScan]


class VerificationError(Exception):
    """The rewrite of one file is wrong; the file must be left as it is."""


def verify(
    data: bytes,
    new: bytes,
    edits: Sequence[Edit],
    info: ModuleInfo,
    path: str,
    options: ScanOptions,
    *,
    style: Style,
    unsafe: bool,
    whole_file: bool = True,
    project_rules: ProjectRules | None = None,
) -> None:
    """Raise :class:`VerificationError` unless ``new`` is an exact, stable rewrite of ``data``.

    ``whole_file=False`` checks the rewritten spans alone: the bytes outside them are the old
    bytes, each span parses as import statements binding the same names to the same modules,
    and a second pass over the rewritten statements changes nothing.
    """
    stable = functools.partial(
        _assert_stable, style=style, unsafe=unsafe, project_rules=project_rules
    )
    if not whole_file:
        _verify_spans(data, new, edits, info, path, options, style=style, stable=stable)
        return
    spans = _check_outside(data, new, edits)
    try:
        tree = ast.parse(new, filename=path)
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
        raise VerificationError(f"the rewritten file does not parse: {exc}") from None
    index = LineIndex(new)
    by_line: dict[int, list[ast.stmt]] = {}
    for line in {ln for s, e in spans for ln in range(line_of(index, s), line_of(index, e) + 1)}:
        at: list[ast.stmt] = []
        statements_at(tree.body, line, at)
        by_line[line] = sorted((st for st in at if st.lineno == line), key=lambda st: st.col_offset)
    for edit, (start, end) in zip(edits, spans, strict=True):
        found: list[ast.stmt] = []
        for line in range(line_of(index, start), line_of(index, end) + 1):
            for stmt in by_line.get(line, ()):
                s = index.offset(stmt.lineno, stmt.col_offset)
                if start <= s < end:
                    e = index.offset(stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
                    if e > end:
                        raise VerificationError(
                            f"line {edit.line}: a statement overruns the rewrite"
                        )
                    found.append(stmt)
        _same_bindings(edit, found, info, style)
    stable(tree, new, info, path, options, index=index)


def _verify_spans(
    data: bytes,
    new: bytes,
    edits: Sequence[Edit],
    info: ModuleInfo,
    path: str,
    options: ScanOptions,
    *,
    style: Style,
    stable: Callable[..., None],
) -> None:
    from .quick import import_tree

    spans = _check_outside(data, new, edits)
    # Lines end in `\n` alone in a file taken by its statements (no `\r`, no byte-order mark):
    # a line's start is one search back, no index of every line needed.
    index = LineIndex(new) if b"\r" in new or new.startswith(b"\xef\xbb\xbf") else None
    # The spans are parsed together, one after the other, each on lines of its own: the line
    # numbers say which statements came from which span. (An indented span of several lines,
    # and one holding a `\r`, which the parser also reads as a line break, are parsed alone.)
    joined: list[tuple[bytes, int, int, Edit, bool]] = []  # (text, first, last line, edit, …)
    at = 1
    for edit, (start, end) in zip(edits, spans, strict=True):
        text = new[start:end]
        if index is None:
            line_start = new.rfind(b"\n", 0, start) + 1
        else:
            line_start = index.line_start(line_of(index, start))
        prefix = new[line_start:start]
        # On a line that continues another, the rewrite is part of that line's code: it may
        # not start statements on lines of their own.
        continued = continues_a_line(new, line_start)
        if b"\n" in text and prefix.strip(b" \t\f"):
            raise VerificationError(f"line {edit.line}: a multi-line rewrite after other code")
        # A form feed resets the column: only what follows the last one indents the line.
        indent = prefix.rpartition(b"\f")[2]
        if b"\n" in text and indent:
            # An indented rewrite spanning lines parses as the body of a block, as it sits.
            body = _parse_span(b"if 1:\n" + indent + text, edit, path).body
            first = body[0] if len(body) == 1 else None
            stmts = first.body if isinstance(first, ast.If) else []
            _same_bindings(edit, stmts, info, style)
            _on_one_line(edit, stmts, 2, continued)
        elif b"\r" in text:
            stmts = _parse_span(text, edit, path).body
            _same_bindings(edit, stmts, info, style)
            _on_one_line(edit, stmts, 1, continued)
        else:
            last = at + text.count(b"\n")
            joined.append((text, at, last, edit, continued))
            at = last + 1
    try:
        together = ast.parse(b"\n".join(j[0] for j in joined), filename=path).body
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError):
        together = None  # some span does not parse: each alone says which
    for text, top, last, edit, continued in joined:
        if together is None:
            found = _parse_span(text, edit, path).body
            _on_one_line(edit, found, 1, continued)
        else:
            found = [s for s in together if top <= s.lineno <= last]
            if any((s.end_lineno or s.lineno) > last for s in found):
                raise VerificationError(f"line {edit.line}: a statement overruns the rewrite")
            _on_one_line(edit, found, top, continued)
        _same_bindings(edit, found, info, style)
    # The second pass, over the rewritten statements: every other byte is an old byte whose
    # statements the first pass planned already. Where they cannot be placed alone, over every
    # import statement of the new file (it does not look for dynamic references).
    tree = _rewritten_statements(new, spans, path)
    if tree is None:
        tree = import_tree(new, info.root.name, path)
    if tree is None:
        try:
            tree = ast.parse(new, filename=path)
        except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
            raise VerificationError(f"the rewritten file does not parse: {exc}") from None
    stable(tree, new, info, path, options, index=index)


def _on_one_line(edit: Edit, stmts: Sequence[ast.stmt], line: int, continued: bool) -> None:
    """A rewrite on a line that continues another starts every statement on its first line."""
    if continued and any(st.lineno != line for st in stmts):
        raise VerificationError(
            f"line {edit.line}: a rewrite that starts a new line where its line continues another"
        )


def _rewritten_statements(
    new: bytes, spans: Sequence[tuple[int, int]], path: str
) -> ast.Module | None:
    """The statements of the rewritten spans, parsed together at their own lines and columns
    in ``new`` (``ast`` positions, as a whole-file parse gives them); ``None`` when that cannot
    be done exactly: two spans on one line, a ``\r`` line break, a byte-order mark (it would
    shift line 1), a span that does not parse alone from its first line (an indented block of
    several statements)."""
    if b"\r" in new or new.startswith(b"\xef\xbb\xbf"):
        return None
    chunks: list[bytes] = []
    shifts: dict[int, int] = {}  # a span's first line -> the bytes before it on that line
    line = last = 1  # the line a span starts on; the line the text so far ends on
    pos = 0
    for start, end in spans:
        line += new.count(b"\n", pos, start)
        pos = start
        gap = line - last
        if gap < (1 if chunks else 0):
            return None  # it starts on a line a span before it ends on
        chunks.append(b"\n" * gap)
        text = new[start:end]
        chunks.append(text)
        shifts[line] = start - (new.rfind(b"\n", 0, start) + 1)
        last = line + text.count(b"\n")
    try:
        tree = ast.parse(b"".join(chunks), filename=path)
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        # Only a span's first line starts after other bytes; its other lines are new's own.
        lineno = getattr(node, "lineno", None)
        if lineno in shifts:
            node.col_offset += shifts[lineno]  # type: ignore[attr-defined]
        end_lineno = getattr(node, "end_lineno", None)
        if end_lineno in shifts:
            node.end_col_offset += shifts[end_lineno]  # type: ignore[attr-defined]
    return tree


def _parse_span(source: bytes, edit: Edit, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
        raise VerificationError(
            f"line {edit.line}: the rewritten statement does not parse: {exc}"
        ) from None


def _assert_stable(
    tree: ast.Module,
    new: bytes,
    info: ModuleInfo,
    path: str,
    options: ScanOptions,
    *,
    style: Style,
    unsafe: bool,
    index: LineIndex | None,
    project_rules: ProjectRules | None = None,
) -> None:
    """A second pass over ``tree`` (the rewritten file, or its rewritten statements) changes
    nothing (black's ``assert_stable``), under the same project rules as the first."""
    scan = scan_tree(tree, new, path, info, options, dynamic=False, index=index)
    again = plan(
        tree,
        new,
        info,
        scan if project_rules is None else project_rules(scan),
        style=style,
        unsafe=unsafe,
        index=index,
    )
    if again.edits:
        raise VerificationError(
            f"line {again.edits[0].line}: a second pass would change the file again"
        )


def _same_bindings(edit: Edit, stmts: Sequence[ast.stmt], info: ModuleInfo, style: Style) -> None:
    """The rewritten statements are imports that bind exactly what the original bound, to the
    same absolute modules (CPython's resolution rules)."""
    if not stmts or not all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmts):
        raise VerificationError(f"line {edit.line}: the rewrite is not import statements")
    absolutize = root_absolutize(info, edit.absolutize) if style is Style.ROOT else {}
    try:
        bound = tuple(
            b
            for s in stmts
            for b in bindings_of(s, info.package, absolutize)  # type: ignore[arg-type]
        )
    except ImportError as exc:
        raise VerificationError(f"line {edit.line}: {exc}") from None
    if bound != edit.bindings:
        raise VerificationError(
            f"line {edit.line}: the rewrite binds {_show(bound)} instead of {_show(edit.bindings)}"
        )


def _check_outside(data: bytes, new: bytes, edits: Sequence[Edit]) -> list[tuple[int, int]]:
    """Where each edit landed in ``new``; every byte between them must be the old byte."""
    spans: list[tuple[int, int]] = []
    old_pos = new_pos = 0
    for edit in edits:
        keep = edit.start - old_pos
        if new[new_pos : new_pos + keep] != data[old_pos : edit.start]:
            raise VerificationError(f"line {edit.line}: bytes outside the rewrite changed")
        new_pos += keep
        spans.append((new_pos, new_pos + len(edit.new)))
        new_pos += len(edit.new)
        old_pos = edit.end
    if new[new_pos:] != data[old_pos:]:
        raise VerificationError("bytes after the last rewrite changed")
    return spans


def _show(bindings: Sequence[object]) -> str:
    return ", ".join(
        f"{b.name}={b.module}" + (f".{b.attr}" if b.attr else "")  # type: ignore[attr-defined]
        for b in bindings
    )


def _import_shape(tree: ast.Module, package: str) -> tuple[str, Counter[object]]:
    """Everything but the imports, and each import's bindings keyed by the block it is in and
    the number of other statements before it there."""
    counts: Counter[object] = Counter()

    def walk(body: Sequence[ast.stmt], where: tuple[tuple[int, int], ...]) -> None:
        seen = 0
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for b in bindings_of(stmt, package, {}):
                    counts[(where, seen, b)] += 1
                continue
            for j, block in enumerate(blocks_of(stmt)):
                walk(block, (*where, (seen, j)))
            seen += 1

    walk(tree.body, ())

    class _Drop(ast.NodeTransformer):
        def visit_Import(self, node: ast.Import) -> None:
            return None

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            return None

    return ast.dump(_Drop().visit(tree)), counts


def verify_reordered(before: bytes, after: bytes, info: ModuleInfo, path: str) -> None:
    """``after`` (a sorter's output) only reorders, merges or splits the imports of ``before``:
    it parses, every other statement is unchanged, and each block binds the same names to the
    same modules between the same statements."""
    try:
        old = ast.parse(before, filename=path)
        new = ast.parse(after, filename=path)
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
        raise VerificationError(f"the sorted file does not parse: {exc}") from None
    try:
        old_shape, new_shape = _import_shape(old, info.package), _import_shape(new, info.package)
    except ImportError as exc:
        raise VerificationError(f"the sorted file: {exc}") from None
    if old_shape[0] != new_shape[0]:
        raise VerificationError("the sorter changed statements other than imports")
    if old_shape[1] != new_shape[1]:
        raise VerificationError("the sorter changed what the imports bind")
