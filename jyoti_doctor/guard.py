"""The entry-point guard of ``fix-imports``: before a rewrite is written, every known way the
project is started is predicted on the current tree and on the rewritten one (the planned new
contents, read in place of the files), and a rewrite that breaks one that works is refused.

Entry points: every discovered start command (each Procfile process, render and compose service,
the Dockerfile's own command, and the Python commands of each one's chain), pytest (each test
file and ``conftest.py`` imported the way pytest's default ``prepend`` import mode does, with the
ini ``pythonpath``), and alembic (``env.py`` run by path with ``prepend_sys_path``). A prediction
that cannot be made (a command that is not Python, a directory that cannot be told) is "not
checked", never a reason to refuse.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .errors import UsageError
from .files import display_path
from .findings import Finding, Location, Report, Section, Severity
from .imports.entry import project_dir
from .rules import Rule
from .textfile import read_bounded_text

if TYPE_CHECKING:
    # Imported where they are used: a run with nothing to rewrite never loads the launch
    # model, and a project without entry points (no tests, no start command) never loads the
    # start-up model.
    from .imports.fix import FixResult
    from .launch.deploy import Found
    from .startup.failures import Prediction
    from .startup.project import Project
    from .startup.syntax import Trees
    from .startup.syspath import Launch, PathEntry

# A larger suite is checked on its first files only (said as a note): the guard must stay fast.
MAX_TEST_FILES = 400
# Likewise the discovered start commands (a compose file with many services).
MAX_START_COMMANDS = 16
_PYTEST_FILES = ("test_*.py", "*_test.py")


class Outcome(StrEnum):
    WORKS = "works"
    FAILS = "fails"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class EntryPoint:
    """A way the project is started (a start command, pytest, alembic) the guard predicts."""

    group: str  # what people call it: "start command `…` (Dockerfile)", "pytest", "alembic"
    name: str  # the one launch within the group: a test file, env.py, the command itself
    launch: Launch | None  # None: not modelled (see ``unmodelled``)
    where: Location  # the file that names the entry point (test file, env.py, launch file)
    # The project directory the prediction indexes (the start command's may be above it).
    home: Path | None = None
    # Why the launch is not modelled: a command that is not Python, an unknown directory.
    unmodelled: str = ""


@dataclass(frozen=True)
class Verdict:
    """How an entry point fares before and after the planned rewrite."""

    point: EntryPoint
    before: Outcome
    after: Outcome
    why: str  # the failure after (or before), or why not checked
    where: Location  # the failing import, else the entry point's own file

    @property
    def breaks(self) -> bool:
        return self.before is Outcome.WORKS and self.after is Outcome.FAILS

    @property
    def checked(self) -> bool:
        """Predicted on both sides: a side that could not be is a verdict not checked."""
        return Outcome.NOT_CHECKED not in (self.before, self.after)


@dataclass(frozen=True)
class GuardResult:
    """Every verdict of one guard run, and what it could not predict."""

    verdicts: tuple[Verdict, ...] = ()
    # Entry points (or the whole guard) not predicted: why, and the directory they belong to.
    not_checked: tuple[tuple[str, Location], ...] = ()

    @property
    def refused(self) -> bool:
        return any(v.breaks for v in self.verdicts)

    def findings(self, *, forced: bool) -> list[Finding]:
        out: list[Finding] = []
        groups: dict[str, list[Verdict]] = {}
        for verdict in self.verdicts:
            groups.setdefault(verdict.point.group, []).append(verdict)
        for group, verdicts in groups.items():
            broken = [v for v in verdicts if v.breaks]
            failing = [v for v in verdicts if v.before is Outcome.FAILS]
            if broken:
                shown = "; ".join(f"{v.point.name}: {v.why}" for v in broken[:3])
                more = f" (and {len(broken) - 3} more)" if len(broken) > 3 else ""
                tail = (
                    "written anyway (--force)"
                    if forced
                    else "not written; fix the launch, choose the other --style, or pass --force"
                )
                out.append(
                    Finding.make(
                        Rule.REWRITE_BREAKS_ENTRY_POINT,
                        f"{group} works now and would fail after the rewrite: {shown}{more}; "
                        + tail,
                        severity=Severity.WARNING if forced else None,
                        location=broken[0].where,
                    )
                )
            if failing:
                shown = "; ".join(f"{v.point.name}: {v.why}" for v in failing[:3])
                more = f" (and {len(failing) - 3} more)" if len(failing) > 3 else ""
                out.append(
                    Finding.make(
                        Rule.ENTRY_POINT_NOT_CHECKED,
                        f"{group} already fails before the rewrite: {shown}{more}",
                        location=failing[0].where,
                    )
                )
            unknown = [v for v in verdicts if not v.checked and not v.breaks]
            if unknown:
                shown = "; ".join(f"{v.point.name}: {v.why}" for v in unknown[:3])
                more = f" (and {len(unknown) - 3} more)" if len(unknown) > 3 else ""
                out.append(
                    Finding.make(
                        Rule.ENTRY_POINT_NOT_CHECKED,
                        f"{group}: {shown}{more}",
                        location=unknown[0].where,
                    )
                )
        out.extend(
            Finding.make(Rule.ENTRY_POINT_NOT_CHECKED, text, location=where)
            for text, where in self.not_checked
        )
        return out

    def section(self) -> Section | None:
        if not self.verdicts:
            return None
        rows = tuple(
            (v.point.group, v.point.name, str(v.before), str(v.after)) for v in self.verdicts
        )
        return Section(
            "entry_points", "Entry points", ("entry point", "launch", "before", "after"), rows
        )


def attach(report: Report, guard: GuardResult, *, forced: bool, refused_write: bool) -> Report:
    """``report`` with the guard's verdict: its findings, a table, and what was not written."""
    if not guard.verdicts and not guard.not_checked:
        return report
    section = guard.section()
    summary = dict(report.summary)
    unknown = sum(1 for v in guard.verdicts if not v.checked)
    summary["entry_points"] = (
        f"{len(guard.verdicts) - unknown} predicted"
        + (f", {unknown} not checked" if unknown else "")
        + (", rewrite refused" if refused_write else "")
        + (", forced" if forced and guard.refused else "")
    )
    if refused_write:
        summary["files_written"] = 0
    text = report.text
    if refused_write:
        text = (text or "") + (
            "not written: the rewrite would break an entry point that works (see above); "
            "nothing was changed. --force writes anyway.\n"
        )
    return replace(
        report,
        findings=report.findings + tuple(guard.findings(forced=forced)),
        sections=report.sections + ((section,) if section is not None else ()),
        summary=summary,
        text=text,
    )


def check_rewrite(planned: FixResult, config: Settings) -> GuardResult:
    """Every known entry point predicted before and after the planned rewrite. Never raises:
    an error of the guard itself is reported as "not checked" and the rewrite proceeds."""
    changed = [f for f in planned.files if f.changed and f.new is not None]
    if not changed:
        return GuardResult()
    try:
        return _check(planned, config)
    except (UsageError, OSError, ValueError, RecursionError) as exc:
        where = Location(display_path(str(planned.roots[0].directory)))
        return GuardResult(not_checked=((f"entry points not checked: {exc}", where),))
    except Exception as exc:  # noqa: BLE001 - a bug of the guard must never block the rewrite
        where = Location(display_path(str(planned.roots[0].directory)))
        text = (
            f"entry points not checked: internal error of the entry-point guard "
            f"({type(exc).__name__}: {exc}); the rewrite proceeds as without the guard. This "
            "is a bug in jyoti-doctor: please report it"
        )
        return GuardResult(not_checked=((text, where),))


def _check(planned: FixResult, config: Settings) -> GuardResult:
    verdicts: list[Verdict] = []
    notes: list[tuple[str, Location]] = []
    found: list[tuple[Path, list[EntryPoint]]] = []
    for directory in sorted({project_dir(r) for r in planned.roots}):
        directory = directory.absolute()
        points, missed = entry_points(directory, config)
        here = Location(display_path(str(directory)))
        notes.extend((text, here) for text in missed)
        if points:
            found.append((directory, points))
    if not found:
        # Nothing to predict: the rewritten files need not even be parsed.
        return GuardResult((), tuple(notes))
    from .startup.project import Project

    new_bytes = {
        Path(os.path.abspath(res.scan.path)): res.new
        for res in planned.files
        if res.changed and res.new is not None
    }
    rewritten: Trees = {}
    names = frozenset(r.name for r in planned.roots)
    befores: dict[Path, Project] = {}
    afters: dict[Path, Project] = {}

    def after(home: Path) -> Project:
        # Parsed only once a walk reads a rewritten file: most entry points never do.
        if not rewritten:
            for key, new in new_bytes.items():
                try:
                    rewritten[key] = (ast.parse(new), new.decode("utf-8", errors="replace"))
                except SyntaxError as exc:
                    rewritten[key] = exc
        if home not in afters:
            before = befores[home]
            afters[home] = Project(home, before.index, before.environment, dict(rewritten))
        return afters[home]

    for directory, points in found:
        for point in points:
            if point.launch is None:
                why = f"not checked: {point.unmodelled}"
                verdicts.append(
                    Verdict(point, Outcome.NOT_CHECKED, Outcome.NOT_CHECKED, why, point.where)
                )
                continue
            home = point.home or directory
            if home not in befores:
                befores[home] = Project.at(home)
            verdicts.append(_judge(point, befores[home], after, frozenset(new_bytes), names))
    return GuardResult(tuple(verdicts), tuple(notes))


def _outcome(prediction: Prediction) -> tuple[Outcome, str, Location | None]:
    if not prediction.complete:
        return Outcome.NOT_CHECKED, "; ".join(prediction.notes) or "the walk stopped", None
    if prediction.fatal is None:
        return Outcome.WORKS, "", None
    failure = prediction.fatal
    if failure.path is None:
        return Outcome.FAILS, failure.text, None
    shown = display_path(str(failure.path))
    where = Location(shown, failure.line, failure.col)
    return Outcome.FAILS, f"{failure.text} ({shown}:{failure.line or '?'})", where


class _Recording(dict[Path, tuple[ast.Module, str] | SyntaxError]):
    """A parse cache that remembers which files one walk read."""

    def __init__(self, shared: Trees) -> None:
        super().__init__(shared)
        self.read: set[Path] = set()

    def __getitem__(self, key: Path) -> tuple[ast.Module, str] | SyntaxError:
        self.read.add(key)
        return super().__getitem__(key)


def _walk(project: Project, launch: Launch) -> tuple[Prediction, set[Path]]:
    """The start-up of ``launch`` (without the sweep for latent failures, which the guard does
    not judge), and every file the walk read."""
    from .startup.failures import Prediction
    from .startup.walker import Walker

    trees = _Recording(project.trees)
    self_names = project.index.self_names(e.path for e in launch.sys_path)
    walker = Walker(launch, project.environment, self_names, None, trees)
    try:
        prediction = walker.predict()
    except RecursionError:
        prediction = Prediction(
            launch, None, (), (), (), notes=("the import chain is too deep",), complete=False
        )
    project.trees.update(trees)
    return prediction, trees.read


def _judge(
    point: EntryPoint,
    before: Project,
    after: Callable[[Path], Project],
    changed: frozenset[Path],
    packages: frozenset[str],
) -> Verdict:
    assert point.launch is not None  # the unmodelled ones are judged "not checked" before
    from .startup.failures import Resolution

    first, read = _walk(before, point.launch)
    old, old_why, old_at = _outcome(first)
    unseen = sorted(
        name for name, how in first.external if how is Resolution.NOT_CHECKED and name in packages
    )
    if unseen:
        # The rewritten package is imported from outside the modelled sys.path: an installed
        # copy or PYTHONPATH decides, and neither is known here.
        return Verdict(
            point,
            Outcome.NOT_CHECKED,
            Outcome.NOT_CHECKED,
            f"not checked: `{unseen[0]}` is imported from outside this entry point's sys.path "
            "(an installed copy or PYTHONPATH would decide)",
            point.where,
        )
    if read & changed:
        new, new_why, new_at = _outcome(_walk(after(before.directory), point.launch)[0])
    else:
        # The walk read no rewritten file: the rewritten tree starts up the same way.
        new, new_why, new_at = old, old_why, old_at
    if old is Outcome.NOT_CHECKED or new is Outcome.NOT_CHECKED:
        why = old_why if old is Outcome.NOT_CHECKED else new_why
        return Verdict(point, old, new, f"not checked: {why}", point.where)
    if new is Outcome.FAILS:
        return Verdict(point, old, new, new_why, new_at or point.where)
    return Verdict(point, old, new, old_why, old_at or point.where)


# --- the entry points --------------------------------------------------------------------------


def entry_points(directory: Path, config: Settings) -> tuple[list[EntryPoint], list[str]]:
    """The project's known entry points, and the ones that could not be modelled (why)."""
    points, notes = start_command_points(directory, config)
    tests, missed = pytest_points(directory)
    points.extend(tests)
    notes.extend(missed)
    migrations, missed = alembic_points(directory)
    points.extend(migrations)
    notes.extend(missed)
    return points, notes


_SOURCE = re.compile(r"^([^:\s]+)(?::(\d+))?")


def _source_location(directory: Path, source: str) -> Location:
    """The file (and line) a discovered start command comes from, e.g. ``Dockerfile:4 (…)``."""
    match = _SOURCE.match(source)
    if match is not None and (directory / match[1]).is_file():
        line = int(match[2]) if match[2] else None
        return Location(display_path(str(directory / match[1])), line)
    return Location(display_path(str(directory)))


def _label(found: Found) -> str:
    """How a discovered command is named: where it is declared (``Procfile:2 (worker)``,
    ``compose.yml:14 (migrate)``), and the file its command comes from when that is another
    (the image's Dockerfile, a start-up script)."""
    if found.origin is None:
        return found.source
    declared = _SOURCE.match(found.origin)
    source = _SOURCE.match(found.source)
    if declared is not None and source is not None and declared[1] == source[1]:
        return found.origin
    return f"{found.origin} via {found.source}"


# How far above the project directory a start command is looked for: a compose file at the
# repository's top often builds the service of a sub-directory.
_MAX_PARENTS = 3


def start_command_points(directory: Path, config: Settings) -> tuple[list[EntryPoint], list[str]]:
    """Every start command the project names, each an entry point (with the Python commands of
    its chain), and why some could not be read. When the project directory names none that
    can be modelled (none at all, or only ones whose directory cannot be told), the directories
    above it up to the repository's top are asked too; the first that names one decides."""
    fallback: tuple[list[EntryPoint], list[str]] | None = None
    for here in [directory, *directory.parents][: _MAX_PARENTS + 1]:
        points, notes, modelled = _commands_at(here, config)
        if modelled:
            return points, notes
        if fallback is None and (points or notes):
            fallback = (points, notes)
        if (here / ".git").exists():
            break
    return fallback or ([], [])


def _commands_at(here: Path, config: Settings) -> tuple[list[EntryPoint], list[str], bool]:
    from .launch.deploy import discover_all

    found = discover_all(here, config)
    if not found.commands and not found.unread:
        return [], [], False
    from .masking import mask_text  # only now: most directories name no start command

    notes = [f"start command not checked: {mask_text(text)}" for text in found.unread]
    commands = list(found.commands)
    if len(commands) > MAX_START_COMMANDS:
        notes.append(
            f"start commands: only the first {MAX_START_COMMANDS} of {len(commands)} checked"
        )
        commands = commands[:MAX_START_COMMANDS]
    if not commands:
        return [], notes, False
    from .startup.check import resolve_found
    from .startup.syspath import model_launch

    points: list[EntryPoint] = []
    modelled = False
    for item in commands:
        label = _label(item)
        where = _source_location(here, item.origin or item.source)
        try:
            resolved = resolve_found(item)
        except UsageError as exc:
            shown = " && ".join(mask_text(item.command).splitlines())
            reason = item.unknown_cwd or mask_text(str(exc))
            group = f"start command `{shown}` ({label})"
            points.append(EntryPoint(group, f"`{shown}`", None, where, here, unmodelled=reason))
            continue
        modelled = True
        cmd = resolved.command
        group = f"start command `{cmd.shown}` ({label})"
        for earlier in cmd.before:
            points.append(
                EntryPoint(group, f"`{earlier.shown}`", model_launch(earlier), where, here)
            )
        points.append(EntryPoint(group, f"`{cmd.shown}`", resolved.launch, where, here))
    return points, notes, modelled


def _read(path: Path) -> str | None:
    try:
        return read_bounded_text(path, what="file")
    except UsageError:
        return None


def _pytest_config(directory: Path) -> tuple[Path, dict[str, str]] | None:
    """The first pytest configuration at or above ``directory`` (pytest's own order), as the
    ini file and its options; ``None`` when there is none."""
    for here in (directory, *directory.parents):
        ini = here / "pytest.ini"
        if ini.is_file():
            return ini, _ini_options(ini, "pytest") or {}
        pyproject = here / "pyproject.toml"
        if pyproject.is_file():
            text = _read(pyproject)
            import tomllib

            try:
                data = tomllib.loads(text) if text is not None else {}
            except tomllib.TOMLDecodeError:
                data = {}
            options = data.get("tool", {}).get("pytest", {}).get("ini_options")
            if isinstance(options, dict):
                return pyproject, {
                    k: " ".join(map(str, v)) if isinstance(v, list) else str(v)
                    for k, v in options.items()
                }
        for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
            found = _ini_options(here / name, section)
            if found is not None:
                return here / name, found
        if (here / ".git").exists():
            break
    return None


def _ini_options(path: Path, section: str) -> dict[str, str] | None:
    if not path.is_file():
        return None
    text = _read(path)
    if text is None:
        return None
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section(section):
        return None
    return dict(parser.items(section))


def _basedir(file: Path) -> tuple[Path, str]:
    """Where pytest's ``prepend`` mode puts ``file`` on ``sys.path``, and its module name: the
    first directory upwards without ``__init__.py``."""
    parts = [file.stem]
    directory = file.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return directory, ".".join(parts)


def pytest_points(directory: Path) -> tuple[list[EntryPoint], list[str]]:
    from .startup.finder import ProjectIndex

    found = _pytest_config(directory)
    ini, options = found if found is not None else (None, {})
    rootdir = ini.parent if ini is not None else directory
    patterns = tuple(options.get("python_files", "").split()) or _PYTEST_FILES
    # pytest run from the project directory: `testpaths` applies only when that is the rootdir;
    # from below a configuration further up, it collects what is under the directory.
    testpaths = [directory]
    if rootdir == directory:
        testpaths = [rootdir / p for p in options.get("testpaths", "").split()] or [rootdir]
    files = ProjectIndex.of(directory).files
    tests = sorted(
        f
        for f in files
        if any(f.is_relative_to(t.absolute()) for t in testpaths)
        and (f.name == "conftest.py" or any(fnmatch.fnmatch(f.name, p) for p in patterns))
    )
    notes = []
    if len(tests) > MAX_TEST_FILES:
        notes.append(f"pytest: only the first {MAX_TEST_FILES} of {len(tests)} test files checked")
        tests = tests[:MAX_TEST_FILES]
    if not tests:
        return [], notes
    from .launch.command import Launcher, StartCommand
    from .startup.syspath import Entry, EntryKind, Launch, PathEntry

    extra = [
        PathEntry(Path(os.path.normpath(rootdir / p)), f"pytest pythonpath ({ini.name})")
        for p in options.get("pythonpath", "").split()
        if ini is not None
    ]
    source = display_path(str(ini)) if ini is not None else "pytest (no configuration)"
    group = f"pytest (rootdir {display_path(str(rootdir))})"
    points = []
    for test in tests:
        conftests = [
            _basedir(c)[0]
            for c in (d / "conftest.py" for d in (test.parent, *test.parent.parents))
            if c.is_file() and c.parent.is_relative_to(rootdir.absolute())
        ]
        base, module = _basedir(test)
        sys_path = _unique(
            [PathEntry(base, "pytest rootdir-relative import (prepend)")]
            + [PathEntry(c, "conftest.py directory (prepend)") for c in conftests]
            + extra
        )
        cmd = StartCommand(
            raw="pytest",
            source=source,
            launcher=Launcher.MODULE,
            cwd=rootdir.absolute(),
            start_cwd=rootdir.absolute(),
            target=module,
        )
        launch = Launch(cmd, rootdir.absolute(), sys_path, Entry(EntryKind.MODULE, module, ""))
        shown = display_path(str(test))
        points.append(EntryPoint(group, shown, launch, Location(shown)))
    return points, notes


def _unique(entries: Iterable[PathEntry]) -> tuple[PathEntry, ...]:
    seen: set[Path] = set()
    out = []
    for entry in entries:
        if entry.path not in seen:
            seen.add(entry.path)
            out.append(entry)
    return tuple(out)


_SPLIT = re.compile(r"[\s,]+")


def alembic_points(directory: Path) -> tuple[list[EntryPoint], list[str]]:
    """``alembic`` run from the directory of each ``alembic.ini`` (at the project directory or
    one below): ``env.py`` executed by path, ``prepend_sys_path`` on ``sys.path``."""
    points = []
    notes = []
    for ini in sorted({*directory.glob("alembic.ini"), *directory.glob("*/alembic.ini")}):
        options = _ini_options(ini, "alembic")
        if not options or "script_location" not in options:
            continue
        here = ini.parent.absolute()
        location = options["script_location"].replace("%(here)s", str(here))
        env = Path(os.path.normpath(here / location)) / "env.py"
        if not env.is_file():
            continue
        from .launch.command import Launcher, StartCommand
        from .startup.syspath import Entry, EntryKind, Launch, PathEntry

        # alembic splits on os.pathsep (path_separator = os) or, by default, spaces/commas; a
        # missing option prepends nothing.
        raw = options.get("prepend_sys_path", "").replace("%(here)s", str(here))
        parts = (
            raw.split(os.pathsep) if options.get("path_separator") == "os" else _SPLIT.split(raw)
        )
        sys_path = _unique(
            PathEntry(Path(os.path.normpath(here / p)), f"alembic prepend_sys_path ({ini.name})")
            for p in parts
            if p
        )
        if not sys_path:
            # Then env.py reaches the project only through PYTHONPATH or an installed copy,
            # neither of which is known here.
            notes.append(
                f"alembic ({display_path(str(ini))}) not checked: no prepend_sys_path, so "
                "env.py imports the project only through PYTHONPATH or an installed copy"
            )
            continue
        cmd = StartCommand(
            raw="alembic upgrade head",
            source=display_path(str(ini)),
            launcher=Launcher.SCRIPT,
            cwd=here,
            start_cwd=here,
            target=str(env),
        )
        launch = Launch(cmd, here, sys_path, Entry(EntryKind.SCRIPT, "env", file=env))
        points.append(
            EntryPoint(
                f"alembic ({display_path(str(ini))})",
                display_path(str(env)),
                launch,
                Location(display_path(str(env))),
            )
        )
    return points, notes
