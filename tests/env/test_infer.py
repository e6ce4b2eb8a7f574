"""The variables read directly by the code, found statically (nothing is imported or run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jyoti_doctor.env import infer as infer_module
from jyoti_doctor.env.infer import app_env_files, infer

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


def _settings_project(root: Path) -> Path:
    """A settings class whose env_file sits on a subclass in another module."""
    package = root / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(
        "from pydantic_settings import BaseSettings\n\nclass Base(BaseSettings):\n    debug: bool = False\n"
    )
    (package / "config.py").write_text(
        "from pydantic_settings import SettingsConfigDict\nfrom .base import Base\n\n"
        "class Settings(Base):\n    model_config = SettingsConfigDict(env_file='../.env.app')\n"
    )
    return root


def test_env_files_alone_match_the_full_inference(tmp_path: Path) -> None:
    # The secret masking asks only for the env files; it must find the ones infer() finds.
    root = _settings_project(tmp_path)
    alone = app_env_files(root)
    full = app_env_files(root, infer(root))
    assert alone is not None
    assert alone == full
    assert [p.name for p in alone.paths] == [".env.app"]
    assert alone.owner.startswith(f"app{os.sep}config.py:")


def test_no_source_naming_env_file_is_answered_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.py").write_text(
        "from pydantic_settings import BaseSettings\n\nclass S(BaseSettings):\n    debug: bool = False\n"
    )
    assert app_env_files(tmp_path) is None

    def no_parsing(*args: object) -> None:
        raise AssertionError("parsed although no source names env_file")

    monkeypatch.setattr(infer_module, "_modules", no_parsing)
    assert app_env_files(tmp_path) is None
    (tmp_path / "settings.py").write_text(
        "from pydantic_settings import BaseSettings\nX = dict(env_file='.env')\n"
    )
    with pytest.raises(AssertionError, match="parsed although"):
        app_env_files(tmp_path)


def test_without_direct_reads_the_settings_are_the_same(tmp_path: Path) -> None:
    # probe-db models only the settings classes before its deadline: their fields and env_file
    # must be exactly what the full inference finds.
    root = _settings_project(tmp_path)
    (root / "app" / "config.py").write_text(
        (root / "app" / "config.py").read_text() + "    database_url: PostgresDsn\n"
    )
    (root / "app" / "jobs.py").write_text("import os\nTOKEN = os.environ['JOB_TOKEN']\n")
    full = infer(root)
    settings_only = infer(root, direct_reads=False)
    assert {v.name for v in full.variables} == {"DEBUG", "DATABASE_URL", "JOB_TOKEN"}
    assert settings_only.variables == tuple(v for v in full.variables if not v.direct)
    assert settings_only.env_files == full.env_files == ("../.env.app",)
    assert settings_only.reads == ()
