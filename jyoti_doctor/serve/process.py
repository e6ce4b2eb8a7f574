"""The server as a child process: its own process group, its output read as it comes, a clean stop.

The child starts a new session, so every process it forks (gunicorn's workers, uvicorn's
reloader) shares its process group and one ``killpg`` reaches them all: SIGTERM first (the
servers shut down gracefully on it), SIGKILL for whatever is left after the grace period.
Survivors are looked for in ``/proc`` by process group, not trusted to have exited.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .launch import CannotRun, ServeCommand


@dataclass(frozen=True)
class Stopped:
    exit_code: int | None  # the launcher's exit status (negative: killed by that signal)
    signal_used: str  # "SIGTERM", "SIGKILL" or "none" (it had exited by itself)
    survivors: tuple[int, ...]  # pids still in the group after the stop (should be empty)
    seconds: float


# A server that prints without pause must not fill this process's memory while it is watched.
MAX_LINES = 20_000


class Server:
    """A running start command whose stdout and stderr are collected line by line."""

    def __init__(self, command: ServeCommand) -> None:
        self.command = command
        self._lines: list[str] = []
        self.dropped = 0
        self._lock = threading.Lock()
        try:
            self._proc = subprocess.Popen(
                list(command.argv),
                cwd=command.cwd,
                env=dict(command.env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise CannotRun(f"cannot run {command.argv[0]}: {exc.strerror or exc}") from None
        self.pgid = self._proc.pid
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self._proc.stdout
        assert stream is not None
        for raw in iter(stream.readline, b""):
            with self._lock:
                if len(self._lines) < MAX_LINES:
                    self._lines.append(raw.decode("utf-8", "replace"))
                else:
                    self.dropped += 1  # keep reading: a full pipe would block the server
        stream.close()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def exit_code(self) -> int | None:
        return self._proc.poll()

    def stop(self, grace: float = 5.0) -> Stopped:
        """SIGTERM the whole group, SIGKILL it after ``grace`` seconds, reap, look for survivors."""
        started = time.monotonic()
        used = "none"
        if group_members(self.pgid):
            used = "SIGTERM"
            _killpg(self.pgid, signal.SIGTERM)
            deadline = started + grace
            while time.monotonic() < deadline and group_members(self.pgid):
                self._proc.poll()
                time.sleep(0.05)
            if group_members(self.pgid):
                used = "SIGKILL"
                _killpg(self.pgid, signal.SIGKILL)
        try:
            code = self._proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            code = None
        # Members that were killed are zombies until their parent (now gone) is reaped by init.
        end = time.monotonic() + 2.0
        while group_members(self.pgid) and time.monotonic() < end:
            time.sleep(0.05)
        self._reader.join(timeout=2.0)
        return Stopped(code, used, group_members(self.pgid), time.monotonic() - started)


def _killpg(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def group_members(pgid: int) -> tuple[int, ...]:
    """Live (not zombie) processes of the process group ``pgid``, read from ``/proc``."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name is parenthesised and may hold spaces: split after its last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return tuple(members)


def listening_ports(pids: tuple[int, ...]) -> tuple[tuple[str, int], ...]:
    """The TCP addresses the given processes listen on (``/proc/net/tcp``, by socket inode)."""
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = Path("/proc", str(pid), "fd")
        try:
            for fd in fd_dir.iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found: set[tuple[str, int]] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 10 or cols[3] != "0A" or cols[9] not in inodes:
                continue
            addr, port = cols[1].split(":")
            found.add((_address(addr, width), int(port, 16)))
    return tuple(sorted(found))


def _address(hexaddr: str, width: int) -> str:
    if width == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(hexaddr)))
    if set(hexaddr) == {"0"}:
        return "::"
    return "ipv6"
