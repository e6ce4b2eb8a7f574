"""The secret values of a project's environment, in every form an app may print them.

An app rarely prints a secret exactly as ``.env`` holds it: it logs the password it parsed out
of ``DATABASE_URL``, raises with a key after ``.strip()``, shows a value without its stray
quotes. Masking captured output and every error path needs each of those forms, from variables
named like secrets and from values that look like credentials whatever their name. This module
is the one place that collects them; :mod:`jyoti_doctor.masking` is the one place that masks.
Nothing here raises: the secrets are collected before any command can fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote

from ..errors import UsageError
from ..masking import is_secret_name, looks_like_secret, password_candidates

# Shorter strings are not masked (mask_text ignores them too): they would garble unrelated text.
MIN_LENGTH = 4
# Values that a secret-named flag holds (AUTH_ENABLED=true) and that are no secret at all.
_PLAIN = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})


def read_env_file(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``KEY -> value`` of one ``.env`` file as python-dotenv reads it; ``{}`` when unreadable.

    The file is decoded like check-env decodes it (UTF-16 included); bytes that are not valid
    are replaced rather than failing, so a broken file still yields its secrets.
    """
    from .load import read_dotenv

    env = dict(os.environ if environ is None else environ)
    try:
        if not _is_file(path):
            return {}
        loaded = read_dotenv(path, path.name, env)
    except (UsageError, OSError, ValueError):
        return {}
    return {e.key: e.value for e in loaded.entries if e.value is not None}


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a path the system refuses (too long, no permission)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def variants(value: str) -> set[str]:
    """The forms of one secret an app may print, long enough to be masked safely.

    Whole, stripped, unquoted, cleaned as check-env cleans it (no invisible characters, no
    typographic quotes), each piece around a character that could not be decoded, and the
    password of a URL or ``password=`` field inside it.
    """
    from .validators import clean_value

    stripped = value.strip()
    forms = {value, stripped, stripped.strip("'\"").strip(), clean_value("", value).value}
    found = set(forms)
    for text in forms:
        found.update(piece for piece in text.split("\ufffd") if len(piece) >= 6)
        for candidate in password_candidates(text):
            found.update((candidate, candidate.strip(), unquote(candidate)))
    return {s for s in found if len(s) >= MIN_LENGTH and s.lower() not in _PLAIN}


def secret_values(pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Every form of every secret among ``(name, value)`` pairs, longest first."""
    found: set[str] = set()
    for name, value in pairs:
        if not value:
            continue
        if is_secret_name(name) or looks_like_secret(value):
            found |= variants(value)
            continue
        # A credential inside a longer value: a pasted key, a URL with a password.
        for token in value.split():
            if looks_like_secret(token):
                found |= variants(token)
        if "://" in value or "password" in value.lower():
            for candidate in password_candidates(value):
                found |= variants(candidate)
    return tuple(sorted(found, key=len, reverse=True))


def file_secrets(
    paths: Iterable[Path], environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The secrets among the values of the given ``.env`` files (missing files are skipped)."""
    pairs: list[tuple[str, str]] = []
    for path in paths:
        pairs.extend(read_env_file(Path(path), environ).items())
    return secret_values(pairs)


def project_secrets(
    project_dir: Path,
    *more_dirs: Path | None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The secrets of the environment and of every env file the project's commands may read.

    The files are those of :func:`jyoti_doctor.env.resolve.candidate_files` (the config's
    ``env-file`` list, the settings class's ``env_file``, ``.env``) for ``project_dir`` and each
    of ``more_dirs``; a file as a directory stands for its directory. Every value of every file
    counts, even one the environment hides: an app may load its ``.env`` with ``override=True``.
    """
    env = dict(os.environ if environ is None else environ)
    pairs: list[tuple[str, str]] = list(env.items())
    seen: set[Path] = set()
    for directory in (project_dir, *more_dirs):
        if directory is None:
            continue
        if _is_file(directory):
            directory = directory.parent
        for path in _candidates(directory):
            path = path.absolute()
            if path in seen:
                continue
            seen.add(path)
            pairs.extend(read_env_file(path, env).items())
    return secret_values(pairs)


def _candidates(directory: Path) -> tuple[Path, ...]:
    """The env files of ``directory``'s plan; ``.env`` alone when the config cannot be read."""
    from ..config import Settings, find_config
    from .resolve import candidate_files

    try:
        config = find_config(directory)
    except Exception:  # noqa: BLE001  (a broken config must not stop the masking)
        config = Settings()
    app_files = None
    try:
        from .infer import app_env_files

        app_files = app_env_files(directory)
    except Exception:  # noqa: BLE001, S110  (best effort: the settings class may be unparsable)
        pass
    return candidate_files(directory, config, (), app_files)
