"""Walk the first-party import graph from the entry module, statically, the way CPython runs it.

Nothing is executed. Module bodies are followed in order, as the interpreter would execute them:
each import is resolved with the finder's rules, parent packages run first, a module that ran
is cached, a failed one is not. The first exception that is not caught ends the start-up (the
prediction); one caught by an ``except`` that matches it is recorded as swallowed, with the
message its handler logs, and the walk goes on after the ``try``.

Where code cannot be decided statically the walk takes the side the interpreter most often takes
and says so in :data:`ASSUMPTIONS`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..imports.scan import is_main_guard
from ..launch.launchers import Launcher
from ..rules import Rule
from .environment import Environment
from .failures import Failure, Prediction, Resolution, Swallowed
from .finder import Finder, Spec
from .messages import attr_missing, logged, raised
from .preimports import preimported
from .syntax import (
    TooDeep,
    Trees,
    Unresolved,
    as_root_style,
    beside,
    bindings,
    exc_names,
    from_module,
    has_open_names,
    imports_in,
    is_type_checking,
    parse_file,
    server_run_target,
    sets_django_settings,
    spelled,
)
from .syspath import EntryKind, Launch

ASSUMPTIONS = (
    (
        "both branches of an `if` run, except `if TYPE_CHECKING:` (never) and "
        '`if __name__ == "__main__":` (only in the module run as __main__)'
    ),
    (
        "imports inside functions run later, not at import time, except in a project function "
        "called at import time (`app = create_app()`), whose whole body is followed then"
    ),
    (
        "top-level names not found on the first-party sys.path are decided by the project's "
        "environment; without one they are not checked, unless only the project defines them "
        "and no declared dependency provides them"
    ),
    "the modules a launcher has imported before the app are the ones measured for it",
)


_MAX_DEPTH = 100

CATCH_MNF = frozenset({"ModuleNotFoundError", "ImportError", "Exception", "BaseException"})
_CATCH_IMPORT = frozenset({"ImportError", "Exception", "BaseException"})
_CATCH_OTHER = frozenset({"Exception", "BaseException"})


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
        environment: Environment,
        self_names: frozenset[str],
        root_style: Path | None = None,
        trees: Trees | None = None,
        asked: set[str] | None = None,
    ) -> None:
        self.launch = launch
        # Outside names met while collecting (see Environment.collecting).
        self.asked: set[str] = set() if asked is None else asked
        # When set, every self-import of this package directory is read as if rewritten to the
        # root-absolute style (``from backend.deps`` and ``from ..deps`` become ``from deps``).
        self.root_style = root_style
        self.finder = Finder([e.path for e in launch.sys_path])
        self.environment = environment
        # The project's own top-level names on the way to the launch's sys.path entries: a
        # self-import of one of these that is not on the path fails, whatever is installed.
        self.self_names = self_names
        # In sys.modules before the app's first import: never looked up on the path.
        self.preloaded = preimported(launch.command) - {launch.entry.module.split(".")[0]}
        self.modules: dict[str, _Module] = {}
        self.swallowed: list[Swallowed] = []
        self.executed: list[str] = []
        self.external: dict[str, Resolution] = {}
        self.notes: list[str] = []  # what the walk could not model, said as it is
        # (file, bound name) -> (first-party module, its name): for following factories.
        self.imported: dict[tuple[Path, str], tuple[str, str]] = {}
        self.following: set[tuple[Path, str]] = set()
        self.django_settings: str | None = None
        self.functions: dict[Path, dict[str, ast.FunctionDef]] = {}
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
            if fatal is None and entry.module in self.modules and entry.app_attr == "":
                app_found = None  # the launcher finds its app object itself (celery)
            elif fatal is None and entry.module in self.modules:
                fatal = self._call_factory(entry.module, entry.app_attr)
                app_found = fatal is not None or self._has_attr(entry.module, entry.app_attr)
                if not app_found:
                    fatal = Failure(
                        Rule.ENTRY_NOT_FOUND,
                        "Error",
                        attr_missing(self.launch),
                        (entry.module,),
                        path=self.modules[entry.module].spec.origin,
                    )
            elif fatal is None:
                app_found = None  # an installed module: not first-party, not checked
        if fatal is None:
            fatal = self._django()
        return Prediction(
            self.launch,
            fatal,
            tuple(self.swallowed),
            tuple(self.executed),
            tuple(self.external.items()),
            (),
            app_found,
            tuple(self.notes),
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

    def _call_factory(self, module: str, attr: str | None) -> Failure | None:
        """``gunicorn 'pkg:create_app()'``, ``flask --app 'pkg:create_app()'``: the launcher
        calls the factory right after the import; its body runs then."""
        if not attr or "(" not in attr:
            return None
        name = attr.split("(", 1)[0].strip()
        spec = self.modules[module].spec
        if spec.origin is None or spec.origin.suffix != ".py":
            return None
        parsed = self.parse(spec.origin)
        if isinstance(parsed, SyntaxError):
            return None
        package = spec.name if spec.is_package else spec.name.rpartition(".")[0]
        ctx = _Ctx(spec.name, package, spec.origin, parsed[1], False, (module,))
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[], keywords=[])
        return self._call(call, ctx)

    def _has_attr(self, module: str, attr: str | None) -> bool:
        mod = self.modules[module]
        if mod.open_names:
            return True
        if attr is None and self.launch.command.launcher is Launcher.FLASK:
            # flask's discovery: `app`/`application`, or a `create_app`/`make_app` factory
            return bool({"app", "application", "create_app", "make_app"} & mod.bound)
        if attr is None:  # fastapi discovers `app`, `api`, or any FastAPI instance
            return "app" in mod.bound or "api" in mod.bound
        return attr.split("(")[0].split(".")[0].strip() in mod.bound

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
        top = name.split(".")[0]
        if self.finder.find(top, None) is None:
            # `python -m flask run`, `python -m http.server`: a module of the environment, not
            # of the project. Missing only when the environment says so.
            where = self.top_level(top)
            if where is not Resolution.MISSING and top not in self.self_names:
                self.external[top] = where
                origin = {
                    Resolution.STDLIB: "the standard library's",
                    Resolution.INSTALLED: "the installed",
                }.get(where, "a third-party (not checked)")
                self.notes.append(
                    f"`python -m {name}` runs {origin} module {name}, not the project's own "
                    "code: what that module loads is not modelled"
                )
                return None
        if parent and self.finder.find(top, None) is None:
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

    def _shadowed(self, name: str) -> None:
        spec = self.finder.find(name, None)
        if spec is None or name in self.external:
            return
        where = spec.origin or (spec.locations[0] if spec.locations else None)
        origin = "the standard library's" if self.environment.is_stdlib(name) else "the installed"
        self.notes.append(
            f"the project's {name} ({where}) is never imported: "
            f"{self.launch.command.launcher.value} has already imported {origin} {name} before "
            f"the app, and every `import {name}` gets that one"
        )

    def is_package_missing(self, top: str, importer: Path | None) -> bool:
        """The environment lacks ``top`` and it is not the project's own name for this launch
        (a self-import off the path is the project's problem, not a missing package)."""
        if self.environment.has(top) is not False or top in self.self_names:
            return False
        return importer is None or not beside(importer, top)

    def top_level(self, top: str, importer: Path | None = None) -> Resolution:
        """Where an absolute top-level name not found on the first-party path comes from;
        ``importer`` is the file whose import statement asks."""
        if self.environment.collecting:
            self.asked.add(top)  # the target's standard library may differ: asked too
            return Resolution.STDLIB if self.environment.is_stdlib(top) else Resolution.NOT_CHECKED
        if self.environment.is_stdlib(top):
            return Resolution.STDLIB
        has = self.environment.has(top)
        if has is not None:
            return Resolution.INSTALLED if has else Resolution.MISSING
        # No environment to ask. The project's own name for this launch (a package next to the
        # start directory, or a module next to the importing file: `from deps import x` in
        # backend/main.py) that no declared dependency provides is a self-import off this
        # launch's path; anything else may be installed: not checked.
        if top in self.environment.declared:
            return Resolution.NOT_CHECKED
        if top in self.self_names or (importer is not None and beside(importer, top)):
            return Resolution.MISSING
        return Resolution.NOT_CHECKED

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
            if i == 1 and sub in self.preloaded:
                self._shadowed(sub)
                self.external[sub] = (
                    Resolution.STDLIB if self.environment.is_stdlib(sub) else Resolution.INSTALLED
                )
                return None
            spec = self.finder.find(sub, parent.spec if parent else None)
            if spec is None:
                importer = site[0].path if site is not None else None
                where = self.top_level(sub, importer) if i == 1 else Resolution.MISSING
                if where is not Resolution.MISSING:
                    self.external[sub] = where
                    return None
                missing = self._fail(
                    Rule.MODULE_NOT_FOUND,
                    "ModuleNotFoundError",
                    f"No module named '{sub}'",
                    site,
                    chain + (name,),
                    missing=sub,
                )
                if i == 1 and self.is_package_missing(sub, importer):
                    missing = replace(missing, not_installed=True)
                return missing
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
        if len(chain) > _MAX_DEPTH:
            # Each nested import costs the walk a few frames: stop well before the
            # interpreter's limit, so nothing (a parse) fails for the wrong reason.
            raise RecursionError(f"import chain deeper than {_MAX_DEPTH} modules")
        failure = self._run(spec, spec.name, package, False, chain)
        if failure is not None:
            del self.modules[spec.name]
            return failure
        module.done = True
        return None

    def parse(self, path: Path) -> tuple[ast.Module, str] | SyntaxError:
        return parse_file(path, self.trees)

    def _run(
        self, spec: Spec, name: str, package: str, is_main: bool, chain: tuple[str, ...]
    ) -> Failure | None:
        assert spec.origin is not None
        parsed = self.parse(spec.origin)
        newer = self.environment.newer_target()
        if isinstance(parsed, SyntaxError) and not isinstance(parsed, TooDeep) and newer:
            # Code written for a newer Python than the one parsing it: nothing is predicted
            # about this module (its imports, its names) rather than a false SyntaxError.
            ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
            if self.environment.known:
                note = (
                    f"parsed with {ours}; the project's interpreter is {newer}: run jyoti-doctor "
                    f"under {newer} to check code this interpreter cannot parse"
                )
            else:
                note = (
                    f"parsed with {ours}; the project targets {newer}: run under {newer} or "
                    "pass --python"
                )
            if note not in self.notes:
                self.notes.append(note)
            opened = self.modules.setdefault(spec.name, _Module(spec))
            opened.open_names = True
            self.executed.append(spec.name if spec.name != "__main__" else chain[0])
            return None
        behind = self.environment.behind_target()
        if isinstance(parsed, SyntaxError) and behind and not isinstance(parsed, TooDeep):
            # The app's own interpreter fails on it just the same: a true prediction, said with
            # the reason the project would give (it targets a newer Python).
            note = f"the project's interpreter is older than the Python it targets ({behind})"
            if note not in self.notes:
                self.notes.append(note)
        if isinstance(parsed, SyntaxError):
            return Failure(
                Rule.UNPARSABLE_FILE,
                "RecursionError" if isinstance(parsed, TooDeep) else "SyntaxError",
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
        module.bound |= bindings(tree.body)
        module.open_names = module.open_names or has_open_names(tree.body)
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
            stmt = as_root_style(stmt, ctx.path, self.root_style)
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                failure = self.import_module(alias.name, (ctx, stmt), ctx.chain)
                if failure is not None:
                    return failure
            return None
        if isinstance(stmt, ast.ImportFrom):
            return self._import_from(stmt, ctx)
        if isinstance(stmt, ast.If):
            if is_type_checking(stmt.test):
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
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return)) and isinstance(
            stmt.value, ast.Call
        ):
            # (a `return f()` is met only inside a factory being followed)
            return self._call(stmt.value, ctx)
        return None

    def _django(self) -> Failure | None:
        """Django imports ``DJANGO_SETTINGS_MODULE`` when it sets up (wsgi/asgi application,
        manage.py), and ``manage.py check|runserver|migrate`` import ``ROOT_URLCONF`` for
        the system checks: both are part of the start-up when the project names them."""
        cmd = self.launch.command
        settings = cmd.env_value("DJANGO_SETTINGS_MODULE") or self.django_settings
        args = list(cmd.argv)
        for i, arg in enumerate(args):
            if arg.startswith("--settings="):
                settings = arg.split("=", 1)[1]
            elif arg == "--settings" and i + 1 < len(args):
                settings = args[i + 1]
        if not settings or self.finder.find(settings.split(".")[0], None) is None:
            return None
        chain = ("django.setup()",)
        failure = self.import_module(settings, None, chain)
        if failure is not None:
            return failure
        subcommand = next((a for a in args if not a.startswith("-")), "")
        is_manage = cmd.launcher is Launcher.SCRIPT and cmd.target.endswith("manage.py")
        if not (is_manage and subcommand in ("runserver", "check", "migrate")):
            return None
        module = self.modules.get(settings)
        origin = module.spec.origin if module is not None else None
        if origin is None:
            return None
        parsed = self.parse(origin)
        if isinstance(parsed, SyntaxError):
            return None
        for node in parsed[0].body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "ROOT_URLCONF" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                return self.import_module(node.value.value, None, (f"manage.py {subcommand}",))
        return None

    def _call(self, call: ast.Call, ctx: _Ctx) -> Failure | None:
        """``app = create_app()`` at import time runs the factory's body: its imports happen
        now. Followed for a function of the project's own, defined in this module or imported
        from a first-party one (a few levels deep)."""
        if sets_django_settings(call):
            assert isinstance(call.args[1], ast.Constant)
            self.django_settings = str(call.args[1].value)
            return None
        target = server_run_target(call)
        if target is not None:
            # `uvicorn.run("app.server:app")` in a script: the server imports that module in
            # this process, with this sys.path, and looks the attribute up.
            module, _, attr = target.partition(":")
            failure = self.import_module(module, None, ctx.chain + (f"uvicorn.run({target!r})",))
            if failure is not None:
                return failure
            loaded = self.modules.get(module)
            if loaded is not None and attr and not self._has_attr(module, attr):
                return Failure(
                    Rule.ENTRY_NOT_FOUND,
                    "Error",
                    f'Error loading ASGI app. Attribute "{attr}" not found in module "{module}".',
                    ctx.chain + (module,),
                    path=loaded.spec.origin,
                )
            return None
        if not isinstance(call.func, ast.Name) or len(self.following) >= 4:
            return None
        found = self._function(call.func.id, ctx)
        if found is None:
            return None
        func, fctx = found
        key = (fctx.path, func.name)
        if key in self.following:
            return None
        self.following.add(key)
        try:
            inner = replace(fctx, chain=ctx.chain + (f"{fctx.name}.{func.name}()",))
            return self._block(func.body, inner)
        finally:
            self.following.discard(key)

    def _function(self, name: str, ctx: _Ctx) -> tuple[ast.FunctionDef, _Ctx] | None:
        parsed = self.parse(ctx.path)
        if isinstance(parsed, SyntaxError):
            return None
        local = self._functions(ctx.path, parsed[0]).get(name)
        if local is not None:
            return local, ctx
        binding = self.imported.get((ctx.path, name))
        if binding is None:
            return None
        module_name, attr = binding
        module = self.modules.get(module_name)
        origin = module.spec.origin if module is not None else None
        if module is None or origin is None or origin.suffix != ".py":
            return None
        parsed = self.parse(origin)
        if isinstance(parsed, SyntaxError):
            return None
        tree, source = parsed
        spec = module.spec
        package = spec.name if spec.is_package else spec.name.rpartition(".")[0]
        mctx = _Ctx(spec.name, package, origin, source, False, ctx.chain)
        found = self._functions(origin, tree).get(attr)
        return (found, mctx) if found is not None else None

    def _functions(self, path: Path, tree: ast.Module) -> dict[str, ast.FunctionDef]:
        """The module's top-level functions by name, computed once per file."""
        if path not in self.functions:
            self.functions[path] = {
                node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)
            }
        return self.functions[path]

    def _import_from(self, stmt: ast.ImportFrom, ctx: _Ctx) -> Failure | None:
        site = (ctx, stmt)
        base = from_module(stmt, ctx.package)
        if isinstance(base, Unresolved):
            return self._fail(
                base.code, "ImportError", base.message, site, ctx.chain + (spelled(stmt),)
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
            self.imported[(ctx.path, alias.asname or alias.name)] = (base, alias.name)
            sub = f"{base}.{alias.name}"
            if (
                module.spec.is_package
                and sub not in self.modules
                and not module.done
                and self.finder.find(sub, module.spec) is not None
            ):
                # `from . import routes` inside the package's own __init__: the name is not
                # an attribute yet, so the submodule is imported now (and can fail now).
                failure = self.import_module(sub, site, ctx.chain)
                if failure is not None:
                    return failure
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
                and imports_in(handler.body)
                and (len(self.external) + len(self.modules) >= before)
            )
            self.swallowed.append(
                Swallowed(
                    failure,
                    catches,
                    ctx.path,
                    handler.lineno,
                    logged(handler, failure),
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
                name, message = raised(stmt.exc, handler.name, failure)
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


def _catches(handler: ast.ExceptHandler, failure: Failure) -> str | None:
    """The name of the clause that catches ``failure``, or None when it does not."""
    names = exc_names(handler.type)
    if names is None:
        return "bare except"
    accepted = {"ModuleNotFoundError": CATCH_MNF, "ImportError": _CATCH_IMPORT}.get(
        failure.exc_type, _CATCH_OTHER
    )
    for name in names:
        if name in accepted:
            return name
    return None
