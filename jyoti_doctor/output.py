"""Writing to standard output, where a failure is the environment's, never a traceback.

The machine formats, the plain summary line and probe-db's watch lines are written with
:func:`write_through`: flushed at once, so that a failure surfaces where it can be reported, not
in the interpreter's last flush. What Rich writes fails inside Rich, and its callers report it.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from .errors import UsageError


def write_through(out: TextIO, text: str) -> None:
    """Write ``text`` and flush it, so that a failure surfaces here rather than at exit.

    On stdout, a reader that went away (``| head``) ends the run quietly with exit 1, as Rich's
    ``Console.on_broken_pipe`` does; any other failure (a full disk) is a usage error, exit 2.
    """
    try:
        out.write(text)
        out.flush()
    except OSError as exc:
        if out is not sys.stdout:
            raise
        detach_stdout()
        if isinstance(exc, BrokenPipeError):
            raise SystemExit(1) from None
        raise UsageError(cannot_write_stdout(exc)) from None


def cannot_write_stdout(exc: OSError) -> str:
    return f"cannot write to standard output: {exc.strerror or exc}"


def detach_stdout() -> None:
    """Point stdout at /dev/null, after a write to it failed: what is still buffered is dropped
    there, and the interpreter's last flush cannot fail again (and print a traceback)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
