"""What the code means to register, read statically: routers and every include of them.

Every ``APIRouter(...)`` (and Flask ``Blueprint(...)``) assigned to a name, the routes its
decorators declare, and every ``include_router``/``mount``/``register_blueprint`` call wherever
it is: at module level, in a function, in a loop, inside ``try``. An include's argument is
resolved through the module's imports to the router it names (``health.router``,
``missing_router`` from ``from missing_endpoints import router as missing_router``, the loop
variable of ``for m in (health, spiritual)``); one that cannot be resolved is kept as such, so
no router is called "never included" while an unknown include might be including it.

Module names are those of the launch: a file's dotted name below the first ``sys.path`` entry
that holds it, so they match ``endpoint.__module__`` in the running app.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..files import discover

ROUTER_FACTORIES = frozenset({"APIRouter", "Blueprint"})
INCLUDE_CALLS = frozenset({"include_router", "mount", "register_blueprint"})
ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "api_route",
        "route",
        "websocket",
    }
)
# Handlers that catch an ImportError raised in their try body.
_CATCHES_IMPORT = frozenset({"Exception", "BaseException", "ImportError", "ModuleNotFoundError"})


@dataclass(frozen=True)
class RouterDef:
    module: str
    name: str
    path: Path
    line: int
    prefix: str
    routes: tuple[tuple[str, str, str], ...]  # (method, path, function)

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.name)


@dataclass(frozen=True)
class Guard:
    """The ``try`` around an include and how its handlers treat a failure."""

    line: int  # the ``try:`` line
    catches: str  # as written: "Exception", "ImportError", "" for a bare except
    swallows: bool  # a handler catches ImportError and does not re-raise
    logs: str | None  # the first string the handler passes to a call (its log message)
    imports: tuple[tuple[str, int], ...]  # (absolute module, line) imported in the try body


@dataclass(frozen=True)
class Include:
    module: str
    path: Path
    line: int
    call: str  # include_router, mount, register_blueprint
    argument: str  # the router expression as written
    targets: tuple[tuple[str, str], ...]  # resolved (module, name); empty: unresolved
    function: str | None  # the enclosing function, if any
    in_loop: bool
    guard: Guard | None


@dataclass(frozen=True)
class Inventory:
    routers: tuple[RouterDef, ...]
    includes: tuple[Include, ...]
    unparsable: tuple[Path, ...]

    @property
    def unresolved(self) -> tuple[Include, ...]:
        return tuple(i for i in self.includes if not i.targets and i.call != "mount")

    def includes_of(self, router: RouterDef) -> tuple[Include, ...]:
        return tuple(i for i in self.includes if router.key in i.targets)


def module_name(path: Path, roots: Sequence[Path]) -> str | None:
    """The dotted name ``path`` is imported under, given the launch's ``sys.path`` roots."""
    for root in roots:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _call_name(node: ast.expr) -> str | None:
    name = _dotted(node)
    return None if name is None else name.rsplit(".", 1)[-1]


def _resolve_from(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    if level == 0:
        return target
    parts = module.split(".") if module else []
    package = parts if is_package else parts[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([target] if target else [])]) or None


class _Module(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, known_modules: frozenset[str]) -> None:
        self.module = module
        self.path = path
        self.is_package = path.name == "__init__.py"
        self.known = known_modules
        # local name -> (module, attribute or None)
        self.names: dict[str, tuple[str, str | None]] = {}
        self.routers: dict[str, tuple[int, str]] = {}
        self.decorated: dict[str, list[tuple[str, str, str]]] = {}
        self.includes: list[Include] = []
        self._stack: list[ast.AST] = []

    # -- imports ------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.names[alias.asname] = (alias.name, None)
            else:
                top = alias.name.split(".")[0]
                self.names[top] = (top, None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve_from(self.module, self.is_package, node.level, node.module)
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            full = f"{base}.{alias.name}"
            self.names[local] = (full, None) if full in self.known else (base, alias.name)

    # -- definitions --------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if isinstance(value, ast.Call) and _call_name(value.func) in ROUTER_FACTORIES:
            prefix = ""
            for kw in value.keywords:
                if kw.arg in ("prefix", "url_prefix") and isinstance(kw.value, ast.Constant):
                    prefix = str(kw.value.value)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.routers[target.id] = (node.lineno, prefix)
        self.generic_visit(node)

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for deco in node.decorator_list:
            if not isinstance(deco, ast.Call) or not isinstance(deco.func, ast.Attribute):
                continue
            owner = deco.func.value
            if not isinstance(owner, ast.Name) or deco.func.attr not in ROUTE_DECORATORS:
                continue
            route = ""
            if deco.args and isinstance(deco.args[0], ast.Constant):
                route = str(deco.args[0].value)
            method = deco.func.attr.upper()
            if method in ("API_ROUTE", "ROUTE"):
                method = "*"
            self.decorated.setdefault(owner.id, []).append((method, route, node.name))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._decorators(node)
        self._nested(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._decorators(node)
        self._nested(node)

    def _nested(self, node: ast.AST) -> None:
        self._stack.append(node)
        self.generic_visit(node)
        self._stack.pop()

    visit_For = _nested
    visit_AsyncFor = _nested
    visit_Try = _nested
    visit_ClassDef = _nested
    visit_If = _nested
    visit_With = _nested
    visit_While = _nested

    def visit_TryStar(self, node: ast.AST) -> None:
        self._nested(node)

    # -- includes -----------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in INCLUDE_CALLS:
            arg = self._router_argument(node, func.attr)
            if arg is not None:
                self.includes.append(self._include(node, func.attr, arg))
        self.generic_visit(node)

    @staticmethod
    def _router_argument(node: ast.Call, call: str) -> ast.expr | None:
        if call == "mount":
            for kw in node.keywords:
                if kw.arg == "app":
                    return kw.value
            return node.args[1] if len(node.args) > 1 else None
        for kw in node.keywords:
            if kw.arg in ("router", "blueprint"):
                return kw.value
        return node.args[0] if node.args else None

    def _include(self, node: ast.Call, call: str, arg: ast.expr) -> Include:
        function = next(
            (
                s.name
                for s in reversed(self._stack)
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            ),
            None,
        )
        loops = [s for s in self._stack if isinstance(s, (ast.For, ast.AsyncFor))]
        targets = self._targets(arg, loops)
        return Include(
            self.module,
            self.path,
            node.lineno,
            call,
            ast.unparse(arg),
            tuple(targets),
            function,
            bool(loops),
            self._guard(node),
        )

    def _targets(self, arg: ast.expr, loops: list[ast.For | ast.AsyncFor]) -> list[tuple[str, str]]:
        # The loop variable stands for each element of a literal tuple or list.
        for loop in reversed(loops):
            if isinstance(loop.target, ast.Name) and isinstance(loop.iter, (ast.Tuple, ast.List)):
                var = loop.target.id
                text = _dotted(arg)
                if text is not None and (text == var or text.startswith(var + ".")):
                    out: list[tuple[str, str]] = []
                    for element in loop.iter.elts:
                        base = _dotted(element)
                        if base is None:
                            return []
                        out.extend(self._resolve(base + text[len(var) :]))
                    return out
        text = _dotted(arg)
        return [] if text is None else self._resolve(text)

    def _resolve(self, text: str) -> list[tuple[str, str]]:
        parts = text.split(".")
        head = parts[0]
        if len(parts) == 1:
            if head in self.routers:
                return [(self.module, head)]
            if head in self.names:
                module, attr = self.names[head]
                return [(module, attr)] if attr else []
            return []
        if head in self.names:
            module, attr = self.names[head]
            if attr is not None:
                module = f"{module}.{attr}"
            middle = parts[1:-1]
            return [(".".join([module, *middle]), parts[-1])]
        return []

    def _guard(self, node: ast.AST) -> Guard | None:
        for outer in reversed(self._stack):
            if not isinstance(outer, ast.Try):
                continue
            if not any(_contains(stmt, node) for stmt in outer.body):
                continue  # in a handler, else or finally: not guarded by this try
            catches = []
            swallows = False
            logs: str | None = None
            for handler in outer.handlers:
                names = _handler_names(handler)
                catches.append(", ".join(names) if names else "")
                reraises = any(isinstance(n, ast.Raise) for n in ast.walk(handler))
                if (not names or set(names) & _CATCHES_IMPORT) and not reraises:
                    swallows = True
                    logs = logs or _first_message(handler)
            imports = tuple(self._imports_in(outer.body))
            return Guard(outer.lineno, " / ".join(catches), swallows, logs, imports)
        return None

    def _imports_in(self, body: Iterable[ast.stmt]) -> Iterable[tuple[str, int]]:
        for stmt in body:
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Import):
                    for alias in sub.names:
                        yield alias.name, sub.lineno
                elif isinstance(sub, ast.ImportFrom):
                    base = _resolve_from(self.module, self.is_package, sub.level, sub.module)
                    if base is None:
                        continue
                    for alias in sub.names:
                        full = f"{base}.{alias.name}"
                        yield (full if full in self.known else base), sub.lineno


def _contains(tree: ast.AST, node: ast.AST) -> bool:
    return any(sub is node for sub in ast.walk(tree))


def _handler_names(handler: ast.ExceptHandler) -> list[str]:
    if handler.type is None:
        return []
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [(_dotted(t) or ast.unparse(t)).rsplit(".", 1)[-1] for t in types]


def _first_message(handler: ast.ExceptHandler) -> str | None:
    for sub in ast.walk(handler):
        if isinstance(sub, ast.Call) and sub.args:
            first = sub.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value
            if isinstance(first, ast.JoinedStr):
                return "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{…}" for v in first.values
                )
    return None


def inventory(project_dir: Path, roots: Sequence[Path]) -> Inventory:
    """Routers and includes of every Python file under ``project_dir``."""
    files = discover([project_dir]).files
    named: list[tuple[Path, str]] = []
    for path in files:
        absolute = path.absolute()
        name = module_name(absolute, roots) or module_name(absolute, [project_dir.absolute()])
        if name is not None:
            named.append((absolute, name))
    known = frozenset(name for _, name in named)
    routers: list[RouterDef] = []
    includes: list[Include] = []
    unparsable: list[Path] = []
    for path, name in named:
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            unparsable.append(path)
            continue
        visitor = _Module(name, path, known)
        visitor.visit(tree)
        for router, (line, prefix) in visitor.routers.items():
            routes = tuple(
                (method, prefix + route, func)
                for method, route, func in visitor.decorated.get(router, [])
            )
            routers.append(RouterDef(name, router, path, line, prefix, routes))
        includes.extend(visitor.includes)
    return Inventory(tuple(routers), tuple(includes), tuple(unparsable))
