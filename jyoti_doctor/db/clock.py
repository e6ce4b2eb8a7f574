"""When this process started, on the monotonic clock: the deadline counts from there.

A user who types ``probe-db --deadline 5`` means five seconds from pressing Enter to the exit
code, not five seconds of probing after the interpreter, the imports and the URL lookup. Linux
says when the process started (``/proc/self/stat``, in clock ticks since boot, on the boot
clock); elsewhere the moment this module was first imported is the best the process knows.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_IMPORTED = time.monotonic()
# A command line reaches its command within seconds of the process's start, even on a loaded
# machine; later than this, something else ran first and the deadline starts with the call.
MAX_STARTUP = 10.0


def own_process() -> bool:
    """Is this process the ``jyoti-doctor`` command itself (not a test runner or an application
    calling the CLI in-process, whose start says nothing about this command's)?"""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", "") == "jyoti_doctor.__main__":
        return True
    return Path(sys.argv[0]).name in ("jyoti-doctor", "jyoti-doctor.exe") if sys.argv else False


def process_started() -> float:
    """When this command began on :func:`time.monotonic`'s scale: the process's start when the
    process is the command, else now."""
    now = time.monotonic()
    if not own_process():
        return now
    started = _started(now)
    return started if now - started <= MAX_STARTUP else now


def _started(now: float) -> float:
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        # Field 22 of stat(5) is starttime; the text after ")" begins at field 3.
        started_ticks = int(fields[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return _IMPORTED
    if not 0 <= age < 3600:  # a clock that disagrees with itself: trust only what we saw
        return _IMPORTED
    return min(now - age, _IMPORTED)
