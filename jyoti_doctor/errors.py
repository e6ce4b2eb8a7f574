"""Exceptions that end a command with a specific exit code instead of a traceback."""

from __future__ import annotations


class UsageError(Exception):
    """Bad flag, unreadable input, malformed connection string or config: exit 2.

    The message must already be safe to print (secrets masked).
    """
