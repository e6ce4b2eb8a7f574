"""The GitHub Action: action.yml is valid, its shell steps really run (with the GITHUB_*
variables pointing into a temporary directory), and the README's CI blocks match the files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from jyoti_doctor.cli import app
from tests._cli import CHECKOUT_IGNORE

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
README = (REPO / "README.md").read_text()


def test_action_yml_is_a_valid_action() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-actions",
            str(REPO / "action.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_action_inputs() -> None:
    inputs = ACTION["inputs"]
    assert set(inputs) == {
        "command",
        "paths",
        "args",
        "format",
        "fail-on",
        "python-version",
        "upload-sarif",
        "sarif-file",
    }
    assert inputs["command"]["default"] == "doctor"
    assert ACTION["runs"]["using"] == "composite"
    uses = [s["uses"] for s in ACTION["runs"]["steps"] if "uses" in s]
    assert uses == ["actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]


# ---- running the composite steps -------------------------------------------------------------

_CONTEXT = re.compile(r"\b(inputs|github|steps)\.([A-Za-z0-9_.-]+)")


@dataclass
class Runner:
    """Runs the action's `run:` steps as the runner would: bash, env from `env:`, expressions
    resolved, step outputs read back from $GITHUB_OUTPUT."""

    root: Path
    workspace: Path
    inputs: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    failed: bool = False

    def value(self, kind: str, name: str) -> str:
        if kind == "inputs":
            return self.inputs[name]
        if kind == "steps":
            step, _, key = name.partition(".outputs.")
            return self.outputs.get(step, {}).get(key, "")
        github = {
            "action_path": str(self.root / "action"),
            "server_url": "https://github.example",
            "action_repository": "",
            "action_ref": "",
        }
        return github[name]

    def expand(self, text: str) -> str:
        return re.sub(
            r"\$\{\{\s*(.*?)\s*\}\}",
            lambda m: self.value(*_CONTEXT.fullmatch(m[1]).groups()),  # type: ignore[union-attr]
            text,
        )

    def condition(self, expr: str) -> bool:
        """The few expression forms this action uses, evaluated; anything else fails the test."""
        body = re.sub(r"^\$\{\{\s*|\s*\}\}$", "", expr.strip())
        py = body.replace("!cancelled()", "True").replace("&&", " and ").replace("||", " or ")
        shape = re.sub(r"'[^']*'", "''", _CONTEXT.sub("x", py))
        assert re.fullmatch(r"[\w\s'!=]*", shape), f"unsupported expression: {expr}"
        py = _CONTEXT.sub(lambda m: repr(self.value(m[1], m[2])), py)
        return bool(eval(py, {"__builtins__": {}}, {"True": True}))

    def run(self, env_extra: dict[str, str] | None = None) -> None:
        temp = self.root / "runner-temp"
        temp.mkdir(exist_ok=True)
        bin_dir = self.root / "bin"
        bin_dir.mkdir(exist_ok=True)
        if not (bin_dir / "python").exists():
            (bin_dir / "python").symlink_to(sys.executable)  # what setup-python puts on PATH
        for step in ACTION["runs"]["steps"]:
            name = step.get("id") or step.get("name") or step.get("uses")
            if "if" in step and not self.condition(str(step["if"])):
                continue
            if self.failed and "if" not in step:
                continue  # a failed step skips the rest, unless they say otherwise
            if "uses" in step:
                self.ran.append(f"uses {step['uses']}")
                continue
            output = self.root / f"output-{len(self.ran)}"
            output.write_text("")
            env = {
                "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(self.root),
                "RUNNER_TEMP": str(temp),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(self.root / "summary.md"),
                "GITHUB_WORKSPACE": str(self.workspace),
                **{k: self.expand(str(v)) for k, v in step.get("env", {}).items()},
                **(env_extra or {}),
            }
            proc = subprocess.run(
                # The command line GitHub uses for `shell: bash`.
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            self.ran.append(f"{name} -> {proc.returncode}")
            self.log = getattr(self, "log", "") + proc.stdout + proc.stderr
            values: dict[str, str] = {}
            for line in output.read_text().splitlines():
                key, _, val = line.partition("=")
                values[key] = val
            if "id" in step:
                self.outputs[step["id"]] = values
            if proc.returncode != 0:
                self.failed = True


def defaults(**given: str) -> dict[str, str]:
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    return {**values, **given}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The install step, run once: the action's checkout installed into a fresh venv."""
    root = tmp_path_factory.mktemp("action")
    shutil.copytree(REPO, root / "action", ignore=CHECKOUT_IGNORE)
    workspace = root / "workspace"
    shutil.copytree(REPO / "fixtures" / "jyotiflow", workspace, ignore=CHECKOUT_IGNORE)
    runner = Runner(root, workspace, defaults())
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")
    steps = ACTION["runs"]["steps"]
    try:
        ACTION["runs"]["steps"] = [step]
        runner.run()
    finally:
        ACTION["runs"]["steps"] = steps
    assert not runner.failed, getattr(runner, "log", "")
    return root, runner.outputs["install"]


def run_action(installed: tuple[Path, dict[str, str]], tmp_path: Path, **given: str) -> Runner:
    root, install_outputs = installed
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO / "fixtures" / "jyotiflow", workspace, ignore=CHECKOUT_IGNORE)
    case = tmp_path / "runner"
    case.mkdir()
    (case / "action").symlink_to(root / "action")
    runner = Runner(case, workspace, defaults(**given))
    runner.outputs["install"] = install_outputs
    steps = ACTION["runs"]["steps"]
    try:
        ACTION["runs"]["steps"] = [s for s in steps if s.get("id") != "install"]
        runner.run()
    finally:
        ACTION["runs"]["steps"] = steps
    return runner


@pytest.mark.slow
def test_the_action_fails_on_errors_and_writes_summary_and_sarif(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    runner = run_action(installed, tmp_path, args="--skip db", **{"upload-sarif": "true"})
    assert runner.outputs["run"]["exit-code"] == "1", runner.log
    assert runner.outputs["run"]["verdict"].startswith("fail: "), runner.log
    # Upload runs (its `if` holds) before the verdict step fails the job.
    assert runner.ran == [
        "uses actions/setup-python@v5",
        "run -> 0",
        "uses github/codeql-action/upload-sarif@v3",
        "Verdict -> 1",
    ], runner.log
    summary = (tmp_path / "runner" / "summary.md").read_text()
    assert summary.startswith("### jyoti-doctor doctor: exit 1")
    assert "| ❌ | Imports |" in summary
    sarif = json.loads((tmp_path / "workspace" / "jyoti-doctor.sarif").read_text())
    assert sarif["runs"][0]["results"]
    assert "::error file=" in runner.log  # the log's format: annotations


@pytest.mark.slow
def test_fail_on_never_passes_and_skips_upload(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    runner = run_action(installed, tmp_path, command="scan-imports", **{"fail-on": "never"})
    assert runner.outputs["run"]["exit-code"] == "1"
    assert runner.outputs["run"]["verdict"] == "pass"
    assert runner.ran == ["uses actions/setup-python@v5", "run -> 0"], runner.log


@pytest.mark.slow
def test_a_bad_fail_on_is_refused(installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    runner = run_action(installed, tmp_path, **{"fail-on": "sometimes"})
    assert runner.ran == ["uses actions/setup-python@v5", "run -> 2", "Verdict -> 1"], runner.log
    assert "fail-on must be" in runner.log


# ---- the README's CI blocks are the real files ---------------------------------------------


def ci_section() -> str:
    return README.split("## Use it in CI", 1)[1].split("\n## ", 1)[0]


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", ci_section(), flags=re.DOTALL)


def test_readme_action_block_uses_real_inputs() -> None:
    (block,) = [b for b in blocks("yaml") if "uses:" in b and "with:" in b]
    steps = yaml.safe_load(block)["steps"]
    step = next(s for s in steps if "jyoti-doctor" in s.get("uses", ""))
    assert set(step["with"]) <= set(ACTION["inputs"])
    assert set(step["with"]) == set(ACTION["inputs"]) - {"sarif-file"}


def test_readme_pre_commit_block_matches_the_hooks_file() -> None:
    (block,) = [b for b in blocks("yaml") if "repos:" in b]
    hooks = {h["id"]: h for h in HOOKS}
    for repo in yaml.safe_load(block)["repos"]:
        for hook in repo["hooks"]:
            real = hooks[hook["id"]]
            for key in ("entry", "language", "pass_filenames", "types", "files"):
                if key in hook or key in real:
                    assert hook.get(key) == real.get(key), (hook["id"], key)
    for hook_id in hooks:
        assert f"`{hook_id}`" in ci_section()


def test_readme_shell_block_uses_real_commands_and_options() -> None:
    from typer.main import get_command

    group = get_command(app)
    (block,) = blocks("bash")
    used = re.findall(r"jyoti-doctor ([a-z-]+)([^\n>|]*)", block)
    assert used
    for name, rest in used:
        command = group.commands[name]  # type: ignore[attr-defined]
        options = {opt for p in command.params for opt in p.opts}
        for flag in re.findall(r"(--[a-z-]+)", rest):
            assert flag in options, (name, flag)
    from jyoti_doctor.cli.execution import EXTRA_OUTPUTS

    known = {f"JYOTI_DOCTOR_OUTPUT_{fmt.name}" for fmt in EXTRA_OUTPUTS}
    for var in re.findall(r"(JYOTI_DOCTOR_[A-Z_]+)=", block):
        assert var in known, var
