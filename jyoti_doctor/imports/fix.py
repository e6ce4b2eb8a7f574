"""``fix-imports`` as a plain function: every file's rewrite is computed and verified first,
then (with ``write``) the changed files are replaced atomically (docs/contract.md)."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Style
from ..files import ChangedOnDisk, display_path, printable, write_atomic
from ..findings import ExitCode, Finding, Location, Report, Section, SummaryValue
from ..rules import Rule
from .parallel import PARALLEL_THRESHOLD, map_files, read_module
from .rewrite import plan, splice
from .roots import ModuleInfo, PackageRoot
from .run import ImportSettings, skipped_section, targets
from .scan import FileScan, ScanOptions, SelfImport, parse_source, scan_tree, to_findings
from .source import LineIndex
from .verify import VerificationError, verify

_LINE = re.compile(r"([^\r\n]*)(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class FixOptions:
    style: Style = Style.RELATIVE
    unsafe: bool = False
    max_level: int | None = None


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

    @property
    def changed(self) -> bool:
        return self.new is not None and self.new != self.old


def fix_source(data: bytes, path: str, info: ModuleInfo | None, options: FixOptions) -> FileFix:
    """Rewrite one file's bytes. Never raises; a failure leaves ``new`` unset."""
    # Dots are what --max-level limits; root-absolute imports have none.
    relative = options.style is Style.RELATIVE
    scan_options = ScanOptions(max_level=options.max_level if relative else None)
    if info is None:
        return FileFix(FileScan(path, None))
    tree = parse_source(data, path, info.module)
    if isinstance(tree, FileScan):
        return FileFix(tree)
    scan = scan_tree(tree, data, path, info, scan_options)
    if not any(i.replacement is not None for i in scan.imports):
        return FileFix(scan)
    index = LineIndex(data)
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


def fix_file(path: Path, roots: Sequence[PackageRoot], options: FixOptions) -> FileFix:
    info, data = read_module(path, roots)
    if info is None:
        return FileFix(FileScan(str(path), None))
    if isinstance(data, str):
        return FileFix(FileScan(str(path), info.module, error=data))
    return fix_source(data, str(path), info, options)


def fix_paths(
    files: Sequence[Path],
    roots: Sequence[PackageRoot],
    options: FixOptions,
    *,
    jobs: int | None = None,
) -> list[FileFix]:
    if len(files) >= PARALLEL_THRESHOLD:
        # Imported once here so that forked workers share it instead of each importing it.
        import libcst  # noqa: F401
    one = functools.partial(fix_file, roots=tuple(roots), options=options)
    return map_files(one, files, jobs=jobs)


def _display_lines(data: bytes, encoding: str) -> list[str]:
    """Lines as CPython splits them, each ending in ``\n`` (a missing final one is marked)."""
    text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
    lines = [m.group(1) + "\n" for m in _LINE.finditer(text) if m.group(0)]
    if text and text[-1] not in "\r\n":
        lines[-1] += "\\ No newline at end of file\n"
    return lines


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    """A unified diff for people and ``patch``; line endings shown as ``\\n``."""
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


def _write_one(res: FileFix) -> OSError | ChangedOnDisk | None:
    assert res.old is not None and res.new is not None
    try:
        write_atomic(Path(res.scan.path), res.new, res.old)
    except (ChangedOnDisk, OSError) as exc:
        return exc
    return None


def _write_all(changed: Sequence[FileFix]) -> dict[str, OSError | ChangedOnDisk | None]:
    """Write every changed file; threads overlap the fsyncs. Returns each file's problem."""
    if len(changed) < 8:
        return {r.scan.path: _write_one(r) for r in changed}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((r.scan.path for r in changed), pool.map(_write_one, changed), strict=True))


def run_fix(
    settings: ImportSettings,
    options: FixOptions,
    *,
    write: bool,
) -> Report:
    """Compute, verify, and (with ``write``) apply every fix; the report says what happened."""
    roots, discovery = targets(settings)
    results = fix_paths(discovery.files, roots, options)

    findings: list[Finding] = []
    diffs: list[str] = []
    fixed_rows: list[tuple[str, ...]] = []
    imports_fixed = 0
    status = ExitCode.OK
    written = 0
    outcomes = _write_all([r for r in results if r.changed]) if write else {}
    for res in results:
        shown = display_path(res.scan.path)
        applied = res.changed
        if res.changed and write:
            problem = outcomes.get(res.scan.path)
            if problem is None:
                written += 1
            elif isinstance(problem, ChangedOnDisk):
                applied = False
                findings.append(
                    Finding.make(
                        Rule.CHANGED_WHILE_FIXING,
                        "the file changed on disk since it was read; not written, rerun",
                        location=Location(shown),
                    )
                )
            else:
                applied = False
                reason = getattr(problem, "strerror", None) or str(problem)
                findings.append(
                    Finding.make(
                        Rule.UNPARSABLE_FILE,
                        f"cannot write: {reason}; the file is unchanged",
                        location=Location(shown),
                    )
                )
        elif res.changed:
            assert res.old is not None and res.new is not None
            diffs.append(unified_diff(shown, res.old, res.new))
        if res.error is not None:
            status = ExitCode.INTERNAL
            findings.append(
                Finding.make(
                    Rule.VERIFICATION_FAILED,
                    f"the rewrite failed verification ({res.error}); the file is left unchanged. "
                    "This is a bug in jyoti-doctor: please report it",
                    location=Location(shown),
                )
            )
        fixed_keys = {(i.line, i.col) for i in res.fixed} if applied else set()
        notes = {(i.line, i.col): (reason, internal) for i, reason, internal in res.refused}
        replacements = dict(res.replacements)
        kept: list[SelfImport] = []
        fixed_here: list[str] = []
        for imp in res.scan.imports:
            key = (imp.line, imp.col)
            if key in fixed_keys and write:
                fixed_here.append(str(imp.line))
                continue
            if key in replacements and options.style is Style.ROOT:
                imp = replace(imp, replacement=replacements[key])
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
            kept.append(imp)
        findings.extend(to_findings([replace(res.scan, imports=tuple(kept))], display_path))
        if fixed_here:
            imports_fixed += len(fixed_here)
            fixed_rows.append((shown, str(len(fixed_here)), ", ".join(fixed_here)))

    sections = list(skipped_section(discovery.skipped))
    if fixed_rows:
        sections.insert(
            0, Section("fixed", "Fixed", ("file", "imports", "lines"), tuple(fixed_rows))
        )
    would_change = sum(1 for r in results if r.changed)
    summary: dict[str, SummaryValue] = {
        "files": len(results),
        "packages": ", ".join(sorted({r.name for r in roots})) or "none found",
        "style": options.style.value,
    }
    if write:
        summary["files_written"] = written
        summary["imports_fixed"] = imports_fixed
    else:
        summary["files_would_change"] = would_change
    if not write and would_change and status is ExitCode.OK:
        status = ExitCode.FINDINGS
    return Report(
        command="fix-imports",
        findings=tuple(findings),
        summary=summary,
        sections=tuple(sections),
        status=status,
        text="".join(diffs) or None,
    )
