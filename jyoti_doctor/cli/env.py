"""CLI for the env commands (registered on the shared app)."""

from __future__ import annotations
