"""Writing to standard output, where a failure is the environment's, never a traceback.

The machine formats, the plain summary line and probe-db's watch lines are written with
:func:`write_through`: flushed at once, so that a failure surfaces where it can be reported, not
in the interpreter's last flush. What Rich writes fails inside Rich, and its callers report it.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO

from .errors import UsageError


class OutputError(UsageError):
    """Standard output cannot be written (a full disk): what was to be printed is lost."""


def write_through(out: TextIO | None, text: str) -> None:
    """Write ``text`` and flush it, so that a failure surfaces here rather than at exit.

    On stdout, a reader that went away (``| head``) ends the run quietly with exit 1, as Rich's
    ``Console.on_broken_pipe`` does; any other failure (a full disk) is a usage error, exit 2.
    ``None`` is a stdout closed before the start (``>&-``): nothing is written, as Rich does.
    """
    if out is None:
        return
    try:
        out.write(text)
        out.flush()
    except OSError as exc:
        if out is not sys.stdout:
            raise
        detach(sys.stdout)
        if isinstance(exc, BrokenPipeError):
            raise SystemExit(1) from None
        raise OutputError(cannot_write_stdout(exc)) from None


def cannot_write_stdout(exc: OSError) -> str:
    return f"cannot write to standard output: {exc.strerror or exc}"


def to_stderr(text: str) -> None:
    """Write ``text`` to stderr and flush it: nothing when stderr is closed, and nothing more
    when it cannot be written (a full disk, a reader gone): the exit code still tells."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except OSError:
        detach(stream)


class Chatter(io.TextIOBase):
    """stderr for progress and chatter (what Rich writes there): a write it cannot take is
    dropped, so that a full disk under ``2>`` never decides a run's outcome."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        try:
            self._stream.write(text)
        except OSError:
            detach(self._stream)
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            detach(self._stream)


def detach(stream: TextIO) -> None:
    """Point ``stream`` at /dev/null, after a write to it failed: what is still buffered goes
    there, and the interpreter's last flush cannot fail again (and turn the exit code into 120)."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # not a descriptor (a test's capture): nothing to fail at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
