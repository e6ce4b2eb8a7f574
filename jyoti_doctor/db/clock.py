"""When this process started, on the monotonic clock: the deadline counts from there.

A user who types ``probe-db --deadline 5`` means five seconds from pressing Enter to the exit
code, not five seconds of probing after the interpreter, the imports and the URL lookup. Linux
says when the process started (``/proc/self/stat``, in clock ticks since boot, on the boot
clock); elsewhere the moment this module was first imported is the best the process knows.
"""

from __future__ import annotations

import os
import time

_IMPORTED = time.monotonic()


def process_started() -> float:
    """The process's start on :func:`time.monotonic`'s scale (never later than now)."""
    now = time.monotonic()
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
