"""The variables read directly by the code, found statically (nothing is imported or run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jyoti_doctor.env.infer import infer

# (source, {name: (required, default)})
CASES = [
    (
        (
            "import os\nA = os.environ['ALPHA']\nB = os.environ.get('BETA')\n"
            "C = os.getenv('GAMMA', '3')\n"
        ),
        {"ALPHA": (True, None), "BETA": (False, None), "GAMMA": (False, "3")},
    ),
    (
        "from os import environ, getenv\nA = environ['ALPHA']\nB = getenv('BETA', 'b')\n",
        {"ALPHA": (True, None), "BETA": (False, "b")},
    ),
    (
        (
            "from dotenv import dotenv_values\nvalues = dotenv_values('.env')\n"
            "A = values['ALPHA']\nB = values.get('BETA')\n"
        ),
        {"ALPHA": (True, None), "BETA": (False, None)},
    ),
    (
        (
            "from starlette.config import Config\nconfig = Config('.env')\n"
            "A = config('ALPHA', cast=int)\nB = config('BETA', default='x')\n"
        ),
        {"ALPHA": (True, None), "BETA": (False, "x")},
    ),
    (
        "from decouple import config\nA = config('ALPHA')\nB = config('BETA', default=False, cast=bool)\n",
        {"ALPHA": (True, None), "BETA": (False, "false")},
    ),
    (
        "from environs import Env\nenv = Env()\nA = env.str('ALPHA')\nB = env.int('BETA', 5)\n",
        {"ALPHA": (True, None), "BETA": (False, "5")},
    ),
    (
        "import environ\nenv = environ.Env()\nA = env('ALPHA')\nB = env.bool('BETA', default=True)\n",
        {"ALPHA": (True, None), "BETA": (False, "true")},
    ),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_direct_reads(
    tmp_path: Path, source: str, expected: dict[str, tuple[bool, str | None]]
) -> None:
    (tmp_path / "settings.py").write_text(source)
    found = {v.name: (v.required, v.default) for v in infer(tmp_path).variables}
    assert found == expected


def test_tests_and_unparsable_files_are_not_the_app(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("import os\nos.environ['ONLY_IN_TESTS']\n")
    (tmp_path / "broken.py").write_text("import os\nos.environ['X'] = (\n")
    assert infer(tmp_path).variables == ()
