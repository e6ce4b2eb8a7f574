"""Turn a :class:`~.probe.ProbeResult` into the shared :class:`~jyoti_doctor.findings.Report`.

The findings carry the verdict and the advice; ``details`` carries every attempt as a record (the
JSON format prints it whole); the sections are what a person reads: the phase timeline and the
attempts, consecutive identical ones grouped.
"""

from __future__ import annotations

from ..findings import (
    Applicability,
    ExitCode,
    Finding,
    Fix,
    JsonValue,
    Location,
    Panel,
    PanelLine,
    Report,
    Section,
    Severity,
)
from ..rules import Rule
from .classify import Reason, meaning
from .conninfo import Target
from .hints import PREPARE_ADVICE, pooler_evidence, provider_hints
from .libpq import Phase
from .probe import Attempt, ProbeResult, ServerInfo, Verdict

PHASE_ORDER = (Phase.DNS, Phase.TCP, Phase.STARTUP, Phase.AUTH, Phase.QUERY)

# A handshake that spent longer than this waiting for the server's first answer was held by
# something in front of the server (a proxy waking compute), not slowed by the network.
HELD_THRESHOLD = 1.0

# Where the time went, per failure reason, in words: whose cold start the user waited for.
_WAITED_ON = {
    Reason.REFUSED: "nothing listening (the server, or the machine it runs on, was not up)",
    Reason.TIMEOUT: "connections accepted or dropped without an answer (a proxy holding them while compute wakes, or a firewall)",
    Reason.STARTING_UP: "PostgreSQL itself starting up or recovering",
    Reason.SHUTTING_DOWN: "PostgreSQL shutting down",
    Reason.CLOSED: "connections closed during the handshake",
    Reason.QUERY_TIMEOUT: "a pooler accepting logins while the database behind it was down",
    Reason.QUERY_FAILED: "a pooler accepting logins while the database behind it was down",
    Reason.POOLER_ERROR: "the pooler unable to reach the database",
    Reason.TOO_MANY_CONNECTIONS: "a full server (no free connection slots)",
    Reason.DNS_TEMPORARY: "the name lookup",
}
HELD = "held"


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _env_location(result: ProbeResult) -> Location | None:
    target = result.target
    if target.path is None:
        return None
    return Location(str(target.path), target.line, 1 if target.line else None)


def waited_on(result: ProbeResult) -> dict[str, float]:
    """Seconds spent per failure reason: each failed attempt owns the time until the next one."""
    spent: dict[str, float] = {}
    attempts = [a for a in result.attempts if a.action != "dns" or not a.ok]
    for i, attempt in enumerate(attempts):
        if attempt.ok:
            continue
        until = attempts[i + 1].started if i + 1 < len(attempts) else result.elapsed
        key = attempt.reason.value if attempt.reason else "unknown"
        spent[key] = spent.get(key, 0.0) + max(0.0, until - attempt.started)
    final = result.final
    if final is not None and final.ok and final.phases.get(Phase.STARTUP, 0.0) > HELD_THRESHOLD:
        spent[HELD] = final.phases[Phase.STARTUP]
    return spent


def explain_wait(spent: dict[str, float]) -> str | None:
    if not spent:
        return None
    parts = []
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        if key == HELD:
            words = "the final connection held before the server answered (a proxy waiting for the database)"
        else:
            reason = Reason(key) if key in Reason._value2member_map_ else Reason.UNKNOWN
            words = _WAITED_ON.get(reason, meaning(reason).title)
        parts.append(f"{fmt_seconds(seconds)} {words}")
    return "waited on: " + "; ".join(parts)


def timeline(result: ProbeResult) -> dict[Phase, float]:
    phases: dict[Phase, float] = {}
    dns = [a for a in result.attempts if a.action == "dns" and a.ok]
    if dns:
        phases[Phase.DNS] = dns[-1].phases.get(Phase.DNS, dns[-1].duration)
    handshakes = [a for a in result.attempts if a.action == "handshake"]
    if handshakes:
        phases.update(handshakes[-1].phases)
    return {p: phases[p] for p in PHASE_ORDER if p in phases}


def host_outcomes(result: ProbeResult) -> list[tuple[str, str, str]]:
    """Every host of the URL with the last thing it answered: ``(host, outcome, detail)``.

    libpq forgets why it skipped a host once another one accepts, so such a host is shown as
    not used rather than with a guessed reason.
    """
    rows: list[tuple[str, str, str]] = []
    for ep in result.target.endpoints:
        name = str(ep)
        outcome, detail = "not used (libpq settled on another host)", ""
        for attempt in result.attempts:
            if attempt.host == name and not attempt.ok:
                outcome, detail = _outcome(attempt.reason), attempt.message
            for host in attempt.hosts:
                if host.host == name or host.host.startswith(name + " ("):
                    outcome, detail = _outcome(host.reason), host.message
        rows.append((name, outcome, detail))
    return rows


def _outcome(reason: Reason | None) -> str:
    if reason is None:
        return "connected"
    return f"{reason.value} ({meaning(reason).kind.value})"


def attempt_record(a: Attempt) -> dict[str, JsonValue]:
    return {
        "n": a.number,
        "action": a.action,
        "started": round(a.started, 4),
        "duration": round(a.duration, 4),
        "timeout": round(a.timeout, 3),
        "ok": a.ok,
        "reason": a.reason.value if a.reason else None,
        "kind": a.kind.value if a.kind else None,
        "sqlstate": a.sqlstate,
        "phase": a.phase.value if a.phase else None,
        "phases": {p.value: round(v, 4) for p, v in a.phases.items()},
        "message": a.message or None,
        "host": a.host,
        "hosts": [
            {"host": h.host, "reason": h.reason.value if h.reason else None, "message": h.message}
            for h in a.hosts
        ],
    }


def _grouped_rows(attempts: tuple[Attempt, ...]) -> tuple[tuple[str, ...], ...]:
    rows: list[tuple[str, ...]] = []
    i = 0
    while i < len(attempts):
        j = i
        while (
            j + 1 < len(attempts)
            and attempts[j + 1].action == attempts[i].action
            and attempts[j + 1].reason == attempts[i].reason
            and attempts[i].action == "tcp"
        ):
            j += 1
        first, last = attempts[i], attempts[j]
        count = j - i + 1
        number = f"{first.number}" if count == 1 else f"{first.number}-{last.number}"
        action = first.action if count == 1 else f"{first.action} x{count}"
        at = f"{first.started:.2f} s" if count == 1 else f"{first.started:.2f}-{last.started:.2f} s"
        result = "ok" if first.ok else f"{first.reason.value if first.reason else '?'}"
        if first.sqlstate:
            result += f" ({first.sqlstate})"
        detail = first.message or ""
        if first.host and first.action == "dns":
            detail = f"{first.host}: {detail}".rstrip(": ")
        if first.phase is not None and not first.ok:
            detail = f"[{first.phase.value}] {detail}".strip()
        rows.append((number, action, at, fmt_seconds(first.duration), result, detail))
        i = j + 1
    return tuple(rows)


def build_report(result: ProbeResult) -> Report:
    target = result.target
    location = _env_location(result)
    findings: list[Finding] = []
    for note in target.notes:
        findings.append(
            Finding.make(
                Rule.DB_URL_ADJUSTED, f"{note}: probing {target.display}", location=location
            )
        )
    spent = waited_on(result)
    waited_text = explain_wait(spent)
    status = ExitCode.OK
    hint: str | None = None
    server = result.server
    if result.verdict is Verdict.READY:
        assert server is not None
        if server.in_recovery:
            findings.append(
                Finding.make(
                    Rule.DB_IN_RECOVERY,
                    f"{target.display} is in recovery (a read-only standby): writes will fail",
                    location=location,
                    fix=Fix(
                        Applicability.NONE,
                        reason=(
                            "Point the URL at the primary, or add target_session_attrs=read-write so libpq "
                            "skips standbys."
                        ),
                    ),
                )
            )
        evidence = pooler_evidence(target, server.behind_pooler)
        if evidence is not None:
            findings.append(
                Finding.make(
                    Rule.DB_POOLER_ADVICE,
                    "connected through a connection pooler (" + "; ".join(evidence.reasons) + ")",
                    location=location,
                    fix=Fix(Applicability.NONE, reason=PREPARE_ADVICE),
                )
            )
        hints = provider_hints(target, None)
        hint = " ".join(hints) or None
    else:
        reason = result.reason or Reason.UNKNOWN
        m = meaning(reason)
        hints = [m.hint, *provider_hints(target, reason)]
        if result.verdict is Verdict.NOT_READY:
            status = ExitCode.DB_NOT_READY
            code = Rule.DB_NOT_READY
            headline = (
                f"{target.display} not ready after {result.elapsed:.1f} s "
                f"({result.handshakes} connection attempt(s), {result.tcp_probes} TCP probe(s)); "
                f"last: {m.title}"
            )
        else:
            status = ExitCode.DB_REFUSED
            code = m.rule
            headline = f"{target.display}: {m.title}"
        if result.message:
            headline += f": {result.message}"
        hint = " ".join(hints)
        why = (
            f"{hint} ({waited_text})"
            if waited_text and result.verdict is Verdict.NOT_READY
            else hint
        )
        findings.append(
            Finding.make(
                code,
                headline,
                severity=Severity.ERROR,
                location=location,
                fix=Fix(Applicability.NONE, reason=why),
            )
        )
    phases = timeline(result)
    sections = [
        Section(
            "timeline",
            "Timeline",
            ("phase", "time"),
            tuple((p.value, fmt_seconds(v)) for p, v in phases.items()),
        ),
        Section(
            "hosts",
            "Hosts (in the order libpq tries them)",
            ("host", "outcome", "detail"),
            tuple(host_outcomes(result)),
        ),
        Section(
            "attempts",
            "Attempts",
            ("#", "action", "at", "took", "result", "detail"),
            _grouped_rows(result.attempts),
        ),
    ]
    final = result.final
    ready_after = final.started + final.duration if final is not None and final.ok else None
    details: dict[str, JsonValue] = {
        "target": {
            "url": target.display,
            "source": target.source,
            "endpoints": [str(ep) for ep in target.endpoints],
            "driver_stripped": target.driver,
        },
        "verdict": result.verdict.value,
        "reason": result.reason.value if result.reason else None,
        "kind": meaning(result.reason).kind.value if result.reason else None,
        "sqlstate": result.sqlstate,
        "message": result.message or None,
        "hint": hint,
        "elapsed": round(result.elapsed, 4),
        "started_at": round(result.started_at, 4),
        "ready_after": None if ready_after is None else round(ready_after, 4),
        "server": None
        if server is None
        else {
            "version": server.version,
            "in_recovery": server.in_recovery,
            "behind_pooler": server.behind_pooler,
        },
        "timeline": {p.value: round(v, 4) for p, v in phases.items()},
        "hosts": [
            {"host": host, "outcome": outcome, "detail": detail or None}
            for host, outcome, detail in host_outcomes(result)
        ],
        "waited_on": {k: round(v, 4) for k, v in spent.items()},
        "waited_explained": waited_text,
        "handshakes": result.handshakes,
        "tcp_probes": result.tcp_probes,
        "verbose_errors": result.verbose_errors,
        "settings": {
            "deadline": result.settings.deadline,
            "connect_timeout": result.settings.connect_timeout,
            "query_timeout": result.settings.query_timeout,
            "retry_auth": result.settings.retry_auth,
        },
        "attempts": [attempt_record(a) for a in result.attempts],
    }
    summary = {
        "verdict": result.verdict.value,
        "target": target.display,
        "attempts": len(result.attempts),
        "elapsed": f"{result.elapsed:.2f} s",
    }
    return Report(
        command="probe-db",
        findings=tuple(findings),
        summary=summary,
        sections=tuple(sections),
        details=details,
        status=status,
        panel=verdict_panel(result, target, server, hint, waited_text),
    )


_VERDICT_STYLE = {Verdict.READY: "green", Verdict.NOT_READY: "yellow", Verdict.REFUSED: "red"}
_RECOVERY = {
    True: "in recovery (read-only standby)",
    False: "primary (not in recovery)",
    None: "unknown",
}


def verdict_panel(
    result: ProbeResult,
    target: Target,
    server: ServerInfo | None,
    hint: str | None,
    waited_text: str | None,
) -> Panel:
    """The final panel a person reads first: verdict, server, recovery, phases, hint."""
    style = _VERDICT_STYLE.get(result.verdict, "white")
    verdict = result.verdict.value
    lines = [
        PanelLine("target", f"{target.display}  (from {target.source})"),
        PanelLine(
            "verdict",
            f"{verdict} after {result.elapsed:.2f} s — {result.handshakes} connection "
            f"attempt(s), {result.tcp_probes} TCP probe(s)",
            f"bold {style}",
        ),
    ]
    if result.reason is not None:
        cause = f"{result.reason.value} ({meaning(result.reason).kind.value})"
        if result.sqlstate:
            cause += f", SQLSTATE {result.sqlstate}"
        lines.append(PanelLine("cause", cause))
        if result.message:
            lines.append(PanelLine("message", result.message))
    if server is not None:
        lines.append(PanelLine("server", f"PostgreSQL {server.version or '?'}"))
        lines.append(PanelLine("recovery", _RECOVERY[server.in_recovery]))
        if server.behind_pooler:
            lines.append(
                PanelLine("pooler", "yes (the backend pid differs from the announced one)")
            )
    if len(target.endpoints) > 1:
        lines.append(
            PanelLine(
                "hosts",
                " · ".join(f"{host} {outcome}" for host, outcome, _ in host_outcomes(result)),
            )
        )
    phases = timeline(result)
    if phases:
        lines.append(
            PanelLine(
                "phases", " · ".join(f"{p.value} {fmt_seconds(v)}" for p, v in phases.items())
            )
        )
    if waited_text and result.verdict is not Verdict.REFUSED:
        lines.append(PanelLine("waited", waited_text.removeprefix("waited on: ")))
    if hint:
        lines.append(PanelLine("hint", hint))
    return Panel(
        title=f"probe-db: {verdict.upper()}",
        style=style,
        lines=tuple(lines),
        replaces=frozenset({"timeline"}),
    )
