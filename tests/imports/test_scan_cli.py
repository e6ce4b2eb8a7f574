"""scan-imports through the real CLI: package-root inference, bad input, formats, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.imports.roots import infer_roots

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def run_json(runner: CliRunner, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["scan-imports", "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout)


def codes(doc: dict) -> list[tuple[str, str, int]]:  # type: ignore[type-arg]
    return [
        (Path(f["location"]["path"]).name, f["code"], f["location"]["line"])
        for f in doc["findings"]
    ]


# --- package roots -----------------------------------------------------------------------


def test_regular_package_from_a_subdirectory(tmp_path: Path) -> None:
    write(tmp_path, {"backend/__init__.py": "", "backend/api/__init__.py": ""})
    assert [(r.name, r.base) for r in infer_roots(tmp_path / "backend" / "api")] == [
        ("backend", tmp_path)
    ]


def test_namespace_directory(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path, {"backend/main.py": "from backend.deps import x\n", "backend/deps.py": "x = 1\n"}
    )
    code, doc = run_json(runner, str(tmp_path / "backend"))
    assert code == 1
    assert codes(doc) == [("main.py", "JD101", 1)]


def test_src_layout(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'x'\n",
            "src/app/__init__.py": "",
            "src/app/a.py": "from app.b import y\n",
            "src/app/b.py": "y = 1\n",
        },
    )
    code, doc = run_json(runner, str(tmp_path))
    assert code == 1
    assert [f["fix"]["replacement"] for f in doc["findings"]] == ["from .b import y"]


def test_project_root_with_several_packages(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "alpha/__init__.py": "",
            "alpha/a.py": "from alpha.b import y\nfrom beta.c import z\n",
            "alpha/b.py": "",
            "beta/__init__.py": "",
            "beta/c.py": "from beta import d\n",
            "manage.py": "from alpha.b import y\n",
        },
    )
    code, doc = run_json(runner, str(tmp_path))
    assert code == 1
    # alpha importing beta is a cross-package import, and manage.py is outside every package.
    assert codes(doc) == [("a.py", "JD101", 1), ("c.py", "JD101", 1)]


def test_package_option_names_the_root(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path, {"pyproject.toml": "", "svc/main.py": "from svc.deps import x\n"})
    code, doc = run_json(runner, str(tmp_path), "--package", "svc")
    assert code == 1
    assert codes(doc) == [("main.py", "JD101", 1)]


def test_unknown_package_option_is_a_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan-imports", str(tmp_path), "--package", "nope"])
    assert result.exit_code == 2
    assert "package 'nope' not found" in result.stderr


def test_file_given_by_name_finds_its_package(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/api/__init__.py": "",
            "backend/api/r.py": "from backend.deps import x\n",
        },
    )
    code, doc = run_json(runner, str(tmp_path / "backend" / "api" / "r.py"))
    assert code == 1
    assert doc["findings"][0]["fix"]["replacement"] == "from ..deps import x"


# --- discovery ------------------------------------------------------------------------------


def test_gitignore_and_excludes(tmp_path: Path, runner: CliRunner) -> None:
    bad = "from backend.deps import x\n"
    write(
        tmp_path,
        {
            ".gitignore": "generated/\n",
            "backend/__init__.py": "",
            "backend/generated/__init__.py": "",
            "backend/generated/g.py": bad,
            "backend/legacy/__init__.py": "",
            "backend/legacy/l.py": bad,
            "backend/ok.py": bad,
        },
    )
    (tmp_path / ".git").mkdir()
    _, doc = run_json(runner, str(tmp_path / "backend"))
    assert sorted(codes(doc)) == [("l.py", "JD101", 1), ("ok.py", "JD101", 1)]
    _, doc = run_json(runner, str(tmp_path / "backend"), "--extend-exclude", "legacy")
    assert codes(doc) == [("ok.py", "JD101", 1)]


def test_symlink_leaving_the_tree_is_not_followed(tmp_path: Path, runner: CliRunner) -> None:
    outside = write(tmp_path / "outside", {"evil.py": "from backend.deps import x\n"})
    write(tmp_path / "proj", {"backend/__init__.py": "", "backend/ok.py": "x = 1\n"})
    os.symlink(outside, tmp_path / "proj" / "backend" / "linked")
    os.symlink(outside / "evil.py", tmp_path / "proj" / "backend" / "evil.py")
    code, doc = run_json(runner, str(tmp_path / "proj" / "backend"))
    assert code == 0
    reasons = {Path(s["path"]).name: s["reason"] for s in doc["sections"]["skipped"]}
    assert "leaves the tree" in reasons["linked"]
    assert "leaves the tree" in reasons["evil.py"]


# --- bad input --------------------------------------------------------------------------------


def test_bad_inputs_become_findings_and_the_rest_is_scanned(
    tmp_path: Path, runner: CliRunner
) -> None:
    bad = "from backend.deps import x\n"
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/syntax.py": "def f(:\n",
            "backend/nul.py": b"from backend.deps import x\x00\n",
            "backend/latin.py": "# -*- coding: latin-1 -*-\nS = 'caf\xe9'\nfrom backend.deps import x\n".encode(
                "latin-1"
            ),
            "backend/bom.py": b"\xef\xbb\xbf" + bad.encode(),
            "backend/crlf.py": b"import os\r\nfrom backend.deps import x\r\n",
            "backend/big.py": "DATA = '" + "x" * 10_000_000 + "'\n" + bad,
            "backend/good.py": bad,
        },
    )
    (tmp_path / "backend" / "x.py").mkdir()
    write(tmp_path, {"backend/x.py/inner.py": bad})
    os.symlink("loop", tmp_path / "backend" / "loop")
    # A syntax error outside the imports is seen only when whole files are parsed.
    code, doc = run_json(runner, str(tmp_path / "backend"))
    assert not any(name == "syntax.py" for name, _, _ in codes(doc))
    code, doc = run_json(runner, str(tmp_path / "backend"), "--check-syntax")
    assert code == 1
    found = set(codes(doc))
    assert ("syntax.py", "JD190", 1) in found
    assert any(name == "nul.py" and c == "JD190" for name, c, _ in found)
    assert {
        ("latin.py", "JD101", 3),
        ("bom.py", "JD101", 1),
        ("crlf.py", "JD101", 2),
        ("big.py", "JD101", 2),
        ("good.py", "JD101", 1),
    } <= found
    # A directory named x.py is walked, but nothing in it is an importable module.
    assert not any(name == "inner.py" for name, _, _ in found)
    skipped = {Path(s["path"]).name: s["reason"] for s in doc["sections"]["skipped"]}
    assert "symlink" in skipped["loop"]


def test_unreadable_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/secret.py": "x = 1\n",
            "backend/good.py": "from backend.deps import x\n",
        },
    )
    (tmp_path / "backend" / "secret.py").chmod(0)
    # Root reads anything: drop the capabilities that let it, so the permission check is real.
    prefix = []
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        prefix = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]
    out = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-m",
            "jyoti_doctor",
            "scan-imports",
            "--format",
            "json",
            str(tmp_path / "backend"),
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert ("secret.py", "JD190", None) in [
        (Path(f["location"]["path"]).name, f["code"], f["location"]["line"])
        for f in doc["findings"]
    ]
    assert "Permission denied" in json.dumps(doc)
    assert ("good.py", "JD101", 1) in codes(doc)


# --- output formats and exit codes --------------------------------------------------------------


def test_fixture_counts_match_the_incident(runner: CliRunner) -> None:
    code, doc = run_json(runner, str(FIXTURES / "jyotiflow" / "backend"))
    assert code == 1
    per_file: dict[str, int] = {}
    for name, c, _ in codes(doc):
        if c in ("JD101", "JD103"):
            per_file[name] = per_file.get(name, 0) + 1
    assert per_file["missing_endpoints.py"] == 2
    assert per_file["integrate_self_healing.py"] == 3
    assert per_file["test_self_healing_system.py"] == 3
    assert per_file["validate_self_healing.py"] == 2
    assert doc["schema_version"] == 1 and doc["command"] == "scan-imports"


def test_clean_tree_exits_zero(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {"backend/__init__.py": "", "backend/a.py": "from .b import x\n", "backend/b.py": "x=1\n"},
    )
    result = runner.invoke(app, ["scan-imports", str(tmp_path / "backend")])
    assert result.exit_code == 0
    assert "clean" in result.stdout


def test_info_only_exits_zero(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/a.py": "import importlib\nimportlib.import_module('backend.b')\n",
        },
    )
    code, doc = run_json(runner, str(tmp_path / "backend"))
    assert code == 0
    assert [f["code"] for f in doc["findings"]] == ["JD104"]


def test_exit_zero_flag(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["scan-imports", "--exit-zero", str(FIXTURES / "jyotiflow" / "backend")]
    )
    assert result.exit_code == 0


def test_missing_path_is_a_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan-imports", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "path does not exist" in result.stderr


def test_malformed_config_is_a_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {"pyproject.toml": "[tool.jyoti-doctor]\nmax-levl = 2\n", "backend/__init__.py": ""},
    )
    result = runner.invoke(app, ["scan-imports", str(tmp_path / "backend")])
    assert result.exit_code == 2
    assert "pyproject.toml:2:" in result.stderr
    assert "max-levl" in result.stderr and "known: " in result.stderr
    write(tmp_path, {"pyproject.toml": "[tool.jyoti-doctor\n"})
    result = runner.invoke(app, ["scan-imports", str(tmp_path / "backend")])
    assert result.exit_code == 2
    assert "invalid TOML" in result.stderr


def test_config_supplies_settings(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.jyoti-doctor]\nmax-level = 1\nformat = "json"\n',
            "backend/__init__.py": "",
            "backend/api/__init__.py": "",
            "backend/api/r.py": "from backend.deps import x\n",
        },
    )
    result = runner.invoke(app, ["scan-imports", str(tmp_path / "backend")])
    doc = json.loads(result.stdout)  # format came from the config
    assert [f["code"] for f in doc["findings"]] == ["JD105"]
    assert result.exit_code == 0
    # A flag beats the config.
    result = runner.invoke(app, ["scan-imports", "--format", "github", str(tmp_path / "backend")])
    assert result.stdout.startswith("::notice ")


def test_format_from_environment(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JYOTI_DOCTOR_FORMAT", "github")
    result = runner.invoke(app, ["scan-imports", str(FIXTURES / "jyotiflow" / "backend")])
    assert result.stdout.startswith("::")


def test_github_format_escaping(tmp_path: Path, runner: CliRunner) -> None:
    odd = tmp_path / "we,ird:dir%"
    write(odd, {"backend/__init__.py": "", "backend/a.py": "from backend.deps import x\n"})
    result = runner.invoke(app, ["scan-imports", "--format", "github", str(odd / "backend")])
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=")
    assert (
        "we%2Cird%3Adir%25/backend/a.py,line=1,col=1,endLine=1,endColumn=27,title=jyoti-doctor (JD101)::"
        in first
    )


def test_rich_report_shows_location_source_and_fix(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["scan-imports", "--no-color", str(FIXTURES / "jyotiflow" / "backend")]
    )
    out = result.stdout
    assert "missing_endpoints.py:3:1: JD101" in out
    assert "from backend.deps import get_db" in out
    assert "fix: from .deps import get_db" in out
    assert "JD102" in out and "binds the name `backend`" in out
    assert "\x1b[" not in out


def test_cache_sees_edits(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path, {"backend/__init__.py": "", "backend/a.py": "from backend.b import x\n"})
    target = str(tmp_path / "backend")
    assert run_json(runner, target)[0] == 1
    assert run_json(runner, target)[0] == 1  # served from the cache
    (tmp_path / "backend" / "a.py").write_text("from .b import x\n\n")
    code, doc = run_json(runner, target)
    assert (code, doc["findings"]) == (0, [])
    (tmp_path / "backend" / "a.py").write_text("from backend.b import x\n")
    code, doc = run_json(runner, target, "--no-cache")
    assert code == 1


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import pty

    files = {"backend/__init__.py": ""}
    files.update({f"backend/m{i}.py": "from backend.deps import x\n" for i in range(250)})
    write(tmp_path, files)
    cmd = [
        sys.executable,
        "-m",
        "jyoti_doctor",
        "scan-imports",
        "--format",
        "json",
        "--no-cache",
        str(tmp_path / "backend"),
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "COLUMNS": "100"}
    piped = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert piped.stderr == ""
    main_fd, replica_fd = pty.openpty()
    try:
        tty = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=replica_fd, env=env, check=False)
        os.close(replica_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main_fd)
    assert tty.returncode == 1
    assert len(json.loads(tty.stdout)["findings"]) == 250  # the report is untouched
    assert b"scanning" in b"".join(chunks)


def test_bogus_coding_cookie_has_no_zero_location(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path, {"backend/__init__.py": "", "backend/bogus.py": "# coding: bogus-enc\nx = 1\n"})
    code, doc = run_json(runner, str(tmp_path / "backend"))
    assert code == 1
    [finding] = doc["findings"]
    assert finding["code"] == "JD190"
    assert finding["location"]["line"] is None and finding["location"]["column"] is None
    result = runner.invoke(app, ["scan-imports", "--format", "github", str(tmp_path / "backend")])
    assert "line=0" not in result.stdout and "col=-1" not in result.stdout


def test_non_utf8_pyproject_is_a_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path, {"pyproject.toml": b"\xff\xfe[tool.jyoti-doctor]\n", "backend/__init__.py": ""})
    result = runner.invoke(app, ["scan-imports", str(tmp_path / "backend")])
    assert result.exit_code == 2
    assert "is not valid utf-8 (byte 0)" in result.stderr


def test_exit_zero_is_reflected_in_the_json_summary(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "scan-imports",
            "--exit-zero",
            "--format",
            "json",
            str(FIXTURES / "jyotiflow" / "backend"),
        ],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["exit_code"] == 0


def test_in_tree_symlinks_are_scanned_once(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path, {"backend/__init__.py": "", "backend/real.py": "from backend.deps import x\n"})
    os.symlink("real.py", tmp_path / "backend" / "alias.py")
    os.symlink(tmp_path / "backend", tmp_path / "backend" / "again")
    code, doc = run_json(runner, str(tmp_path / "backend"))
    assert code == 1
    assert codes(doc) == [("real.py", "JD101", 1)]
    reasons = {Path(s["path"]).name: s["reason"] for s in doc["sections"]["skipped"]}
    assert "checked under its own name" in reasons["alias.py"]
    assert "loop" in reasons["again"]


def test_a_path_the_system_refuses_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan-imports", "x" * 300])
    assert result.exit_code == 2, result.output
    assert "File name too long" in result.stderr


def test_cache_file_of_another_key_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jyoti_doctor.imports.cache import ScanCache
    from jyoti_doctor.imports.scan import FileScan

    monkeypatch.setenv("JYOTI_DOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "m.py"
    src.write_text("x = 1\n")
    first = ScanCache(["options A"])
    cached, stamp = first.get(src)
    assert cached is None
    first.put(src, stamp, FileScan(str(src), "pkg.m"))
    first.save()
    assert ScanCache(["options A"]).get(src)[0] == FileScan(str(src), "pkg.m")
    # Another key whose file name collides (forced here) must not see those entries.
    other = ScanCache(["options B"])
    other.path.parent.mkdir(parents=True, exist_ok=True)
    first.path.replace(other.path)
    assert ScanCache(["options B"]).get(src)[0] is None
