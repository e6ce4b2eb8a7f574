"""Finding absolute self-imports, statically, with ``ast`` (libcst is kept for rewriting).

This module is the whole-file scan: :func:`parse_source` and :func:`scan_tree` over a file's
full ``ast``. ``scanner.py`` runs the statement scanner of ``quick.py`` first and comes here when
it is unsure; both return the same :class:`FileScan`.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from ..findings import Applicability, Finding, Fix, Location
from ..rules import Rule
from .roots import ModuleInfo, in_package, relative_module
from .source import TEXT_LINE_BREAK, LineIndex

_SUPPRESS = re.compile(
    r"#\s*(?:jyoti-doctor\s*:\s*ignore\b|noqa(?P<codes>\s*:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)?)",
    re.IGNORECASE,
)
# Calls whose first string argument names a module or an attribute path: reported, never rewritten.
_DYNAMIC_CALLS = frozenset(
    {"import_module", "__import__", "patch", "find_spec", "import_string", "reload"}
)


@dataclass(frozen=True)
class SelfImport:
    """One self-import (or dynamic self-reference) and what becomes of it."""

    rule: Rule
    line: int
    col: int
    end_line: int
    end_col: int
    target: str
    original: str
    replacement: str | None
    applicability: Applicability
    reason: str | None = None


@dataclass(frozen=True)
class FileScan:
    """One file's self-imports, or why it could not be scanned."""

    path: str
    module: str | None
    imports: tuple[SelfImport, ...] = ()
    error: str | None = None
    error_line: int | None = None
    error_col: int | None = None


@dataclass(frozen=True)
class ScanOptions:
    """How files are scanned: the relative-import depth allowed, and whole-file parsing."""

    max_level: int | None = None
    # Parse every whole file (so any syntax error is reported), not just its import statements.
    check_syntax: bool = False


# Statements without a block of their own (most of them: every import): nothing to descend into.
_SIMPLE = frozenset(
    {
        ast.Import,
        ast.ImportFrom,
        ast.Expr,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.Return,
        ast.Pass,
        ast.Raise,
        ast.Delete,
        ast.Global,
        ast.Nonlocal,
        ast.Break,
        ast.Continue,
        ast.Assert,
    }
)


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement at any nesting depth (functions, classes, if/try/with/match bodies)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if node.__class__ in _SIMPLE:
            continue
        children: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                children.extend(block)
        for handler in getattr(node, "handlers", ()):
            children.extend(handler.body)
        for case in getattr(node, "cases", ()):
            children.extend(case.body)
        stack.extend(reversed(children))


def _lines_with(data: bytes, needles: Sequence[bytes]) -> list[int]:
    """The (CPython) line numbers of every occurrence of any needle, sorted."""
    index = LineIndex(data)
    found: set[int] = set()
    for needle in needles:
        at = data.find(needle)
        while at >= 0:
            found.add(bisect.bisect_right(index.starts, at))
            at = data.find(needle, at + 1)
    return sorted(found)


def _walk_lines(tree: ast.Module, lines: Sequence[int]) -> Iterator[ast.AST]:
    """The nodes of ``tree`` that may contain one of ``lines``: a subtree whose span holds none
    of them is skipped whole (a node without a position is always entered)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        first = getattr(node, "lineno", None)
        if first is not None:
            last = getattr(node, "end_lineno", None) or first
            # Decorators start before the statement's own line.
            for deco in getattr(node, "decorator_list", ()):
                first = min(first, deco.lineno)
            i = bisect.bisect_left(lines, first)
            if i == len(lines) or lines[i] > last:
                continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` in either operand order."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = (test.left, test.comparators[0])
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _is_utf8_source(data: bytes) -> bool:
    """UTF-8 without a byte-order mark or a coding cookie naming anything else."""
    if data.startswith(b"\xef\xbb\xbf"):
        return False
    for line in data.split(b"\n", 2)[:2]:
        if _COOKIE.match(line):
            return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _dots(level: int, rest: str) -> str:
    return "." * level + rest


class _Source:
    """Lazily decoded text of a file, for statement text, character columns and comments."""

    def __init__(self, data: bytes, index: LineIndex | None = None) -> None:
        self.data = data
        self._raw: list[bytes] | None = None
        self._index = index
        self._ascii: bool | None = None

    @property
    def raw_lines(self) -> list[bytes]:
        """The file's lines as CPython numbers them, each as UTF-8 bytes."""
        if self._raw is None:
            if b"\r" not in self.data and (self.data.isascii() or _is_utf8_source(self.data)):
                # The common case: split at C speed and decode nothing up front.
                self._raw = self.data.split(b"\n")
            else:
                encoding, _ = tokenize.detect_encoding(io.BytesIO(self.data).readline)
                text = self.data.decode(encoding, errors="replace")
                self._raw = [ln.encode("utf-8") for ln in TEXT_LINE_BREAK.split(text)]
        return self._raw

    def col(self, line: int, byte_offset: int) -> int:
        """1-based character column from ast's UTF-8 byte offset."""
        if self._ascii is None:
            self._ascii = self.data.isascii()
        if self._ascii:
            # One byte per character on every line: no line index needed.
            return byte_offset + 1
        if self._index is None:
            self._index = LineIndex(self.data)
        return self._index.char_col(line, byte_offset)

    def segment(self, node: ast.stmt | ast.expr | ast.alias) -> str:
        start, end = node.lineno, node.end_lineno or node.lineno
        first = node.col_offset
        last = node.end_col_offset
        chunk = self.raw_lines[start - 1 : end]
        if not chunk:
            return ""
        if len(chunk) == 1:
            return chunk[0][first:last].decode("utf-8", errors="replace")
        chunk = [chunk[0][first:], *chunk[1:-1], chunk[-1][:last]]
        return "\n".join(c.decode("utf-8", errors="replace") for c in chunk)

    def suppressed(self, start: int, end: int, rule: Rule) -> bool:
        for raw in self.raw_lines[start - 1 : end]:
            if b"#" not in raw:
                continue
            line = raw.decode("utf-8", errors="replace")
            for match in _SUPPRESS.finditer(line):
                codes = match.group("codes")
                if codes is None or rule.code in re.split(r"[\s,:]+", codes.upper()):
                    return True
        return False


def _fix_kind(
    module_info: ModuleInfo, level: int, has_main: bool, options: ScanOptions
) -> tuple[Rule, Applicability, str | None]:
    if options.max_level is not None and level > options.max_level:
        return (
            Rule.KEPT_BY_MAX_LEVEL,
            Applicability.NONE,
            f"needs {level} dots; --max-level is {options.max_level}",
        )
    if has_main:
        return (
            Rule.SELF_IMPORT_IN_SCRIPT,
            Applicability.UNSAFE,
            (
                'the file has an `if __name__ == "__main__":` block; `python file.py` breaks '
                "after the rewrite (use --unsafe-fixes)"
            ),
        )
    return Rule.ABSOLUTE_SELF_IMPORT, Applicability.SAFE, None


def parse_source(data: bytes, path: str, module: str | None) -> ast.Module | FileScan:
    """``ast.parse`` that never raises: a file that does not parse becomes an error ``FileScan``."""
    try:
        return ast.parse(data, filename=path)
    except SyntaxError as exc:
        # A decoding failure (a bogus coding cookie) comes with line 0 and offset -1.
        line = exc.lineno if exc.lineno and exc.lineno >= 1 else None
        col = exc.offset if line is not None and exc.offset and exc.offset >= 1 else None
        return FileScan(
            path, module, error=f"syntax error: {exc.msg}", error_line=line, error_col=col
        )
    except (ValueError, UnicodeError) as exc:  # NUL bytes, undecodable text
        return FileScan(path, module, error=f"cannot parse: {exc}")
    except (RecursionError, MemoryError) as exc:
        return FileScan(path, module, error=f"cannot parse: {type(exc).__name__}")


def scan_tree(
    tree: ast.Module,
    data: bytes,
    path: str,
    info: ModuleInfo,
    options: ScanOptions,
    *,
    dynamic: bool = True,
    index: LineIndex | None = None,
) -> FileScan:
    """All self-imports in an already parsed file (the rewrite reuses its own parse).

    ``dynamic=False`` skips the search for string references (JD104), which walks every node.
    ``index``: the file's :class:`LineIndex`, when the caller has one (it is built otherwise).
    """
    root = info.root.name
    package = info.package
    has_main = any(is_main_guard(node) for node in tree.body)
    src = _Source(data, index)
    found: list[SelfImport] = []

    def add(
        rule: Rule,
        node: ast.stmt | ast.alias,
        target: str,
        original: str,
        replacement: str | None,
        applicability: Applicability,
        reason: str | None,
        stmt: ast.stmt,
    ) -> None:
        line = node.lineno
        end_line = node.end_lineno or line
        if src.suppressed(stmt.lineno, stmt.end_lineno or stmt.lineno, rule):
            return
        found.append(
            SelfImport(
                rule=rule,
                line=line,
                col=src.col(line, node.col_offset),
                end_line=end_line,
                end_col=src.col(end_line, node.end_col_offset or 0),
                target=target,
                original=original,
                replacement=replacement,
                applicability=applicability,
                reason=reason,
            )
        )

    for stmt in _statements(tree.body):
        if isinstance(stmt, ast.ImportFrom):
            if stmt.level or stmt.module is None or not in_package(stmt.module, root):
                continue
            level, rest = relative_module(package, stmt.module)
            rule, applicability, reason = _fix_kind(info, level, has_main, options)
            names = ", ".join(
                a.name if a.asname is None else f"{a.name} as {a.asname}" for a in stmt.names
            )
            replacement = f"from {_dots(level, rest)} import {names}"
            add(
                rule, stmt, stmt.module, src.segment(stmt), replacement, applicability, reason, stmt
            )
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if not in_package(alias.name, root):
                    continue
                original = "import " + src.segment(alias)
                if alias.asname is None or "." not in alias.name:
                    binds = alias.asname or alias.name.split(".")[0]
                    add(
                        Rule.SELF_IMPORT_NO_RELATIVE_FORM,
                        alias,
                        alias.name,
                        original,
                        None,
                        Applicability.NONE,
                        f"binds the name `{binds}`; no relative import binds the same name",
                        stmt,
                    )
                    continue
                parent, _, leaf = alias.name.rpartition(".")
                level, rest = relative_module(package, parent)
                rule, applicability, reason = _fix_kind(info, level, has_main, options)
                replacement = f"from {_dots(level, rest)} import {leaf} as {alias.asname}"
                add(rule, alias, alias.name, original, replacement, applicability, reason, stmt)

    quoted = (b'"' + root.encode(), b"'" + root.encode())
    if (
        dynamic
        and any(q in data for q in quoted)
        and any(name.encode() in data for name in _DYNAMIC_CALLS)
    ):
        for node in _walk_lines(tree, _lines_with(data, quoted)):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0]
            if (
                name in _DYNAMIC_CALLS
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and in_package(arg.value, root)
            ):
                stmt_line = node.lineno
                if src.suppressed(
                    stmt_line, node.end_lineno or stmt_line, Rule.DYNAMIC_SELF_REFERENCE
                ):
                    continue
                found.append(
                    SelfImport(
                        rule=Rule.DYNAMIC_SELF_REFERENCE,
                        line=arg.lineno,
                        col=src.col(arg.lineno, arg.col_offset),
                        end_line=arg.end_lineno or arg.lineno,
                        end_col=src.col(arg.end_lineno or arg.lineno, arg.end_col_offset or 0),
                        target=arg.value,
                        original=src.segment(node),
                        replacement=None,
                        applicability=Applicability.NONE,
                        reason="a dynamic reference in a string is never rewritten; check it by hand",
                    )
                )
    found.sort(key=lambda s: (s.line, s.col))
    return FileScan(path, info.module, tuple(found))


# What a file run by path keeps absolute: every import rule except the dynamic references.
_KEPT_BY_PATH = frozenset(
    {
        Rule.ABSOLUTE_SELF_IMPORT,
        Rule.SELF_IMPORT_NO_RELATIVE_FORM,
        Rule.SELF_IMPORT_IN_SCRIPT,
        Rule.KEPT_BY_MAX_LEVEL,
    }
)


def keep_run_by_path(scan: FileScan, reason: str) -> FileScan:
    """``scan`` of a file that is run by path: its self-imports are kept, with ``reason``."""
    if not scan.imports:
        return scan
    kept = tuple(
        replace(
            imp,
            rule=Rule.RUN_BY_PATH,
            applicability=Applicability.NONE,
            replacement=None,
            reason=reason,
        )
        if imp.rule in _KEPT_BY_PATH
        else imp
        for imp in scan.imports
    )
    return replace(scan, imports=kept)


def to_findings(scans: Sequence[FileScan], display: Callable[[str], str] = str) -> list[Finding]:
    """Findings in file order; ``display`` turns a path into the one to show (e.g. relative)."""
    out: list[Finding] = []
    for scan in scans:
        if scan.error is None and not scan.imports:
            continue
        shown = display(scan.path)
        if scan.error is not None:
            out.append(
                Finding.make(
                    Rule.UNPARSABLE_FILE,
                    f"{scan.error}; the file was not scanned",
                    location=Location(shown, scan.error_line, scan.error_col),
                )
            )
            continue
        for imp in scan.imports:
            out.append(
                Finding.make(
                    imp.rule,
                    _message(imp),
                    location=Location(shown, imp.line, imp.col, imp.end_line, imp.end_col),
                    fix=Fix(imp.applicability, imp.replacement, imp.reason),
                    source=imp.original,
                )
            )
    return out


def _message(imp: SelfImport) -> str:
    if imp.rule is Rule.ABSOLUTE_SELF_IMPORT:
        if imp.applicability is Applicability.NONE:
            # Kept by a refusal (a lint ban, no root form...): the reason is the fix's.
            return f"absolute self-import of `{imp.target}`; not rewritten"
        return f"absolute self-import of `{imp.target}`; use a relative import"
    if imp.rule is Rule.SELF_IMPORT_NO_RELATIVE_FORM:
        return f"`import {imp.target}` of the package itself has no relative form"
    if imp.rule is Rule.SELF_IMPORT_IN_SCRIPT:
        return f"self-import of `{imp.target}` in a script file; the relative form breaks `python file.py`"
    if imp.rule is Rule.DYNAMIC_SELF_REFERENCE:
        return f"dynamic reference to `{imp.target}` in a string"
    if imp.rule is Rule.KEPT_BY_MAX_LEVEL:
        return f"self-import of `{imp.target}` kept absolute ({imp.reason})"
    if imp.rule is Rule.RUN_BY_PATH:
        return f"self-import of `{imp.target}` kept absolute: the file is run by path"
    return imp.target
