from functools import lru_cache

from app.core.settings.app import AppSettings
from app.core.settings.production import ProdAppSettings


@lru_cache
def get_app_settings() -> AppSettings:
    return ProdAppSettings()
