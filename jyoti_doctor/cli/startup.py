"""CLI for the startup commands (registered on the shared app)."""

from __future__ import annotations
