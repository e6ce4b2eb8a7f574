from app.core.config import get_app_settings

settings = get_app_settings()
