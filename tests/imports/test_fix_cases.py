"""Case files (black-style): input, an ``# output`` marker, the expected bytes.

Headers: ``# flags: ...`` (fix-imports options), ``# path: ...`` (where the file sits, default
``backend/api/routes.py``), ``# tree: package|namespace|src``. No marker means "unchanged".
Case files are read and compared as bytes, so BOMs, CRLF and latin-1 survive.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from tests.imports._fixtrees import make_tree

CASES = Path(__file__).parent / "cases"
_MARKER = re.compile(rb"^# output\n", re.MULTILINE)
_HEADER = re.compile(rb"# (flags|path|tree): (.*)\n")


def read_case(path: Path) -> tuple[dict[str, str], bytes, bytes]:
    data = path.read_bytes()
    headers: dict[str, str] = {}
    while (m := _HEADER.match(data)) is not None:
        headers[m.group(1).decode()] = m.group(2).decode()
        data = data[m.end() :]
    parts = _MARKER.split(data, maxsplit=1)
    source = parts[0]
    expected = parts[1] if len(parts) == 2 else source
    return headers, source, expected


def run(runner: CliRunner, args: list[str]) -> tuple[int, dict]:
    result = runner.invoke(app, ["fix-imports", *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("case", sorted(CASES.glob("*.case")), ids=lambda p: p.stem)
def test_case(case: Path, tmp_path: Path, runner: CliRunner) -> None:
    headers, source, expected = read_case(case)
    top = make_tree(tmp_path, headers.get("tree", "package"))
    target = top / headers.get("path", "backend/api/routes.py")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source)
    flags = shlex.split(headers.get("flags", ""))

    _, dry = run(runner, [str(target), *flags])
    assert target.read_bytes() == source, "a dry run must not write"
    assert dry["summary"]["files_would_change"] == (0 if expected == source else 1)

    _, written = run(runner, [str(target), "--write", *flags])
    assert target.read_bytes() == expected
    assert not [f for f in written["findings"] if f["code"] == "JD199"]

    _, again = run(runner, [str(target), *flags])
    assert again["summary"]["files_would_change"] == 0, "a second pass must change nothing"
