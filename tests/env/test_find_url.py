"""find_url finds the database like the app does, says which source it used, and tells a missing
configuration apart from a broken one."""

from __future__ import annotations

from pathlib import Path

import pytest

from jyoti_doctor.db.conninfo import NoDatabaseConfigured, find_url, parse_target
from jyoti_doctor.errors import UsageError

SETTINGS = """\
from pydantic_settings import BaseSettings, SettingsConfigDict

class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file="../.env")
    POSTGRES_SERVER: str
    POSTGRES_PORT: int = 5432
    POSTGRES_USER: str
    POSTGRES_PASSWORD: str = ""
    POSTGRES_DB: str = ""
"""


def _template(root: Path, dotenv: str) -> Path:
    backend = root / "backend"
    (backend / "app" / "core").mkdir(parents=True)
    (backend / "app" / "__init__.py").write_text("")
    (backend / "app" / "core" / "__init__.py").write_text("")
    (backend / "app" / "core" / "config.py").write_text(SETTINGS)
    (root / ".env").write_text(dotenv)
    return backend


def test_postgres_parts_from_the_settings_env_file(tmp_path: Path) -> None:
    backend = _template(
        tmp_path,
        "POSTGRES_SERVER=db.internal\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=p@ss word\n"
        "POSTGRES_DB=main\n",
    )
    raw = find_url(None, (), backend, {})
    assert raw.value == "postgresql://app:p%40ss%20word@db.internal:5432/main"
    assert raw.source.startswith("POSTGRES_SERVER, POSTGRES_PORT") and raw.line == 1
    assert raw.path is not None and raw.path.name == ".env"
    target = parse_target(raw)
    assert target.params["password"] == "p@ss word" and "p@ss" not in target.display


def test_database_url_beats_the_parts(tmp_path: Path) -> None:
    backend = _template(tmp_path, "POSTGRES_SERVER=db\nPOSTGRES_USER=app\n")
    raw = find_url(None, (), backend, {"DATABASE_URL": "postgresql://u@h/d"})
    assert raw.source == "environment"


def test_settings_url_field(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(
        "from pydantic import PostgresDsn\nfrom pydantic_settings import BaseSettings\n"
        "class Settings(BaseSettings):\n    sqlalchemy_uri: PostgresDsn\n"
    )
    (tmp_path / ".env").write_text("SQLALCHEMY_URI=postgresql://u@h/d\n")
    raw = find_url(None, (), tmp_path, {})
    assert raw.value == "postgresql://u@h/d" and raw.source == "SQLALCHEMY_URI in .env:1"


def test_libpq_variables(tmp_path: Path) -> None:
    raw = find_url(None, (), tmp_path, {"PGHOST": "127.0.0.1", "PGPASSWORD": "it's secret"})
    assert raw.source == "libpq variables PGHOST, PGPASSWORD"
    params = parse_target(raw).params
    assert params["host"] == "127.0.0.1" and params["password"] == "it's secret"


def test_nothing_configured_is_its_own_usage_error(tmp_path: Path) -> None:
    with pytest.raises(NoDatabaseConfigured, match="no database URL") as caught:
        find_url(None, (), tmp_path, {})
    assert isinstance(caught.value, UsageError)
    # A broken configuration is not "nothing configured".
    (tmp_path / ".env").mkdir()
    with pytest.raises(UsageError) as broken:
        find_url(None, (), tmp_path, {})
    assert not isinstance(broken.value, NoDatabaseConfigured)


@pytest.mark.parametrize(
    ("url", "environ", "message"),
    [
        ("", {}, "the --url flag is empty"),
        (None, {"DATABASE_URL": " "}, "DATABASE_URL in the environment is empty"),
    ],
)
def test_messages_name_the_real_source(
    tmp_path: Path, url: str | None, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        parse_target(find_url(url, (), tmp_path, environ))
