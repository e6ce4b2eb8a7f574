# ruff: noqa: UP006, UP035, RUF012  (written the way pydantic v1 projects are)
from typing import List

from pydantic import PostgresDsn, SecretStr

from app.core.settings.base import BaseAppSettings


class AppSettings(BaseAppSettings):
    debug: bool = False
    title: str = "Realworld model"
    database_url: PostgresDsn
    max_connection_count: int = 10
    min_connection_count: int = 10
    secret_key: SecretStr
    api_prefix: str = "/api"
    allowed_hosts: List[str] = ["*"]

    class Config:
        validate_assignment = True
