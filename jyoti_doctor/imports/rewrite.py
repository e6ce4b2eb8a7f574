"""The exact rewrite of self-imports (docs/contract.md).

libcst rewrites each import statement's own text (a statement parses in microseconds, a whole
file in milliseconds); the new text is spliced into the file's bytes at the statement's exact
span, so every byte outside the rewritten statements is the original byte. ``plan`` never
raises: what cannot be rewritten exactly is returned as a refusal with its reason.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..config import Style
from ..findings import Applicability
from ..rules import Rule
from .roots import ModuleInfo, relative_module
from .scan import FileScan, SelfImport
from .source import LineIndex

# In `from <module> import`, no name can be the keyword `import`: the first whole word is it.
_IMPORT_KEYWORD = re.compile(r"(?<![\w.])import(?!\w)")
_ALONE_AFTER = re.compile(rb"[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|$)")
FIXABLE_RULES = frozenset(
    {Rule.ABSOLUTE_SELF_IMPORT, Rule.SELF_IMPORT_IN_SCRIPT, Rule.KEPT_BY_MAX_LEVEL}
)


@dataclass(frozen=True)
class Binding:
    """What one imported name ends up bound to: ``name = getattr(module, attr)`` (the submodule
    ``module.attr`` when there is no such attribute), or ``module`` itself when ``attr`` is None
    (``import os`` binds ``os``; a star import has name ``*``)."""

    name: str
    module: str
    attr: str | None


@dataclass(frozen=True)
class Edit:
    """Replace ``data[start:end]`` (one import statement) with ``new``."""

    start: int
    end: int
    new: bytes
    line: int
    bindings: tuple[Binding, ...]
    # Root style: the top-level names that stand for ``<root>.<name>`` in the new statement.
    absolutize: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """A self-import left as it is, and why; ``internal`` marks a failure of the tool itself."""

    imp: SelfImport
    reason: str
    internal: bool = False


@dataclass(frozen=True)
class Plan:
    """The edits for one file, the imports they fix, and those refused."""

    edits: tuple[Edit, ...] = ()
    fixed: tuple[SelfImport, ...] = ()
    refused: tuple[Refusal, ...] = ()
    # In root style the reported replacement differs from scan's relative one.
    replacements: dict[tuple[int, int], str] = field(default_factory=dict)


_COMPOUND = frozenset(
    {
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.If,
        ast.For,
        ast.AsyncFor,
        ast.While,
        ast.With,
        ast.AsyncWith,
        ast.Try,
        ast.TryStar,
        ast.Match,
    }
)


def blocks_of(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if block:
            yield block
    for handler in getattr(node, "handlers", ()):
        yield handler.body
    for case in getattr(node, "cases", ()):
        yield case.body


def _lineno(node: ast.stmt) -> int:
    return node.lineno


def statements_at(body: list[ast.stmt], line: int, out: list[ast.stmt]) -> None:
    """The simple statements spanning ``line`` (in any block), by bisection, not a full walk."""
    i = bisect.bisect_right(body, line, key=_lineno) - 1
    while i >= 0:
        node = body[i]
        if (node.end_lineno or node.lineno) >= line:
            if type(node) in _COMPOUND:
                for block in blocks_of(node):
                    statements_at(block, line, out)
            else:
                out.append(node)
        if node.lineno < line:
            break
        i -= 1


def bindings_of(
    stmt: ast.Import | ast.ImportFrom, package: str, absolutize: dict[str, str]
) -> tuple[Binding, ...]:
    """The names a statement binds, with every module made absolute by CPython's rules.

    ``absolutize`` maps a top-level module name to the absolute one it stands for (root style:
    ``deps`` is ``backend.deps`` when the service starts inside ``backend/``).
    """
    from .roots import resolve_relative

    def absolute(name: str) -> str:
        head, dot, tail = name.partition(".")
        return absolutize[head] + dot + tail if head in absolutize else name

    out: list[Binding] = []
    if isinstance(stmt, ast.ImportFrom):
        if stmt.level:
            module = resolve_relative(package, stmt.level, stmt.module)
        else:
            module = absolute(stmt.module or "")
        for alias in stmt.names:
            if alias.name == "*":
                out.append(Binding("*", module, None))
            else:
                out.append(Binding(alias.asname or alias.name, module, alias.name))
        return tuple(out)
    for alias in stmt.names:
        # `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`, fetched as `a`'s attribute.
        bound = alias.asname or alias.name.split(".")[0]
        full = absolute(alias.name if alias.asname else bound)
        parent, _, leaf = full.rpartition(".")
        out.append(Binding(bound, parent, leaf) if parent else Binding(bound, full, None))
    return tuple(out)


def root_absolutize(info: ModuleInfo, names: Sequence[str]) -> dict[str, str]:
    return {n: f"{info.root.name}.{n}" for n in names}


def line_of(index: LineIndex, offset: int) -> int:
    return bisect.bisect_right(index.starts, offset)


@dataclass(frozen=True)
class _Target:
    """One fixable part of a statement: the whole ``from`` statement, or one alias of ``import``."""

    imp: SelfImport
    alias_index: int | None


class _Refused(Exception):
    def __init__(self, reason: str, internal: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.internal = internal


def _wanted(imp: SelfImport, style: Style, info: ModuleInfo, unsafe: bool) -> bool:
    if imp.rule not in FIXABLE_RULES or imp.replacement is None:
        return False
    if imp.rule is Rule.KEPT_BY_MAX_LEVEL:
        return style is Style.ROOT
    if imp.rule is Rule.SELF_IMPORT_IN_SCRIPT:
        # `python file.py` puts the file's directory first on sys.path: root-absolute imports
        # still work there for a file directly in the package directory.
        return unsafe or (style is Style.ROOT and info.package == info.root.name)
    return imp.applicability is Applicability.SAFE or unsafe


def plan(
    tree: ast.Module,
    data: bytes,
    info: ModuleInfo,
    scan: FileScan,
    *,
    style: Style = Style.RELATIVE,
    unsafe: bool = False,
    index: LineIndex | None = None,
) -> Plan:
    """The edits that fix ``scan``'s fixable self-imports of one file. Never raises."""
    wanted = [imp for imp in scan.imports if _wanted(imp, style, info, unsafe)]
    if not wanted:
        return Plan()
    idx = index or LineIndex(data)
    by_from: dict[tuple[int, int], ast.ImportFrom] = {}
    by_alias: dict[tuple[int, int], tuple[ast.Import, int]] = {}
    found: list[ast.stmt] = []
    for line in sorted({imp.line for imp in wanted}):
        statements_at(tree.body, line, found)
    for stmt in found:
        if isinstance(stmt, ast.ImportFrom):
            by_from[(stmt.lineno, idx.char_col(stmt.lineno, stmt.col_offset))] = stmt
        elif isinstance(stmt, ast.Import):
            for i, alias in enumerate(stmt.names):
                by_alias[(alias.lineno, idx.char_col(alias.lineno, alias.col_offset))] = (stmt, i)

    groups: dict[int, tuple[ast.Import | ast.ImportFrom, list[_Target]]] = {}
    refused: list[Refusal] = []
    for imp in wanted:
        key = (imp.line, imp.col)
        node: ast.Import | ast.ImportFrom
        if key in by_from:
            node, target = by_from[key], _Target(imp, None)
        elif key in by_alias:
            node, i = by_alias[key]
            target = _Target(imp, i)
        else:
            refused.append(Refusal(imp, "the import statement was not found again", True))
            continue
        groups.setdefault(id(node), (node, []))[1].append(target)

    edits: list[Edit] = []
    fixed: list[SelfImport] = []
    replacements: dict[tuple[int, int], str] = {}
    for node, targets in groups.values():
        try:
            edit, shown = _edit_for(node, targets, data, idx, info, style)
        except _Refused as exc:
            refused.extend(Refusal(t.imp, exc.reason, exc.internal) for t in targets)
            continue
        except Exception as exc:  # noqa: BLE001  (a libcst surprise must not lose the other files)
            reason = f"rewrite failed ({type(exc).__name__}: {exc})"
            refused.extend(Refusal(t.imp, reason, True) for t in targets)
            continue
        edits.append(edit)
        fixed.extend(t.imp for t in targets)
        for t in targets:
            replacements[(t.imp.line, t.imp.col)] = shown[t.alias_index or 0]
    edits.sort(key=lambda e: e.start)
    return Plan(tuple(edits), tuple(fixed), tuple(refused), replacements)


def splice(data: bytes, edits: Sequence[Edit]) -> bytes:
    out: list[bytes] = []
    pos = 0
    for edit in edits:
        out.append(data[pos : edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(data[pos:])
    return b"".join(out)


def continues_a_line(data: bytes, line_start: int) -> bool:
    """The line starting at ``line_start`` continues the one before (which ends in a
    backslash), so what is on it follows that line's code (``if x: \\`` ...). A comment that
    ends in a backslash continues nothing, but counts here too: it only costs a ``; ``."""
    return data[max(0, line_start - 3) : line_start].endswith((b"\\\n", b"\\\r\n", b"\\\r"))


def _is_alone(data: bytes, idx: LineIndex, node: ast.stmt, start: int, end: int) -> bool:
    """The statement is the only one on its logical line (not after ``;``, not in
    ``if x: ...``, not on a line that continues another)."""
    line_start = idx.starts[node.lineno - 1]
    before = data[line_start:start]
    if node.lineno == 1 and idx.bom:
        before = before[3:]
    return (
        before.strip(b" \t\f") == b""
        and not continues_a_line(data, line_start)
        and _ALONE_AFTER.match(data, end) is not None
    )


def _root_submodule(info: ModuleInfo, name: str) -> bool:
    base = info.root.directory / name
    return (base.with_suffix(".py")).is_file() or base.is_dir()


def _edit_for(
    node: ast.Import | ast.ImportFrom,
    targets: list[_Target],
    data: bytes,
    idx: LineIndex,
    info: ModuleInfo,
    style: Style,
) -> tuple[Edit, dict[int, str]]:
    start = idx.offset(node.lineno, node.col_offset)
    end = idx.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
    try:
        text = data[start:end].decode(idx.encoding)
    except UnicodeDecodeError as exc:
        raise _Refused(f"cannot decode the statement: {exc}", True) from None
    package = info.package
    root = info.root.name
    sep = ""
    if isinstance(node, ast.Import) and style is Style.RELATIVE:
        if _is_alone(data, idx, node, start, end):
            line_start = idx.line_start(node.lineno)
            indent = data[line_start:start].decode(idx.encoding)
            sep = idx.newline_at(node.end_lineno or node.lineno).decode(idx.encoding) + indent
        else:
            sep = "; "

    absolutize: dict[str, str] = {}
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if style is Style.RELATIVE:
            level, rest = relative_module(package, module)
            key: tuple[object, ...] = ("from-rel", level, rest)
        else:
            rest = module.partition(".")[2]
            if not rest:
                names = [a.name for a in node.names]
                if "*" in names:
                    raise _Refused(f"`from {root} import *` has no root-absolute form")
                missing = [n for n in names if not _root_submodule(info, n)]
                if missing:
                    raise _Refused(
                        f"`{missing[0]}` is not a module of {root}; it has no root-absolute form"
                    )
                if text.rstrip().endswith(")"):
                    raise _Refused("a parenthesised `from ... import` cannot become `import`")
                absolutize.update(root_absolutize(info, names))
                key = ("from-root-pkg",)
            else:
                key = ("from-root", rest)
                absolutize.update(root_absolutize(info, [rest.split(".")[0]]))
        heads = [rest.split(".")[0]] if rest else [a.name for a in node.names]
    else:
        fixes: dict[int, tuple[int, str, str]] = {}
        for t in targets:
            assert t.alias_index is not None
            name = node.names[t.alias_index].name
            if style is Style.RELATIVE:
                parent, _, leaf = name.rpartition(".")
                level, rest = relative_module(package, parent)
                fixes[t.alias_index] = (level, rest, leaf)
            else:
                rest = name.partition(".")[2]
                fixes[t.alias_index] = (0, rest, "")
                absolutize.update(root_absolutize(info, [rest.split(".")[0]]))
        key = ("import", style.value, tuple(sorted(fixes.items())), sep)
        heads = [fixes[i][1].split(".")[0] or fixes[i][2] for i in sorted(fixes)]
    if style is Style.ROOT:
        clash = [h for h in heads if h in sys.stdlib_module_names]
        if clash:
            raise _Refused(
                f"`{clash[0]}` would shadow (or be shadowed by) the standard library module of "
                "that name when imported root-absolute"
            )
    if key[0] in ("from-rel", "from-root"):
        # Only the part up to the `import` keyword changes; the names (and their comments)
        # are kept byte for byte, so libcst rewrites the head and the cache serves every
        # statement importing from the same module.
        keyword = _IMPORT_KEYWORD.search(text, 4)
        if keyword is None:
            raise _Refused("the `import` keyword was not found", True)
        head, tail = text[: keyword.end()], text[keyword.end() :]
        new_head = _rewrite_text(head + " _", key)
        if not new_head.endswith(" _"):
            raise _Refused("libcst changed the imported names", True)
        new_text = new_head[:-2] + tail
    else:
        new_text = _rewrite_text(text, key)
    bindings = bindings_of(node, package, {})
    shown = {t.alias_index or 0: _shown(new_text, t, node, style) for t in targets}
    edit = Edit(
        start, end, new_text.encode(idx.encoding), node.lineno, bindings, tuple(sorted(absolutize))
    )
    return edit, shown


def _shown(new_text: str, target: _Target, node: ast.stmt, style: Style) -> str:
    """The replacement to report for one finding: scan's relative form, or the root form."""
    if style is Style.RELATIVE and target.imp.replacement is not None:
        return target.imp.replacement
    if target.alias_index is None or not isinstance(node, ast.Import):
        return new_text
    alias = node.names[target.alias_index]
    return f"import {alias.name.partition('.')[2]} as {alias.asname}"


_CACHE: dict[tuple[str, tuple[object, ...]], str] = {}


def _rewrite_text(text: str, key: tuple[object, ...]) -> str:
    """libcst on one statement's text. Same text and same rewrite: same answer, so cached."""
    cached = _CACHE.get((text, key))
    if cached is None:
        fast = rewrite_plain_head(text, key)
        cached = _CACHE[(text, key)] = fast if fast is not None else _rewrite_uncached(text, key)
    return cached


# `from <dotted> import _` with plain spaces: the common head, rewritten without libcst (whose
# import alone costs more than a small run). Anything else (comments, backslashes, tabs) goes to
# libcst; tests/imports/test_fix_properties.py checks that both give the same text.
_PLAIN_HEAD = re.compile(r"from( +)([^\W\d]\w*(?:\.[^\W\d]\w*)*)( +)import _")


def rewrite_plain_head(text: str, key: tuple[object, ...]) -> str | None:
    """The rewritten head of a plain ``from X import`` (``text`` ends in `` _``), or None."""
    if key[0] not in ("from-rel", "from-root"):
        return None
    match = _PLAIN_HEAD.fullmatch(text)
    if match is None:
        return None
    before, _, after = match.groups()
    if key[0] == "from-rel":
        _, level, rest = key
        module = "." * int(level) + str(rest)  # type: ignore[call-overload]
    else:
        module = str(key[1])
    return f"from{before}{module}{after}import _"


def _dotted(name: str):  # type: ignore[no-untyped-def]
    import libcst as cst

    parts = name.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _rewrite_uncached(text: str, key: tuple[object, ...]) -> str:
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise _Refused(f"libcst cannot parse the statement: {exc.message}", True) from None
    if len(module.body) != 1 or not isinstance(module.body[0], cst.SimpleStatementLine):
        raise _Refused("the statement is not a single simple statement", True)
    line = module.body[0]
    if len(line.body) != 1:
        raise _Refused("the statement is not a single simple statement", True)
    node = line.body[0]
    if module.code_for_node(node) != text:
        raise _Refused("libcst does not reproduce the statement exactly", True)
    kind = key[0]
    if kind == "from-rel":
        assert isinstance(node, cst.ImportFrom)
        _, level, rest = key
        new = node.with_changes(
            relative=[cst.Dot() for _ in range(int(level))],  # type: ignore[call-overload]
            module=_dotted(str(rest)) if rest else None,
        )
        return module.code_for_node(new)
    if kind == "from-root":
        assert isinstance(node, cst.ImportFrom)
        return module.code_for_node(node.with_changes(module=_dotted(str(key[1]))))
    if kind == "from-root-pkg":
        assert isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
        names = [cst.ImportAlias(name=a.name, asname=a.asname, comma=a.comma) for a in node.names]
        names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return module.code_for_node(cst.Import(names=names))
    assert isinstance(node, cst.Import) and kind == "import"
    _, style, fixes_items, sep = key
    fixes: dict[int, tuple[int, str, str]] = dict(fixes_items)  # type: ignore[call-overload]
    if style == Style.ROOT.value:
        aliases = [
            a.with_changes(name=_dotted(fixes[i][1])) if i in fixes else a
            for i, a in enumerate(node.names)
        ]
        return module.code_for_node(node.with_changes(names=aliases))
    parts: list[str] = []
    group: list[cst.ImportAlias] = []

    def flush() -> None:
        if group:
            group[-1] = group[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            ws = node.whitespace_after_import if not parts else cst.SimpleWhitespace(" ")
            parts.append(
                module.code_for_node(cst.Import(names=list(group), whitespace_after_import=ws))
            )
            group.clear()

    for i, alias in enumerate(node.names):
        if i not in fixes:
            group.append(alias)
            continue
        flush()
        level, rest, leaf = fixes[i]
        asname = alias.asname
        parts.append(
            module.code_for_node(
                cst.ImportFrom(
                    module=_dotted(rest) if rest else None,
                    relative=[cst.Dot() for _ in range(level)],
                    names=[cst.ImportAlias(name=cst.Name(leaf), asname=asname)],
                )
            )
        )
    flush()
    return str(sep).join(parts)
