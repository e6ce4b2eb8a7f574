"""`.env` syntax checks (JD306): each case is the file's bytes and the (code, line) it must give.

Every case declares one optional string variable so the schema's own findings stay out of the way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from envhelpers import counted, make_project, run_check

from jyoti_doctor.findings import Severity

SCHEMA = "# @optional\nAPP_MODE=\n"

# (id, .env bytes, environment, findings that count (non-strict), findings that count with --strict)
CASES: list[tuple[str, bytes, dict[str, str], list[tuple[str, int]], list[tuple[str, int]]]] = [
    ("clean", b"APP_MODE=fast\n# a comment\n\nOTHER='x y'\n", {}, [], []),
    (
        "unparsable line",
        b"APP_MODE=fast\nTHIS IS NOT AN ASSIGNMENT\n",
        {},
        [("JD306", 2)],
        [("JD306", 2)],
    ),
    ("unclosed quote", b'APP_MODE="fast\nOTHER=1\n', {}, [("JD306", 1)], [("JD306", 1)]),
    (
        "quote swallows lines",
        b'APP_MODE="fast\nOTHER=1"\n',
        {},
        [("JD304", 1), ("JD306", 1)],
        [("JD304", 1), ("JD306", 1)],
    ),
    ("duplicate key", b"APP_MODE=a\nOTHER=1\nAPP_MODE=b\n", {}, [], [("JD306", 3)]),
    ("value cut at space-hash", b"PASSWORD=abc #def\n", {}, [("JD306", 1)], [("JD306", 1)]),
    ("empty: space then hash", b"PASSWORD= #def\n", {}, [("JD306", 1)], [("JD306", 1)]),
    ("inline comment is fine", b"PORT_NUMBER=8000 # web port\n", {}, [], []),
    ("quoted hash is fine", b'PASSWORD="abc #def"\n', {}, [], []),
    ("hash without space is kept", b"PASSWORD=abc#def\n", {}, [], []),
    ("bom", b"\xef\xbb\xbfAPP_MODE=fast\n", {}, [], [("JD306", 1)]),
    ("crlf", b"APP_MODE=fast\r\nOTHER=1\r\n", {}, [], [("JD306", 1)]),
    ("utf-16", "APP_MODE=fast\n".encode("utf-16"), {}, [("JD306", 1)], [("JD306", 1)]),
    ("not utf-8", b"APP_MODE=fast\nOTHER=caf\xe9\n", {}, [("JD306", 2)], [("JD306", 2)]),
    ("undefined expansion", b"APP_MODE=${NOPE}/x\n", {}, [("JD306", 1)], [("JD306", 1)]),
    ("expansion from above", b"BASE=a\nAPP_MODE=${BASE}/x\n", {}, [], []),
    ("forward reference", b"APP_MODE=${BASE}/x\nBASE=a\n", {}, [("JD306", 1)], [("JD306", 1)]),
    ("expansion default", b"APP_MODE=${NOPE:-fast}\n", {}, [], []),
    ("expansion from environment", b"APP_MODE=${HOME_DIR}/x\n", {"HOME_DIR": "/srv"}, [], []),
    ("bare key", b"APP_MODE\n", {}, [], [("JD306", 1)]),
    ("spaces around =", b"APP_MODE = fast\n", {}, [], [("JD306", 1)]),
    ("not a shell name", b"APP-MODE=fast\n", {}, [], [("JD306", 1)]),
    ("export prefix is fine", b"export APP_MODE=fast\n", {}, [], []),
    (
        "line numbers after blank lines",
        b"\n\n# c\n\nAPP_MODE=a\nAPP_MODE=b\n",
        {},
        [],
        [("JD306", 6)],
    ),
]


@pytest.mark.parametrize(
    ("env", "environ", "expected", "expected_strict"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_syntax(
    tmp_path: Path,
    env: bytes,
    environ: dict[str, str],
    expected: list[tuple[str, int]],
    expected_strict: list[tuple[str, int]],
) -> None:
    root = make_project(tmp_path, env=env, example=SCHEMA)
    assert counted(run_check(root, environ=environ)) == sorted(expected)
    assert counted(run_check(root, environ=environ, strict=True)) == sorted(expected_strict)


def test_advice_is_info_without_strict_and_warning_with_it(tmp_path: Path) -> None:
    root = make_project(tmp_path, env=b"APP_MODE=a\r\n", example=SCHEMA)
    (finding,) = run_check(root).findings
    assert (finding.code, finding.severity) == ("JD306", Severity.INFO)
    (finding,) = run_check(root, strict=True).findings
    assert (finding.code, finding.severity) == ("JD306", Severity.WARNING)


def test_duplicate_key_keeps_the_last_value(tmp_path: Path) -> None:
    root = make_project(tmp_path, env="APP_MODE=a\nAPP_MODE=b\n", example=SCHEMA)
    report = run_check(root)
    (row,) = report.sections[0].rows
    assert row[0] == "APP_MODE" and row[2] == ".env:2" and row[4] == "b"
    assert "first on line 1" in report.findings[0].message


def test_unparsable_line_never_echoes_its_text(tmp_path: Path) -> None:
    root = make_project(tmp_path, env='API_TOKEN="tok-9f8e7d6c5b4a3928\n', example=SCHEMA)
    report = run_check(root)
    text = " ".join(f.message for f in report.findings)
    assert "API_TOKEN" in text and "unclosed quote" in text
    assert "9f8e7d6c5b4a3928" not in text


def test_several_files_the_later_one_wins(tmp_path: Path) -> None:
    # The one rule (env/resolve.py): a later --env-file wins, as with uv, docker compose and
    # pydantic-settings' env_file tuple; probe-db connects to that same value.
    root = make_project(tmp_path, example=SCHEMA)
    (root / "a.env").write_text("APP_MODE=from-a\nBASE=x\n")
    (root / "b.env").write_text("APP_MODE=from-b\nOTHER=${BASE}/y\n")
    report = run_check(root, env_files=[root / "a.env", root / "b.env"])
    (row,) = report.sections[0].rows
    assert row[4] == "from-b" and row[2] == "b.env:1"
    # b.env sees BASE, which a.env put in the environment.
    assert counted(report) == []
