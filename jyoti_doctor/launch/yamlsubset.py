"""A strict YAML subset: block mappings, block sequences, plain/quoted scalars and ``|``/``>``
block scalars. Enough for render.yaml and compose files; flow collections, anchors and tags
are refused with the file and line, never guessed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import UsageError


def _scalar(text: str, where: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if text[0] == '"':
        end = _closing_quote(text, '"')
        if end < 0:
            raise UsageError(f"{where}: unterminated double-quoted string")
        try:  # the escapes render.yaml files use (\" \\ \n \t \uXXXX) are JSON's too
            return str(json.loads(text[: end + 1]))
        except ValueError:
            raise UsageError(f"{where}: unsupported escape in a double-quoted string") from None
    if text[0] == "'":
        end = _closing_quote(text, "'")
        if end < 0:
            raise UsageError(f"{where}: unterminated single-quoted string")
        return text[1:end].replace("''", "'")
    if text[0] in "[{&*!":
        raise UsageError(f"{where}: YAML flow collections, anchors and tags are not supported here")
    return re.split(r"\s+#", text, maxsplit=1)[0].strip()


def flow_sequence(text: str, where: str) -> list[str]:
    """``[a, "b c", 'd']`` on one line: a flow sequence of scalars (compose's exec form)."""
    text = re.split(r"\s+#", text.strip(), maxsplit=1)[0] if '"' not in text else text.strip()
    if not text.endswith("]"):
        raise UsageError(f"{where}: a flow sequence must close on its line here")
    body = text[1:-1].strip()
    items: list[str] = []
    i = 0
    while i < len(body):
        if body[i] in " ,":
            i += 1
            continue
        if body[i] in "[{":
            raise UsageError(f"{where}: nested YAML flow collections are not supported here")
        if body[i] in "\"'":
            end = _closing_quote(body[i:], body[i])
            if end < 0:
                raise UsageError(f"{where}: unterminated quoted string")
            items.append(_scalar(body[i : i + end + 1], where))
            i += end + 1
            continue
        end = body.find(",", i)
        end = len(body) if end < 0 else end
        items.append(body[i:end].strip())
        i = end + 1
    return items


def _closing_quote(text: str, quote: str) -> int:
    i = 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


@dataclass
class _Line:
    """A line of the document that holds content: its number, indentation and text."""

    number: int
    indent: int
    text: str


class Yaml:
    """Block mappings and sequences of scalars; enough for render.yaml, refused beyond it."""

    def __init__(self, text: str, name: str) -> None:
        self.raw = text.splitlines()
        self.name = name
        self.lines = [
            _Line(n, len(line) - len(line.lstrip(" ")), line.strip())
            for n, line in enumerate(self.raw, 1)
            if line.strip()
            and not line.strip().startswith("#")
            and line.strip() not in ("---", "...")
        ]
        self.i = 0

    def where(self, line: _Line) -> str:
        return f"{self.name}:{line.number}"

    def node(self, indent: int) -> object:
        line = self.lines[self.i]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(line.indent)
        return self.mapping(line.indent)

    def sequence(self, indent: int) -> list[object]:
        items: list[object] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.indent != indent or not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:]
            if not rest.strip():
                self.i += 1
                if self.i < len(self.lines) and self.lines[self.i].indent > indent:
                    items.append(self.node(self.lines[self.i].indent))
                else:
                    items.append(None)
                continue
            inner = indent + 1 + len(rest) - len(rest.lstrip())
            if re.match(r"^[\w.\-]+\s*:(\s|$)", rest.strip()) and rest.strip()[0] not in "\"'":
                # "- key: value" opens a mapping whose keys sit at the column after the dash.
                self.lines[self.i] = _Line(line.number, inner, rest.strip())
                items.append(self.mapping(inner))
            else:
                items.append(_scalar(rest, self.where(line)))
                self.i += 1
        return items

    def mapping(self, indent: int) -> dict[str, object]:
        out: dict[str, object] = {}
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.indent != indent or line.text.startswith("- ") or line.text == "-":
                break
            m = re.match(r"^([^\s:'\"][^:]*?)\s*:(?:\s+(.*))?$", line.text)
            if not m:
                raise UsageError(f"{self.where(line)}: cannot read this line as YAML here")
            key, value = m[1], (m[2] or "").strip()
            self.i += 1
            if value[:1] in ("|", ">"):
                out[key] = self.block(line, folded=value[0] == ">")
            elif value.startswith("["):
                out[key] = flow_sequence(value, self.where(line))
            elif value and not value.startswith("#"):
                out[key] = _scalar(value, self.where(line))
            elif self.i < len(self.lines) and (
                self.lines[self.i].indent > indent
                or (
                    self.lines[self.i].indent == indent and self.lines[self.i].text.startswith("- ")
                )
            ):
                out[key] = self.node(self.lines[self.i].indent)
            else:
                out[key] = None
        return out

    def block(self, line: _Line, *, folded: bool) -> str:
        collected: list[str] = []
        block_indent = -1
        n = line.number  # raw lines are 0-based; the block starts on the next one
        while n < len(self.raw):
            raw = self.raw[n]
            if raw.strip():
                indent = len(raw) - len(raw.lstrip(" "))
                if indent <= line.indent:
                    break
                if block_indent < 0:
                    block_indent = indent
                collected.append(raw[block_indent:])
            else:
                collected.append("")
            n += 1
        while self.i < len(self.lines) and self.lines[self.i].number <= n:
            self.i += 1
        while collected and not collected[-1]:
            collected.pop()
        if folded:
            return " ".join(part.strip() for part in collected if part.strip())
        return "\n".join(collected)


def parse_yaml(text: str, name: str) -> object:
    """The document as nested dicts, lists and strings (None for an empty value)."""
    parser = Yaml(text, name)
    if not parser.lines:
        return None
    return parser.node(parser.lines[0].indent)
