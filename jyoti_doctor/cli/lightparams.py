"""Argument coercion without pydantic, for the plain parameter types the commands declare.

This typer coerces every option that is not a plain flag through a pydantic ``TypeAdapter``:
parsing ``--format json`` imports pydantic and builds a schema, which costs more than the rest of
a small scan. The commands only declare ``str``, ``int`` and ``float`` (with ``min``/``max``), ``Path``, enums,
``bool`` and lists or optionals of those; for them :func:`lighten` installs the same coercion
written out (typer's own path and choice checks, the same error texts). A parameter of any other
kind, or a typer whose internals differ, keeps typer's coercion: this is a speed-up, never a
change of meaning (tests/imports/test_startup.py compares both).
"""

from __future__ import annotations

import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any

_LEAVES = (str, int, float, bool, Path)


def _leaf(annotation: Any) -> tuple[Any, bool] | None:
    """(leaf type, is a list) when ``annotation`` is one this module coerces, else None."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None
        return _leaf(args[0])
    if origin is list:
        (inner,) = typing.get_args(annotation)
        found = _leaf(inner)
        return (found[0], True) if found and not found[1] else None
    if annotation in _LEAVES or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return annotation, False
    return None


def _plain(info: Any, leaf: Any) -> bool:
    """No option this module does not implement (custom parsers, clamping, file modes...)."""
    if getattr(info, "parser", None) is not None or getattr(info, "clamp", False):
        return False
    if leaf is Path:
        # Existence, file/dir and access checks are typer's own (coerce_cli_path, given a Path,
        # never reaches pydantic); a dash meaning stdin and custom path types are not handled here.
        return not getattr(info, "allow_dash", False) and getattr(info, "path_type", None) is None
    return leaf in (int, float) or (
        getattr(info, "min", None) is None and getattr(info, "max", None) is None
    )


def lighten(command: Any) -> int:
    """Install pydantic-free coercion on every plain parameter of ``command``'s subcommands;
    returns how many parameters got it (0 when typer's internals are not the expected ones)."""
    try:
        from dataclasses import dataclass

        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_choice, coerce_cli_path
        from typer.core import _TyperParameter
    except ImportError:
        return 0

    @dataclass(frozen=True)
    class _Light(RuntimeParam):
        leaf: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if isinstance(value, (list, tuple)):
                return [self._one(v, param, ctx) for v in value]
            return self._one(value, param, ctx)

        def _number(self, value: Any, param: Any, ctx: Any) -> int | float:
            # pydantic's lax mode: surrounding spaces, or underscores between digits, not both.
            if isinstance(value, self.leaf) and not isinstance(value, bool):
                return value  # type: ignore[no-any-return]
            text = str(value)
            try:
                if "_" in text and text.strip() != text:
                    raise ValueError(text)
                return self.leaf(text.strip())  # type: ignore[no-any-return]
            except ValueError:
                noun = "integer" if self.leaf is int else "number"
                article = "an" if self.leaf is int else "a"
                raise BadParameter(
                    f"Input should be a valid {noun}, unable to parse string as {article} {noun}",
                    ctx=ctx,
                    param=param,
                ) from None

        def _one(self, value: Any, param: Any, ctx: Any) -> Any:
            leaf, info = self.leaf, self.parameter_info
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if leaf is str:
                return str(value)
            if leaf is bool:
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in ("1", "true", "t", "yes", "y", "on"):
                    return True
                if text in ("0", "false", "f", "no", "n", "off"):
                    return False
                raise BadParameter("Input should be a valid boolean", ctx=ctx, param=param)
            if leaf is int or leaf is float:
                number = self._number(value, param, ctx)
                if info.min is not None and number < info.min:
                    raise BadParameter(
                        f"Input should be greater than or equal to {info.min}",
                        ctx=ctx,
                        param=param,
                    )
                if info.max is not None and number > info.max:
                    raise BadParameter(
                        f"Input should be less than or equal to {info.max}", ctx=ctx, param=param
                    )
                return number
            if leaf is Path:
                path = value if isinstance(value, Path) else Path(value)
                return coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
            try:
                return coerce_cli_choice(
                    value, choices=list(leaf), case_sensitive=info.case_sensitive, ctx=ctx
                )
            except ValueError as exc:
                raise BadParameter(f"Value error, {exc}", ctx=ctx, param=param) from None

    def seed(param: Any) -> bool:
        if not isinstance(param, _TyperParameter) or param._runtime_param is not None:
            return False
        descriptor = param.type_descriptor
        found = _leaf(descriptor.annotation)
        if found is None or getattr(descriptor, "file_annotation", None) is not None:
            return False
        if not _plain(descriptor.parameter_info, found[0]):
            return False
        param._runtime_param = _Light(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            leaf=found[0],
        )
        return True

    def seed_help(cmd: Any) -> None:
        # The --help option is made afresh for each context.
        make = cmd.get_help_option

        def get_help_option(ctx: Any) -> Any:
            option = make(ctx)
            seed(option)
            return option

        cmd.get_help_option = get_help_option

    count = 0
    seed_help(command)
    for param in command.params:
        count += seed(param)
    for sub in getattr(command, "commands", {}).values():
        seed_help(sub)
        for param in sub.params:
            count += seed(param)
    return count
