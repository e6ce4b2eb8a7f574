"""Lines some tests print after the test summary: the check-startup accuracy table, the fuzz
statistics. A test module registers a producer with :func:`end_of_run`; its lines are gathered
when the session ends. Under pytest-xdist each worker sends its lines to the controller, which
prints them (a worker has no terminal of its own). The hooks are re-exported by the top-level
conftest.py; this module holds the state so that it exists once, however conftest files are
imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

_LINES = pytest.StashKey[list[str]]()
_PRODUCERS: list[Callable[[pytest.Config], list[str]]] = []


def end_of_run(producer: Callable[[pytest.Config], list[str]]) -> None:
    """Print ``producer(config)``'s lines after the test summary, once the session ends."""
    if producer not in _PRODUCERS:
        _PRODUCERS.append(producer)


def pytest_sessionfinish(session: pytest.Session) -> None:
    lines = [line for producer in _PRODUCERS for line in producer(session.config)]
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["end_of_run"] = lines
    else:
        session.config.stash.setdefault(_LINES, []).extend(lines)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; keep its lines for the summary."""
    lines = getattr(node, "workeroutput", {}).get("end_of_run", [])
    if lines:
        worker = node.workerinput.get("workerid", "?")
        node.config.stash.setdefault(_LINES, []).extend(
            ["", f"(from test worker {worker})", *lines]
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(_LINES, []):
        terminalreporter.write_line(line)
