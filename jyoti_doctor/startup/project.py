"""One project, computed once and shared by every prediction made for it: its file index,
its environment's answers, its parsed files; and a start command with its modelled launch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..launch.command import StartCommand
from .environment import (
    Environment,
    Interpreter,
    declared_imports,
    probe,
    target_python,
)
from .failures import Prediction
from .finder import ProjectIndex
from .latent import predict
from .syntax import Trees
from .syspath import Launch


@dataclass(frozen=True)
class Resolved:
    command: StartCommand
    launch: Launch


class Project:
    """One project's files, its environment's answers and its parsed files, computed once and
    shared by every prediction made for it (the start command's and each alternative's).

    With an interpreter, the environment is asked once, lazily: the first prediction walks
    with every outside name "not checked" to collect them (only the files the start-up can
    reach are parsed), the names go to the interpreter in one subprocess, and predictions are
    made with its answers from then on."""

    def __init__(
        self,
        directory: Path,
        index: ProjectIndex,
        environment: Environment,
        trees: Trees | None = None,
        *,
        interpreter: Interpreter | None = None,
        extra_names: Iterable[str] = (),
    ) -> None:
        self.directory = directory
        self.index = index
        self.trees: Trees = {} if trees is None else trees
        self._environment = environment
        self._pending = interpreter
        self._extra = tuple(extra_names)

    @property
    def environment(self) -> Environment:
        return self._environment

    @classmethod
    def at(
        cls,
        directory: Path,
        interpreter: Interpreter | None = None,
        extra_names: Iterable[str] = (),
        launch_dir: Path | None = None,
    ) -> Project:
        index = ProjectIndex.of(directory)
        homes = {directory, *(launch_dir.parents if launch_dir else ())}
        if launch_dir is not None:
            homes.add(launch_dir)
        # The launch's own directory first, then up to the project directory.
        inside = sorted(
            (d for d in homes if d == directory or directory in d.parents),
            key=lambda d: -len(d.parts),
        )
        environment = replace(
            probe(None, ()), target=target_python(inside), declared=declared_imports(inside)
        )
        return cls(directory, index, environment, interpreter=interpreter, extra_names=extra_names)

    def _ask(self, launch: Launch) -> None:
        if self._pending is None:
            return
        asked: set[str] = set(self._extra)
        collecting = replace(self._environment, collecting=True)
        predict(launch, self.index, collecting, trees=self.trees, asked=asked)
        answered = probe(self._pending, asked)
        answered = replace(answered, target=self._environment.target)
        if not answered.known:
            answered = replace(answered, declared=self._environment.declared)
        self._environment = answered
        self._pending = None

    def predict(self, launch: Launch, *, root_style: Path | None = None) -> Prediction:
        self._ask(launch)
        return predict(
            launch, self.index, self._environment, root_style=root_style, trees=self.trees
        )
