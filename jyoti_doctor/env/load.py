"""Reading ``.env`` files the way the app's ``load_dotenv()`` would, without touching ``os.environ``.

Each file is parsed with python-dotenv's own parser (so a line is valid here exactly when it is
valid for the app) and checked for the syntax traps that parser forgives silently: duplicate keys,
values cut at `` #``, a BOM, CRLF line ends, ``${UNDEFINED}`` expanding to nothing. Which files
are read and which value wins is :mod:`.resolve`'s rule, not this module's.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..masking import looks_like_secret
from ..rules import Rule
from ..textfile import read_bounded_bytes
from .model import Issue, Level, Source

if TYPE_CHECKING:
    from dotenv.parser import Binding

_NEWLINE = re.compile(r"\r\n|\n|\r")
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(
    r"[^\S\r\n]*(?:export[^\S\r\n]+)?(?P<key>'[^']+'|[^=#\s]+)(?P<before>[^\S\r\n]*)="
    r"(?P<after>[^\S\r\n]*)(?P<rest>[^\r\n]*)"
)
# A later line that looks like `KEY=...` inside a quoted value: an unclosed quote swallowed it.
_SWALLOWED_ASSIGNMENT = re.compile(
    r"(?:\r\n|\n|\r)[^\S\r\n]*(?:export[^\S\r\n]+)?[A-Za-z_][A-Za-z0-9_]*="
)


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def display_key(key: str, line: int) -> str:
    """A key as a message may name it. A value pasted where a key belongs (a URL or a token alone on
    a line, `secret=NAME`) is a secret, not a name: it is shown as its line instead."""
    return key if _nameable(key) else f"the key on line {line}"


@lru_cache(maxsize=1 << 16)
def _nameable(key: str) -> bool:
    # A plain name has no `://`, so only a known prefix (12+ characters) or a token (24+) could
    # make it look like a secret: shorter names skip the check.
    return (
        bool(_PLAIN_NAME.fullmatch(key))
        and ("_" in key or len(key) <= 20)
        and (len(key) < 12 or not looks_like_secret(key))
    )


def split_lines(text: str) -> list[str]:
    """Lines as python-dotenv counts them (``\\r\\n``, ``\\n`` and ``\\r`` all end one)."""
    return _NEWLINE.split(text)


# A line python-dotenv reads as KEY=value with nothing to unquote, unescape, expand or cut: its
# binding is built here directly, because python-dotenv's reader costs ~20 µs a line (0.9 s for a
# 50,000-line file). Anything else goes through python-dotenv's own parser, from the same spot.
_SIMPLE_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)="
    r"(?:([^\s'\"#\\$]*)|\"([^\"\\\r\n$]*)\"|'([^'\\\r\n$]*)')"
    r"(\r\n|\n|\r|\Z)"
)


def parse_bindings(text: str) -> Iterator[Binding]:
    """python-dotenv's ``parse_stream`` over ``text``, the same bindings, with the fast path above."""
    return (binding for binding, _ in _scan_bindings(text))


def _scan_bindings(text: str) -> Iterator[tuple[Binding, str | None]]:
    """Each binding, with the quote of a plain line (``""``, ``'`` or ``"``) or None for a line
    python-dotenv's own parser read."""
    from dotenv.parser import Binding, Original, Reader, parse_binding

    reader = Reader(io.StringIO(text))
    string = reader.string
    position = reader.position
    # The reader's position lives in locals while plain lines go by (attribute writes per line
    # cost a fifth of the time) and is handed over whenever python-dotenv's parser takes a line.
    chars, line, end = position.chars, position.line, len(string)
    simple_line = _SIMPLE_LINE.match
    while chars < end:
        match = simple_line(string, chars)
        if match is None:
            position.chars, position.line = chars, line
            yield parse_binding(reader), None
            chars, line = position.chars, position.line
            continue
        if match[2] is not None:
            value, quote = match[2], ""
        elif match[3] is not None:
            value, quote = match[3], '"'
        else:
            value, quote = match[4], "'"
        yield Binding(match[1], value, Original(match[0], line), False), quote
        chars = match.end()
        line += 1 if match[5] else 0


def binding_line(binding: Binding) -> int:
    """The line a binding's key is on (its original text starts with the blank lines before it)."""
    raw = binding.original.string
    if not raw[:1].isspace():
        return binding.original.line
    leading = raw[: len(raw) - len(raw.lstrip())]
    return binding.original.line + len(_NEWLINE.findall(leading))


@dataclass(frozen=True)
class Entry:
    """One ``KEY=value`` line as python-dotenv reads it."""

    key: str
    # After ``${VAR}`` expansion; None for a bare ``KEY`` line, which load_dotenv() skips.
    value: str | None
    line: int
    quote: str  # "", "'" or '"'


@dataclass(frozen=True)
class DotenvFile:
    path: Path
    display: str
    entries: tuple[Entry, ...]
    issues: tuple[Issue, ...]
    explicit: bool = False
    source: Source = Source.DOTENV
    # The issue saying the bytes are not UTF-8 (load_dotenv() raises on such a file), if any.
    undecodable: Issue | None = None

    def effective(self) -> dict[str, Entry]:
        """The entry python-dotenv keeps for each key: the last one with a value."""
        return self._effective

    @cached_property
    def _effective(self) -> dict[str, Entry]:
        result: dict[str, Entry] = {}
        for entry in self.entries:
            if entry.value is not None:
                result[entry.key] = entry
        return result


def _decode(data: bytes, display: str) -> tuple[str, list[Issue]]:
    issues: list[Issue] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        issues.append(
            Issue(
                Rule.DOTENV_SYNTAX,
                f"{display} is UTF-16 encoded: load_dotenv() reads UTF-8 and fails with "
                "UnicodeDecodeError",
                fix="save the file as UTF-8",
                line=1,
            )
        )
        return data.decode("utf-16", errors="replace"), issues
    if data.startswith(b"\xef\xbb\xbf"):
        issues.append(
            Issue(
                Rule.DOTENV_SYNTAX,
                f"{display} starts with a byte order mark: python-dotenv drops it, but other "
                "loaders (older python-dotenv, shells, some platforms) make it part of the first key",
                level=Level.ADVISORY,
                fix="save the file as UTF-8 without BOM",
                line=1,
            )
        )
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        issues.append(
            Issue(
                Rule.DOTENV_SYNTAX,
                f"{display} is not valid UTF-8 (line {line}): load_dotenv() fails with "
                "UnicodeDecodeError",
                fix="save the file as UTF-8",
                line=line,
            )
        )
        text = data.decode("utf-8", errors="replace")
    crlf = [i + 1 for i, line in enumerate(text.split("\n")) if line.endswith("\r")]
    if crlf:
        issues.append(
            Issue(
                Rule.DOTENV_SYNTAX,
                f"{display} has Windows (CRLF) line ends on {len(crlf)} line(s): python-dotenv "
                "copes, but a shell (`set -a; . ./.env`) keeps a `\\r` at the end of every value",
                level=Level.ADVISORY,
                fix="convert the file to LF line ends (`dos2unix .env`)",
                line=crlf[0],
            )
        )
    return text, issues


def _line_issues(key: str, raw_line: str, line: int) -> list[Issue]:
    """Traps visible in the line as written: a value cut at ` #`, spaces around `=`, odd names."""
    issues: list[Issue] = []
    shown = display_key(key, line)
    match = _ASSIGNMENT.match(raw_line)
    if match is None:
        return issues
    rest = match["rest"]
    if rest[:1] not in ("'", '"'):
        # python-dotenv ends an unquoted value at whitespace followed by '#'. A '#' followed by a
        # word (not a space) is far more often part of a password than the start of a comment.
        cut = re.search(r"(?:^|[^\S\r\n])#(?=\S)", rest)
        if cut is not None and (cut.start() > 0 or match["after"]):
            issues.append(
                Issue(
                    Rule.DOTENV_SYNTAX,
                    f"{shown}: the unquoted value is cut at ` #`: python-dotenv reads the rest of "
                    "the line as a comment",
                    fix=f'quote the value: {shown}="..." (or remove the space before `#`)',
                    line=line,
                )
            )
    if match["before"] or (match["after"] and rest and not rest.startswith("#")):
        issues.append(
            Issue(
                Rule.DOTENV_SYNTAX,
                f"{shown}: spaces around `=`: python-dotenv strips them, but a shell "
                "(`set -a; . ./.env`) or Docker's `--env-file` reads the line differently",
                level=Level.ADVISORY,
                fix=f"write {shown}=value with nothing around `=`",
                line=line,
            )
        )
    if not _SHELL_NAME.fullmatch(key.strip("'")):
        issues.append(
            Issue(
                Rule.DOTENV_SYNTAX,
                f"{shown!r} is not a valid environment variable name for a shell or most platforms",
                level=Level.ADVISORY,
                fix="use letters, digits and `_` only, not starting with a digit",
                line=line,
            )
        )
    return issues


def parse_dotenv(
    text: str,
    display: str,
    environ: Mapping[str, str],
) -> tuple[list[Entry], list[Issue]]:
    """Entries and syntax issues of one file's text; ``environ`` is what ``${VAR}`` may refer to."""
    from dotenv.variables import Variable, parse_variables

    lines = split_lines(text)
    entries: list[Entry] = []
    issues: list[Issue] = []
    first_line: dict[str, int] = {}
    # What `${VAR}` sees, as python-dotenv's resolve_variables(override=False) builds it: values
    # defined above in this file, overridden by the (real and already loaded) environment.
    defined: dict[str, str] = {}
    # A view, not a copy per line: a 50,000-line file stays linear (the environment wins).
    env: ChainMap[str, str] = ChainMap(dict(environ), defined)
    all_keys: dict[str, int] = {}
    bindings = [
        (binding, binding.original.line if quote is not None else binding_line(binding), quote)
        for binding, quote in _scan_bindings(text)
    ]
    for binding, line, _ in bindings:
        if binding.key is not None:
            all_keys.setdefault(binding.key, line)
    for binding, line, plain_quote in bindings:
        key, plain_value = binding.key, binding.value
        if plain_quote is not None and key and plain_value is not None and key not in first_line:
            # A plain KEY=value line seen first: no traps to report, nothing to expand.
            first_line[key] = line
            defined[key] = plain_value
            entries.append(Entry(key, plain_value, line, plain_quote))
            continue
        if binding.error:
            first = lines[line - 1] if line - 1 < len(lines) else ""
            guess = re.match(
                r"[^\S\r\n]*(?:export[^\S\r\n]+)?([A-Za-z_][A-Za-z0-9_.]*)[^\S\r\n]*=", first
            )
            what = f" (the assignment to {guess[1]}: an unclosed quote?)" if guess else ""
            issues.append(
                Issue(
                    Rule.DOTENV_SYNTAX,
                    f"line {line} cannot be parsed by python-dotenv{what}; load_dotenv() skips it",
                    fix="write it as KEY=value, quoting values that contain spaces, quotes or `#`",
                    line=line,
                )
            )
            continue
        key = binding.key
        if key is None:
            continue
        raw = lines[line - 1] if line - 1 < len(lines) else ""
        simple = _SIMPLE_LINE.match(raw)
        if simple is None or simple.end() != len(raw):
            # A plain KEY=value line has none of the traps _line_issues looks for.
            issues.extend(_line_issues(key, raw, line))
        if binding.value is None:
            issues.append(
                Issue(
                    Rule.DOTENV_SYNTAX,
                    f"{display_key(key, line)} has no `=`: load_dotenv() leaves it unset",
                    level=Level.ADVISORY,
                    fix=f"write {display_key(key, line)}= (empty) or {display_key(key, line)}=value",
                    line=line,
                )
            )
            entries.append(Entry(key, None, line, ""))
            continue
        if key in first_line:
            issues.append(
                Issue(
                    Rule.DOTENV_SYNTAX,
                    f"{display_key(key, line)} is set again (first on line {first_line[key]}): python-dotenv keeps "
                    f"the last one, line {line}",
                    level=Level.ADVISORY,
                    fix="keep one of the two lines",
                    line=line,
                )
            )
        first_line.setdefault(key, line)
        after_eq = raw.split("=", 1)[1].lstrip() if "=" in raw else ""
        quote = after_eq[:1] if after_eq[:1] in ("'", '"') else ""
        if quote and _SWALLOWED_ASSIGNMENT.search(binding.value):
            end = line + len(_NEWLINE.findall(binding.value))
            issues.append(
                Issue(
                    Rule.DOTENV_SYNTAX,
                    f"{display_key(key, line)}: the quote opened on line {line} closes only on line {end}, so "
                    "the lines between become part of its value",
                    fix="close the quote on the same line",
                    line=line,
                )
            )
        if "$" not in binding.value:
            defined[key] = binding.value
            entries.append(Entry(key, binding.value, line, quote))
            continue
        value_parts: list[str] = []
        for atom in parse_variables(binding.value):
            if isinstance(atom, Variable) and atom.default is None and atom.name not in env:
                ref = display_key(atom.name, line)
                later = all_keys.get(atom.name)
                hint = (
                    f" ({ref} is set on line {later}, but only lines above are visible)"
                    if later is not None and later >= line
                    else ""
                )
                issues.append(
                    Issue(
                        Rule.DOTENV_SYNTAX,
                        f"{display_key(key, line)}: ${{{ref}}} is not defined{hint}; python-dotenv expands it "
                        "to an empty string",
                        fix=f"define {ref} above this line or in the environment, or "
                        f"write ${{{ref}:-default}}",
                        line=line,
                    )
                )
            value_parts.append(atom.resolve(env))
        value = "".join(value_parts)
        defined[key] = value
        entries.append(Entry(key, value, line, quote))
    return entries, issues


def read_dotenv(
    path: Path,
    display: str,
    environ: Mapping[str, str],
    *,
    explicit: bool = False,
    source: Source = Source.DOTENV,
) -> DotenvFile:
    """One ``.env`` file; anything but a readable regular file of bounded size is a
    :class:`UsageError` (exit 2) with one line that says what is wrong."""
    data = read_bounded_bytes(path, what="env file")
    text, issues = _decode(data, display)
    # _decode's only error-level issues are the ones that make load_dotenv() fail.
    undecodable = next((i for i in issues if i.level is Level.ERROR), None)
    text = text.removeprefix("\ufeff")
    entries, more = parse_dotenv(text, display, environ)
    return DotenvFile(
        path,
        display,
        tuple(entries),
        tuple(issues + more),
        explicit,
        source=source,
        undecodable=undecodable,
    )


@dataclass(frozen=True)
class GitState:
    """What git says about one ``.env`` file (``checked`` False when git could not be asked)."""

    checked: bool
    tracked: bool = False
    ignored: bool = False
    reason: str = ""


def git_state(path: Path) -> GitState:
    git = shutil.which("git")
    if git is None:
        return GitState(False, reason="git not found")
    directory = path.resolve().parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def run(*args: str) -> int:
        try:
            return subprocess.run(
                [git, "-C", str(directory), *args],
                capture_output=True,
                timeout=10,
                env=env,
                check=False,
            ).returncode
        except (OSError, subprocess.SubprocessError):
            return 128

    if run("rev-parse", "--is-inside-work-tree") != 0:
        return GitState(False, reason="not in a git work tree")
    name = path.name
    if run("ls-files", "--error-unmatch", "--", name) == 0:
        return GitState(True, tracked=True)
    return GitState(True, ignored=run("check-ignore", "-q", "--", name) == 0)


def git_issues(file: DotenvFile) -> tuple[list[Issue], str | None]:
    """JD307 for a ``.env`` that git tracks or does not ignore; the reason when git was not asked."""
    state = git_state(file.path)
    if not state.checked:
        return [], state.reason
    if state.tracked:
        return [
            Issue(
                Rule.DOTENV_TRACKED,
                f"{file.display} is tracked by git: every value in it is in the repository history",
                fix=f"git rm --cached {file.path.name}, add it to .gitignore, and rotate the secrets "
                "it held",
            )
        ], None
    if not state.ignored:
        return [
            Issue(
                Rule.DOTENV_TRACKED,
                f"{file.display} is not ignored by git: one `git add .` commits it",
                level=Level.ADVISORY,
                fix=f"add `{file.path.name}` to .gitignore",
            )
        ], None
    return [], None
