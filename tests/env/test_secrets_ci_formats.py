"""The no-leak property of test_secrets.py, extended to the CI formats: a generated secret never
appears in check-env's SARIF or Markdown output (stdout, stderr, and the extra output files of
the same run), nor in their error documents. Reuses that module's generators unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from test_secrets import KINDS, Kind, leaks, placements, write_project
from typer.testing import CliRunner

from jyoti_doctor.cli import app

SECRET = "Qx7" + "k2Vb9LmZ" * 3 + "w4"


def render_ci(root: Path, runner: CliRunner, environ: dict[str, str]) -> str:
    out: list[str] = []
    extra = {
        "JYOTI_DOCTOR_OUTPUT_JSON": str(root / "out.json"),
        "JYOTI_DOCTOR_OUTPUT_SARIF": str(root / "out.sarif"),
        "JYOTI_DOCTOR_OUTPUT_MARKDOWN": str(root / "summary.md"),
    }
    for args in (
        ["--format", "sarif"],
        ["--format", "markdown", "--strict"],
        ["--format", "sarif", "--debug", "--strict"],
    ):
        result = runner.invoke(
            app, ["check-env", str(root), *args], env={**environ, **extra, "COLUMNS": "300"}
        )
        assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
        out += [result.stdout, result.stderr]
        out += [Path(path).read_text() for path in extra.values()]
    return "\n".join(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=placements())
def test_a_secret_never_appears_in_sarif_or_markdown(
    case: tuple[str, list[tuple[Kind, str, str]]],
) -> None:
    secret, placed = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        environ = write_project(root, placed)
        output = render_ci(root, CliRunner(), environ)
    assert not leaks(secret, output), (placed, leaks(secret, output))
    assert not leaks(secret[::-1], output), placed


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k.name}:{k.template[:24]}")
def test_every_kind_once_in_ci_formats(kind: Kind, tmp_path: Path) -> None:
    environ = write_project(tmp_path, [(kind, "file", f"{kind.name}={kind.value(SECRET)}")])
    assert not leaks(SECRET, render_ci(tmp_path, CliRunner(), environ))


def test_error_documents_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An internal error quoting a secret: the SARIF and Markdown error documents mask it."""
    (tmp_path / ".env").write_text(f"API_TOKEN={SECRET}\n")

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom {SECRET}")

    monkeypatch.setattr("jyoti_doctor.cli.execution.emit", explode)
    for fmt in ("sarif", "markdown", "json"):
        result = CliRunner().invoke(app, ["check-env", str(tmp_path), "--format", fmt, "--debug"])
        assert result.exit_code == 70
        # The document was written, masked (Markdown escapes the asterisks).
        assert "boom ********" in result.stdout.replace("\\*", "*")
        assert not leaks(SECRET, result.stdout + result.stderr)


def test_the_ci_property_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With masking off, the same harness sees the secret in SARIF: the property is not vacuous."""
    from jyoti_doctor.env import check

    monkeypatch.setattr(check, "mask_secret", lambda value: value)
    monkeypatch.setattr(check, "mask_text", lambda text, secrets=(): text)
    kind = Kind("OPENAI_API_KEY", "@type=openai-key", "sk-proj-{s}")
    environ = write_project(tmp_path, [(kind, "file", f"OPENAI_API_KEY={kind.value(SECRET)}")])
    assert leaks(SECRET, render_ci(tmp_path, CliRunner(), environ))
