"""The README's examples run as shown.

Every ``$ jyoti-doctor …`` line of a console block that names a bundled fixture ends with the
exit code it gives (``(exit N)`` in its comment); the test runs it on a fresh copy of
``fixtures/`` and compares the exit code, and every output line the README shows under it (``...``
stands for lines left out; a line ending in ``...`` is compared up to there). Lines that need a
database or a project of the reader's own name none of the fixtures and are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
EXIT = re.compile(r"\(exit (\d+)\)\s*$")


@dataclass(frozen=True)
class Example:
    line: int
    argv: tuple[str, ...]
    exit_code: int | None
    shown: tuple[str, ...]

    def __str__(self) -> str:
        return f"README.md:{self.line}: {shlex.join(self.argv)}"


def examples() -> list[Example]:
    found: list[Example] = []
    lines = README.read_text(encoding="utf-8").splitlines()
    in_console = False
    current: tuple[int, str] | None = None
    shown: list[str] = []

    def close() -> None:
        if current is None:
            return
        number, command = current
        # The shell's own rules: a quoted '#' is an argument, an unquoted one starts the comment.
        argv = tuple(shlex.split(command, comments=True))[1:]  # drop "jyoti-doctor"
        match = EXIT.search(command)
        found.append(Example(number, argv, int(match.group(1)) if match else None, tuple(shown)))

    for number, text in enumerate(lines, 1):
        if text.startswith("```"):
            if in_console:
                close()
                current, shown = None, []
            in_console = text.strip() == "```console"
            continue
        if not in_console:
            continue
        if text.startswith("$ jyoti-doctor"):
            close()
            current, shown = (number, text[2:]), []
        elif current is not None:
            shown.append(text)
    return found


EXAMPLES = examples()


def test_every_fixture_example_states_its_exit_code() -> None:
    unmarked = [str(e) for e in EXAMPLES if "fixtures/" in " ".join(e.argv) and e.exit_code is None]
    assert unmarked == []
    assert sum(1 for e in EXAMPLES if e.exit_code is not None) >= 10


def _shown_lines_match(shown: tuple[str, ...], output: str) -> list[str]:
    actual = [line.rstrip() for line in output.splitlines()]
    missing = []
    for want in shown:
        want = want.rstrip()
        if not want or want == "...":
            continue
        if want.endswith("..."):
            prefix = want[:-3]
            if not any(a.startswith(prefix) for a in actual):
                missing.append(want)
        elif want not in actual:
            missing.append(want)
    return missing


@pytest.mark.slow
@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.exit_code is not None], ids=lambda e: f"line{e.line}"
)
def test_readme_example(example: Example, tmp_path: Path) -> None:
    shutil.copytree(
        REPO / "fixtures",
        tmp_path / "fixtures",
        symlinks=True,
        # Bytecode another test worker may be writing while this copy runs.
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / ".cache"),
        "NO_COLOR": "1",
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "jyoti_doctor", *example.argv],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == example.exit_code, f"{example}\n{done.stdout}\n{done.stderr}"
    assert _shown_lines_match(example.shown, done.stdout) == [], f"{example}\n{done.stdout}"
