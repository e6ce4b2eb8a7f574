"""Discovery's compiled exclude matcher answers exactly as pathspec does."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from jyoti_doctor.files import DEFAULT_EXCLUDES, _spec, display_path, exclude_matcher

NAMES = [
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "src",
    "backend",
    "a.py",
    "build.py",
    ".tox",
    "x.egg-info",
    "site-packages",
    ".mypy_cache",
    "migrations",
]


def paths() -> list[str]:
    out = []
    for depth in (1, 2, 3):
        for combo in itertools.product(NAMES, repeat=depth):
            rel = "/".join(combo)
            out += [rel, rel + "/"]
    return out


@pytest.mark.parametrize(
    "patterns",
    [
        list(DEFAULT_EXCLUDES),
        [*DEFAULT_EXCLUDES, "migrations/", "*.egg-info", "/src/build.py"],
        ["build/", "!build/keep.py"],  # a negation: pathspec itself answers
    ],
)
def test_compiled_matcher_agrees_with_pathspec(patterns: list[str]) -> None:
    spec = _spec(patterns)
    fast = exclude_matcher(spec)
    for rel in paths():
        assert fast(rel) == spec.match_file(rel), rel


@pytest.mark.parametrize(
    "path",
    [
        "x.py",
        "./x.py",
        "a/./b/x.py",
        "a//b/x.py",
        "a/../b/x.py",
        "a/../../b/x.py",
        "../x.py",
        "..foo/x.py",
        "../../a/b",
        ".",
        "a/b/",
        "/abs/x.py",
        "",
    ],
)
def test_display_path_shortcut_agrees_with_relpath(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reference is the definition: relative to the working directory when below it.
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # an empty path
        rel = ".." + path
    assert display_path(path) == (path if rel.startswith("..") else rel)
