"""Properties of the rewrite on generated package trees and import statements (hypothesis).

The oracle is CPython's own ``importlib.util.resolve_name``, not the code under test.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jyoti_doctor.imports.fix import FixOptions, fix_source
from jyoti_doctor.imports.roots import ModuleInfo, PackageRoot

ROOT = "pkg"
names = st.sampled_from(["a", "b", "core", "deps", "api", "pkg2", "util"])
dotted = st.lists(names, min_size=0, max_size=3).map(lambda parts: ".".join([ROOT, *parts]))
other = st.sampled_from(["os", "json.decoder", "pkg_utils", "pkgx.a", "collections.abc"])
alias = st.one_of(st.none(), st.sampled_from(["x", "y_", "z2"]))


@st.composite
def from_stmt(draw: st.DrawFn) -> str:
    module = draw(st.one_of(dotted, other))
    if draw(st.booleans()) and draw(st.booleans()):
        return f"from {module} import *"
    items = draw(st.lists(st.tuples(names, alias), min_size=1, max_size=3))
    body = ", ".join(n if a is None else f"{n} as {a}" for n, a in items)
    if draw(st.booleans()):
        body = "(\n    " + body.replace(", ", ",  # note\n    ") + ",\n)"
    return f"from {module} import {body}"


@st.composite
def import_stmt(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.one_of(dotted, other), alias), min_size=1, max_size=3))
    return "import " + ", ".join(m if a is None else f"{m} as {a}" for m, a in parts)


filler = st.sampled_from(
    [
        "",
        "x = 1",
        "# from pkg.a import b",
        's = "import pkg.a as q"',
        "def f():\n    return 1",
        '"""from pkg import deps"""',
    ]
)
context = st.sampled_from(["{}", "def g():\n    {}", "if True:\n    {}", "if 1: {}", "x = 0; {}"])


@st.composite
def source(draw: st.DrawFn) -> tuple[list[str], str]:
    segments: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        stmt = draw(st.one_of(from_stmt(), import_stmt()))
        ctx = draw(context)
        if "\n" in stmt and ctx in ("if 1: {}", "x = 0; {}"):
            ctx = "{}"
        stmt = ctx.format(
            stmt.replace("\n", "\n    ") if ctx.startswith(("def", "if True")) else stmt
        )
        segments += [draw(filler) + "\n", stmt + "\n"]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return [s.replace("\n", newline) for s in segments], newline


module_path = st.lists(names, min_size=0, max_size=3)


def bindings(data: bytes, package: str) -> list[tuple[str, str, str | None]]:
    out = []
    for node in ast.walk(ast.parse(data)):
        if isinstance(node, ast.ImportFrom):
            base = (
                importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                if node.level
                else node.module
            )
            out += [(a.asname or a.name, base, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    parent, _, leaf = a.name.rpartition(".")
                    out.append((a.asname, parent or a.name, leaf if parent else None))
                else:
                    out.append((a.name.split(".")[0], a.name, None))
    return sorted(out, key=lambda b: (b[0], b[1], b[2] or ""))


@settings(max_examples=150, deadline=None)
@given(source(), module_path, st.booleans())
def test_rewrite_is_exact_and_stable(
    src: tuple[list[str], str], where: list[str], init: bool
) -> None:
    segments, _ = src
    data = "".join(segments).encode()
    module = ".".join([ROOT, *where, "__init__" if init else "mod"])
    package = ".".join([ROOT, *where])
    info = ModuleInfo(
        PackageRoot(ROOT, Path("/nonexistent")), module.removesuffix(".__init__"), package
    )
    result = fix_source(data, "generated.py", info, FixOptions())
    assert result.error is None, result.error
    new = result.new if result.changed else data
    assert new is not None
    # Same names bound to the same absolute modules, by CPython's resolution.
    assert bindings(new, package) == bindings(data, package)
    # No absolute self-import of a from-import or an aliased import is left.
    for node in ast.walk(ast.parse(new)):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            assert not (node.module == ROOT or (node.module or "").startswith(ROOT + "."))
    # Bytes outside the import statements are the original bytes, in order.
    pos = 0
    for seg in segments[0::2]:
        found = new.find(seg.encode(), pos)
        assert found >= 0, seg
        pos = found + len(seg)
    # A second pass changes nothing.
    again = fix_source(new, "generated.py", info, FixOptions())
    assert not again.changed and again.error is None


HEADS = st.builds(
    lambda sp1, name, sp2: f"from{sp1}{name}{sp2}import _",
    st.sampled_from([" ", "  ", "\t", " \\\n "]),
    st.lists(st.sampled_from([ROOT, "deps", "api", "é", "v1"]), min_size=1, max_size=4).map(
        ".".join
    ),
    st.sampled_from([" ", "   ", "\t", " # c\n "]),
)
KEYS = st.one_of(
    st.tuples(st.just("from-rel"), st.integers(1, 4), st.sampled_from(["", "deps", "a.b"])),
    st.tuples(st.just("from-root"), st.sampled_from(["deps", "a.b"])),
)


@settings(max_examples=300, deadline=None)
@given(HEADS, KEYS)
def test_plain_head_rewrite_is_libcsts(head: str, key: tuple[object, ...]) -> None:
    from jyoti_doctor.imports.rewrite import _rewrite_uncached, rewrite_plain_head

    fast = rewrite_plain_head(head, key)
    if fast is not None:
        assert fast == _rewrite_uncached(head, key)


def test_plain_head_rewrite_is_taken() -> None:
    from jyoti_doctor.imports.rewrite import rewrite_plain_head

    assert rewrite_plain_head("from backend.deps import _", ("from-rel", 2, "deps")) == (
        "from ..deps import _"
    )
    assert rewrite_plain_head("from  backend  import _", ("from-rel", 1, "")) == "from  .  import _"
    assert rewrite_plain_head("from backend.deps import _", ("from-root", "deps")) == (
        "from deps import _"
    )
    assert rewrite_plain_head("from backend.deps import _", ("import", "x")) is None
