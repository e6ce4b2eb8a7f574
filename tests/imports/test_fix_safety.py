"""Write safety: nothing written on a dry run or a failed verification, untouched files keep
their mtime, mode bits survive, a file edited meanwhile is skipped, exit codes per docs/contract.md."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.findings import ExitCode
from jyoti_doctor.imports import fix as fix_module
from jyoti_doctor.imports import rewrite
from jyoti_doctor.imports.fix import FixOptions, run_fix
from jyoti_doctor.imports.run import ImportSettings
from jyoti_doctor.rules import Rule
from tests.imports._fixtrees import make_tree

SELF_IMPORT = b"from backend.deps import get_db\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    top = make_tree(tmp_path)
    (top / "backend/api/routes.py").write_bytes(SELF_IMPORT)
    (top / "backend/api/clean.py").write_bytes(b"import os\nfrom . import models\n")
    return top


def test_unchanged_files_keep_their_mtime(project: Path, runner: CliRunner) -> None:
    clean = project / "backend/api/clean.py"
    os.utime(clean, ns=(1_000_000_000, 1_000_000_000))
    result = runner.invoke(app, ["fix-imports", str(project / "backend"), "--write"])
    assert result.exit_code == 0, result.output
    assert clean.stat().st_mtime_ns == 1_000_000_000
    assert (project / "backend/api/routes.py").read_bytes() == b"from ..deps import get_db\n"


def test_dry_run_prints_a_diff_and_exits_1(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    result = runner.invoke(app, ["fix-imports", str(routes), "--no-color"])
    assert result.exit_code == 1
    assert "-from backend.deps import get_db" in result.stdout
    assert "+from ..deps import get_db" in result.stdout
    assert routes.read_bytes() == SELF_IMPORT
    assert runner.invoke(app, ["fix-imports", str(routes), "--exit-zero"]).exit_code == 0


def test_clean_tree_exits_0(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["fix-imports", str(project / "backend/api/clean.py")])
    assert result.exit_code == 0, result.output


def test_write_keeps_mode_bits(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    routes.chmod(0o751)
    assert runner.invoke(app, ["fix-imports", str(routes), "--write"]).exit_code == 0
    assert stat.S_IMODE(routes.stat().st_mode) == 0o751
    assert not [p for p in routes.parent.iterdir() if "jyoti-tmp" in p.name]


def test_failed_verification_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rewrite engine bug: one dot too many. Verification must catch it before any write.
    real = rewrite._rewrite_text

    def buggy(text: str, key: tuple[object, ...]) -> str:
        return real(text, key).replace("from ..", "from ...", 1)

    monkeypatch.setattr(rewrite, "_rewrite_text", buggy)
    rewrite._CACHE.clear()
    routes = project / "backend/api/routes.py"
    before = routes.stat().st_mtime_ns
    report = run_fix(ImportSettings(paths=(routes,)), FixOptions(), write=True).to_report()
    assert routes.read_bytes() == SELF_IMPORT
    assert routes.stat().st_mtime_ns == before
    assert [f.rule for f in report.findings] == [
        Rule.VERIFICATION_FAILED,
        Rule.ABSOLUTE_SELF_IMPORT,
    ]
    assert report.exit_code() is ExitCode.INTERNAL


def test_file_changed_on_disk_is_skipped(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = project / "backend/api/routes.py"
    edited = b"# edited by someone else\n" + SELF_IMPORT
    real = fix_module.fix_paths

    def racing(*args, **kwargs):  # type: ignore[no-untyped-def]
        results = real(*args, **kwargs)
        routes.write_bytes(edited)
        return results

    monkeypatch.setattr(fix_module, "fix_paths", racing)
    report = run_fix(ImportSettings(paths=(routes,)), FixOptions(), write=True).to_report()
    assert routes.read_bytes() == edited
    assert Rule.CHANGED_WHILE_FIXING in [f.rule for f in report.findings]
    assert report.exit_code() is ExitCode.FINDINGS


def test_all_results_computed_before_any_write(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writes start only once every file's result is known.
    calls: list[str] = []
    real_paths = fix_module.fix_paths
    real_write = fix_module.write_atomic

    def tracking_paths(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real_paths(*args, **kwargs)
        calls.append("computed")
        return out

    def tracking_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("write")
        return real_write(*args, **kwargs)

    (project / "backend/api/other.py").write_bytes(SELF_IMPORT)
    monkeypatch.setattr(fix_module, "fix_paths", tracking_paths)
    monkeypatch.setattr(fix_module, "write_atomic", tracking_write)
    run_fix(ImportSettings(paths=(project / "backend",)), FixOptions(), write=True)
    assert calls == ["computed", "write", "write"]


def test_syntax_error_is_a_finding_and_untouched(project: Path, runner: CliRunner) -> None:
    broken = project / "backend/api/broken.py"
    data = SELF_IMPORT + b"def f(:\n"
    broken.write_bytes(data)
    args = ["fix-imports", str(broken), "--write", "--format", "json", "--check-syntax"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["JD190"]
    assert broken.read_bytes() == data
    # Without --check-syntax only the import statements are parsed: they are rewritten, and
    # every other byte (the syntax error too) is kept.
    result = runner.invoke(app, args[:-1])
    assert result.exit_code == 0, result.output
    assert broken.read_bytes() == b"from ..deps import get_db\n" + b"def f(:\n"


def test_no_final_newline(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    routes.write_bytes(b"import os, backend.deps as d")
    assert runner.invoke(app, ["fix-imports", str(routes), "--write"]).exit_code == 0
    assert routes.read_bytes() == b"import os\nfrom .. import deps as d"


def test_unsafe_fix_stays_a_warning_until_asked(project: Path, runner: CliRunner) -> None:
    script = project / "backend/api/routes.py"
    script.write_bytes(SELF_IMPORT + b'if __name__ == "__main__":\n    get_db()\n')
    result = runner.invoke(app, ["fix-imports", str(script), "--write", "--format", "json"])
    assert result.exit_code == 1
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["JD103"]
    assert script.read_bytes().startswith(SELF_IMPORT)
    result = runner.invoke(app, ["fix-imports", str(script), "--write", "--unsafe-fixes"])
    assert result.exit_code == 0
    assert script.read_bytes().startswith(b"from ..deps import get_db\n")


def test_bad_style_is_a_usage_error(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["fix-imports", str(project), "--style", "sideways"])
    assert result.exit_code == 2


def test_file_names_from_two_packages_like_pre_commit(tmp_path: Path, runner: CliRunner) -> None:
    one = make_tree(tmp_path / "one")
    two = make_tree(tmp_path / "two", "src")
    a = one / "backend/api/routes.py"
    b = two / "backend/api/v1/handlers.py"
    a.write_bytes(SELF_IMPORT)
    b.write_bytes(SELF_IMPORT)
    result = runner.invoke(app, ["fix-imports", "--write", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert a.read_bytes() == b"from ..deps import get_db\n"
    assert b.read_bytes() == b"from ...deps import get_db\n"


def test_json_dry_run_carries_the_diff(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    result = runner.invoke(app, ["fix-imports", str(routes), "--format", "json"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    assert "+from ..deps import get_db\n" in doc["text"]
    assert doc["findings"][0]["fix"] == {
        "applicability": "safe",
        "replacement": "from ..deps import get_db",
        "reason": None,
    }


def test_root_style_says_why_it_left_an_import(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    routes.write_bytes(b"from backend import *\n")
    result = runner.invoke(
        app, ["fix-imports", str(routes), "--style", "root", "--write", "--format", "json"]
    )
    finding = json.loads(result.stdout)["findings"][0]
    assert result.exit_code == 1
    assert finding["fix"]["reason"] == "`from backend import *` has no root-absolute form"
    assert routes.read_bytes() == b"from backend import *\n"


def test_diff_is_printed_verbatim(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    routes.write_bytes(b"from backend.deps import x  # :thumbs_up: [bold]y[/]")
    result = runner.invoke(app, ["fix-imports", str(routes)])
    assert "+from ..deps import x  # :thumbs_up: [bold]y[/]\n\\ No newline at end of file\n" in (
        result.stdout
    )


def test_large_tree_in_worker_processes_matches_serial(tmp_path: Path) -> None:
    top = make_tree(tmp_path)
    for i in range(fix_module.PARALLEL_THRESHOLD + 10):
        (top / f"backend/api/m{i}.py").write_bytes(SELF_IMPORT + b"import os, backend.deps as d\n")
    files = sorted((top / "backend").rglob("*.py"))
    roots = fix_module.targets(ImportSettings(paths=(top / "backend",)))[0]
    # Whole-file parsing uses worker processes from PARALLEL_THRESHOLD files on.
    options = FixOptions(check_syntax=True)
    serial = fix_module.fix_paths(files, roots, options, jobs=1)
    parallel = fix_module.fix_paths(files, roots, options, jobs=2)
    assert [(r.scan, r.new) for r in parallel] == [(r.scan, r.new) for r in serial]
    assert sum(r.changed for r in parallel) == fix_module.PARALLEL_THRESHOLD + 10


def test_symlinks_stay_symlinks(project: Path, runner: CliRunner) -> None:
    routes = project / "backend/api/routes.py"
    alias = project / "backend/api/alias.py"
    os.symlink("routes.py", alias)
    result = runner.invoke(app, ["fix-imports", str(project / "backend"), "--write"])
    assert result.exit_code == 0, result.output
    assert alias.is_symlink() and os.readlink(alias) == "routes.py"
    assert routes.read_bytes() == b"from ..deps import get_db\n"
    # A symlink named on the command line is written through, to its target.
    routes.write_bytes(SELF_IMPORT)
    result = runner.invoke(app, ["fix-imports", str(alias), "--write"])
    assert result.exit_code == 0, result.output
    assert alias.is_symlink()
    assert routes.read_bytes() == b"from ..deps import get_db\n"


def test_style_and_unsafe_fixes_come_from_config(tmp_path: Path, runner: CliRunner) -> None:
    top = make_tree(tmp_path)
    script = top / "backend/api/tool.py"
    script.write_bytes(SELF_IMPORT + b'if __name__ == "__main__":\n    get_db()\n')
    (top / "pyproject.toml").write_text(
        '[tool.jyoti-doctor]\nstyle = "root"\nunsafe-fixes = true\n'
    )
    result = runner.invoke(app, ["fix-imports", str(top / "backend"), "--write"])
    assert result.exit_code == 0, result.output
    assert script.read_bytes().startswith(b"from deps import get_db\n")
    # A flag beats the config.
    script.write_bytes(SELF_IMPORT)
    result = runner.invoke(
        app, ["fix-imports", str(top / "backend"), "--style", "relative", "--write"]
    )
    assert result.exit_code == 0, result.output
    assert script.read_bytes() == b"from ..deps import get_db\n"
    (top / "pyproject.toml").write_text('[tool.jyoti-doctor]\nstyle = "absolute"\n')
    result = runner.invoke(app, ["fix-imports", str(top / "backend")])
    assert result.exit_code == 2
    # The config may only name a style fix-imports can write; the error names file and line.
    assert "pyproject.toml:2:" in result.stderr
    assert "`style` must be one of relative, root (got 'absolute')" in result.stderr
