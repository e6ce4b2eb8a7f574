"""A big .env costs linear work, and the fast path of the parser is python-dotenv's parser."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from dotenv.parser import parse_stream
from envhelpers import make_project, run_check
from hypothesis import given, settings
from hypothesis import strategies as st

from jyoti_doctor.env.load import parse_bindings, parse_dotenv

LINE_PARTS = st.sampled_from(
    [
        "A",
        "b_1",
        "=",
        "x",
        " ",
        "\t",
        "#",
        "'",
        '"',
        "\\",
        "$",
        "{",
        "}",
        "\n",
        "\r",
        "\r\n",
        "export ",
        "é",
        "\ufeff",
        ".",
        "-",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(LINE_PARTS, max_size=40).map("".join))
def test_fast_path_gives_python_dotenv_bindings(text: str) -> None:
    assert list(parse_bindings(text)) == list(parse_stream(io.StringIO(text)))


def test_fast_path_on_a_realistic_file() -> None:
    text = "A=1\n\nexport B='two words'\nC=x#y\nD=${A}\r\nE=\nF\n# c\nG=\"q\nH=1\"\n"
    assert list(parse_bindings(text)) == list(parse_stream(io.StringIO(text)))


class CountingEnviron(Mapping[str, str]):
    """An environment that counts how often it is walked whole (a copy walks it)."""

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data
        self.walks = 0

    def __getitem__(self, key: str) -> str:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        self.walks += 1
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def keys(self) -> Any:
        self.walks += 1
        return self.data.keys()


def _dotenv(lines: int) -> str:
    return "".join(f"VAR_{i}=value-{i}\nREF_{i}=${{VAR_{i}}}/x\n" for i in range(lines // 2))


def test_the_environment_is_not_copied_per_line() -> None:
    environ = CountingEnviron({f"E{i}": "v" for i in range(100)})
    entries, _ = parse_dotenv(_dotenv(2000), ".env", environ)
    assert len(entries) == 2000 and entries[1].value == "value-0/x"
    assert environ.walks <= 1


def _calls(root: Path) -> int:
    """Python and C function calls made by one check-env run: a measure of work, not of time."""
    count = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        run_check(root)
    finally:
        sys.setprofile(None)
    return count


def test_check_env_work_grows_linearly(tmp_path: Path) -> None:
    small = make_project(tmp_path / "small", env=_dotenv(1000))
    big = make_project(tmp_path / "big", env=_dotenv(4000))
    _calls(small)  # imports and caches warmed
    ratio = _calls(big) / _calls(small)
    # Four times the lines, about four times the calls; a copy or a scan per line would be 16.
    assert ratio < 4.6, ratio
