"""Helpers for the check-env tests: a project directory, a controlled environment, checks."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

from jyoti_doctor.config import Settings
from jyoti_doctor.env.check import check_env
from jyoti_doctor.findings import Report

CLIENT_PREFIXES = ("NEXT_PUBLIC_", "VITE_", "REACT_APP_", "PUBLIC_", "SUPABASE_", "SENTRY_")
NAMES = ("DATABASE_URL", "OPENAI_API_KEY", "SENTRY_DSN", "PORT", "APP_MODE", "GREETING")


def make_project(
    root: Path,
    env: str | bytes | None = None,
    example: str | None = None,
    pyproject: str | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if env is not None:
        data = env if isinstance(env, bytes) else env.encode("utf-8")
        (root / ".env").write_bytes(data)
    if example is not None:
        (root / ".env.example").write_text(example, encoding="utf-8")
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return root


def run_check(
    root: Path,
    *,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
    config: Settings | None = None,
    **kwargs: object,
) -> Report:
    result = check_env(
        root,
        config or Settings(),
        environ=dict(environ or {}),
        strict=strict,
        **kwargs,  # type: ignore[arg-type]
    )
    return result.to_report()


def codes_lines(report: Report) -> list[tuple[str, int | None]]:
    return sorted(
        ((f.code, f.location.line if f.location else None) for f in report.findings),
        key=lambda t: (t[0], t[1] or 0),
    )


def counted(report: Report) -> list[tuple[str, int | None]]:
    """Only the findings that change the exit code."""
    return sorted(
        ((f.code, f.location.line if f.location else None) for f in report.findings if f.counts),
        key=lambda t: (t[0], t[1] or 0),
    )


def jwt(claims: dict[str, object], signature: str = "c2lnbmF0dXJlLW5vdC1jaGVja2Vk") -> str:
    def part(obj: dict[str, object]) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{signature}"


OPENAI_KEY = "sk-proj-Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A"
DB_URL = "postgresql://app:s3cretPassw0rd@db.example.internal:5432/app"
SENTRY = "https://0123456789abcdef0123456789abcdef@o123456.ingest.sentry.io/4505"
