"""Mutation check: break the rewrite in several ways; verification must catch every one before
anything is written (the file keeps its bytes and its mtime, the report says it is a bug)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from jyoti_doctor.findings import ExitCode
from jyoti_doctor.imports import fix as fix_module
from jyoti_doctor.imports import rewrite
from jyoti_doctor.imports.fix import FixOptions, run_fix
from jyoti_doctor.imports.run import ImportSettings
from jyoti_doctor.rules import Rule
from tests.imports._fixtrees import make_tree

SOURCE = (
    b"import os\n"
    b"from backend.deps import get_db, sub as s  # keep\n"
    b"import backend.api.models as models\n"
    b"\n"
    b"def f():\n"
    b"    return os, get_db, s, models\n"
)

TEXT_MUTATIONS: dict[str, Callable[[str], str]] = {
    "one dot too many": lambda t: t.replace("from ..", "from ...", 1),
    "one dot too few": lambda t: t.replace("from ..", "from .", 1),
    "wrong module": lambda t: t.replace("..deps", "..dep", 1),
    "other name bound": lambda t: t.replace("as models", "as model", 1),
    "submodule instead of name": lambda t: t.replace("import models", "import apiv2", 1),
    "not an import": lambda t: "models = None" if "models" in t else t,
    "does not parse": lambda t: t.replace("import", "import (", 1),
    "left absolute": lambda t: t.replace("from ..deps", "from backend.deps", 1),
    "two statements": lambda t: t + "; import os",
    # The spans are parsed together: a string opened in one and closed in the next must not
    # pass for two import statements.
    "a string across two rewrites": lambda t: (
        "x = '''; " + t if "deps" in t else t + "  # '''" if "models" in t else t
    ),
}


@pytest.fixture
def routes(tmp_path: Path) -> Path:
    top = make_tree(tmp_path)
    path = top / "backend/api/routes.py"
    path.write_bytes(SOURCE)
    return path


def _assert_caught(path: Path) -> None:
    # Both verifications: of the rewritten spans (the default) and of the whole file.
    for whole in (False, True):
        rewrite._CACHE.clear()
        before = path.stat().st_mtime_ns
        options = FixOptions(check_syntax=whole)
        report = run_fix(ImportSettings(paths=(path,)), options, write=True).to_report()
        assert path.read_bytes() == SOURCE
        assert path.stat().st_mtime_ns == before
        assert Rule.VERIFICATION_FAILED in [f.rule for f in report.findings]
        assert report.exit_code() is ExitCode.INTERNAL


@pytest.mark.parametrize("name", sorted(TEXT_MUTATIONS))
def test_a_broken_statement_rewrite_is_caught(
    name: str, routes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rewrite._rewrite_text
    mutate = TEXT_MUTATIONS[name]
    monkeypatch.setattr(rewrite, "_rewrite_text", lambda text, key: mutate(real(text, key)))
    rewrite._CACHE.clear()
    _assert_caught(routes)


def _splice_extra_byte(data: bytes, edits: Sequence[rewrite.Edit]) -> bytes:
    return rewrite.splice(data, edits).replace(b"return os", b"return  os")


def _splice_lost_line(data: bytes, edits: Sequence[rewrite.Edit]) -> bytes:
    return rewrite.splice(data, edits).replace(b"import os\n", b"", 1)


def _splice_shifted(data: bytes, edits: Sequence[rewrite.Edit]) -> bytes:
    moved = [rewrite.Edit(e.start + 1, e.end + 1, e.new, e.line, e.bindings) for e in edits]
    return rewrite.splice(data, moved)


@pytest.mark.parametrize("splice", [_splice_extra_byte, _splice_lost_line, _splice_shifted])
def test_a_broken_splice_is_caught(
    splice: Callable[[bytes, Sequence[rewrite.Edit]], bytes],
    routes: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fix_module, "splice", splice)
    _assert_caught(routes)


def test_the_unbroken_rewrite_passes(routes: Path) -> None:
    report = run_fix(ImportSettings(paths=(routes,)), FixOptions(), write=True).to_report()
    assert report.exit_code() is ExitCode.OK
    assert routes.read_bytes().startswith(
        b"import os\nfrom ..deps import get_db, sub as s  # keep\nfrom . import models as models\n"
    )
