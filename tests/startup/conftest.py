"""The accuracy table (predicted = observed per launch scenario), printed after the run."""

from __future__ import annotations

import pytest

_TABLE = pytest.StashKey[list[tuple[object, ...]]]()


@pytest.fixture
def accuracy_table(request: pytest.FixtureRequest) -> list[tuple[object, ...]]:
    return request.config.stash.setdefault(_TABLE, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = terminalreporter.config.stash.get(_TABLE, [])
    if not rows:
        return
    write = terminalreporter.write_line
    write("")
    write("check-startup accuracy: prediction vs the real launcher")
    write("| scenario | command | self-imports | package | predicted = observed | codes |")
    write("|---|---|---|---|---|---|")
    for scenario, outcome, codes, _ in rows:
        write(
            f"| {scenario.id} | `{scenario.command}` | {scenario.style} | {scenario.package} "
            f"| {outcome} | {codes} |"
        )
