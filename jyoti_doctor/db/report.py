"""Turn a :class:`~.probe.ProbeResult` into the shared :class:`~jyoti_doctor.findings.Report`.

The findings carry the verdict and the advice; ``details`` carries every attempt as a record (the
JSON format prints it whole); the sections are what a person reads: the phase timeline and the
attempts, consecutive identical ones grouped.
"""

from __future__ import annotations

import re

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
from .capacity import Slots
from .classify import Reason, meaning
from .conninfo import Target
from .hints import PREPARE_ADVICE, pooler_evidence, provider_hints
from .libpq import Phase
from .probe import Attempt, ProbeResult, ServerInfo, Verdict
from .watch import Outage, Sample, WatchEvent, WatchResult

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
    return _env_location_of(result.target)


def _env_location_of(target: Target) -> Location | None:
    if target.path is None:
        return None
    return Location(str(target.path), target.line, 1 if target.line else None)


def waited_on(result: ProbeResult) -> dict[str, float]:
    """Seconds spent per failure reason: each failed attempt owns the time until the next one."""
    spent: dict[str, float] = {}
    several = len(result.target.endpoints) > 1 and result.handshakes + result.tcp_probes > 0
    # A host of several whose name fails is skipped at once for the others, as libpq skips it:
    # nobody waited on it (the hosts section shows it).
    attempts = [a for a in result.attempts if a.action != "dns" or (not a.ok and not several)]
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
        findings.extend(capacity_findings(result, location))
        findings.extend(migration_findings(result))
        hints = provider_hints(target, None)
        hint = " ".join(hints) or None
    else:
        reason = result.reason or Reason.UNKNOWN
        m = meaning(reason)
        hints = [m.hint, *provider_hints(target, reason)]
        pooler = pooler_down(result)
        if pooler:
            # The login went through, so neither a sleeping compute nor a firewall is to blame:
            # name the pooler and what is behind it instead.
            hints = [POOLER_DOWN_HINT]
            if spent:
                waited_text = (
                    f"waited on: {fmt_seconds(sum(spent.values()))} the database behind the pooler"
                )
        if result.verdict is Verdict.NOT_READY and not result.attempts:
            # Nothing was tried, so nothing about the database is claimed.
            status = ExitCode.DB_NOT_READY
            code = Rule.DB_NOT_READY
            headline = (
                f"{target.display} not checked: the deadline of {result.settings.deadline:g} s "
                f"had passed before the first attempt ({result.elapsed:.1f} s since the start)"
            )
            hints = [STARTUP_TOOK_IT_ALL]
        elif result.verdict is Verdict.NOT_READY:
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
        if pooler:
            headline = (
                f"{target.display}: the pooler accepted the connection, but the database behind "
                f"it did not answer ({'; '.join(pooler)}); last: {m.title}"
            )
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
    pooler_signs: list[JsonValue] = list(pooler_down(result))
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
        "late_start": round(result.late_start, 4),
        "past_deadline": result.past_deadline,
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
        "pooler_down": pooler_signs or None,
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
        "slots": slots_record(result),
        "capacity": capacity_record(result),
        "migrations": migrations_record(result),
    }
    summary = {
        "verdict": result.verdict.value,
        "target": target.display,
        "attempts": len(result.attempts),
        "elapsed": f"{result.elapsed:.2f} s",
    }
    if result.past_deadline:
        took = (
            f" (the start took {result.late_start:.2f} s: finding the connection string, the "
            "imports)"
            if result.late_start >= 0.005
            else ""
        )
        summary["deadline_exceeded"] = (
            f"the {result.settings.deadline:g} s deadline was used up before the first "
            f"handshake{took}; the handshake was made anyway, past the deadline"
        )
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
        if result.slots is not None:
            lines.append(PanelLine("slots", slots_text(result.slots)))
        migrations = migrations_text(result)
        if migrations:
            lines.append(PanelLine("migrations", migrations))
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
        # One host: the target line says it all.
        replaces=frozenset({"timeline"} if len(target.endpoints) > 1 else {"timeline", "hosts"}),
    )


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(latencies: tuple[float | None, ...]) -> str:
    """One character per sample, from the fastest shown to the slowest; a failure is ``×``."""
    seen = [v for v in latencies if v is not None]
    low, top = (min(seen), max(seen)) if seen else (0.0, 0.0)
    chars = []
    for value in latencies:
        if value is None:
            chars.append("×")
        elif top <= low:
            chars.append(SPARK[0])
        else:
            step = (value - low) / (top - low) * (len(SPARK) - 1)
            chars.append(SPARK[min(len(SPARK) - 1, round(step))])
    return "".join(chars)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    # A local round trip is a fraction of a millisecond: show it, not "0 ms".
    return f"{value * 1000:.2f} ms" if value < 0.01 else fmt_seconds(value)


def outage_record(outage: Outage, started_at: float, now: float) -> dict[str, JsonValue]:
    return {
        "start": round(outage.start, 3),
        "end": None if outage.end is None else round(outage.end, 3),
        "start_wall": round(started_at + outage.start, 3),
        "end_wall": None if outage.end is None else round(started_at + outage.end, 3),
        "length": round(outage.length(now), 3),
        "ongoing": outage.end is None,
        "reason": outage.reason.value if outage.reason else None,
        "kind": meaning(outage.reason).kind.value if outage.reason else None,
        "message": outage.message or None,
    }


def _cause(outage: Outage) -> str:
    if outage.reason is None:
        return "unknown"
    return f"{outage.reason.value} ({meaning(outage.reason).kind.value})"


def build_watch_report(result: WatchResult) -> Report:
    """The summary of a watch: availability, outages (the longest first named), percentiles."""
    target = result.target
    now = result.elapsed
    location = _env_location_of(target)
    findings: list[Finding] = []
    availability = result.availability
    shown = "-" if availability is None else f"{availability:.2f} %"
    if result.outage_count:
        longest = result.longest
        assert longest is not None
        findings.append(
            Finding.make(
                Rule.DB_OUTAGE,
                f"{target.display}: {result.outage_count} outage(s) in {result.elapsed:.0f} s "
                f"({fmt_seconds(result.downtime)} down, availability {shown}); the longest "
                f"{fmt_seconds(longest.length(now))} from {longest.start:.1f} s: "
                f"{meaning(longest.reason).title if longest.reason else 'unknown cause'}",
                severity=Severity.ERROR,
                location=location,
                fix=Fix(
                    Applicability.NONE,
                    reason=meaning(longest.reason).hint if longest.reason else None,
                ),
            )
        )
    rows = tuple(
        (
            f"{o.start:.1f} s",
            "ongoing" if o.end is None else f"{o.end:.1f} s",
            fmt_seconds(o.length(now)),
            _cause(o),
            o.message,
        )
        for o in result.outages
    )
    sections = (
        Section("outages", "Outages", ("start", "end", "length", "cause", "message"), rows),
    )
    status = ExitCode.OK
    if result.interrupted:
        status = ExitCode.INTERRUPTED
    elif result.outage_count:
        status = ExitCode.DB_NOT_READY
    style = "green" if not result.outage_count else "red"
    lines = [
        PanelLine("target", f"{target.display}  (from {target.source})"),
        PanelLine(
            "availability",
            f"{shown} of {result.samples} sample(s) over {result.elapsed:.1f} s, every "
            f"{result.settings.interval:g} s" + (" (interrupted)" if result.interrupted else ""),
            f"bold {style}",
        ),
        PanelLine(
            "latency",
            f"p50 {_ms(result.p50)} · p95 {_ms(result.p95)} · max {_ms(result.maximum)}",
        ),
        PanelLine("recent", sparkline(result.recent) or "-"),
        PanelLine(
            "outages",
            "none"
            if not result.outage_count
            else f"{result.outage_count}, {fmt_seconds(result.downtime)} in all",
        ),
    ]
    if result.longest is not None:
        lines.append(
            PanelLine(
                "longest",
                f"{fmt_seconds(result.longest.length(now))} from {result.longest.start:.1f} s: "
                f"{_cause(result.longest)}",
            )
        )
    details: dict[str, JsonValue] = {
        "type": "summary",
        "target": {"url": target.display, "source": target.source},
        "interval": result.settings.interval,
        "duration": result.settings.duration,
        "started_at": round(result.started_at, 3),
        "elapsed": round(result.elapsed, 3),
        "samples": result.samples,
        "ok_samples": result.ok_samples,
        "availability": None if availability is None else round(availability, 4),
        "outage_count": result.outage_count,
        "downtime": round(result.downtime, 3),
        "longest": None
        if result.longest is None
        else outage_record(result.longest, result.started_at, now),
        "outages": [outage_record(o, result.started_at, now) for o in result.outages],
        "latency": {
            "p50": None if result.p50 is None else round(result.p50, 6),
            "p95": None if result.p95 is None else round(result.p95, 6),
            "max": None if result.maximum is None else round(result.maximum, 6),
        },
        "interrupted": result.interrupted,
    }
    return Report(
        command="probe-db",
        findings=tuple(findings),
        summary={
            "availability": shown,
            "outages": result.outage_count,
            "samples": result.samples,
        },
        sections=sections,
        details=details,
        status=status,
        panel=Panel(
            title="probe-db --watch: " + ("NO OUTAGE" if not result.outage_count else "OUTAGES"),
            style=style,
            lines=tuple(lines),
            # No outage: the panel says so, an empty table would add nothing.
            replaces=frozenset() if result.outages else frozenset({"outages"}),
        ),
    )


def sample_record(sample: Sample, started_at: float) -> dict[str, JsonValue]:
    """One JSON line of ``--watch --format json``."""
    return {
        "type": "sample",
        "n": sample.number,
        "at": round(sample.at, 3),
        "wall": round(started_at + sample.at, 3),
        "state": sample.state.value,
        "ok": sample.ok,
        "latency": None if sample.latency is None else round(sample.latency, 6),
        "reason": sample.reason.value if sample.reason else None,
        "message": sample.message or None,
        "reconnected": sample.reconnected,
    }


def event_record(event: WatchEvent, started_at: float) -> dict[str, JsonValue]:
    return {
        "type": event.kind.value,
        "at": round(event.at, 3),
        **outage_record(event.outage, started_at, event.at),
    }


STARTUP_TOOK_IT_ALL = (
    "Starting the program took the whole deadline: the machine is overloaded, or the deadline "
    "is too short for it. Give a longer --deadline."
)
POOLER_DOWN_HINT = (
    "Check the database behind the pooler, not the network to it: is it running (a paused "
    "Supabase project must be restored from the dashboard; a stopped container or server), can "
    "the pooler reach it (the host and port in the pooler's own config), and is the pooler at its "
    "limits (pool size, max_client_conn, query_wait_timeout, server_login_retry; Supavisor's "
    "pool size per project)."
)
_POOLER_TEXT = re.compile(
    r"pgbouncer|server login has been failing|query_wait_timeout|no server connection|"
    r"server conn crashed|pooler|supavisor",
    re.IGNORECASE,
)


def pooler_down(result: ProbeResult) -> list[str]:
    """Why the failure looks like a pooler in front of a database that is down (empty: it
    does not). Needs a sign that something accepted the login, or a pooler's own words."""
    if result.verdict is Verdict.READY:
        return []
    handshakes = [a for a in result.attempts if a.action == "handshake" and not a.ok]
    signs: list[str] = []
    logged_in = any(
        a.phase is Phase.QUERY and a.reason in (Reason.QUERY_TIMEOUT, Reason.QUERY_FAILED)
        for a in handshakes
    )
    if logged_in:
        signs.append("the login succeeded but the first query got no answer")
    if any(a.reason is Reason.POOLER_ERROR for a in handshakes):
        signs.append("the server answered with a pooler's error")
    elif any(_POOLER_TEXT.search(a.message or "") for a in handshakes):
        signs.append("the error message is a pooler's")
    # PostgreSQL that is down refuses the TCP connection; one that is up answers the login in
    # milliseconds. An answer to the startup packet followed by a login held until the timeout,
    # every time, is a pooler waiting for its database (a Neon proxy waking compute does the
    # same, and keeps its own explanation).
    held = bool(handshakes) and all(
        a.reason is Reason.TIMEOUT and a.phase is Phase.AUTH for a in handshakes
    )
    evidence = pooler_evidence(result.target, False)
    neon = ".neon.tech" in (result.target.primary.host or "") and evidence is None
    if held and not neon:
        signs.append("the startup packet was answered, then the login was held until the timeout")
    if not signs:
        return []
    if evidence is not None:
        signs.extend(evidence.reasons)
    return signs


def slots_text(slots: Slots) -> str:
    reserved = slots.superuser_reserved + slots.reserved
    text = f"max_connections {slots.max_connections}, {reserved} reserved"
    if slots.in_use is None:
        return text + ", connections in use not readable (pg_stat_activity)"
    return text + f", {slots.in_use} in use by others, {slots.free} free"


def slots_record(result: ProbeResult) -> JsonValue:
    slots = result.slots
    if slots is None:
        return None
    return {
        "max_connections": slots.max_connections,
        "superuser_reserved_connections": slots.superuser_reserved,
        "reserved_connections": slots.reserved,
        "superuser": slots.superuser,
        "in_use": slots.in_use,
        "in_use_error": slots.in_use_error,
        "usable": slots.usable,
        "free": slots.free,
    }


def capacity_record(result: ProbeResult) -> JsonValue:
    check = result.capacity
    if check is None:
        return None
    return {
        "pool_size": check.capacity.pool_size,
        "workers": check.capacity.workers,
        "needed": check.capacity.needed,
        "behind_pooler": check.behind_pooler,
        "fits": check.fits,
        "fits_twice": check.fits_twice,
    }


OVERLAP = (
    "During a rolling deploy the old and the new instances run side by side, each with full "
    "pools, so the server briefly needs twice the connections; the ones that do not fit fail "
    'at login with SQLSTATE 53300 ("sorry, too many clients already" or "remaining '
    'connection slots are reserved"), which the app sees as a crash at startup.'
)
POOLER_CAPACITY = (
    "Behind a pooler the app's connections are the pooler's clients: they count against the "
    "pooler's limits (PgBouncer max_client_conn and default_pool_size, Supavisor's pool size), "
    "not against the server's max_connections, which only bounds the pooler's own connections. "
    "In transaction mode a connection is shared between transactions: prepared statements "
    "(psycopg prepare_threshold=None, asyncpg statement_cache_size=0) and session state (SET, "
    "advisory locks, LISTEN, temporary tables) do not carry over."
)


def capacity_findings(result: ProbeResult, location: Location | None) -> list[Finding]:
    check = result.capacity
    if check is None:
        return []
    cap, slots = check.capacity, check.slots
    pools = f"{cap.workers} worker(s) x {cap.pool_size} connection(s) = {cap.needed}"
    if check.behind_pooler:
        return [
            Finding.make(
                Rule.DB_CAPACITY,
                f"{pools} pooled connection(s) through a pooler: the server's free slots do "
                "not decide whether they fit (not checked)",
                severity=Severity.INFO,
                location=location,
                fix=Fix(Applicability.NONE, reason=POOLER_CAPACITY),
            )
        ]
    reserved = slots.superuser_reserved + slots.reserved
    if check.fits is False:
        if slots.free is not None and cap.needed <= slots.usable:
            where = (
                f"only {slots.free} of {slots.max_connections} slot(s) are free "
                f"({reserved} reserved, {slots.in_use} in use)"
            )
        else:
            where = (
                f"the server has {slots.usable} slot(s) for ordinary roles "
                f"(max_connections {slots.max_connections}, {reserved} reserved)"
            )
        return [
            Finding.make(
                Rule.DB_CAPACITY,
                f"{pools} do not fit: {where}",
                location=location,
                fix=Fix(
                    Applicability.NONE,
                    reason="Lower the pool size or the workers, raise max_connections, or put "
                    "a pooler in front. " + OVERLAP,
                ),
            )
        ]
    if check.fits is None:
        return [
            Finding.make(
                Rule.DB_CAPACITY,
                f"{pools} fit in the {slots.usable} slot(s) for ordinary roles, but the "
                "connections in use could not be read (pg_stat_activity: "
                f"{slots.in_use_error or 'not readable'}): not checked against what is free",
                severity=Severity.INFO,
                location=location,
            )
        ]
    if check.fits_twice is False:
        return [
            Finding.make(
                Rule.DB_CAPACITY,
                f"{pools} fit in the {slots.free} free slot(s), but not twice over: an "
                "overlapping deploy will run out of connections",
                severity=Severity.INFO,
                location=location,
                fix=Fix(Applicability.NONE, reason=OVERLAP),
            )
        ]
    return []


def _revs(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) if revisions else "(none)"


def migration_findings(result: ProbeResult) -> list[Finding]:
    state = result.migrations
    if state is None:
        return []
    config = Location(str(state.project.config), None, None)
    findings: list[Finding] = []
    heads = state.heads
    if len(heads) > 1:
        findings.append(
            Finding.make(
                Rule.DB_MIGRATION_HEADS,
                f"the code has {len(heads)} migration heads ({_revs(heads)}): "
                "`alembic upgrade head` refuses to run",
                location=config,
                fix=Fix(
                    Applicability.NONE,
                    reason="Merge them (`alembic merge heads -m merge`) or upgrade to `heads`.",
                ),
            )
        )
    if state.unknown:
        findings.append(
            Finding.make(
                Rule.DB_MIGRATION_UNKNOWN,
                f"database at {_revs(state.unknown)}, which no revision file of the code "
                f"defines (code at {_revs(heads)}): the code is older than the database",
                location=config,
                fix=Fix(
                    Applicability.NONE,
                    reason="Deploy the code that carries that revision (an older release "
                    "rolled back over a migrated database?), or check the branch.",
                ),
            )
        )
    pending = state.pending
    if pending:
        where = (
            "no alembic_version table (no migration ever ran)"
            if state.no_table
            else f"database at {_revs(state.database or ())}"
        )
        findings.append(
            Finding.make(
                Rule.DB_MIGRATIONS_PENDING,
                f"{where}, code at {_revs(heads)}: {pending} migration(s) pending",
                location=config,
                fix=Fix(Applicability.NONE, reason="Run `alembic upgrade head` before starting."),
            )
        )
    return findings


def migrations_text(result: ProbeResult) -> str | None:
    state = result.migrations
    if state is None:
        if result.alembic is not None and result.verdict is Verdict.READY:
            return "not checked (alembic_version not read)"
        return None
    if state.database is None and not state.no_table:
        return f"not checked: alembic_version unreadable ({state.error})"
    if state.at_head:
        return f"at head {_revs(state.heads)}"
    parts = []
    if state.no_table:
        parts.append("no alembic_version table")
    else:
        parts.append(f"database at {_revs(state.database or ())}")
    parts.append(f"code at {_revs(state.heads)}")
    if state.pending:
        parts.append(f"{state.pending} pending")
    if state.unknown:
        parts.append("unknown to the code: " + _revs(state.unknown))
    return ", ".join(parts)


def migrations_record(result: ProbeResult) -> JsonValue:
    project = result.alembic
    if project is None:
        return None
    state = result.migrations
    return {
        "config": str(project.config),
        "heads": list(project.heads),
        "revisions": len(project.revisions),
        "problems": list(project.problems),
        "checked": state is not None and (state.database is not None or state.no_table),
        "database": None if state is None or state.database is None else list(state.database),
        "no_table": bool(state and state.no_table),
        "error": state.error if state else None,
        "pending": state.pending if state else None,
        "unknown": list(state.unknown) if state else [],
        "at_head": bool(state and state.at_head),
        "summary": migrations_text(result),
    }
