"""What a person sees while probe-db runs: the live view on stderr while the probe waits, and
the one of ``--watch`` (the final panel is built in :mod:`.report` and drawn by the reporter).

The live view redraws in place on a terminal; elsewhere (CI logs) it prints one line per
connection attempt and per change of failure, never one per TCP probe.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any, Self, TextIO

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from ..output import write_through
from .probe import EventKind, ProbeEvent
from .report import event_record, fmt_seconds, sample_record, sparkline
from .watch import RECENT, Histogram, Sample, WatchEvent
from .watch import EventKind as WatchEventKind


class LiveView:
    """Feed it :class:`ProbeEvent` objects through :meth:`update`; use it as a context manager."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()
        self.attempt = 0
        self.action = "-"
        self.phase = "-"
        self.last_reason: str | None = None
        self.last_kind: str | None = None
        self.next_at: float | None = None
        self.deadline = 0.0
        self.target = ""
        self.live: Live | None = None
        self._printed_reason: str | None = None

    def __enter__(self) -> Self:
        if self.console.is_terminal and not self.console.quiet:
            self.live = Live(self, console=self.console, refresh_per_second=8, transient=True)
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def update(self, event: ProbeEvent) -> None:
        self.deadline = event.deadline
        self.target = event.target or self.target
        if event.kind is EventKind.ATTEMPT:
            self.attempt = event.attempt or self.attempt
            self.action = event.action or "-"
            self.phase = event.phase or ("tcp" if event.action == "tcp" else "-")
            self.next_at = None
        elif event.kind is EventKind.PHASE:
            self.phase = event.phase or self.phase
        elif event.kind is EventKind.RESULT:
            self.attempt = event.attempt
            self.last_reason, self.last_kind = event.reason, event.failure_kind
            self._log_line(event)
        elif event.kind is EventKind.WAIT and event.next_in is not None:
            self.next_at = time.monotonic() + event.next_in
            self.phase = "waiting"

    def _log_line(self, event: ProbeEvent) -> None:
        if self.live is not None or event.reason is None:
            return
        # One line per handshake, but only one per run of identical TCP-probe failures.
        if event.action == "tcp" and event.reason == self._printed_reason:
            return
        self._printed_reason = event.reason
        what = f"{event.action} #{event.attempt}"
        detail = f": {event.message}" if event.message else ""
        self.console.print(
            f"probe-db {event.elapsed:6.2f}s {escape(what)} {escape(event.reason)} "
            f"[{escape(event.failure_kind or '')}]{escape(detail)}",
            markup=False,
            highlight=False,
        )

    def __rich__(self) -> Any:
        elapsed = time.monotonic() - self.started
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("probing", escape(self.target))
        grid.add_row(
            "attempt", f"{self.attempt} ({escape(self.action)}), phase {escape(self.phase)}"
        )
        grid.add_row("elapsed", f"{elapsed:.1f} s of {self.deadline:g} s")
        if self.last_reason:
            grid.add_row(
                "last error", f"{escape(self.last_reason)} [dim]({escape(self.last_kind or '')})[/]"
            )
        if self.next_at is not None:
            grid.add_row("next retry", f"in {max(0.0, self.next_at - time.monotonic()):.1f} s")
        return grid


class WatchView:
    """The live view of ``--watch``: on a terminal a panel redrawn in place (sparkline, state,
    percentiles, outages so far); elsewhere one line per outage start and end. With ``lines``
    set (``--format json``), one JSON line per sample and per event goes there, flushed."""

    def __init__(self, console: Console, started_at: float, lines: TextIO | None = None) -> None:
        self.console = console
        self.started_at = started_at
        self.lines = lines
        self.histogram = Histogram()
        self.recent: deque[float | None] = deque(maxlen=RECENT)
        self.state = "starting"
        self.samples = 0
        self.outages = 0
        self.last_cause: str | None = None
        self.live: Live | None = None

    def __enter__(self) -> Self:
        if self.lines is None and self.console.is_terminal and not self.console.quiet:
            self.live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def _write(self, record: dict[str, Any]) -> None:
        assert self.lines is not None
        write_through(
            self.lines, json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        )

    def sample(self, sample: Sample) -> None:
        self.samples += 1
        self.state = sample.state.value
        self.recent.append(sample.latency if sample.ok else None)
        if sample.ok and sample.latency is not None:
            self.histogram.add(sample.latency)
        if self.lines is not None:
            self._write(sample_record(sample, self.started_at))

    def event(self, event: WatchEvent) -> None:
        record = event_record(event, self.started_at)
        if self.lines is not None:
            self._write(record)
            return
        outage = event.outage
        cause = f"{record['reason'] or 'unknown'} ({record['kind'] or '?'})"
        if event.kind is WatchEventKind.OUTAGE_START:
            self.outages += 1
            self.last_cause = cause
            text = f"outage from {outage.start:.1f} s: {cause}"
            if outage.message:
                text += f": {outage.message}"
        else:
            text = (
                f"outage over at {event.at:.1f} s after {fmt_seconds(outage.length(event.at))} "
                f"(from {outage.start:.1f} s, {cause})"
            )
        if not self.console.quiet:
            self.console.print(f"probe-db --watch {text}", markup=False, highlight=False)

    def __rich__(self) -> Any:
        def ms(value: float | None) -> str:
            if value is None:
                return "-"
            return f"{value * 1000:.2f} ms" if value < 0.01 else fmt_seconds(value)

        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column()
        style = "green" if self.state == "up" else "red" if self.state == "down" else ""
        grid.add_row("state", f"[{style}]{escape(self.state)}[/]" if style else self.state)
        grid.add_row("latency", escape(sparkline(tuple(self.recent))) or "-")
        grid.add_row(
            "p50/p95/max",
            f"{ms(self.histogram.percentile(50))} / {ms(self.histogram.percentile(95))} / "
            f"{ms(self.histogram.maximum if self.histogram.count else None)}",
        )
        grid.add_row("samples", str(self.samples))
        outages = str(self.outages)
        if self.last_cause:
            outages += f" (last: {escape(self.last_cause)})"
        grid.add_row("outages", outages)
        return grid
