"""The database probe: connection-string handling, failure classification, retry policy, the probe.

Nothing here imports psycopg at module level; only the functions that talk to libpq do, so the
CLI starts without it.
"""

from __future__ import annotations
