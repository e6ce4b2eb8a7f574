"""Detection of every import form in the import table of docs/contract.md, at any nesting, through the real scanner."""

from __future__ import annotations

from pathlib import Path

import pytest

from jyoti_doctor.findings import Applicability
from jyoti_doctor.imports.roots import PackageRoot, module_info
from jyoti_doctor.imports.scan import ScanOptions, SelfImport
from jyoti_doctor.imports.scanner import scan_source
from jyoti_doctor.rules import Rule

ROOT = PackageRoot("backend", Path("/proj"))


def scan(code: str, rel: str = "backend/api/routes.py", **options: object) -> list[SelfImport]:
    info = module_info(Path("/proj") / rel, [ROOT])
    assert info is not None
    result = scan_source(code.encode(), rel, info, ScanOptions(**options))  # type: ignore[arg-type]
    assert result.error is None, result.error
    return list(result.imports)


# (source line, code, replacement) for a file backend/api/routes.py (package backend.api).
FIX_CASES = [
    ("from backend.deps import get_db", Rule.ABSOLUTE_SELF_IMPORT, "from ..deps import get_db"),
    ("from backend.api.models import M", Rule.ABSOLUTE_SELF_IMPORT, "from .models import M"),
    ("from backend.api import models", Rule.ABSOLUTE_SELF_IMPORT, "from . import models"),
    ("from backend import deps", Rule.ABSOLUTE_SELF_IMPORT, "from .. import deps"),
    ("from backend.deps import *", Rule.ABSOLUTE_SELF_IMPORT, "from ..deps import *"),
    ("import backend.deps as d", Rule.ABSOLUTE_SELF_IMPORT, "from .. import deps as d"),
    ("import backend.deps.sub as s", Rule.ABSOLUTE_SELF_IMPORT, "from ..deps import sub as s"),
    ("from backend.api.routes import x", Rule.ABSOLUTE_SELF_IMPORT, "from .routes import x"),
    (
        "from backend.deps import (a as b, c)",
        Rule.ABSOLUTE_SELF_IMPORT,
        "from ..deps import a as b, c",
    ),
]


@pytest.mark.parametrize(("line", "code", "replacement"), FIX_CASES)
def test_fixable_forms(line: str, code: str, replacement: str) -> None:
    [found] = scan(line + "\n")
    assert (found.rule, found.replacement, found.applicability) == (
        code,
        replacement,
        Applicability.SAFE,
    )


@pytest.mark.parametrize("line", ["import backend.deps", "import backend", "import backend as b"])
def test_forms_without_relative_equivalent(line: str) -> None:
    [found] = scan(line + "\n")
    assert found.rule is Rule.SELF_IMPORT_NO_RELATIVE_FORM
    assert found.replacement is None
    assert found.applicability is Applicability.NONE
    assert "binds the name" in (found.reason or "")


def test_mixed_import_statement_reports_only_the_self_import() -> None:
    [found] = scan("import os, backend.deps as d\n")
    assert found.rule is Rule.ABSOLUTE_SELF_IMPORT
    assert found.replacement == "from .. import deps as d"
    assert (found.line, found.col) == (1, 12)


NESTED = {
    "function": "def f():\n    from backend.deps import x\n",
    "class": "class C:\n    from backend.deps import x\n",
    "type_checking": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from backend.deps import x\n",
    "try_except": "try:\n    from backend.deps import x\nexcept ImportError:\n    x = None\n",
    "except_body": "try:\n    pass\nexcept ImportError:\n    from backend.deps import x\n",
    "else_finally": "try:\n    pass\nexcept Exception:\n    pass\nelse:\n    from backend.deps import x\n",
    "with": "with open('f') as fh:\n    from backend.deps import x\n",
    "match": "match v:\n    case 1:\n        from backend.deps import x\n",
    "async_def": "async def f():\n    for i in range(2):\n        while True:\n            from backend.deps import x\n",
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_imports_are_found(name: str) -> None:
    found = scan(NESTED[name])
    assert [f.rule for f in found] == [Rule.ABSOLUTE_SELF_IMPORT]
    assert found[0].replacement == "from ..deps import x"


def test_script_file_gets_unsafe_fix() -> None:
    found = scan('from backend.deps import x\n\nif __name__ == "__main__":\n    x()\n')
    assert [(f.rule, f.applicability) for f in found] == [
        (Rule.SELF_IMPORT_IN_SCRIPT, Applicability.UNSAFE)
    ]


def test_main_guard_reversed_operands() -> None:
    found = scan('from backend.deps import x\nif "__main__" == __name__:\n    pass\n')
    assert found[0].rule is Rule.SELF_IMPORT_IN_SCRIPT


@pytest.mark.parametrize(
    "line",
    [
        'importlib.import_module("backend.deps")',
        'mock.patch("backend.deps.get_db")',
        '__import__("backend.deps")',
        'patch("backend")',
    ],
)
def test_dynamic_references_are_information(line: str) -> None:
    [found] = scan(line + "\n")
    assert found.rule is Rule.DYNAMIC_SELF_REFERENCE
    assert found.replacement is None


@pytest.mark.parametrize(
    "code",
    [
        "# from backend.deps import x\n",
        'S = "from backend.deps import x"\n',
        '"""\nfrom backend.deps import x\n"""\n',
        "x = 1  # import backend.deps as d\n",
        "from backend_utils import x\n",
        "import backend_utils.deps as d\n",
        "from backendx.deps import y\n",
        "from other.backend import z\n",
        "from .deps import get_db\n",
        "from ..deps import get_db\n",
        'importlib.import_module("backend_utils.x")\n',
    ],
)
def test_noop(code: str) -> None:
    assert scan(code) == []


def test_package_init_is_its_own_package() -> None:
    [found] = scan("from backend.deps import x\n", rel="backend/__init__.py")
    assert found.replacement == "from .deps import x"
    [found] = scan("from backend.api.models import M\n", rel="backend/api/__init__.py")
    assert found.replacement == "from .models import M"


def test_apiv2_is_not_api() -> None:
    [found] = scan("from backend.apiv2 import thing\n")
    assert found.replacement == "from ..apiv2 import thing"


def test_max_level_keeps_deep_imports_absolute() -> None:
    code = "from backend.deps import x\nfrom backend.api.models import M\n"
    found = scan(code, rel="backend/api/v1/routes.py", max_level=2)
    assert [(f.rule, f.replacement) for f in found] == [
        (Rule.KEPT_BY_MAX_LEVEL, "from ...deps import x"),
        (Rule.ABSOLUTE_SELF_IMPORT, "from ..models import M"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "from backend.deps import x  # jyoti-doctor: ignore",
        "from backend.deps import x  # noqa: JD101",
        "from backend.deps import x  # noqa",
        "from backend.deps import x  # noqa: E501, JD101",
        "from backend.deps import (  # noqa: JD101\n    x,\n)",
    ],
)
def test_suppression_comments(line: str) -> None:
    assert scan(line + "\n") == []


def test_noqa_for_another_code_does_not_suppress() -> None:
    assert [f.rule for f in scan("from backend.deps import x  # noqa: E501\n")] == [
        Rule.ABSOLUTE_SELF_IMPORT
    ]


def test_columns_are_characters_not_bytes() -> None:
    [found] = scan("s = 'é'; from backend.deps import x\n")
    assert (found.line, found.col) == (1, 10)


def test_location_span_of_parenthesised_import() -> None:
    [found] = scan("from backend.deps import (\n    a,  # why\n    b,\n)\n")
    assert (found.line, found.col, found.end_line, found.end_col) == (1, 1, 4, 2)
    assert "# why" in found.original
