"""Discovery's compiled exclude matcher answers exactly as pathspec does."""

from __future__ import annotations

import itertools

import pytest

from jyoti_doctor.files import DEFAULT_EXCLUDES, _spec, exclude_matcher

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
