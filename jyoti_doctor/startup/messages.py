"""Messages as the running code words them: what an ``except`` handler logs or re-raises,
rendered with the exception's text, and how each launcher reports a missing app object."""

from __future__ import annotations

import ast

from .failures import Failure
from .syspath import Launch

_LOG_METHODS = frozenset(
    {"error", "exception", "warning", "warn", "critical", "info", "debug", "fatal"}
)


def raised(exc: ast.expr, bound: str | None, failure: Failure) -> tuple[str, str]:
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


def logged(handler: ast.ExceptHandler, failure: Failure) -> tuple[str, ...]:
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


def attr_missing(launch: Launch) -> str:
    """How the launcher says the app object is missing from the entry module."""
    cmd, entry = launch.command, launch.entry
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
