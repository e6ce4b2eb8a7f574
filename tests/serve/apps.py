"""Small real applications written into a temporary project, one per serving scenario."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROUTERS_APP = {
    "routers/__init__.py": "",
    "routers/items.py": """
        from fastapi import APIRouter

        router = APIRouter(prefix="/items")


        @router.get("/")
        def list_items() -> list[int]:
            return [1, 2]
    """,
    "routers/health.py": """
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
    """,
    "main.py": """
        from fastapi import FastAPI

        from routers import health, items

        app = FastAPI()
        app.include_router(health.router)
        app.include_router(items.router)
    """,
}

SWALLOWED_APP = {
    **ROUTERS_APP,
    "routers/billing.py": """
        from fastapi import APIRouter

        from backend.deps import get_db

        router = APIRouter(prefix="/billing")


        @router.get("/invoices")
        def invoices() -> list[int]:
            return []
    """,
    "main.py": """
        import logging

        from fastapi import FastAPI

        from routers import health, items

        logging.basicConfig(level=logging.INFO)
        logger = logging.getLogger("shop")

        app = FastAPI()
        app.include_router(health.router)
        app.include_router(items.router)
        try:
            from routers import billing

            app.include_router(billing.router)
        except Exception as e:
            logger.error(f"Failed to register billing endpoints: {e}")
    """,
}

LIFESPAN_APP = {
    "main.py": """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("cache warm-up failed")
            yield


        app = FastAPI(lifespan=lifespan)
    """,
}

NEVER_BINDS_APP = {
    # Starts, prints, and never listens; it also ignores SIGTERM, so only SIGKILL stops it.
    "main.py": """
        import signal
        import time

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("warming up the model cache...", flush=True)
        while True:
            time.sleep(1)
    """,
}


def wrong_port_app(port: int) -> dict[str, str]:
    """A script that starts uvicorn on a fixed port and ignores $PORT."""
    return {
        "main.py": f"""
            import uvicorn
            from fastapi import FastAPI

            app = FastAPI()

            if __name__ == "__main__":
                uvicorn.run(app, host="127.0.0.1", port={port})
        """,
    }


GUNICORN_BROKEN_WORKER = {
    "wsgi.py": """
        import os

        DATABASE_READY = os.environ["DATABASE_READY"]  # KeyError in every worker


        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
    """,
}

WSGI_APP = {
    "wsgi.py": """
        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
    """,
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def database_lifespan_app(port: int) -> dict[str, str]:
    """An app whose start-up connects to a PostgreSQL port where nothing listens."""
    return {
        "main.py": f"""
            from contextlib import asynccontextmanager

            import psycopg
            from fastapi import FastAPI


            @asynccontextmanager
            async def lifespan(app):
                psycopg.connect(
                    "postgresql://app:pw-not-shown@127.0.0.1:{port}/app", connect_timeout=2
                ).close()
                yield


            app = FastAPI(lifespan=lifespan)
        """,
    }
