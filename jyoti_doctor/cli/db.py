"""CLI for the db commands (registered on the shared app)."""

from __future__ import annotations
