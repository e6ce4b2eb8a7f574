"""Failing imports the start-up does not reach (yet): each import of every first-party file the
walk met, judged on its own, its parents assumed to load."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from ..imports.scan import is_main_guard
from ..rules import Rule
from .environment import Environment
from .failures import Failure, Prediction, Resolution
from .finder import ProjectIndex, Spec
from .syntax import (
    Trees,
    Unresolved,
    as_root_style,
    exc_names,
    from_module,
    is_type_checking,
    spelled,
)
from .syspath import EntryKind, Launch
from .walker import CATCH_MNF, Walker


def predict(
    launch: Launch,
    index: ProjectIndex,
    environment: Environment,
    *,
    root_style: Path | None = None,
    trees: Trees | None = None,
    asked: set[str] | None = None,
) -> Prediction:
    """The start-up of ``launch`` as the interpreter would run it, predicted statically.

    ``root_style``: read the self-imports of that package directory as ``fix-imports --style
    root`` would write them. ``index``, ``environment`` and ``trees`` let several predictions
    for one project share the tree walk, the environment's answers and the parsed files."""
    self_names = index.self_names(e.path for e in launch.sys_path)
    walker = Walker(launch, environment, self_names, root_style, trees, asked)
    try:
        prediction = walker.predict()
    except RecursionError:
        # An import chain deeper than this interpreter's recursion limit lets the walk go.
        return Prediction(
            launch,
            None,
            (),
            (),
            (),
            notes=("the import chain is too deep to be modelled (RecursionError)",),
            complete=False,
        )
    return replace(prediction, latent=sweep(walker, prediction))


def sweep(walker: Walker, prediction: Prediction) -> tuple[Failure, ...]:
    """Failing imports in first-party files the start-up did not reach because something failed
    first (or that run later, inside functions): each import judged on its own, its parents
    assumed to load. Imports guarded by an ``except`` that catches import errors are left out."""
    reported = {(f.path, f.line) for f in _all_failures(prediction)}
    pending = [m.spec for m in walker.modules.values() if m.spec.origin is not None]
    if prediction.launch.entry.file is not None:
        pending.append(Spec("__main__", prediction.launch.entry.file))
    for failure in _all_failures(prediction):
        # The module that failed part-way is not cached; its other imports still count.
        if failure.path is not None and len(failure.chain) >= 2 and failure.chain[-2] != "__main__":
            name = failure.chain[-2]
            is_pkg = failure.path.name == "__init__.py"
            pending.append(Spec(name, failure.path, (failure.path.parent,) if is_pkg else ()))
    seen: set[Path] = set()
    latent: list[Failure] = []
    while pending:
        spec = pending.pop()
        if spec.origin is None or spec.origin in seen or spec.origin.suffix != ".py":
            continue
        seen.add(spec.origin)
        parsed = walker.parse(spec.origin)
        if isinstance(parsed, SyntaxError):
            continue
        tree, source = parsed
        package = (
            ""
            if spec.name == "__main__"
            else (spec.name if spec.is_package else spec.name.rpartition(".")[0])
        )
        if spec.origin == prediction.launch.entry.file or (
            walker.launch.entry.kind is EntryKind.MAIN_MODULE and spec.name == "__main__"
        ):
            package = (
                ""
                if walker.launch.entry.kind is EntryKind.SCRIPT
                else (walker.launch.entry.module.rpartition(".")[0])
            )
        guarded = _guarded_lines(tree, is_main=spec.name == "__main__")
        for stmt in ast.walk(tree):
            if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue
            if walker.root_style is not None:
                stmt = as_root_style(stmt, spec.origin, walker.root_style)
            quiet = (spec.origin, stmt.lineno) in reported or stmt.lineno in guarded
            for target, problem in _judge(walker, stmt, package, spec, source):
                if problem is not None:
                    if not quiet:
                        latent.append(problem)
                        reported.add((spec.origin, stmt.lineno))
                elif target is not None:
                    pending.append(target)
    return tuple(latent)


def _guarded_lines(tree: ast.Module, *, is_main: bool) -> set[int]:
    """Lines of imports inside ``try`` bodies whose handlers catch import errors (and of the
    fallbacks in those handlers), inside
    ``if TYPE_CHECKING:``, and inside ``if __name__ == "__main__":`` of a module that is not
    run as __main__: a failure there is handled or never happens."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        blocks: list[ast.stmt] = []
        catches = isinstance(node, (ast.Try, ast.TryStar)) and any(
            (exc_names(h.type) is None) or set(exc_names(h.type) or ()) & CATCH_MNF
            for h in node.handlers
        )
        skipped_if = isinstance(node, ast.If) and (
            is_type_checking(node.test) or (is_main_guard(node) and not is_main)
        )
        if catches or skipped_if:
            blocks = list(node.body)  # type: ignore[attr-defined]
        if catches and any(
            isinstance(sub, (ast.Import, ast.ImportFrom))
            for stmt in blocks
            for sub in ast.walk(stmt)
        ):
            # An import fallback (`try: from backend.deps … except ImportError: from deps …`):
            # the handler runs only when the try's imports fail, and then the start-up walk
            # itself meets it. On its own it is no latent failure of this launch.
            assert isinstance(node, (ast.Try, ast.TryStar))
            blocks += [stmt for handler in node.handlers for stmt in handler.body]
        for block in blocks:
            for sub in ast.walk(block):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    lines.add(sub.lineno)
    return lines


def _all_failures(prediction: Prediction) -> list[Failure]:
    out = [s.failure for s in prediction.swallowed]
    if prediction.fatal is not None:
        out.append(prediction.fatal)
    return out


def _judge(
    walker: Walker, stmt: ast.Import | ast.ImportFrom, package: str, spec: Spec, source: str
) -> list[tuple[Spec | None, Failure | None]]:
    """Resolve one statement's modules without running anything."""
    names: list[str] = []
    ctx_chain = (spec.name,)

    def fail(
        code: Rule, exc: str, message: str, target: str, missing: str | None = None
    ) -> Failure:
        return Failure(
            code,
            exc,
            message,
            ctx_chain + (target,),
            path=spec.origin,
            line=stmt.lineno,
            col=stmt.col_offset + 1,
            end_line=stmt.end_lineno,
            end_col=(stmt.end_col_offset or 0) + 1,
            statement=ast.get_source_segment(source, stmt),
            missing=missing,
        )

    if isinstance(stmt, ast.Import):
        names = [a.name for a in stmt.names]
    else:
        base = from_module(stmt, package)
        if isinstance(base, Unresolved):
            return [(None, fail(base.code, "ImportError", base.message, spelled(stmt)))]
        names = [base] + [f"{base}.{a.name}" for a in stmt.names if a.name != "*"]
    out: list[tuple[Spec | None, Failure | None]] = []
    for index, name in enumerate(names):
        optional = isinstance(stmt, ast.ImportFrom) and index > 0
        parent: Spec | None = None
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            if i == 1 and sub in walker.preloaded:
                break  # the launcher's own module, already imported: never the project's
            found = walker.finder.find(sub, parent)
            if found is None:
                if optional:
                    break
                if i == 1 and walker.top_level(sub, spec.origin) is not Resolution.MISSING:
                    break
                if i == 1 or parent is not None:
                    failure = fail(
                        Rule.MODULE_NOT_FOUND,
                        "ModuleNotFoundError",
                        f"No module named '{sub}'",
                        name,
                        sub,
                    )
                    if i == 1 and walker.is_package_missing(sub, spec.origin):
                        failure = replace(failure, not_installed=True)
                    out.append((None, failure))
                break
            if i < len(parts) and not found.is_package:
                break
            parent = found
            out.append((found, None))
        if out and out[-1][1] is not None:
            break
    return out
