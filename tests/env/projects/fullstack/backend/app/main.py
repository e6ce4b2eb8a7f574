"""The application object."""

from app.core.config import settings

title = settings.PROJECT_NAME
