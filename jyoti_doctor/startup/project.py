"""One project, computed once and shared by every prediction made for it: its file index,
its environment's answers, its parsed files; and a start command with its modelled launch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .command import StartCommand
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
from .syntax import Trees, parse_file, top_level_imports
from .syspath import Launch


@dataclass(frozen=True)
class Resolved:
    command: StartCommand
    launch: Launch


@dataclass(frozen=True)
class Project:
    """One project's files, its environment's answers and its parsed files, computed once and
    shared by every prediction made for it (the start command's and each alternative's)."""

    directory: Path
    index: ProjectIndex
    environment: Environment
    trees: Trees = field(default_factory=dict)

    @classmethod
    def at(
        cls,
        directory: Path,
        interpreter: Interpreter | None = None,
        extra_names: Iterable[str] = (),
        launch_dir: Path | None = None,
    ) -> Project:
        index = ProjectIndex.of(directory)
        trees: Trees = {}
        names: set[str] = set(extra_names)
        if interpreter is not None:
            # Every absolute top-level name any file imports, asked in one subprocess.
            for path in index.files:
                parsed = parse_file(path, trees)
                if not isinstance(parsed, SyntaxError):
                    names |= top_level_imports(parsed[0])
        environment = probe(interpreter, names)
        homes = {directory, *(launch_dir.parents if launch_dir else ())}
        if launch_dir is not None:
            homes.add(launch_dir)
        # The launch's own directory first, then up to the project directory.
        inside = sorted(
            (d for d in homes if d == directory or directory in d.parents),
            key=lambda d: -len(d.parts),
        )
        environment = replace(environment, target=target_python(inside))
        if not environment.known:
            environment = replace(environment, declared=declared_imports(inside))
        return cls(directory, index, environment, trees)

    def predict(self, launch: Launch, *, root_style: Path | None = None) -> Prediction:
        return predict(
            launch, self.index, self.environment, root_style=root_style, trees=self.trees
        )
