"""Walk the first-party import graph from the entry module, statically, the way CPython runs it.

Nothing is executed. Module bodies are followed in order, as the interpreter would execute them:
each import is resolved with CPython's own rules (``PathFinder``/``FileFinder`` over the modelled
``sys.path``: a regular package wins over a module, a module over a namespace portion, and a
regular package later on the path over a namespace portion earlier), parent packages run first,
a module that ran is cached, a failed one is not. The first exception that is not caught ends the
start-up (the prediction); one caught by an ``except`` that matches it is recorded as swallowed,
with the message its handler logs, and the walk goes on after the ``try``.

Where code cannot be decided statically the walk takes the side the interpreter most often takes
and says so in :data:`ASSUMPTIONS`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import TypeAlias

from ..files import DEFAULT_EXCLUDES
from ..imports.roots import PackageRoot, module_info, resolve_relative
from ..imports.scan import is_main_guard
from ..rules import Rule
from .syspath import EntryKind, Launch

ASSUMPTIONS = (
    (
        "both branches of an `if` run, except `if TYPE_CHECKING:` (never) and "
        '`if __name__ == "__main__":` (only in the module run as __main__)'
    ),
    "imports inside functions run later, not at import time",
    (
        "top-level names not found on the first-party sys.path are installed third-party "
        "modules unless the project itself defines a module of that name"
    ),
)

# The directories nobody scans, plus virtualenvs named `env`: no project module lives there.
_SKIP_PATTERNS = (*DEFAULT_EXCLUDES, "env", ".env")
_SKIP_DIRS = frozenset(p for p in _SKIP_PATTERNS if not any(c in p for c in "*?["))
_SKIP_GLOBS = tuple(p for p in _SKIP_PATTERNS if p not in _SKIP_DIRS)
# A parsed file (its tree and text) or why it could not be parsed, per path.
Trees: TypeAlias = dict[Path, tuple[ast.Module, str] | SyntaxError]

_CATCH_MNF = frozenset({"ModuleNotFoundError", "ImportError", "Exception", "BaseException"})
_CATCH_IMPORT = frozenset({"ImportError", "Exception", "BaseException"})
_CATCH_OTHER = frozenset({"Exception", "BaseException"})
_LOG_METHODS = frozenset(
    {"error", "exception", "warning", "warn", "critical", "info", "debug", "fatal"}
)


@dataclass(frozen=True)
class Spec:
    """What ``importlib.util.find_spec`` would return, for a first-party module."""

    name: str
    origin: Path | None  # None: namespace package
    locations: tuple[Path, ...] = ()  # submodule search locations (packages only)

    @property
    def is_package(self) -> bool:
        return bool(self.locations)

    @property
    def kind(self) -> str:
        if self.origin is None:
            return "namespace package"
        return "package" if self.locations else "module"


@dataclass(frozen=True)
class Failure:
    """One exception an import statement raises."""

    code: Rule  # JD201 / JD202 / JD203 / JD205 / JD190
    exc_type: str  # ModuleNotFoundError, ImportError, SyntaxError...
    message: str  # str(exc), exactly as CPython (or the launcher) words it
    chain: tuple[str, ...]  # entry → ... → the target of the failing statement
    path: Path | None = None
    line: int | None = None
    col: int | None = None
    end_line: int | None = None
    end_col: int | None = None
    statement: str | None = None
    missing: str | None = None  # ModuleNotFoundError.name

    @property
    def text(self) -> str:
        return f"{self.exc_type}: {self.message}"


@dataclass(frozen=True)
class Swallowed:
    """A failure caught by ``try/except``: the app starts without what that import brought."""

    failure: Failure
    catches: str  # the except clause, e.g. "Exception"
    path: Path
    line: int
    logged: tuple[str, ...]  # the handler's log/print messages, rendered with the exception
    fallback: bool  # the handler imports something itself (and that worked)


@dataclass(frozen=True)
class Prediction:
    launch: Launch
    fatal: Failure | None
    swallowed: tuple[Swallowed, ...]
    executed: tuple[str, ...]  # first-party modules that ran to the end, in order
    external: tuple[str, ...]  # top-level names taken to be installed packages
    latent: tuple[Failure, ...] = ()  # failing imports the start-up does not reach (yet)
    app_found: bool | None = None

    @property
    def starts(self) -> bool:
        return self.fatal is None


class Finder:
    """``PathFinder`` over the modelled first-party ``sys.path``."""

    def __init__(self, sys_path: Sequence[Path]) -> None:
        self.sys_path = tuple(sys_path)

    def find(self, name: str, parent: Spec | None) -> Spec | None:
        tail = name.rpartition(".")[2]
        paths = parent.locations if parent is not None else self.sys_path
        portions: list[Path] = []
        for directory in paths:
            base = directory / tail
            is_dir = base.is_dir()
            if is_dir and (base / "__init__.py").is_file():
                return Spec(name, base / "__init__.py", (base,))
            for suffix in (*EXTENSION_SUFFIXES, ".py", ".pyc"):
                candidate = directory / (tail + suffix)
                if candidate.is_file():
                    return Spec(name, candidate)
            if is_dir:
                portions.append(base)
        if portions:
            return Spec(name, None, tuple(portions))
        return None


def project_module_names(project_dir: Path, limit: int = 5000) -> frozenset[str]:
    """Every name the project defines as a module or package anywhere in its tree."""
    names: set[str] = set()
    stack = [project_dir]
    seen = 0
    while stack and seen < limit:
        directory = stack.pop()
        try:
            children = list(directory.iterdir())
        except OSError:
            continue
        for child in children:
            seen += 1
            if child.is_dir():
                if _skipped(child.name) or child.name.startswith(".") or child.is_symlink():
                    continue
                if child.name.isidentifier():
                    names.add(child.name)
                stack.append(child)
            elif child.suffix == ".py" and child.stem.isidentifier() and child.stem != "__init__":
                names.add(child.stem)
    return frozenset(names)


def _skipped(name: str) -> bool:
    return name in _SKIP_DIRS or any(fnmatchcase(name, glob) for glob in _SKIP_GLOBS)


@dataclass
class _Module:
    spec: Spec
    done: bool = False
    bound: set[str] = field(default_factory=set)
    open_names: bool = False  # star-import or module __getattr__: any name may exist


@dataclass(frozen=True)
class _Ctx:
    name: str  # module name (``__main__`` for the script/-m entry)
    package: str  # __package__ ("" when none)
    path: Path
    source: str
    is_main: bool
    chain: tuple[str, ...]
    current: Failure | None = None  # the exception being handled (inside an except block)


class Walker:
    def __init__(
        self,
        launch: Launch,
        project_names: frozenset[str],
        root_style: Path | None = None,
        trees: Trees | None = None,
    ) -> None:
        self.launch = launch
        # When set, every self-import of this package directory is read as if rewritten to the
        # root-absolute style (``from backend.deps`` and ``from ..deps`` become ``from deps``).
        self.root_style = root_style
        self.finder = Finder([e.path for e in launch.sys_path])
        self.project_names = project_names
        self.modules: dict[str, _Module] = {}
        self.swallowed: list[Swallowed] = []
        self.executed: list[str] = []
        self.external: dict[str, None] = {}
        # Parsed files; shared between predictions (never mutated: rewrites build new nodes).
        self.trees: Trees = {} if trees is None else trees

    # --- entry ----------------------------------------------------------------------------

    def predict(self) -> Prediction:
        entry = self.launch.entry
        fatal: Failure | None = None
        app_found: bool | None = None
        if self.launch.problem:
            fatal = Failure(
                Rule.ENTRY_NOT_FOUND, "Error", self.launch.problem, (entry.module or "?",)
            )
        elif entry.kind is not EntryKind.SCRIPT and "" in (entry.module or "").split("."):
            fatal = self._invalid_name(entry.module, entry.kind)
        elif entry.kind is EntryKind.SCRIPT:
            assert entry.file is not None
            spec = Spec("__main__", entry.file)
            fatal = self._run(spec, "__main__", "", True, (entry.file.stem,))
        elif entry.kind is EntryKind.MAIN_MODULE:
            fatal = self._run_main_module(entry.module)
        else:
            fatal = self._import_entry(entry.module)
            if fatal is None and entry.module in self.modules:
                app_found = self._has_attr(entry.module, entry.app_attr)
                if not app_found:
                    fatal = Failure(
                        Rule.ENTRY_NOT_FOUND,
                        "Error",
                        self._attr_missing(),
                        (entry.module,),
                        path=self.modules[entry.module].spec.origin,
                    )
            elif fatal is None:
                app_found = None  # an installed module: not first-party, not checked
        return Prediction(
            self.launch,
            fatal,
            tuple(self.swallowed),
            tuple(self.executed),
            tuple(self.external),
            (),
            app_found,
        )

    def _invalid_name(self, name: str, kind: EntryKind) -> Failure:
        """A module name with an empty component (``backend..main``, ``.main``): never importable."""
        if name.startswith("."):
            if kind is EntryKind.MAIN_MODULE:
                return Failure(
                    Rule.ENTRY_NOT_FOUND, "Error", "Relative module names not supported", (name,)
                )
            return Failure(
                Rule.ENTRY_NOT_FOUND,
                "TypeError",
                f"the 'package' argument is required to perform a relative import for '{name}'",
                (name,),
            )
        parts = name.split(".")
        missing = ".".join(parts[: parts.index("")]) + "."
        # The parents before the empty component are imported (and can fail) first.
        failure = self.import_module(missing[:-1], None, ())
        if failure is not None:
            return failure
        if kind is EntryKind.MAIN_MODULE:
            return Failure(
                Rule.ENTRY_NOT_FOUND,
                "Error",
                f"Error while finding module specification for '{name}' "
                f"(ModuleNotFoundError: No module named '{missing}')",
                (name,),
                missing=missing,
            )
        return Failure(
            Rule.ENTRY_NOT_FOUND,
            "ModuleNotFoundError",
            f"No module named '{missing}'",
            (name,),
            missing=missing,
        )

    def _attr_missing(self) -> str:
        cmd, entry = self.launch.command, self.launch.entry
        launcher = cmd.launcher.value
        if launcher == "uvicorn":
            return (
                f'Error loading ASGI app. Attribute "{entry.app_attr}" not found in module '
                f'"{entry.module}".'
            )
        if launcher == "gunicorn":
            return f"Failed to find attribute '{entry.app_attr}' in '{entry.module}'."
        if launcher == "hypercorn":
            return f"Cannot load application from '{cmd.target}', application not found."
        if entry.app_attr:
            return f"Could not find app name {entry.app_attr} in {entry.module}"
        return "Could not find FastAPI app in module, try using --app"

    def _has_attr(self, module: str, attr: str | None) -> bool:
        mod = self.modules[module]
        if mod.open_names:
            return True
        if attr is None:  # fastapi discovers `app`, `api`, or any FastAPI instance
            return "app" in mod.bound or "api" in mod.bound
        return attr.split(".")[0] in mod.bound

    def _import_entry(self, name: str) -> Failure | None:
        # The entry is the project's own code: not finding it is not "an installed package".
        top = name.split(".")[0]
        if self.finder.find(top, None) is None:
            message = f"No module named '{top}'"
            if top == name and self.launch.entry.not_found:
                return Failure(
                    Rule.ENTRY_NOT_FOUND, "Error", self.launch.entry.not_found, (name,), missing=top
                )
            return Failure(
                Rule.ENTRY_NOT_FOUND, "ModuleNotFoundError", message, (name,), missing=top
            )
        failure = self.import_module(name, None, ())
        if (
            failure is not None
            and failure.missing is not None
            and (name == failure.missing or name.startswith(failure.missing + "."))
            and len(failure.chain) <= 1
        ):
            message = failure.message
            if failure.missing == name and self.launch.entry.not_found:
                message = self.launch.entry.not_found
            exc = "Error" if message != failure.message else failure.exc_type
            return Failure(Rule.ENTRY_NOT_FOUND, exc, message, (name,), missing=failure.missing)
        return failure

    def _run_main_module(self, name: str) -> Failure | None:
        parent, _, _ = name.rpartition(".")
        if parent and self.finder.find(name.split(".")[0], None) is None:
            top = name.split(".")[0]
            return Failure(
                Rule.ENTRY_NOT_FOUND,
                "Error",
                f"Error while finding module specification for '{name}' "
                f"(ModuleNotFoundError: No module named '{top}')",
                (name,),
                missing=top,
            )
        if parent:
            failure = self.import_module(parent, None, ())
            if failure is not None:
                if failure.missing is not None and len(failure.chain) <= 1:
                    return Failure(
                        Rule.ENTRY_NOT_FOUND,
                        "Error",
                        f"Error while finding module specification for '{name}' ({failure.text})",
                        (name,),
                        missing=failure.missing,
                    )
                return failure
            if parent not in self.modules:
                return None  # an installed package
            spec = self.finder.find(name, self.modules[parent].spec)
        else:
            spec = self.finder.find(name, None)
        if spec is None:
            return Failure(
                Rule.ENTRY_NOT_FOUND, "Error", f"No module named {name}", (name,), missing=name
            )
        package = parent
        if spec.is_package:
            self.modules.setdefault(name, _Module(spec))
            failure = self._execute(spec, (name,))
            if failure is not None:
                return failure
            main = self.finder.find(f"{name}.__main__", spec)
            if main is None:
                return Failure(
                    Rule.ENTRY_NOT_FOUND,
                    "Error",
                    f"No module named {name}.__main__; '{name}' is a package and cannot be "
                    "directly executed",
                    (name,),
                )
            spec, package = main, name
        return self._run(spec, "__main__", package, True, (name,))

    # --- imports ----------------------------------------------------------------------------

    def _is_external(self, top: str) -> bool:
        if top in sys.builtin_module_names or top in sys.stdlib_module_names:
            return True
        return top not in self.project_names

    def import_module(
        self, name: str, site: tuple[_Ctx, ast.stmt] | None, chain: tuple[str, ...]
    ) -> Failure | None:
        """``importlib.import_module(name)``: parents first, each executed once."""
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            if sub in self.modules:
                continue
            parent = self.modules.get(".".join(parts[: i - 1])) if i > 1 else None
            if i > 1 and parent is None:
                return None  # below an installed package
            if parent is not None and not parent.spec.is_package:
                return self._fail(
                    Rule.MODULE_NOT_FOUND,
                    "ModuleNotFoundError",
                    f"No module named '{sub}'; '{parent.spec.name}' is not a package",
                    site,
                    chain + (name,),
                    missing=sub,
                )
            spec = self.finder.find(sub, parent.spec if parent else None)
            if spec is None:
                if i == 1 and self._is_external(sub):
                    self.external[sub] = None
                    return None
                return self._fail(
                    Rule.MODULE_NOT_FOUND,
                    "ModuleNotFoundError",
                    f"No module named '{sub}'",
                    site,
                    chain + (name,),
                    missing=sub,
                )
            failure = self._execute(spec, chain + (sub,))
            if failure is not None:
                return failure
            if parent is not None:
                parent.bound.add(parts[i - 1])
        return None

    def _execute(self, spec: Spec, chain: tuple[str, ...]) -> Failure | None:
        module = _Module(spec)
        self.modules[spec.name] = module
        if spec.origin is None or spec.origin.suffix != ".py":
            module.done = True
            module.open_names = spec.origin is not None
            return None
        package = spec.name if spec.is_package else spec.name.rpartition(".")[0]
        failure = self._run(spec, spec.name, package, False, chain)
        if failure is not None:
            del self.modules[spec.name]
            return failure
        module.done = True
        return None

    def _parse(self, path: Path) -> tuple[ast.Module, str] | SyntaxError:
        if path not in self.trees:
            try:
                data = path.read_bytes()
                tree = ast.parse(data, filename=str(path))
                self.trees[path] = (tree, data.decode("utf-8", errors="replace"))
            except SyntaxError as exc:
                self.trees[path] = exc
            except (OSError, ValueError) as exc:
                self.trees[path] = SyntaxError(str(exc))
        return self.trees[path]

    def _run(
        self, spec: Spec, name: str, package: str, is_main: bool, chain: tuple[str, ...]
    ) -> Failure | None:
        assert spec.origin is not None
        parsed = self._parse(spec.origin)
        if isinstance(parsed, SyntaxError):
            return Failure(
                Rule.UNPARSABLE_FILE,
                "SyntaxError",
                parsed.msg or str(parsed),
                chain,
                path=spec.origin,
                line=parsed.lineno,
                col=parsed.offset,
            )
        tree, source = parsed
        module = self.modules.get(spec.name)
        if module is None:
            module = _Module(spec)
            self.modules[spec.name] = module
        module.bound |= _bindings(tree.body)
        module.open_names = module.open_names or _has_open_names(tree.body)
        ctx = _Ctx(name, package, spec.origin, source, is_main, chain)
        failure = self._block(tree.body, ctx)
        if failure is None:
            self.executed.append(spec.name if spec.name != "__main__" else chain[0])
        return failure

    def _fail(
        self,
        code: Rule,
        exc_type: str,
        message: str,
        site: tuple[_Ctx, ast.stmt] | None,
        chain: tuple[str, ...],
        missing: str | None = None,
    ) -> Failure:
        if site is None:
            return Failure(code, exc_type, message, chain, missing=missing)
        ctx, stmt = site
        return Failure(
            code,
            exc_type,
            message,
            chain,
            path=ctx.path,
            line=stmt.lineno,
            col=stmt.col_offset + 1,
            end_line=stmt.end_lineno,
            end_col=(stmt.end_col_offset or 0) + 1,
            statement=ast.get_source_segment(ctx.source, stmt),
            missing=missing,
        )

    # --- statements ---------------------------------------------------------------------------

    def _block(self, body: Sequence[ast.stmt], ctx: _Ctx) -> Failure | None:
        for stmt in body:
            failure = self._stmt(stmt, ctx)
            if failure is not None:
                return failure
        return None

    def _stmt(self, stmt: ast.stmt, ctx: _Ctx) -> Failure | None:
        if self.root_style is not None and isinstance(stmt, (ast.Import, ast.ImportFrom)):
            stmt = _as_root_style(stmt, ctx.path, self.root_style)
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                failure = self.import_module(alias.name, (ctx, stmt), ctx.chain)
                if failure is not None:
                    return failure
            return None
        if isinstance(stmt, ast.ImportFrom):
            return self._import_from(stmt, ctx)
        if isinstance(stmt, ast.If):
            if _is_type_checking(stmt.test):
                return self._block(stmt.orelse, ctx)
            if is_main_guard(stmt):
                return self._block(stmt.body if ctx.is_main else stmt.orelse, ctx)
            return self._block(stmt.body, ctx) or self._block(stmt.orelse, ctx)
        if isinstance(stmt, (ast.Try, ast.TryStar)):
            return self._try(stmt, ctx)
        if isinstance(stmt, (ast.With, ast.AsyncWith, ast.ClassDef)):
            return self._block(stmt.body, ctx)
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self._block(stmt.body, ctx) or self._block(stmt.orelse, ctx)
        return None

    def _import_from(self, stmt: ast.ImportFrom, ctx: _Ctx) -> Failure | None:
        site = (ctx, stmt)
        base = _from_module(stmt, ctx.package)
        if isinstance(base, _Unresolved):
            return self._fail(
                base.code, "ImportError", base.message, site, ctx.chain + (_spelled(stmt),)
            )
        failure = self.import_module(base, site, ctx.chain)
        if failure is not None:
            return failure
        module = self.modules.get(base)
        if module is None:
            return None  # installed package
        for alias in stmt.names:
            if alias.name == "*":
                continue
            if alias.name in module.bound or module.open_names:
                continue
            if module.spec.is_package:
                sub = f"{base}.{alias.name}"
                failure = self.import_module(sub, site, ctx.chain)
                if failure is None:
                    continue
                if failure.missing != sub:
                    return failure
            if not module.done:
                continue  # partially initialised (a cycle): not judged statically
            where = str(module.spec.origin) if module.spec.origin else "unknown location"
            return self._fail(
                Rule.MODULE_NOT_FOUND,
                "ImportError",
                f"cannot import name '{alias.name}' from '{base}' ({where})",
                site,
                ctx.chain + (base,),
            )
        return None

    def _try(self, stmt: ast.Try | ast.TryStar, ctx: _Ctx) -> Failure | None:
        failure = self._block(stmt.body, ctx)
        if failure is None:
            failure = self._block(stmt.orelse, ctx)
            return self._block(stmt.finalbody, ctx) or failure
        for handler in stmt.handlers:
            catches = _catches(handler, failure)
            if catches is None:
                continue
            before = len(self.external) + len(self.modules)
            result = self._handler(handler, ctx, failure)
            fallback = (
                result is None
                and _imports_in(handler.body)
                and (len(self.external) + len(self.modules) >= before)
            )
            self.swallowed.append(
                Swallowed(
                    failure,
                    catches,
                    ctx.path,
                    handler.lineno,
                    _logged(handler, failure),
                    fallback,
                )
            )
            return self._block(stmt.finalbody, ctx) or result
        return self._block(stmt.finalbody, ctx) or failure

    def _handler(self, handler: ast.ExceptHandler, ctx: _Ctx, failure: Failure) -> Failure | None:
        inner = _Ctx(ctx.name, ctx.package, ctx.path, ctx.source, ctx.is_main, ctx.chain, failure)
        for stmt in handler.body:
            if isinstance(stmt, ast.Raise):
                if stmt.exc is None:
                    return failure
                name, message = _raised(stmt.exc, handler.name, failure)
                return Failure(
                    failure.code,
                    name,
                    message,
                    failure.chain,
                    failure.path,
                    failure.line,
                    failure.col,
                    failure.end_line,
                    failure.end_col,
                    failure.statement,
                    failure.missing,
                )
            result = self._stmt(stmt, inner)
            if result is not None:
                return result
        return None


def _as_root_style(
    stmt: ast.Import | ast.ImportFrom, path: Path, package_dir: Path
) -> ast.Import | ast.ImportFrom:
    """The statement as ``fix-imports --style root`` spells it, for a file under ``package_dir``."""
    name = package_dir.name
    info = module_info(path, (PackageRoot(name, package_dir.parent),))
    if info is None:
        return stmt  # not a file of the package: fix-imports leaves it as it is

    def strip(module: str) -> str | None:
        if module == name:
            return ""
        return module[len(name) + 1 :] if module.startswith(name + ".") else None

    if isinstance(stmt, ast.Import):
        names = []
        for alias in stmt.names:
            rest = strip(alias.name)
            # `import backend.deps` binds `backend`: no root-style form binds the same name.
            names.append(ast.alias(rest, alias.asname) if rest and alias.asname else alias)
        new: ast.Import | ast.ImportFrom = ast.Import(names=names)
    else:
        module = _from_module(stmt, info.package)
        if isinstance(module, _Unresolved):
            return stmt
        rest = strip(module)
        if rest is None:
            return stmt
        if rest == "":
            new = ast.Import(names=[ast.alias(a.name, a.asname) for a in stmt.names])
        else:
            new = ast.ImportFrom(module=rest, names=stmt.names, level=0)
    return ast.copy_location(new, stmt)


# --- helpers on the AST -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Unresolved:
    """The ImportError CPython raises for a relative import it cannot resolve."""

    code: Rule  # JD202 (no parent package) / JD203 (beyond the top-level package)
    message: str


def _from_module(stmt: ast.ImportFrom, package: str) -> str | _Unresolved:
    """The absolute module ``stmt`` imports from, run in a module whose __package__ is
    ``package``, or why CPython refuses it."""
    if not stmt.level:
        return stmt.module or ""
    if not package:
        return _Unresolved(
            Rule.NO_PARENT_PACKAGE, "attempted relative import with no known parent package"
        )
    try:
        return resolve_relative(package, stmt.level, stmt.module)
    except ImportError as exc:
        return _Unresolved(Rule.BEYOND_TOP_LEVEL, str(exc))


def _spelled(stmt: ast.ImportFrom) -> str:
    return "." * stmt.level + (stmt.module or "")


def _bindings(body: Sequence[ast.stmt]) -> set[str]:
    """Names a module body binds at top level (any branch; not inside functions)."""
    names: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is None:
                continue
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
        for sub in ast.walk(node) if isinstance(node, ast.stmt) else ():
            if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                names.add(sub.target.id)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            for sub in ast.walk(node.target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    for sub in ast.walk(item.optional_vars):
                        if isinstance(sub, ast.Name):
                            names.add(sub.id)
        if isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        for attr in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, attr, None)
            if isinstance(block, list):
                stack.extend(block)
    return names


def _has_open_names(body: Sequence[ast.stmt]) -> bool:
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and any(a.name == "*" for a in sub.names):
                return True
            if isinstance(sub, ast.FunctionDef) and sub.name == "__getattr__" and node is sub:
                return True
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id in ("globals", "exec", "setattr")
            ):
                return True
    return False


def _imports_in(body: Sequence[ast.stmt]) -> bool:
    return any(isinstance(s, (ast.Import, ast.ImportFrom)) for b in body for s in ast.walk(b))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _exc_names(node: ast.expr | None) -> list[str] | None:
    if node is None:
        return None
    if isinstance(node, ast.Tuple):
        out: list[str] = []
        for elt in node.elts:
            out.extend(_exc_names(elt) or [])
        return out
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    return []


def _catches(handler: ast.ExceptHandler, failure: Failure) -> str | None:
    """The name of the clause that catches ``failure``, or None when it does not."""
    names = _exc_names(handler.type)
    if names is None:
        return "bare except"
    accepted = {"ModuleNotFoundError": _CATCH_MNF, "ImportError": _CATCH_IMPORT}.get(
        failure.exc_type, _CATCH_OTHER
    )
    for name in names:
        if name in accepted:
            return name
    return None


def _raised(exc: ast.expr, bound: str | None, failure: Failure) -> tuple[str, str]:
    call = exc if isinstance(exc, ast.Call) else None
    func = call.func if call else exc
    name = (
        func.id
        if isinstance(func, ast.Name)
        else (func.attr if isinstance(func, ast.Attribute) else "Exception")
    )
    if isinstance(exc, ast.Name) and exc.id == bound:
        return failure.exc_type, failure.message
    message = ""
    if call and call.args:
        message = _render(call.args[0], bound, failure) or ""
    return name, message


def _render(node: ast.expr, bound: str | None, failure: Failure) -> str | None:
    """The text an expression evaluates to, when it is built from literals and the exception."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and bound and node.id == bound:
        return failure.message
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "str"
        and len(node.args) == 1
    ):
        return _render(node.args[0], bound, failure)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "repr"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
    ):
        return f"{failure.exc_type}({failure.message!r})"
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "__name__"
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "type"
    ):
        return failure.exc_type
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and bound
        and node.value.id == bound
    ):
        if node.attr == "name" and failure.missing:
            return failure.missing
        if node.attr == "msg":
            return failure.message
        return None
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            assert isinstance(value, ast.FormattedValue)
            if value.format_spec is not None:
                return None
            if value.conversion == ord("r") and isinstance(value.value, ast.Name):
                text: str | None = f"{failure.exc_type}({failure.message!r})"
            else:
                text = _render(value.value, bound, failure)
            if text is None:
                return None
            parts.append(text)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _render(node.left, bound, failure), _render(node.right, bound, failure)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        fmt = _render(node.left, bound, failure)
        items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        args = [_render(a, bound, failure) for a in items]
        if fmt is None or any(a is None for a in args):
            return None
        try:
            return fmt % tuple(args)
        except (TypeError, ValueError):
            return None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and not node.keywords
    ):
        fmt = _render(node.func.value, bound, failure)
        args = [_render(a, bound, failure) for a in node.args]
        if fmt is None or any(a is None for a in args):
            return None
        try:
            return fmt.format(*args)
        except (IndexError, KeyError, ValueError):
            return None
    return None


def _logged(handler: ast.ExceptHandler, failure: Failure) -> tuple[str, ...]:
    """Messages the handler logs or prints, rendered with the exception's text."""
    out: list[str] = []
    for stmt in handler.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            args = list(node.args)
            if isinstance(func, ast.Attribute) and func.attr == "log" and len(args) >= 2:
                args = args[1:]
            elif not (
                (isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS)
                or (isinstance(func, ast.Name) and func.id == "print")
            ):
                continue
            text = _render(args[0], handler.name, failure)
            if text is None:
                continue
            if len(args) > 1 and not (isinstance(func, ast.Name) and func.id == "print"):
                rendered = [_render(a, handler.name, failure) for a in args[1:]]
                if any(r is None for r in rendered):
                    continue
                try:
                    text = text % tuple(rendered)
                except (TypeError, ValueError):
                    continue
            elif len(args) > 1:
                rendered = [_render(a, handler.name, failure) for a in args[1:]]
                if any(r is None for r in rendered):
                    continue
                text = " ".join([text, *(r or "" for r in rendered)])
            out.append(text)
    return tuple(out)


def predict(
    launch: Launch,
    project_dir: Path,
    *,
    root_style: Path | None = None,
    project_names: frozenset[str] | None = None,
    trees: Trees | None = None,
) -> Prediction:
    """The start-up of ``launch`` as the interpreter would run it, predicted statically.

    ``root_style``: read the self-imports of that package directory as ``fix-imports --style
    root`` would write them. ``project_names`` and ``trees`` let several predictions for one
    project share the tree walk and the parsed files."""
    if project_names is None:
        project_names = project_module_names(project_dir)
    walker = Walker(launch, project_names, root_style, trees)
    prediction = walker.predict()
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
        parsed = walker._parse(spec.origin)
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
                stmt = _as_root_style(stmt, spec.origin, walker.root_style)
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
    """Lines of imports inside ``try`` bodies whose handlers catch import errors, inside
    ``if TYPE_CHECKING:``, and inside ``if __name__ == "__main__":`` of a module that is not
    run as __main__: a failure there is handled or never happens."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        blocks: list[ast.stmt] = []
        catches = isinstance(node, (ast.Try, ast.TryStar)) and any(
            (_exc_names(h.type) is None) or set(_exc_names(h.type) or ()) & _CATCH_MNF
            for h in node.handlers
        )
        skipped_if = isinstance(node, ast.If) and (
            _is_type_checking(node.test) or (is_main_guard(node) and not is_main)
        )
        if catches or skipped_if:
            blocks = node.body  # type: ignore[attr-defined]
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
        base = _from_module(stmt, package)
        if isinstance(base, _Unresolved):
            return [(None, fail(base.code, "ImportError", base.message, _spelled(stmt)))]
        names = [base] + [f"{base}.{a.name}" for a in stmt.names if a.name != "*"]
    out: list[tuple[Spec | None, Failure | None]] = []
    for index, name in enumerate(names):
        optional = isinstance(stmt, ast.ImportFrom) and index > 0
        parent: Spec | None = None
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            found = walker.finder.find(sub, parent)
            if found is None:
                if optional:
                    break
                if i == 1 and walker._is_external(sub):
                    break
                if i == 1 or parent is not None:
                    out.append(
                        (
                            None,
                            fail(
                                Rule.MODULE_NOT_FOUND,
                                "ModuleNotFoundError",
                                f"No module named '{sub}'",
                                name,
                                sub,
                            ),
                        )
                    )
                break
            if i < len(parts) and not found.is_package:
                break
            parent = found
            out.append((found, None))
        if out and out[-1][1] is not None:
            break
    return out
