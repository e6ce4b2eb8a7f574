"""``scan-imports`` as a plain function: paths and settings in, a :class:`Report` out."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..files import Discovery, Skipped, discover, display_path
from ..findings import Applicability, Finding, Report, Section
from .roots import PackageRoot, infer_roots, module_info
from .scan import FileScan, ScanOptions, keep_run_by_path, to_findings
from .scanner import scan_paths


@dataclass(frozen=True)
class ImportSettings:
    """What scan-imports and fix-imports were asked to look at, and how."""

    paths: tuple[Path, ...]
    packages: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    max_level: int | None = None
    use_cache: bool = True
    check_syntax: bool = False
    # The project's configuration, for what it says about start commands (files run by path).
    config: Settings | None = None

    @classmethod
    def build(
        cls,
        paths: Sequence[Path],
        config: Settings,
        *,
        packages: Sequence[str] = (),
        exclude: Sequence[str] = (),
        extend_exclude: Sequence[str] = (),
        max_level: int | None = None,
        use_cache: bool = True,
        check_syntax: bool = False,
    ) -> ImportSettings:
        """Flags win over ``[tool.jyoti-doctor]``; config paths are relative to its file."""
        return cls(
            paths=tuple(paths) or (Path("."),),
            packages=tuple(packages) or config.package,
            exclude=tuple(exclude) if exclude else config.exclude,
            extend_exclude=(*config.extend_exclude, *extend_exclude),
            max_level=max_level if max_level is not None else config.max_level,
            use_cache=use_cache and not os.environ.get("JYOTI_DOCTOR_NO_CACHE"),
            check_syntax=check_syntax,
            config=config,
        )


@dataclass(frozen=True)
class ScanOutcome:
    """A scan's package roots, discovered files and per-file results."""

    roots: tuple[PackageRoot, ...]
    discovery: Discovery
    scans: tuple[FileScan, ...]


def targets(settings: ImportSettings) -> tuple[list[PackageRoot], Discovery]:
    """The package roots and the files ``settings`` designate."""
    roots: dict[PackageRoot, None] = {}
    for path in settings.paths:
        if path.exists():
            roots.update(dict.fromkeys(infer_roots(path, settings.packages)))
    discovery = discover(
        settings.paths, exclude=settings.exclude, extend_exclude=settings.extend_exclude
    )
    # A file given by name may sit in a package of its own (pre-commit passes file names).
    all_roots = list(roots)
    for file in discovery.files:
        if module_info(file, all_roots) is None and not settings.packages:
            for root in infer_roots(file):
                if root not in roots:
                    roots[root] = None
                    all_roots.append(root)
    return all_roots, discovery


def run_by_path(
    settings: ImportSettings, roots: Sequence[PackageRoot], files: Sequence[Path]
) -> Mapping[str, str]:
    """The files among ``files`` that something runs by path, each with the reason."""
    from .entry import RunByPath

    return RunByPath(roots, settings.config).reasons(files)


def _keep(scans: Sequence[FileScan], kept: Mapping[str, str]) -> tuple[FileScan, ...]:
    if not kept:
        return tuple(scans)
    return tuple(keep_run_by_path(s, kept[s.path]) if s.path in kept else s for s in scans)


def collect(
    settings: ImportSettings,
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ScanOutcome:
    all_roots, discovery = targets(settings)
    if on_total:
        on_total(len(discovery.files))
    options = ScanOptions(max_level=settings.max_level, check_syntax=settings.check_syntax)
    if not settings.use_cache:
        scans = scan_paths(discovery.files, all_roots, options, on_progress=on_progress)
        kept = run_by_path(settings, all_roots, discovery.files)
        return ScanOutcome(tuple(all_roots), discovery, _keep(scans, kept))

    from .cache import ScanCache

    cache = ScanCache.for_scan(all_roots, options)
    results: list[FileScan | None] = []
    stale: list[tuple[int, Path, tuple[int, int, int] | None]] = []
    for index, path in enumerate(discovery.files):
        cached, stamp = cache.get(path)
        results.append(cached)
        if cached is None:
            stale.append((index, path, stamp))
    if on_progress and len(stale) < len(results):
        on_progress(len(results) - len(stale))
    fresh = scan_paths([p for _, p, _ in stale], all_roots, options, on_progress=on_progress)
    for (index, path, stamp), scan in zip(stale, fresh, strict=True):
        results[index] = scan
        cache.put(path, stamp, scan)
    cache.save()
    kept = run_by_path(settings, all_roots, discovery.files)
    done = [r for r in results if r is not None]
    return ScanOutcome(tuple(all_roots), discovery, _keep(done, kept))


@dataclass(frozen=True)
class ScanResult:
    """What ``scan-imports`` found, typed; :meth:`to_report` is the one way to a report."""

    outcome: ScanOutcome
    findings: tuple[Finding, ...]

    @classmethod
    def of(cls, outcome: ScanOutcome) -> ScanResult:
        return cls(outcome, tuple(to_findings(outcome.scans, display_path)))

    @property
    def files(self) -> int:
        return len(self.outcome.scans)

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(sorted({r.name for r in self.outcome.roots}))

    @property
    def fixable(self) -> int:
        return sum(1 for f in self.findings if f.fix and f.fix.applicability is Applicability.SAFE)

    def to_report(self) -> Report:
        in_roots = sum(1 for s in self.outcome.scans if s.module is not None)
        return Report(
            command="scan-imports",
            findings=self.findings,
            summary={
                "files": self.files,
                "files_in_packages": in_roots,
                "packages": ", ".join(self.packages) or "none found",
                "fixable": self.fixable,
            },
            sections=skipped_section(self.outcome.discovery.skipped),
        )


def scan_imports(paths: Sequence[Path], config: Settings) -> ScanResult:
    """``scan-imports paths`` with the project's configuration and no flags (as doctor runs it)."""
    return ScanResult.of(collect(ImportSettings.build(paths, config)))


def skipped_section(skipped: Sequence[Skipped]) -> tuple[Section, ...]:
    if not skipped:
        return ()
    rows = tuple((display_path(s.path), s.reason) for s in skipped)
    return (Section("skipped", "Skipped", ("path", "reason"), rows),)
