"""The statement scanner against the whole-file parse: identical findings on every file of this
interpreter's standard library and on a generated corpus of tricky files. The only allowed
difference is a file whose whole-file parse fails (a syntax error outside its imports), and each
such file is listed."""

from __future__ import annotations

import random
import sys
import sysconfig
from pathlib import Path

import pytest

from jyoti_doctor.config import Style
from jyoti_doctor.imports.fix import FixOptions, fix_source
from jyoti_doctor.imports.quick import _maybe_dynamic, quick_scan
from jyoti_doctor.imports.roots import PackageRoot, module_info
from jyoti_doctor.imports.scan import FileScan, ScanOptions
from jyoti_doctor.imports.scanner import scan_source

WHOLE = ScanOptions(check_syntax=True)
FAST = ScanOptions()


def compare(
    data: bytes,
    path: Path,
    root: PackageRoot,
    styles: tuple[Style, ...] = (Style.RELATIVE, Style.ROOT),
) -> tuple[FileScan, FileScan]:
    info = module_info(path, [root])
    assert info is not None
    fast = scan_source(data, str(path), info, FAST)
    whole = scan_source(data, str(path), info, WHOLE)
    if whole.error is None and any(i.replacement for i in whole.imports):
        # The fixes too: byte-identical, from the statements' parse and from the whole file's.
        for style in styles:
            quick_fix = fix_source(data, str(path), info, FixOptions(style=style))
            whole_fix = fix_source(
                data, str(path), info, FixOptions(style=style, check_syntax=True)
            )
            assert quick_fix.new == whole_fix.new, (path, style)
            assert quick_fix.error is None and whole_fix.error is None, (path, quick_fix.error)
    return fast, whole


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")
def test_standard_library_gives_identical_findings() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    packages = [
        p
        for p in sorted(stdlib.iterdir())
        if (p / "__init__.py").is_file() and p.name.isidentifier()
    ]
    assert len(packages) > 20
    compared = quick = 0
    unparsable: list[str] = []
    for package in packages:
        root = PackageRoot(package.name, stdlib)
        for path in sorted(package.rglob("*.py")):
            if "site-packages" in path.parts:
                continue
            data = path.read_bytes()
            compared += 1
            info = module_info(path, [root])
            assert info is not None
            if quick_scan(data, str(path), info, FAST) is None:
                continue  # the whole-file parse either way: nothing to compare
            quick += 1
            fast, whole = compare(data, path, root, (Style.RELATIVE,))
            if whole.error is not None and fast.error is None:
                unparsable.append(str(path.relative_to(stdlib)))
                continue
            assert fast == whole, path
    # Many files must take the fast path, or this test compares nothing (most of the rest are
    # test scripts with a __main__ block, which take the whole-file path).
    assert compared > 500 and quick > compared // 3, (compared, quick)
    # The standard library's deliberately broken files (lib2to3 test data and the like).
    print(f"\n{compared} files, {quick} by statements; unparsable as a whole: {unparsable}")
    assert len(unparsable) < 20


PIECES = [
    "from backend.deps import get_db\n",
    "import backend.deps as d\n",
    "import backend\n",
    "import os, backend.api.models as m\n",
    "from backend.api import (\n    a,  # a comment with ) and (\n    b as c,\n)\n",
    "from backend.deps import \\\n    x\n",
    "from backend.deps import x  # noqa: JD101\n",
    "from backend.deps import y  # noqa: E501\n",
    "from . import sibling\n",
    "from .. import deps\n",
    '"""A docstring.\nfrom backend.deps import not_an_import\n"""\n',
    "X = '''\nimport backend.fake\n'''\n",
    "S = 'from backend.deps import nope'\n",
    "# from backend.deps import commented\n",
    "def f():\n    from backend.deps import inner\n    return inner\n",
    "class C:\n    import backend.api.models as models\n",
    "try:\n    from backend.deps import maybe\nexcept ImportError:\n    maybe = None\n",
    "if TYPE_CHECKING:\n    from backend.api.models import M\n",
    "x = 1; import backend.deps as inline\n",
    "if True: from backend.deps import on_header\n",
    "def g():\n    try:\n        raise ValueError('x') \\\n            from None\n    finally:\n        pass\n",
    "def h():\n    return (yield\n            from range(3))\n",
    "café = 'é'; é = 1\nfrom backend.deps import après\n",
    "\tfrom_x = 1\n",
    "\f\nfrom backend.deps import after_form_feed\n",
    "if x:\n\tfrom backend.deps import tabbed\n",
    "name = f'{1}'\nfrom backend.deps import after_fstring\n",
    "def broken(:\n",
    "from backend.deps import (a,\n",
    "'unterminated\n",
    "match x:\n    case {'k': 1}:\n        import backend.api.models as mm\n",
    "data = {\n    'from': 1,\n    'import': 2,\n}\n",
    "from backend_utils import nothing_of_ours\n",
    "importlib = 1\nfromage = 2\n",
    "async def a():\n    import backend.deps.sub as s\n",
    "lambda: 0\n",
    'importlib.import_module("backend.deps")\n',
    'dispatch("backend.api")\n',
    "autoreload('backend')\n",
    'm = mock.patch(  # c\n    "backend.deps.get_db")\n',
    "x = (reload)('backend.deps')\n",
    "r'\\'' ; b = 1\n",
    "'''a \\''' still''' + 'from backend.deps import in_string'\n",
    # Dynamic references found from their logical lines alone (and the lines that defeat it).
    '@mock.patch("backend.deps.get_db")\ndef test_a():\n    pass\n',
    'class T:\n    @patch(\n        "backend.api.x",  # a comment\n    )\n    def t(self): ...\n',
    "if a:\n    pass\nelif patch('backend.api.y'):\n    pass\nelse:  # 'backend.z'\n    pass\n",
    "try:\n    pass\nexcept reload('backend.e'):\n    pass\nfinally:  # 'backend.f'\n    pass\n",
    'with patch("backend.deps.w") as w, \\\n        patch("backend.deps.v"):\n    pass\n',
    'def d(x=import_module("backend.deps")):\n    return x\n',
    'y = foo(import_module("\\x62ackend.hidden"),\n        "backend.shown")\n',
    'z = import_module("" "backend.joined")\n',
    'w = import_module("back" "end.split")\n',
    '"""Docs that name "backend.deps" and\n    import_module(\'backend.in_doc\')"""\n',
    "# patch('backend.only_in_a_comment')\n",
    "q = find_spec('backend' + '.x'); r = [__import__('backend.deps')]\n",
    "match v:\n    case 1 if import_module('backend.case'):\n        pass\n",
    "s = patch('backend.unbalanced'))\n",
    "t = patch('backend.unterminated)\n",
    "\uff49mport_module('backend.nfkc')\n",
    "if c: import_string('backend.inline_header')\n",
    "from backend.deps import u  # patch('backend.same_line')\n",
    # A guard-shaped line parsed alone stays out of the module's top level; a top-level guard
    # spelt without the literal `__main__` still takes the whole-file path.
    'def n():\n    if __name__ == "\\x5f_main__":  # patch("backend")\n        pass\n',
    'def o():\n    if __name__ == "\\x5f_main__": patch("backend.x")\n',
    'if __name__ == "\\x5f_main__":\n    pass\n',
    'if (\n    __name__ == "\\x5f_main__"\n):\n    pass\n',
    '  \fif __name__ == "\\x5f_main__":\n    pass\n',
    '\t\fif "__ma" "in__" == __name__:\n    pass\n',
    "\ffrom backend import (fa,\n    fb)\n",
]


def test_generated_tricky_files_give_identical_findings(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    root = PackageRoot("backend", tmp_path)
    path = tmp_path / "backend/api/routes.py"
    quick = dynamic = 0
    for _ in range(600):
        data = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8))).encode()
        if rng.random() < 0.5:
            # Other code around: a file made mostly of reference lines is parsed whole.
            data += b"_ = 0\n" * 100
        fast, whole = compare(data, path, root)
        info = module_info(path, [root])
        assert info is not None
        quick += quick_scan(data, str(path), info, FAST) is not None
        if whole.error is not None and fast.error is None:
            # Allowed: the syntax error is outside every import statement.
            assert not fast.imports or all(i.line for i in fast.imports)
            continue
        assert fast == whole, data.decode()
        dynamic += quick_scan(data, str(path), info, FAST) is not None and _maybe_dynamic(
            data, b"backend"
        )
    assert quick > 100
    # Files with a possible dynamic reference must take the statement path too, or the
    # logical-line search for them is compared on nothing.
    assert dynamic > 50, dynamic


def test_allowed_difference_is_only_outside_imports() -> None:
    root = PackageRoot("backend", Path("/p"))
    path = Path("/p/backend/m.py")
    data = b"from backend.deps import x\ndef broken(:\n"
    fast, whole = compare(data, path, root)
    assert whole.error is not None
    assert fast.error is None and [i.line for i in fast.imports] == [1]
    # A broken import statement itself sends the file to the whole-file parse.
    fast, whole = compare(b"from backend.deps import (x,\n", path, root)
    assert fast == whole and fast.error is not None


if sys.version_info >= (3, 12):

    def test_nested_fstrings_take_the_whole_file_path() -> None:
        root = PackageRoot("backend", Path("/p"))
        info = module_info(Path("/p/backend/m.py"), [root])
        assert info is not None
        data = b'x = f"{"\\n"}"\nfrom backend.deps import x\n'
        assert quick_scan(data, "m.py", info, FAST) is None


def test_many_dynamic_references_cost_linear_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each line holding a reference is parsed alone and moved to its place afterwards: the
    bytes parsed grow with the file, not with (lines x file) as padding each line would."""
    import ast

    from jyoti_doctor.imports import quick

    parsed: list[int] = []
    real_parse = ast.parse

    def counting_parse(source: bytes, *args: object, **kwargs: object) -> ast.Module:
        parsed.append(len(source))
        return real_parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(quick.ast, "parse", counting_parse)
    lines = [b"from importlib import import_module\n"]
    # Beside other code: a file made mostly of such lines is parsed whole, as cheaper.
    filler = b"".join(b"y%d = %d\n" % (i, i) for i in range(5))
    lines += [b"x%d = import_module('backend.m%d')\n%s" % (i, i, filler) for i in range(3000)]
    data = b"".join(lines)
    root = PackageRoot("backend", Path("/p"))
    info = module_info(Path("/p/backend/m.py"), [root])
    assert info is not None
    scan = quick_scan(data, "m.py", info, FAST)
    assert scan is not None and len(scan.imports) == 3000
    assert scan.imports[-1].line == 1 + 2999 * 6 + 1
    assert sum(parsed) < 3 * len(data), (sum(parsed), len(data))
