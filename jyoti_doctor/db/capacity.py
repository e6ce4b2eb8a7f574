"""Connection capacity: do the application's pools fit in the server's free connection slots?

After the login the probe reads ``max_connections``, the slots reserved for superusers (and, on
PostgreSQL 16+, ``reserved_connections``), and how many client connections are open now
(``pg_stat_activity`` for a role that may read it whole, else ``pg_stat_database``'s per-database
counts). With
``--pool-size N --workers W`` it compares W x N plus what is in use with what is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

# One query, all from the server's own settings; the count leaves out the probe's own connection.
SLOTS_SQL = (
    "SELECT current_setting('max_connections'), "
    "current_setting('superuser_reserved_connections'), "
    "current_setting('reserved_connections', true), "
    "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
)
# pg_stat_activity hides other roles' backend_type from an ordinary role, so without
# pg_read_all_stats the per-database backend counts (readable by all) stand in for it.
IN_USE_SQL = (
    "SELECT CASE WHEN pg_has_role('pg_read_all_stats', 'USAGE') THEN "
    "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') "
    "ELSE (SELECT sum(numbackends) FROM pg_stat_database) END - 1"
)


@dataclass(frozen=True)
class Capacity:
    """What the application will open: ``workers`` processes, each with a pool of ``pool_size``."""

    pool_size: int
    workers: int = 1

    @classmethod
    def of(cls, pool_size: int | None, workers: int | None) -> Self | None:
        if pool_size is None:
            return None
        return cls(pool_size, workers or 1)

    @property
    def needed(self) -> int:
        return self.pool_size * self.workers


@dataclass(frozen=True)
class Slots:
    max_connections: int
    superuser_reserved: int
    reserved: int  # reserved_connections (PostgreSQL 16+), 0 before
    superuser: bool
    in_use: int | None  # None: pg_stat_activity not readable
    in_use_error: str | None = None

    @property
    def usable(self) -> int:
        """Slots an ordinary role may take at all."""
        if self.superuser:
            return self.max_connections
        return self.max_connections - self.superuser_reserved - self.reserved

    @property
    def free(self) -> int | None:
        return None if self.in_use is None else max(0, self.usable - self.in_use)


def parse_slots(
    settings_row: tuple[str | None, ...] | None,
    in_use_row: tuple[str | None, ...] | None,
    in_use_error: str | None,
) -> Slots | None:
    """The server's numbers from the two answers, or ``None`` if the settings were unreadable."""
    if not settings_row or len(settings_row) < 4:
        return None
    try:
        max_conn = int(settings_row[0] or "")
        su_reserved = int(settings_row[1] or "0")
        reserved = int(settings_row[2] or "0")
    except ValueError:
        return None
    in_use: int | None = None
    if in_use_row and in_use_row[0] is not None:
        try:
            in_use = max(0, int(in_use_row[0]))
        except ValueError:
            in_use = None
    return Slots(max_conn, su_reserved, reserved, settings_row[3] == "t", in_use, in_use_error)


@dataclass(frozen=True)
class CapacityCheck:
    capacity: Capacity
    slots: Slots
    behind_pooler: bool

    @property
    def fits(self) -> bool | None:
        """``None`` when it cannot be told (connections in use unknown and the pools alone fit)."""
        if self.behind_pooler:
            return None
        if self.capacity.needed > self.slots.usable:
            return False
        free = self.slots.free
        if free is None:
            return None
        return self.capacity.needed <= free

    @property
    def fits_twice(self) -> bool | None:
        """Would the pools fit twice, as during a deploy where old and new instances overlap?"""
        free = self.slots.free
        if self.behind_pooler or free is None:
            return None
        return 2 * self.capacity.needed <= free
