"""Secrets in malformed connection strings: never shown by probe-db or doctor, in any format.

Each case is a string libpq rejects in a way that used to echo the password or a pasted key
(in the port message, libpq's own message, or a half-masked quoted value). The check is strict:
no 6-character piece of the secret may appear anywhere in stdout or stderr.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.db.conninfo import mask, password_candidates
from jyoti_doctor.masking import looks_like_secret, mask_text, mask_url
from tests._cli import run_cli

FORMATS = ("rich", "json", "github")
KEY_BODY = "Zq3T9vLmW2xYbN7cKd4RfH8sJ1pA6eUoVw8A"
KEY = f"sk-proj-{KEY_BODY}"

# (connection string, the secret in it). For a key only its body is secret: the `sk-proj-`
# prefix is shown on purpose (it says what kind of key was pasted).
CASES = {
    "at-in-user": ("postgresql://us@er:Pw1secretXYZ@127.0.0.1:1/db", "Pw1secretXYZ"),
    "at-colon-in-password": ("postgresql://user:Pw1@sec:retXYZ@127.0.0.1:1/db", "Pw1@sec:retXYZ"),
    "no-host": ("postgresql://user:Pw1secretXYZ", "Pw1secretXYZ"),
    "no-host-with-db": ("postgresql://user:Pw1secretXYZ/db", "Pw1secretXYZ"),
    "bare-key": (KEY, KEY_BODY),
    "key-in-conninfo": (f"host=127.0.0.1 {KEY}", KEY_BODY),
    "key-in-query": (f"postgresql://u:x@127.0.0.1/db?{KEY}", KEY_BODY),
    "unterminated-quote": ("host=127.0.0.1 port=1 password='Pw1 secretXYZ user=u", "Pw1 secretXYZ"),
    "bare-password": ("Pw1secretXYZ", "Pw1secretXYZ"),
}


def pieces(secret: str, size: int = 6) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def assert_no_piece(secret: str, out: str) -> None:
    leaked = [p for p in pieces(secret) if p in out]
    assert not leaked, f"secret pieces {leaked} in output:\n{out}"


def run(runner: CliRunner, args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, args, env=env)
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    # Typer's runner turns an escaped exception into exit 1 with result.exception set.
    assert result.exception is None or isinstance(result.exception, SystemExit), out
    return result.exit_code, out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_probe_db_from_environment_never_shows_the_secret(
    runner: CliRunner, case: str, fmt: str
) -> None:
    raw, secret = CASES[case]
    code, out = run(runner, ["probe-db", "--format", fmt], env={"DATABASE_URL": raw})
    assert code == 2, out
    assert "malformed connection string" in out
    assert_no_piece(secret, out)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_probe_db_url_flag_never_shows_the_secret(runner: CliRunner, case: str, fmt: str) -> None:
    raw, secret = CASES[case]
    code, out = run(runner, ["probe-db", "--url", raw, "--format", fmt, "--debug"])
    assert code == 2, out
    assert_no_piece(secret, out)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", ["at-in-user", "bare-key", "unterminated-quote"])
def test_doctor_never_shows_the_secret(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, fmt: str
) -> None:
    raw, secret = CASES[case]
    monkeypatch.chdir(tmp_path)
    code, out = run(runner, ["doctor", "--format", fmt], env={"DATABASE_URL": raw})
    assert code != 70, out
    assert_no_piece(secret, out)


def test_port_errors_still_say_what_is_wrong(runner: CliRunner) -> None:
    code, out = run(runner, ["probe-db", "--url", "postgresql://u@h:99999/db"])
    assert code == 2 and "port 99999 is not 1-65535" in out
    code, out = run(runner, ["probe-db", "--url", CASES["at-in-user"][0]])
    assert code == 2 and "%40" in out
    code, out = run(runner, ["probe-db", "--url", CASES["no-host"][0]])
    assert code == 2 and "@host" in out


# --- .env that is not UTF-8 -------------------------------------------------------------------

NON_UTF8 = b"DATABASE_URL=postgresql://u:Pw\xffsecretXYZ@127.0.0.1:1/db\n"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("explicit", [False, True])
def test_non_utf8_env_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, explicit: bool
) -> None:
    (tmp_path / ".env").write_bytes(NON_UTF8)
    monkeypatch.chdir(tmp_path)
    args = ["probe-db", "--format", fmt] + (["--env-file", ".env"] if explicit else [])
    code, out = run(runner, args)
    assert code == 2, out
    assert "not valid UTF-8" in out
    assert_no_piece("secretXYZ", out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_doctor_with_non_utf8_env_file_is_not_an_internal_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    (tmp_path / ".env").write_bytes(NON_UTF8)
    monkeypatch.chdir(tmp_path)
    code, out = run(runner, ["doctor", "--format", fmt])
    # The environment line reports the broken file (JD306); the database line says it could
    # not be checked: findings, not a usage error of doctor's and never an internal one.
    assert code == 1, out
    assert "not valid UTF-8" in out and "internal error" not in out
    assert_no_piece("secretXYZ", out)


def test_non_utf8_env_file_through_the_installed_entry_point(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(NON_UTF8)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = run_cli(tmp_path, "probe-db", "--format", "json", env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out and "not valid UTF-8" in out
    assert_no_piece("secretXYZ", out)


# --- the masking helpers behind it --------------------------------------------------------------


def test_password_candidates_take_the_userinfo_up_to_the_last_at() -> None:
    assert "Pw1secretXYZ" in password_candidates("postgresql://us@er:Pw1secretXYZ@h:1/db")
    assert "Pw1@sec:retXYZ" in password_candidates("postgresql://u:Pw1@sec:retXYZ@h:1/db")
    assert "retXYZ" in password_candidates("postgresql://u:Pw1@sec:retXYZ@h:1/db")
    assert "Pw1secretXYZ" in password_candidates("postgresql://user:Pw1secretXYZ")
    assert "Pw1 secretXYZ user=u" in password_candidates("password='Pw1 secretXYZ user=u")


def test_ordinary_urls_lose_nothing_but_the_password() -> None:
    for raw in (
        "postgresql://localhost:5432/db",
        "postgresql://h1:5432,h2:5433/db",
        "postgresql://[::1]:5432/db",
        "postgresql://[::1]/db",
        "postgresql://u@h/db",
    ):
        assert password_candidates(raw) == ()
        assert mask(raw) == raw
        assert mask_url(raw) == raw
    assert mask("postgresql://u:pw@h:5432/db") == "postgresql://u:********@h:5432/db"


def test_mask_text_masks_keys_but_not_names() -> None:
    text = f"got {KEY} in DATABASE_URL; SUPABASE_SERVICE_ROLE_KEY_2 and user_profile_handler_v2"
    masked = mask_text(text)
    assert KEY_BODY[:6] not in masked and "sk-proj-…Vw8A" in masked
    assert "SUPABASE_SERVICE_ROLE_KEY_2" in masked and "user_profile_handler_v2" in masked
    assert "backend/main.py" in mask_text("see backend/main.py line 3")
    assert mask_url("postgresql://user:Pw1secretXYZ/db") == "postgresql://user:********/db"
    assert looks_like_secret("postgresql://user:Pw1secretXYZ")
    unterminated = mask_text("password='Pw1 secretXYZ user=u\nnext line")
    assert "secretXYZ" not in unterminated and "next line" in unterminated
