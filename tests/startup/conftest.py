"""The accuracy table (predicted = observed per launch scenario), printed after the run; a
counter of the deploy files read."""

from __future__ import annotations

from pathlib import Path

import pytest

from jyoti_doctor.launch import deploy
from tests._end_of_run import end_of_run

_TABLE = pytest.StashKey[list[tuple[object, ...]]]()


@pytest.fixture
def accuracy_table(request: pytest.FixtureRequest) -> list[tuple[object, ...]]:
    return request.config.stash.setdefault(_TABLE, [])


@pytest.fixture
def deploy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the deploy files read (Procfile, Dockerfile...), in order, one per read."""
    reads: list[str] = []
    real_read = deploy._read

    def counting(path: Path) -> str | None:
        reads.append(path.name)
        return real_read(path)

    monkeypatch.setattr(deploy, "_read", counting)
    return reads


def _accuracy_lines(config: pytest.Config) -> list[str]:
    rows = config.stash.get(_TABLE, [])
    if not rows:
        return []
    lines = [
        "",
        "check-startup accuracy: prediction vs the real launcher",
        "| scenario | command | self-imports | package | predicted = observed | codes |",
        "|---|---|---|---|---|---|",
    ]
    for scenario, outcome, codes, _ in rows:
        lines.append(
            f"| {scenario.id} | `{scenario.command}` | {scenario.style} | {scenario.package} "
            f"| {outcome} | {codes} |"
        )
    return lines


end_of_run(_accuracy_lines)
