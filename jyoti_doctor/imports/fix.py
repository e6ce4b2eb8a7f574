"""``fix-imports`` as a plain function: every file's rewrite is computed and verified first,
then (with ``write``) the changed files are replaced atomically (docs/contract.md)."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Self

from ..config import Settings, Style
from ..errors import UsageError
from ..files import ChangedOnDisk, Discovery, display_path, printable, write_atomic
from ..findings import Applicability, ExitCode, Finding, Location, Report, Section, SummaryValue
from ..rules import Rule
from .lint import LintPolicy, RelativeBan, SortError, detect, find_tool, run_sorter
from .parallel import PARALLEL_THRESHOLD, QUICK_PARALLEL_THRESHOLD, map_files, read_module
from .quick import import_tree, statement_trees
from .rewrite import FIXABLE_RULES, plan, splice
from .roots import ModuleInfo, PackageRoot, module_info
from .run import ImportSettings, run_by_path, skipped_section, targets
from .scan import (
    FileScan,
    ScanOptions,
    SelfImport,
    keep_run_by_path,
    parse_source,
    scan_tree,
    to_findings,
)
from .source import LineIndex
from .verify import VerificationError, verify, verify_reordered

_LINE = re.compile(r"([^\r\n]*)(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class FixOptions:
    """How imports are rewritten: the style, unsafe fixes, the depth allowed."""

    style: Style = Style.RELATIVE
    unsafe: bool = False
    max_level: int | None = None
    # Parse (and verify) whole files, as before the statement scanner.
    check_syntax: bool = False


@dataclass(frozen=True)
class FileRules:
    """What the project says about the files of one run, beyond the options.

    ``kept``: files run by path, with the reason (never rewritten). ``ban``: the project's lint
    bans relative imports with more than ``ban.max_dots`` dots. ``pylint``: relative imports in a
    directory without ``__init__.py`` would be reported by pylint (E0402).
    """

    kept: Mapping[str, str] = field(default_factory=dict)
    ban: RelativeBan | None = None
    pylint: str | None = None


@dataclass(frozen=True)
class FileFix:
    """One file's outcome. ``old``/``new`` are set only when the bytes would change."""

    scan: FileScan
    old: bytes | None = None
    new: bytes | None = None
    fixed: tuple[SelfImport, ...] = ()
    # Self-imports left alone: (import, reason, internal failure?).
    refused: tuple[tuple[SelfImport, str, bool], ...] = ()
    replacements: tuple[tuple[tuple[int, int], str], ...] = ()
    error: str | None = None
    # The rewrite could not be finished for a reason that is the file's, not a bug (it does not
    # parse with this Python, so the project's sorter cannot be verified on it).
    unsortable: str | None = None

    @property
    def changed(self) -> bool:
        return self.new is not None and self.new != self.old


def _dots(replacement: str) -> int:
    module = replacement.split()[1] if replacement.startswith("from ") else ""
    return len(module) - len(module.lstrip("."))


def _in_namespace_dir(info: ModuleInfo, path: str) -> bool:
    directory = Path(path).absolute().parent
    top = info.root.directory.absolute()
    while directory.is_relative_to(top):
        if not (directory / "__init__.py").is_file():
            return True
        if directory == top:
            break
        directory = directory.parent
    return False


def apply_rules(scan: FileScan, info: ModuleInfo, rules: FileRules, style: Style) -> FileScan:
    """``scan`` with what the project forbids turned into kept imports, each with its reason."""
    reason = rules.kept.get(scan.path)
    if reason is not None:
        return keep_run_by_path(scan, reason)
    if style is not Style.RELATIVE or not scan.imports:
        return scan
    banned: str | None = None
    limit = rules.ban.max_dots if rules.ban else None
    if rules.pylint and _in_namespace_dir(info, scan.path):
        limit, banned = (
            0,
            f"{rules.pylint} reports relative imports in a directory without __init__.py",
        )
    elif rules.ban is not None:
        banned = f"the project's lint bans this relative import: {rules.ban.source}"
    if limit is None or banned is None:
        return scan
    out = []
    for imp in scan.imports:
        if (
            imp.rule in FIXABLE_RULES
            and imp.replacement is not None
            and _dots(imp.replacement) > limit
        ):
            imp = replace(imp, applicability=Applicability.NONE, reason=banned, replacement=None)
        out.append(imp)
    return replace(scan, imports=tuple(out))


def fix_source(
    data: bytes,
    path: str,
    info: ModuleInfo | None,
    options: FixOptions,
    rules: FileRules | None = None,
) -> FileFix:
    """Rewrite one file's bytes. Never raises; a failure leaves ``new`` unset."""
    # Dots are what --max-level limits; root-absolute imports have none.
    relative = options.style is Style.RELATIVE
    scan_options = ScanOptions(
        max_level=options.max_level if relative else None, check_syntax=options.check_syntax
    )
    if info is None:
        return FileFix(FileScan(path, None))
    # The import statements (all the plan needs) and what the scan needs (the same, with the
    # statements that may hold a dynamic reference).
    trees = None if options.check_syntax else statement_trees(data, info.root.name, path)
    by_statements = trees is not None
    if trees is None:
        parsed = parse_source(data, path, info.module)
        if isinstance(parsed, FileScan):
            return FileFix(parsed)
        trees = parsed, parsed
        # Taken whole only for a dynamic reference it could not place (which the rewrite never
        # touches): its imports are as sure as any other file's, so the spans are verified alone.
        by_statements = not options.check_syntax and (
            import_tree(data, info.root.name, path) is not None
        )
    tree, scanned = trees
    # Built once for the scan's columns and the plan's offsets (an ASCII file's columns need
    # none, and a file without a fixable import needs no offsets).
    index = LineIndex(data) if scanned.body and not data.isascii() else None
    scan = scan_tree(scanned, data, path, info, scan_options, index=index)
    if rules is not None:
        scan = apply_rules(scan, info, rules, options.style)
    if not any(i.replacement is not None for i in scan.imports):
        return FileFix(scan)
    index = index or LineIndex(data)
    result = plan(tree, data, info, scan, style=options.style, unsafe=options.unsafe, index=index)
    refused = tuple((r.imp, r.reason, r.internal) for r in result.refused)
    replacements = tuple(result.replacements.items())
    if not result.edits:
        return FileFix(scan, refused=refused, replacements=replacements)
    new = splice(data, result.edits)
    try:
        verify(
            data,
            new,
            result.edits,
            info,
            path,
            scan_options,
            style=options.style,
            unsafe=options.unsafe,
            whole_file=not by_statements,
            project_rules=None
            if rules is None
            else functools.partial(apply_rules, info=info, rules=rules, style=options.style),
        )
    except VerificationError as exc:
        return FileFix(scan, refused=refused, replacements=replacements, error=str(exc))
    except Exception as exc:  # noqa: BLE001  (one file's surprise must not stop the others)
        return FileFix(
            scan,
            refused=refused,
            replacements=replacements,
            error=f"verification crashed ({type(exc).__name__}: {exc})",
        )
    if new == data:
        return FileFix(scan, fixed=result.fixed, refused=refused, replacements=replacements)
    return FileFix(scan, data, new, result.fixed, refused, replacements)


def fix_file(
    path: Path,
    roots: Sequence[PackageRoot],
    options: FixOptions,
    rules: FileRules | None = None,
) -> FileFix:
    info, data = read_module(path, roots)
    if info is None:
        return FileFix(FileScan(str(path), None))
    if isinstance(data, str):
        return FileFix(FileScan(str(path), info.module, error=data))
    return fix_source(data, str(path), info, options, rules)


def fix_paths(
    files: Sequence[Path],
    roots: Sequence[PackageRoot],
    options: FixOptions,
    *,
    jobs: int | None = None,
    rules: FileRules | None = None,
) -> list[FileFix]:
    # libcst is not imported here for the workers to share: most trees never need it (plain
    # `from X import` heads are rewritten as text), and one that does imports it in each
    # process at the same time.
    threshold = PARALLEL_THRESHOLD if options.check_syntax else QUICK_PARALLEL_THRESHOLD
    one = functools.partial(fix_file, roots=tuple(roots), options=options, rules=rules)
    return map_files(one, files, jobs=jobs, threshold=threshold)


def _display_lines(data: bytes, encoding: str) -> list[str]:
    """Lines as CPython splits them, each ending in ``\n`` (a missing final one is marked)."""
    text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
    lines = [m.group(1) + "\n" for m in _LINE.finditer(text) if m.group(0)]
    if text and text[-1] not in "\r\n":
        lines[-1] += "\\ No newline at end of file\n"
    return lines


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    """A unified diff for people and ``patch``; line endings shown as ``\\n``."""
    import difflib

    encoding = LineIndex(old).encoding
    return "".join(
        difflib.unified_diff(
            _display_lines(old, encoding),
            _display_lines(new, encoding),
            # A name with a newline must not split the header (nor end it early for `patch`).
            f"a/{printable(path)}",
            f"b/{printable(path)}",
        )
    )


class WriteState(StrEnum):
    WRITTEN = "written"
    CHANGED_ON_DISK = "changed on disk"
    FAILED = "failed"
    # Interrupted (SIGINT) before this file's turn: it still holds its old bytes.
    NOT_WRITTEN = "not written"


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one file in the write phase."""

    state: WriteState
    reason: str | None = None


class _Interrupt:
    """SIGINT during the write phase: finish the file being written, start no other."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: object = None

    def __enter__(self) -> Self:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]


def _write_one(res: FileFix, stop: _Interrupt) -> WriteOutcome:
    assert res.old is not None and res.new is not None
    if stop.requested:
        return WriteOutcome(WriteState.NOT_WRITTEN)
    try:
        write_atomic(Path(res.scan.path), res.new, res.old)
    except ChangedOnDisk:
        return WriteOutcome(WriteState.CHANGED_ON_DISK)
    except OSError as exc:
        return WriteOutcome(WriteState.FAILED, exc.strerror or str(exc))
    return WriteOutcome(WriteState.WRITTEN)


def _write_all(changed: Sequence[FileFix]) -> tuple[dict[str, WriteOutcome], bool]:
    """Write every changed file (threads overlap the fsyncs); each file's outcome, and whether
    an interrupt stopped the writing. Each file is replaced whole or not at all."""
    with _Interrupt() as stop:
        if len(changed) < 8:
            outcomes = {r.scan.path: _write_one(r, stop) for r in changed}
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=4) as pool:
                done = pool.map(functools.partial(_write_one, stop=stop), changed)
                outcomes = dict(zip((r.scan.path for r in changed), done, strict=True))
        return outcomes, stop.requested


def _project_dirs(roots: Sequence[PackageRoot]) -> list[Path]:
    from .entry import project_dir

    return sorted({project_dir(r) for r in roots})


def _sort_files(
    results: list[FileFix],
    roots: Sequence[PackageRoot],
    policy: LintPolicy,
    projects: Sequence[Path],
) -> list[FileFix]:
    """Pass every rewritten file through the project's sorter, verified; a file the sorter
    cannot sort exactly keeps its old bytes and says why."""
    if not policy.sorters or not any(r.changed for r in results):
        return results
    project = projects[0]
    tools = []
    for use in policy.sorters:
        exe = find_tool(use.tool, project)
        if exe is None:
            raise UsageError(
                f"imports are sorted by {use.source}, but {use.tool.value} is not installed "
                "where jyoti-doctor can run it (the project's virtualenv, this one, or PATH); "
                "install it so that rewritten imports stay sorted. Nothing was changed."
            )
        tools.append((use, exe))
    out: list[FileFix] = []
    for res in results:
        if not res.changed:
            out.append(res)
            continue
        assert res.old is not None and res.new is not None
        path = Path(res.scan.path).absolute()
        info = module_info(path, roots)
        assert info is not None
        try:
            ast.parse(res.old, filename=str(path))
        except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
            reason = f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}"
            out.append(replace(res, new=None, unsortable=reason))
            continue
        new = res.new
        try:
            for use, exe in tools:
                if run_sorter(use.tool, exe, project, path, res.old) != res.old:
                    # Already unsorted before: sorting now would change untouched blocks too.
                    continue
                sorted_new = run_sorter(use.tool, exe, project, path, new)
                verify_reordered(new, sorted_new, info, str(path))
                if run_sorter(use.tool, exe, project, path, sorted_new) != sorted_new:
                    raise VerificationError(f"{use.tool.value} is not stable on its own output")
                new = sorted_new
        except (SortError, VerificationError) as exc:
            out.append(replace(res, new=None, error=f"sorting the rewrite: {exc}"))
            continue
        out.append(replace(res, new=new))
    return out


def _ban_advice(roots: Sequence[PackageRoot], config: Settings | None) -> str:
    """Which fix fits a project whose lint bans relative imports: the launch, or root style."""
    from ..errors import UsageError as _Usage
    from ..launch.command import parse_command
    from ..launch.deploy import discover
    from .entry import project_dir

    lines = []
    for root in roots:
        name = root.name
        try:
            found = discover(project_dir(root), config or Settings())
            cmd = (
                parse_command(found.command, found.cwd, source=found.source, env=dict(found.env))
                if found
                else None
            )
        except (_Usage, OSError):
            cmd = None
        if cmd is None:
            lines.append(
                f"{name}: no start command found. If the service starts inside {name}/, rewrite "
                f"with `--style root`; otherwise the absolute imports work: launch {name} as a "
                "package (check-startup shows how)."
            )
        elif cmd.cwd.absolute().is_relative_to(root.directory.absolute()):
            lines.append(
                f"{name}: `{cmd.shown}` ({cmd.source}) starts inside {name}/, where `{name}.` "
                f"imports fail: fix the launch (start from {display_path(str(root.base))} and "
                f"import `{name}.` as a package; check-startup gives the command), or keep that "
                "launch and rewrite with `--style root`."
            )
        else:
            lines.append(
                f"{name}: `{cmd.shown}` ({cmd.source}) starts outside {name}/, where the absolute "
                "imports work: keep them, as the project's lint asks; nothing to rewrite."
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class FixResult:
    """What ``fix-imports`` did (or would do), typed; :meth:`to_report` is the one way to a
    report."""

    roots: tuple[PackageRoot, ...]
    discovery: Discovery
    options: FixOptions
    write: bool
    files: tuple[FileFix, ...]
    writes: Mapping[str, WriteOutcome] = field(default_factory=dict)
    interrupted: bool = False
    policy: LintPolicy = field(default_factory=LintPolicy)
    # Why relative rewrites were not proposed, and what to do instead.
    ban_advice: str | None = None

    @property
    def would_change(self) -> int:
        return sum(1 for r in self.files if r.changed)

    @property
    def written(self) -> tuple[str, ...]:
        return tuple(p for p, o in self.writes.items() if o.state is WriteState.WRITTEN)

    @property
    def not_written(self) -> tuple[str, ...]:
        return tuple(p for p, o in self.writes.items() if o.state is WriteState.NOT_WRITTEN)

    def to_report(self) -> Report:
        findings: list[Finding] = []
        diffs: list[str] = []
        fixed_rows: list[tuple[str, ...]] = []
        imports_fixed = 0
        status = ExitCode.OK
        banned = 0
        for res in self.files:
            shown = display_path(res.scan.path)
            applied = res.changed
            outcome = self.writes.get(res.scan.path)
            if res.changed and self.write and outcome is not None:
                applied = outcome.state is WriteState.WRITTEN
                if outcome.state is WriteState.CHANGED_ON_DISK:
                    findings.append(
                        Finding.make(
                            Rule.CHANGED_WHILE_FIXING,
                            "the file changed on disk since it was read; not written, rerun",
                            location=Location(shown),
                        )
                    )
                elif outcome.state is WriteState.FAILED:
                    findings.append(
                        Finding.make(
                            Rule.UNPARSABLE_FILE,
                            f"cannot write: {outcome.reason}; the file is unchanged",
                            location=Location(shown),
                        )
                    )
            elif res.changed and not self.write:
                assert res.old is not None and res.new is not None
                diffs.append(unified_diff(shown, res.old, res.new))
            if res.unsortable is not None:
                findings.append(
                    Finding.make(
                        Rule.UNPARSABLE_FILE,
                        f"the file does not parse with this Python ({res.unsortable}), so the "
                        "project's import sorter cannot be verified on it; its imports are left "
                        "unchanged",
                        location=Location(shown),
                    )
                )
            if res.error is not None:
                status = ExitCode.INTERNAL
                findings.append(
                    Finding.make(
                        Rule.VERIFICATION_FAILED,
                        f"the rewrite failed verification ({res.error}); the file is left "
                        "unchanged. This is a bug in jyoti-doctor: please report it",
                        location=Location(shown),
                    )
                )
            left_unchanged = (
                "left unchanged: the project's import sorter cannot be verified on a file "
                "this Python cannot parse"
                if res.unsortable is not None
                else "left unchanged: the rewrite failed verification"
                if res.error is not None
                else None
            )
            fixed_keys = {(i.line, i.col) for i in res.fixed} if applied else set()
            notes = {(i.line, i.col): (reason, internal) for i, reason, internal in res.refused}
            replacements = dict(res.replacements)
            kept: list[SelfImport] = []
            fixed_here: list[str] = []
            for imp in res.scan.imports:
                key = (imp.line, imp.col)
                if key in fixed_keys and self.write:
                    fixed_here.append(str(imp.line))
                    continue
                if key in replacements and self.options.style is Style.ROOT:
                    imp = replace(imp, replacement=replacements[key])
                if left_unchanged is not None and imp.applicability is not Applicability.NONE:
                    # The file keeps its bytes: a fix shown as safe would be offered again.
                    imp = replace(
                        imp,
                        applicability=Applicability.NONE,
                        reason=left_unchanged,
                        replacement=None,
                    )
                if key in notes:
                    reason, internal = notes[key]
                    if internal:
                        status = ExitCode.INTERNAL
                        findings.append(
                            Finding.make(
                                Rule.VERIFICATION_FAILED,
                                f"the import could not be rewritten ({reason}); it is left "
                                "unchanged. This is a bug in jyoti-doctor: please report it",
                                location=Location(shown, imp.line, imp.col),
                            )
                        )
                    imp = replace(imp, reason=reason, replacement=None)
                if (
                    self.ban_advice is not None
                    and imp.rule in FIXABLE_RULES
                    and imp.applicability is Applicability.NONE
                    and imp.reason is not None
                    and imp.reason.startswith(_BANNED_PREFIXES)
                ):
                    banned += 1
                kept.append(imp)
            findings.extend(to_findings([replace(res.scan, imports=tuple(kept))], display_path))
            if fixed_here:
                imports_fixed += len(fixed_here)
                fixed_rows.append((shown, str(len(fixed_here)), ", ".join(fixed_here)))

        sections = list(skipped_section(self.discovery.skipped))
        if fixed_rows:
            sections.insert(
                0, Section("fixed", "Fixed", ("file", "imports", "lines"), tuple(fixed_rows))
            )
        summary: dict[str, SummaryValue] = {
            "files": len(self.files),
            "packages": ", ".join(sorted({r.name for r in self.roots})) or "none found",
            "style": str(self.options.style),
        }
        texts: list[str] = []
        if self.write:
            summary["files_written"] = len(self.written)
            summary["imports_fixed"] = imports_fixed
        else:
            summary["files_would_change"] = self.would_change
        if self.policy.sorters:
            summary["sorted_by"] = ", ".join(s.tool.value for s in self.policy.sorters)
        if banned and self.ban_advice is not None:
            texts.append(
                f"{banned} self-import(s) not rewritten: the project's lint bans the relative "
                f"form.\n{self.ban_advice}\n"
            )
        if self.interrupted:
            status = ExitCode.INTERRUPTED
            rows = tuple((display_path(p), "written") for p in self.written) + tuple(
                (display_path(p), "not written") for p in self.not_written
            )
            sections.insert(0, Section("interrupted", "Interrupted", ("file", "state"), rows))
            texts.append(
                f"interrupted: {len(self.written)} file(s) written, {len(self.not_written)} not "
                "written; every file holds either its old or its new content, whole.\n"
            )
        if not self.write and self.would_change and status is ExitCode.OK:
            status = ExitCode.FINDINGS
        return Report(
            command="fix-imports",
            findings=tuple(findings),
            summary=summary,
            sections=tuple(sections),
            status=status,
            text="".join(diffs + texts) or None,
        )


_BANNED_PREFIXES = ("the project's lint bans", "pylint E0402")


def run_fix(settings: ImportSettings, options: FixOptions, *, write: bool) -> FixResult:
    """Compute, verify, and (with ``write``) apply every fix."""
    planned = plan_fix(settings, options)
    return apply_fix(planned) if write else planned


def plan_fix(settings: ImportSettings, options: FixOptions) -> FixResult:
    """Every file's rewrite computed and verified, nothing written: a caller can judge the new
    contents (``FixResult.files[i].new``) before :func:`apply_fix` writes them."""
    roots, discovery = targets(settings)
    projects = _project_dirs(roots)
    policy = detect(projects[0]) if projects else LintPolicy()
    rules = FileRules(
        kept=run_by_path(settings, roots, discovery.files),
        ban=policy.ban,
        pylint=policy.pylint,
    )
    results = fix_paths(discovery.files, roots, options, rules=rules)
    results = _sort_files(results, roots, policy, projects)
    advice = None
    if options.style is Style.RELATIVE and (policy.ban is not None or policy.pylint):
        advice = _ban_advice(roots, settings.config)
    return FixResult(
        tuple(roots),
        discovery,
        options,
        False,
        tuple(results),
        policy=policy,
        ban_advice=advice,
    )


def apply_fix(planned: FixResult) -> FixResult:
    """Write the changed files of a planned fix (atomically, each checked unchanged on disk)."""
    outcomes, interrupted = _write_all([r for r in planned.files if r.changed])
    return replace(planned, write=True, writes=outcomes, interrupted=interrupted)
