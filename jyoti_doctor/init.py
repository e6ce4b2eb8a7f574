"""``init``: the three files a team needs to run the checks everywhere, each only if absent.

A ``[tool.jyoti-doctor]`` table (what discovery found: the start command and where it came
from, the first-party packages, the env schema), a pre-commit entry and a GitHub workflow. The
plan is a diff; ``--write`` applies it. Nothing is ever overwritten: a new file is created
atomically and only if its name is free, and pyproject.toml is only appended to, after proving
that every key it held parses to the same value afterwards.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from . import __version__
from .config import Settings, parse_settings
from .errors import UsageError
from .files import ChangedOnDisk, create_new, printable, write_atomic
from .findings import Report, Section
from .masking import mask_text
from .textfile import read_bounded_text

PYPROJECT = "pyproject.toml"
PRE_COMMIT = ".pre-commit-config.yaml"
WORKFLOW = ".github/workflows/jyoti-doctor.yml"


class Status(StrEnum):
    CREATE = "would create"
    APPEND = "would add the table"
    PRESENT = "present, left alone"
    BY_HAND = "exists, not changed: add the lines shown yourself"
    CREATED = "created"
    APPENDED = "table added"
    RACED = "changed while writing, not written"


@dataclass(frozen=True)
class Piece:
    shown: str  # the path relative to the project, as the diff names it
    path: Path
    status: Status
    why: str
    old: bytes | None = None  # the current content when appending
    new: bytes | None = None  # the content to write (None: nothing to write)
    snippet: str | None = None  # lines to add by hand to a file that exists


@dataclass(frozen=True)
class Discovered:
    start: str | None
    start_source: str | None
    packages: tuple[str, ...]
    env_schema: str | None


def _toml_string(text: str) -> str:
    # A JSON string of printable text is a valid TOML basic string.
    return json.dumps(text, ensure_ascii=False)


def tool_table(found: Discovered) -> str:
    lines = ["[tool.jyoti-doctor]"]
    if found.start is not None:
        # Commented out: check-startup already reads it from there, and a pinned copy would go
        # stale the day that file changes.
        lines += [
            (
                f"# The start command, found in {printable(found.start_source or '?')};"
                " uncomment to pin it here."
            ),
            f"# start = {_toml_string(printable(mask_text(found.start)))}",
        ]
    else:
        why = f" ({printable(found.start_source)})" if found.start_source else ""
        lines += [
            f"# No start command found (Procfile, render.yaml, Dockerfile){why}: name it here.",
            '# start = "uvicorn app.main:app"',
        ]
    if found.packages:
        lines.append(f"package = [{', '.join(_toml_string(p) for p in found.packages)}]")
    if found.env_schema is not None:
        lines.append(f"# check-env reads its schema from {printable(found.env_schema)}.")
    else:
        lines.append(
            "# No .env.example: check-env uses its built-in schema until variables are declared"
            " under [tool.jyoti-doctor.env]."
        )
    return "\n".join(lines) + "\n"


def pre_commit_hooks() -> str:
    """The hook entries; installed from the package index at this version."""
    pin = f"jyoti-doctor=={__version__}"
    return (
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: jyoti-doctor-imports\n"
        "        name: jyoti-doctor scan-imports\n"
        "        entry: jyoti-doctor scan-imports\n"
        "        language: python\n"
        f'        additional_dependencies: ["{pin}"]\n'
        "        types: [python]\n"
        "        pass_filenames: false\n"
        "      - id: jyoti-doctor-env\n"
        "        name: jyoti-doctor check-env\n"
        "        entry: jyoti-doctor check-env\n"
        "        language: python\n"
        f'        additional_dependencies: ["{pin}"]\n'
        "        files: '(^|/)\\.env(\\..*)?$|(^|/)pyproject\\.toml$'\n"
        "        pass_filenames: false\n"
    )


def workflow(action: str | None) -> str:
    """A workflow running doctor on every push and pull request, with SARIF and a summary.

    With ``action`` (``owner/repo@ref``, where the action is published) it uses the Action;
    otherwise it installs the pinned release from the package index and runs the same steps.
    """
    head = (
        "name: jyoti-doctor\n"
        "on: [push, pull_request]\n"
        "permissions:\n"
        "  contents: read\n"
        "  security-events: write\n"
        "jobs:\n"
        "  doctor:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    if action is not None:
        return head + (
            f"      - uses: {action}\n"
            "        with:\n"
            "          command: doctor\n"
            "          upload-sarif: true\n"
        )
    return head + (
        "      - uses: actions/setup-python@v5\n"
        "        with:\n"
        '          python-version: "3.12"\n'
        f'      - run: pip install "jyoti-doctor=={__version__}"\n'
        "      - name: jyoti-doctor doctor\n"
        "        run: |\n"
        '          jyoti-doctor doctor --format markdown --exit-zero >> "$GITHUB_STEP_SUMMARY"\n'
        "          jyoti-doctor doctor --format sarif > jyoti-doctor.sarif\n"
        "      - uses: github/codeql-action/upload-sarif@v3\n"
        "        if: always()\n"
        "        with:\n"
        "          sarif_file: jyoti-doctor.sarif\n"
    )


def _new_file(project: Path, shown: str, content: str, why: str) -> Piece:
    path = project / shown
    if path.exists() or path.is_symlink():
        return Piece(shown, path, Status.PRESENT, why)
    return Piece(shown, path, Status.CREATE, why, new=content.encode("utf-8"))


def _strip_tool(doc: dict[str, object]) -> dict[str, object]:
    tool = doc.get("tool")
    if isinstance(tool, dict) and "jyoti-doctor" in tool:
        rest = {k: v for k, v in tool.items() if k != "jyoti-doctor"}
        doc = {**doc, "tool": rest} if rest else {k: v for k, v in doc.items() if k != "tool"}
    return doc


def _pyproject_piece(project: Path, found: Discovered) -> Piece:
    path = project / PYPROJECT
    table = tool_table(found)
    why = "the settings every command reads"
    # The table must be one the config accepts (unknown keys are errors there).
    parse_settings(tomllib.loads(table)["tool"]["jyoti-doctor"], path, table)
    if not path.exists():
        if (project / "setup.py").exists() or (project / "setup.cfg").exists():
            # A new pyproject.toml would change how pip builds this project (PEP 517).
            return Piece(PYPROJECT, path, Status.BY_HAND, why, snippet=table)
        return Piece(PYPROJECT, path, Status.CREATE, why, new=table.encode("utf-8"))
    text = read_bounded_text(path, what="config file")
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    tool = before.get("tool")
    if isinstance(tool, dict) and "jyoti-doctor" in tool:
        return Piece(PYPROJECT, path, Status.PRESENT, why)
    old = path.read_bytes()
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    new_text = text + sep + table
    try:
        after = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        after = None
    # Appending must leave every existing key as it was; if not provable, the user adds it.
    if after is None or _strip_tool(after) != before:
        return Piece(PYPROJECT, path, Status.BY_HAND, why, snippet=table)
    return Piece(PYPROJECT, path, Status.APPEND, why, old=old, new=new_text.encode("utf-8"))


def _pre_commit_piece(project: Path) -> Piece:
    path = project / PRE_COMMIT
    why = "scan-imports and check-env before every commit"
    hooks = pre_commit_hooks()
    if not path.exists():
        return Piece(PRE_COMMIT, path, Status.CREATE, why, new=("repos:\n" + hooks).encode())
    text = read_bounded_text(path, what="pre-commit config")
    if "jyoti-doctor" in text:
        return Piece(PRE_COMMIT, path, Status.PRESENT, why)
    # YAML is not edited in place: comments and anchors could not be proven to survive.
    return Piece(PRE_COMMIT, path, Status.BY_HAND, why, snippet=hooks)


def discover_project(project: Path, settings: Settings) -> Discovered:
    from .imports.roots import infer_roots
    from .launch.deploy import discover

    # A Procfile or Dockerfile that cannot be read must not stop init: the table says so.
    try:
        found = discover(project, settings)
        unreadable = None
    except UsageError as exc:
        # Written into the project's own file: name its files relative to it.
        found, unreadable = None, str(exc).replace(f"{project.absolute()}{os.sep}", "")
    try:
        roots = infer_roots(project)
    except UsageError:
        roots = ()
    packages = tuple(dict.fromkeys(root.name for root in roots))
    example = project / ".env.example"
    return Discovered(
        start=found.command if found else None,
        start_source=found.source if found else unreadable,
        packages=packages,
        env_schema=".env.example" if example.is_file() else None,
    )


@dataclass(frozen=True)
class InitResult:
    project: Path
    pieces: tuple[Piece, ...]
    written: bool

    def diff(self) -> str:
        chunks: list[str] = []
        for piece in self.pieces:
            if piece.new is not None and piece.status in (Status.CREATE, Status.APPEND):
                old = (piece.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
                new = piece.new.decode("utf-8").splitlines(keepends=True)
                source = f"a/{piece.shown}" if piece.old is not None else "/dev/null"
                chunks.append("".join(difflib.unified_diff(old, new, source, f"b/{piece.shown}")))
            elif piece.snippet is not None:
                chunks.append(f"# add to {piece.shown}:\n{piece.snippet}")
        return "\n".join(chunks)

    def to_report(self) -> Report:
        rows = tuple((p.shown, p.status.value, p.why) for p in self.pieces)
        pending = sum(p.status in (Status.CREATE, Status.APPEND) for p in self.pieces)
        text = self.diff()
        if pending and not self.written:
            text += "\nRun `jyoti-doctor init --write` to create these files."
        return Report(
            command="init",
            summary={"pending": pending, "written": self.written},
            sections=(Section("files", "Files", ("file", "status", "why"), rows),),
            text=text or None,
        )


def plan(project: Path, settings: Settings, *, action: str | None = None) -> InitResult:
    if not project.is_dir():
        raise UsageError(f"not a directory: {project}")
    found = discover_project(project, settings)
    pieces = (
        _pyproject_piece(project, found),
        _pre_commit_piece(project),
        _new_file(project, WORKFLOW, workflow(action), "doctor in CI, SARIF and a job summary"),
    )
    return InitResult(project, pieces, written=False)


def apply(result: InitResult) -> InitResult:
    """Write what the plan would; a file that appeared or changed meanwhile is left alone."""
    done: list[Piece] = []
    for piece in result.pieces:
        if piece.new is None:
            done.append(piece)
        elif piece.status is Status.CREATE:
            try:
                piece.path.parent.mkdir(parents=True, exist_ok=True)
                created = create_new(piece.path, piece.new)
            except OSError as exc:
                # Each piece is written whole or not at all; say which one could not be.
                raise UsageError(f"cannot create {piece.path}: {exc.strerror or exc}") from None
            done.append(replace(piece, status=Status.CREATED if created else Status.RACED))
        elif piece.status is Status.APPEND:
            assert piece.old is not None
            try:
                write_atomic(piece.path, piece.new, piece.old)
                done.append(replace(piece, status=Status.APPENDED))
            except ChangedOnDisk:
                done.append(replace(piece, status=Status.RACED))
        else:
            done.append(piece)
    return replace(result, pieces=tuple(done), written=True)
