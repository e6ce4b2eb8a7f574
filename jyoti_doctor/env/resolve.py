"""The one rule that decides the effective environment, for every command.

check-env, probe-db (``find_url``), doctor and the secret collector all ask this module which
files to read and which value of a variable wins, so two commands given the same inputs can never
look at different values. The rule, highest precedence first (docs/env.md has it as a table):

1. a command's own flag (``--url`` for the database URL);
2. the files named with ``--env-file``, the *later* file winning (uv, docker compose and
   pydantic-settings' ``env_file`` tuple all do so); naming a file means "judge this file", so it
   also beats the process environment;
3. the process environment (``load_dotenv()`` and pydantic-settings never override it);
4. the files the app itself would load, later winning: the config's ``env-file`` list, else the
   settings class's ``env_file`` (relative to the directory the app is launched from), else
   ``.env`` in the project directory;
5. a declared default.

Without ``--env-file`` the files of step 4 are read; with it, only the named files are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..config import Settings
from ..errors import UsageError
from .load import DotenvFile, Entry, read_dotenv
from .model import Source

# The rank of each source in the rule above, for tests and docs (lower wins).
PRECEDENCE: tuple[Source, ...] = (
    Source.FLAG,
    Source.ENV_FILE_FLAG,
    Source.ENVIRONMENT,
    Source.CONFIG_ENV_FILE,
    Source.SETTINGS_ENV_FILE,
    Source.DOTENV,
    Source.DEFAULT,
)


@dataclass(frozen=True)
class AppEnvFiles:
    """The ``env_file`` a settings class declares, resolved against the launch directory."""

    paths: tuple[Path, ...]
    # Where relative paths were resolved, and why that directory ("the launch of ...").
    base: Path
    assumed: str
    owner: str  # the class, e.g. "app/core/config.py: Settings"


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    source: Source
    # Named explicitly (flag or config): a missing file is an error, not a skip.
    required: bool


def plan_files(
    project_dir: Path,
    config: Settings,
    env_files: Sequence[Path] = (),
    app_files: AppEnvFiles | None = None,
) -> tuple[PlannedFile, ...]:
    """The files to read, in load order (a later one wins over an earlier one)."""
    if env_files:
        return tuple(PlannedFile(Path(p), Source.ENV_FILE_FLAG, True) for p in env_files)
    if config.env_file is not None:
        base = config.base_dir or project_dir
        return tuple(PlannedFile(base / p, Source.CONFIG_ENV_FILE, True) for p in config.env_file)
    if app_files is not None and app_files.paths:
        return tuple(PlannedFile(p, Source.SETTINGS_ENV_FILE, False) for p in app_files.paths)
    return (PlannedFile(project_dir / ".env", Source.DOTENV, False),)


def _present(path: Path) -> bool:
    """Whether anything is at ``path`` (a broken link, a directory or a FIFO count: each is a
    mistake to report, not a file to skip)."""
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return True


def display_path(path: Path, project_dir: Path) -> str:
    """A path relative to the working directory (or the project) when below it."""
    absolute = Path(os.path.normpath(path.absolute()))
    for base in (Path.cwd().absolute(), project_dir.absolute()):
        if absolute.is_relative_to(base):
            return str(absolute.relative_to(base))
    return str(path)


@dataclass(frozen=True)
class Resolved:
    """Where a variable's value comes from once flags, files and the environment are merged."""

    name: str
    value: str | None
    source: Source
    file: DotenvFile | None = None
    entry: Entry | None = None
    # A file's entry that the winner hides (the environment beats the app's own .env files).
    shadowed: tuple[DotenvFile, Entry] | None = None
    # The process environment's value that a --env-file hides.
    hidden_environment: str | None = None

    @property
    def where(self) -> str:
        if self.file is not None and self.entry is not None:
            return f"{self.file.display}:{self.entry.line}"
        return self.source.value

    @property
    def described(self) -> str:
        """The source in words, for messages: ``DATABASE_URL in .env:3``."""
        if self.source is Source.FLAG:
            return f"the {self.name} flag"
        if self.file is not None and self.entry is not None:
            return f"{self.name} in {self.where}"
        if self.source is Source.ENVIRONMENT:
            return f"{self.name} in the environment"
        if self.source is Source.DEFAULT:
            return f"{self.name}'s default"
        return self.name


@dataclass(frozen=True)
class Environment:
    """The process environment and the files of one plan, with the rule to merge them."""

    files: tuple[DotenvFile, ...]
    process: Mapping[str, str] = field(repr=False)
    # True when the files were named with --env-file: then they beat the process environment.
    files_win: bool = False

    def lookup(
        self, name: str, default: str | None = None, *, ignore_case: bool = False
    ) -> Resolved:
        """The value the app would see for ``name`` (see the module docstring); with
        ``ignore_case`` any spelling matches, as pydantic-settings matches by default."""
        if ignore_case:
            spelled = self._spelling(name)
            if spelled != name:
                return self.lookup(spelled, default)
        in_files = [(f, f.effective()[name]) for f in reversed(self.files) if name in f.effective()]
        env_value = self.process.get(name)
        if in_files and (self.files_win or env_value is None):
            file, entry = in_files[0]
            hidden = env_value if env_value is not None and env_value != entry.value else None
            return Resolved(name, entry.value, file.source, file, entry, hidden_environment=hidden)
        if env_value is not None:
            shadowed = next(((f, e) for f, e in in_files if e.value != env_value), None)
            return Resolved(name, env_value, Source.ENVIRONMENT, shadowed=shadowed)
        if default is not None:
            return Resolved(name, default, Source.DEFAULT)
        return Resolved(name, None, Source.MISSING)

    def _spelling(self, name: str) -> str:
        """The spelling of ``name`` that the environment or a file uses, if only one differs."""
        if name in self.process or any(name in f.effective() for f in self.files):
            return name
        return self._folded.get(name.upper(), name)

    @cached_property
    def _folded(self) -> dict[str, str]:
        folded: dict[str, str] = {}
        for file in self.files:
            for key in file.effective():
                folded.setdefault(key.upper(), key)
        for key in self.process:
            folded[key.upper()] = key  # the environment wins, as it does for the value
        return folded

    def get(self, name: str) -> str | None:
        return self.lookup(name).value

    def file_names(self) -> Iterator[str]:
        """Every name any file sets, once, in load order."""
        seen: set[str] = set()
        for file in self.files:
            for key in file.effective():
                if key not in seen:
                    seen.add(key)
                    yield key


def load_environment(
    project_dir: Path,
    config: Settings,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
    app_files: AppEnvFiles | None = None,
) -> Environment:
    """Read the files of the plan once each, every read bounded (``textfile.read_bounded_bytes``).

    Raises :class:`UsageError` for a named file that is missing and for any file present but not
    a readable regular file (a directory, a FIFO, a device, a symlink loop, a huge file).
    """
    process = dict(os.environ if environ is None else environ)
    plan = plan_files(project_dir, config, env_files, app_files)
    files_win = bool(plan) and plan[0].source is Source.ENV_FILE_FLAG
    # What `${VAR}` in a file sees: the merged environment of everything loaded before it.
    seen: dict[str, str] = dict(process)
    loaded_values: dict[str, str] = {}
    files: list[DotenvFile] = []
    for planned in plan:
        if not planned.required and not _present(planned.path):
            continue
        shown = display_path(planned.path, project_dir)
        if planned.required and not _present(planned.path):
            raise UsageError(f"env file not found: {planned.path}")
        loaded = read_dotenv(
            planned.path, shown, seen, explicit=planned.required, source=planned.source
        )
        for key, entry in loaded.effective().items():
            loaded_values[key] = entry.value or ""
        seen = {**loaded_values, **process} if not files_win else {**process, **loaded_values}
        files.append(loaded)
    return Environment(tuple(files), process, files_win)


def read_variable(
    name: str,
    project_dir: Path,
    config: Settings | None = None,
    *,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
) -> Resolved:
    """One variable, the way the app would read it (see the module docstring)."""
    env = load_environment(project_dir, config or Settings(), env_files, environ)
    return env.lookup(name)


def read_database_url(
    project_dir: Path,
    config: Settings | None = None,
    *,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
) -> Resolved:
    """``DATABASE_URL``; see :func:`read_variable`."""
    return read_variable("DATABASE_URL", project_dir, config, env_files=env_files, environ=environ)


def candidate_files(
    project_dir: Path,
    config: Settings,
    env_files: Sequence[Path] = (),
    app_files: AppEnvFiles | None = None,
) -> tuple[Path, ...]:
    """Every file any plan for this project might read, for collecting secrets (never raises)."""
    paths: list[Path] = [Path(p) for p in env_files]
    try:
        if config.env_file is not None:
            base = config.base_dir or project_dir
            paths += [base / p for p in config.env_file]
    except (OSError, ValueError):
        pass
    if app_files is not None:
        paths += list(app_files.paths)
    paths.append(project_dir / ".env")
    return tuple(dict.fromkeys(paths))
