"""What a person sees: the live view on stderr while the probe waits, and the final panel.

The live view redraws in place on a terminal; elsewhere (CI logs) it prints one line per
connection attempt and per change of failure, never one per TCP probe.
"""

from __future__ import annotations

import time
from typing import Any, Self

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from .probe import EventKind, ProbeEvent


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
