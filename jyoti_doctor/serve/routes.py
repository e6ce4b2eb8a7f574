"""``check-routes``: every route the app registers, the routers that never make it, the baseline.

Two views are put side by side. The live one imports the app as its launch does and lists its
routes (:mod:`.live`). The static one reads what the code means to register
(:mod:`.inventory`). A router whose include sits in a ``try`` whose ``except`` swallows the
failure, and whose routes are missing from the live app, is the incident this command exists
for: it is reported with the import chain that fails. A committed ``routes.json`` turns a
vanished endpoint into an error in CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..config import Settings
from ..errors import UsageError
from ..files import display_path
from ..findings import Finding, JsonValue, Location, Report, Section, Severity, SummaryValue
from ..rules import Rule
from ..startup.check import NoStartCommand, resolve_launch
from . import baseline as snapshot
from .inventory import Include, Inventory, RouterDef, inventory
from .live import Failure, Listing, list_routes


@dataclass(frozen=True)
class GuardVerdict:
    include: Include
    failing: tuple[tuple[str, int, Failure], ...]  # (module, import line, failure)
    checked: bool  # every import of the try body was tried in the app's launch


@dataclass(frozen=True)
class RoutesResult:
    project_dir: Path
    command: str
    inventory: Inventory
    listing: Listing
    guards: tuple[GuardVerdict, ...]
    baseline_path: Path | None
    comparison: snapshot.Comparison | None
    written: bool | None  # None: not asked; False: unchanged; True: written

    def router_live(self, router: RouterDef) -> bool | None:
        """Whether the router's routes are in the running app (None: cannot tell)."""
        if self.listing.outcome != "listed" or not router.routes:
            return None
        live = {r.endpoint for r in self.listing.routes}
        return any(f"{router.module}:{func}" in live for _, _, func in router.routes)

    def findings(self) -> list[Finding]:
        return routes_findings(self)

    def to_report(self) -> Report:
        rows = tuple((",".join(r.methods), r.path, r.name, r.endpoint) for r in self.listing.routes)
        router_rows = []
        for router in self.inventory.routers:
            includes = self.inventory.includes_of(router)
            where = ", ".join(
                f"{self._rel(i.path)}:{i.line}" + (" (try/except)" if i.guard else "")
                for i in includes
            )
            live = self.router_live(router)
            router_rows.append(
                (
                    f"{router.module}.{router.name}",
                    f"{self._rel(router.path)}:{router.line}",
                    where or "never",
                    "?" if live is None else ("yes" if live else "no"),
                )
            )
        summary: dict[str, SummaryValue] = {
            "command": self.command,
            "import": self.listing.outcome,
            "framework": self.listing.framework,
            "routes": len(self.listing.routes),
            "routers_defined": len(self.inventory.routers),
            "includes_found": len(self.inventory.includes),
            "baseline": display_path(str(self.baseline_path)) if self.baseline_path else None,
        }
        if self.comparison is not None:
            summary["vanished"] = len(self.comparison.vanished)
            summary["added"] = len(self.comparison.added)
        if self.written is not None:
            summary["baseline_written"] = self.written
        details: dict[str, JsonValue] = {
            "routes": [
                {"methods": list(r.methods), "path": r.path, "name": r.name, "endpoint": r.endpoint}
                for r in self.listing.routes
            ],
            "import_seconds": round(self.listing.seconds, 3),
        }
        sections = [
            Section("routes", "Registered routes", ("methods", "path", "name", "endpoint"), rows),
        ]
        if router_rows:
            sections.append(
                Section(
                    "routers",
                    "Routers in the code",
                    ("router", "defined at", "included at", "served"),
                    tuple(router_rows),
                )
            )
        return Report(
            command="check-routes",
            findings=tuple(self.findings()),
            summary=summary,
            sections=tuple(sections),
            details=details,
        )

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.project_dir.absolute()))
        except ValueError:
            return display_path(str(path))


def _location(result: RoutesResult, path: Path, line: int) -> Location:
    # Locations are shown relative to where the command runs, as every command shows them (a
    # CI annotation or a SARIF result must name a file that exists from there).
    return Location(display_path(str(path.absolute())), line)


def routes_findings(result: RoutesResult) -> list[Finding]:
    findings: list[Finding] = []
    listing = result.listing
    if listing.outcome != "listed":
        error = listing.error
        findings.append(
            Finding.make(
                Rule.ROUTES_NOT_LISTED,
                f"importing the app ({result.command}) failed, so its routes were not listed: "
                + (error.chain() if error else listing.outcome)
                + ("; the baseline was not compared" if result.baseline_path else ""),
            )
        )
    failing_modules: dict[str, str] = {}
    for verdict in result.guards:
        include = verdict.include
        guard = include.guard
        assert guard is not None
        targets = ", ".join(f"{m}.{n}" for m, n in include.targets) or include.argument
        logs = f'; it logs "{guard.logs}"' if guard.logs else "; nothing is logged"
        where = f"`except {guard.catches or ''}`".replace(" `", "`") + f" at line {guard.line}"
        if verdict.failing:
            _, line, failure = verdict.failing[0]
            chain = f"{result._rel(include.path)}:{line} → {failure.chain()}"
            missing = [
                r
                for r in result.inventory.routers
                if r.key in include.targets and result.router_live(r) is not True
            ]
            routes = [f"{m} {p}" for r in missing for m, p, _ in r.routes]
            gone = f"; missing from the app: {', '.join(routes)}" if routes else ""
            findings.append(
                Finding.make(
                    Rule.ROUTER_INCLUDE_SWALLOWED,
                    f"the include of {targets} fails and {where} swallows it: the app starts "
                    f"without it ({chain}){logs}{gone}",
                    location=_location(result, include.path, include.line),
                    source=include.argument,
                )
            )
            for r in missing:
                for _, _, func in r.routes:
                    failing_modules[f"{r.module}:{func}"] = chain
        elif not verdict.checked:
            findings.append(
                Finding.make(
                    Rule.ROUTER_INCLUDE_SWALLOWED,
                    f"not checked: the include of {targets} is guarded by {where}, which would "
                    f"swallow its failure{logs}; whether it fails today needs the app to import",
                    severity=Severity.INFO,
                    location=_location(result, include.path, include.line),
                    source=include.argument,
                )
            )
        else:
            findings.append(
                Finding.make(
                    Rule.ROUTER_INCLUDE_SWALLOWED,
                    f"the include of {targets} works today, but {where} would swallow its "
                    f"failure and the app would start without it{logs}",
                    severity=Severity.INFO,
                    location=_location(result, include.path, include.line),
                    source=include.argument,
                )
            )
    unresolved = result.inventory.unresolved
    for router in result.inventory.routers:
        if result.inventory.includes_of(router):
            continue
        live = result.router_live(router)
        if live:
            continue
        declared = ", ".join(f"{m} {p}" for m, p, _ in router.routes) or "no routes of its own"
        if unresolved:
            names = ", ".join(f"{result._rel(i.path)}:{i.line}" for i in unresolved)
            findings.append(
                Finding.make(
                    Rule.ROUTER_NEVER_INCLUDED,
                    f"not checked: {router.module}.{router.name} ({declared}) has no include this "
                    f"tool can resolve, and {len(unresolved)} include(s) could not be resolved "
                    f"statically ({names})",
                    severity=Severity.INFO,
                    location=_location(result, router.path, router.line),
                )
            )
            continue
        findings.append(
            Finding.make(
                Rule.ROUTER_NEVER_INCLUDED,
                f"{router.module}.{router.name} is defined but never included ({declared})"
                + (" and none of its routes is served" if live is False else ""),
                location=_location(result, router.path, router.line),
            )
        )
    comparison = result.comparison
    if comparison is not None:
        base = display_path(str(result.baseline_path))
        for entry in comparison.vanished:
            why = next(
                (
                    f"; its include fails: {c}"
                    for ep, c in failing_modules.items()
                    if ep.split(":")[1] == entry.endpoint.rsplit(":", 1)[-1]
                ),
                "",
            )
            findings.append(
                Finding.make(
                    Rule.ROUTE_VANISHED,
                    f"{entry.method} {entry.path} ({entry.endpoint or entry.name}) is in {base} "
                    f"but no longer registered{why}",
                )
            )
        for entry in comparison.added:
            findings.append(
                Finding.make(
                    Rule.ROUTE_ADDED,
                    f"{entry.method} {entry.path} ({entry.endpoint}) is new since {base}",
                )
            )
    return findings


def _guards(inv: Inventory, listing: Listing) -> tuple[GuardVerdict, ...]:
    out = []
    for include in inv.includes:
        guard = include.guard
        if guard is None or not guard.swallows:
            continue
        tried = [(module, line, *listing.probe(module)) for module, line in guard.imports]
        failing = tuple((m, line, f) for m, line, _, f in tried if f is not None)
        checked = listing.outcome == "listed" and all(t[2] for t in tried)
        out.append(GuardVerdict(include, failing, checked))
    return tuple(out)


def check_routes(
    project_dir: Path,
    settings: Settings,
    *,
    command: str | None = None,
    cwd: Path | None = None,
    baseline: Path | None = None,
    write_baseline: bool = False,
    timeout: float = 30.0,
    python: str | None = None,
) -> RoutesResult:
    """List, inventory, and compare the routes of the project's app."""
    resolved = resolve_launch(project_dir, settings, command=command, cwd=cwd)
    launch = resolved.launch
    if launch.problem is not None:
        raise UsageError(f"the start command cannot run: {launch.problem}")
    inv = inventory(project_dir, [e.path for e in launch.sys_path])
    probes = sorted(
        {m for i in inv.includes if i.guard and i.guard.swallows for m, _ in i.guard.imports}
    )
    listing = list_routes(
        launch, project_dir.absolute(), probes=probes, timeout=timeout, python=python
    )
    if write_baseline and baseline is None:
        baseline = project_dir / snapshot.DEFAULT_NAME
    comparison = None
    written: bool | None = None
    current = snapshot.entries(listing.routes)
    if write_baseline and baseline is not None:
        # A baseline is written only from an app that imported: an empty snapshot would make
        # every later route look new and hide what vanished.
        if listing.outcome == "listed":
            written = snapshot.write(baseline, current)
    elif baseline is not None:
        old = snapshot.read(baseline)
        if listing.outcome == "listed":
            comparison = snapshot.compare(old, current)
    from ..env.secrets import secret_values
    from ..masking import mask_text

    shown = mask_text(resolved.command.raw, secret_values(resolved.command.env))
    return RoutesResult(
        project_dir,
        shown,
        inv,
        listing,
        _guards(inv, listing),
        baseline,
        comparison,
        written,
    )


# -- doctor's line ------------------------------------------------------------------------------


class RoutesStatus(StrEnum):
    OK = "ok"
    FINDINGS = "findings"
    NOT_CHECKED = "not checked"
    SKIPPED = "skipped"  # no baseline and no importable app: doctor shows no line


@dataclass(frozen=True)
class RoutesLine:
    status: RoutesStatus
    text: str
    findings: tuple[Finding, ...] = ()
    # check-routes' own report, for doctor's verbose and machine formats (None: not checked).
    report: Report | None = None


def routes_line(
    project_dir: Path, settings: Settings, *, timeout: float = 30.0, python: str | None = None
) -> RoutesLine:
    """doctor's "routes" line: the live routes, compared with ``routes.json`` when it exists."""
    path = project_dir / snapshot.DEFAULT_NAME
    has_baseline = path.is_file()
    try:
        result = check_routes(
            project_dir,
            settings,
            baseline=path if has_baseline else None,
            timeout=timeout,
            python=python,
        )
    except NoStartCommand:
        return RoutesLine(RoutesStatus.SKIPPED, "no start command")
    except UsageError as exc:
        if has_baseline:
            return RoutesLine(RoutesStatus.NOT_CHECKED, f"not checked: {exc}")
        return RoutesLine(RoutesStatus.SKIPPED, str(exc))
    report = result.to_report()
    findings = report.findings
    if result.listing.outcome != "listed" and not has_baseline:
        return RoutesLine(RoutesStatus.SKIPPED, "the app does not import")
    counted = [f for f in findings if f.counts]
    parts = [f"{len(result.listing.routes)} route(s)"]
    if result.comparison is not None:
        parts.append(
            f"{len(result.comparison.vanished)} vanished and {len(result.comparison.added)} new "
            f"since {snapshot.DEFAULT_NAME}"
        )
    if counted:
        parts.append(f"{len(counted)} problem(s)")
    return RoutesLine(
        RoutesStatus.FINDINGS if counted else RoutesStatus.OK, ", ".join(parts), findings, report
    )
