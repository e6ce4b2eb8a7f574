"""How the project is started: launcher option tables, shell chains and wrappers, the start
command parser, and discovery in deploy files (config, Procfile, render.yaml, compose,
Dockerfile, entrypoint scripts). A leaf package: start-up prediction, the import rewrite and the
server check all read launches from here, and it reads none of them."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings

# The files start commands are discovered in, at the top of the project (launch/deploy.py reads
# them; whatever else it reads, a Dockerfile elsewhere or an entry script, is named by these).
PROCFILE = "Procfile"
RENDER_FILES = ("render.yaml", "render.yml")
# In `docker compose`'s own order of precedence.
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DOCKERFILE = "Dockerfile"
DEPLOY_FILES = (PROCFILE, *RENDER_FILES, *COMPOSE_FILES, DOCKERFILE)


def may_name_a_start_command(project_dir: Path, config: Settings) -> bool:
    """Whether discovery could find anything: a configured ``start`` or a deploy file. A cheap
    check that spares a run without either from importing the parsers."""
    if config.start is not None:
        return True
    try:
        return any((project_dir / name).exists() for name in DEPLOY_FILES)
    except OSError:
        return True  # cannot tell: discovery decides, and says why
