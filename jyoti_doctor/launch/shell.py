"""The shell side of a start command: tokens, ``&&``/``;`` chains, ``$VAR`` expansion and the
wrappers (``exec``, ``poetry run``, ``env``...) in front of the real program. Nothing is run."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field

from ..errors import UsageError

ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_SEPARATORS = {"&&", ";", "||", "&", "|", "\n"}
_WRAPPERS = {
    ("poetry", "run"),
    ("pipenv", "run"),
    ("pdm", "run"),
    ("hatch", "run"),
    ("rye", "run"),
    ("uv", "run"),
    ("newrelic-admin", "run-program"),
}
_SINGLE_WRAPPERS = {"exec", "nohup", "opentelemetry-instrument", "ddtrace-run", "time"}

_SAFE = re.compile(r"^[\w@%+=:,./${}-]+$")


def shell_join(argv: list[str]) -> str:
    """``shlex.join`` that leaves ``$PORT`` and ``${VAR}`` for the shell to expand."""
    return " ".join(a if _SAFE.match(a) else shlex.quote(a) for a in argv)


# Longer than any real start command; beyond it the text is refused, not half-read.
MAX_COMMAND = 16_384


def tokens(text: str) -> list[str]:
    """Shell words and operators; a newline separates commands as ``;`` does."""
    if len(text) > MAX_COMMAND:
        raise UsageError(
            f"the start command is {len(text)} characters long; at most {MAX_COMMAND} are read"
        )
    lex = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=";&|\n")
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError as exc:
        raise UsageError(f"cannot parse start command {text!r}: {exc}") from None


def segments(tokens: list[str]) -> list[list[str]]:
    return [seg for seg, _ in chain(tokens)]


def chain(tokens: list[str]) -> list[tuple[list[str], str]]:
    """Each simple command with the operator after it (``&&``, ``||``, ``;``, ``|``, ``&``;
    a newline reads as ``;``, the last command has ``""``)."""
    out: list[tuple[list[str], str]] = []
    current: list[str] = []
    for token in tokens:
        if token in _SEPARATORS or set(token) <= set(";&|\n"):
            op = token.replace("\n", "").strip() or ";"
            if current:
                out.append((current, op))
            elif out and op != ";":
                out[-1] = (out[-1][0], op)
            current = []
        else:
            current.append(token)
    if current:
        out.append((current, ""))
    return out


def expand(value: str, env: dict[str, str]) -> str:
    """``$VAR``/``${VAR}``/``${VAR:-default}`` from what the command itself set; others stay."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        default = match.group(3)
        if name in env:
            return env[name]
        if default is not None:
            return default
        return match.group(0)

    return re.sub(r"\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?::?-([^}]*))?\})", sub, value)


# Options of the runners that take a value (`uv run --with x`), and those that matter: the
# directory they run in and the env files they load.
_RUNNER_VALUES = {
    "uv": {
        "--with",
        "--with-requirements",
        "--with-editable",
        "--python",
        "-p",
        "--env-file",
        "--directory",
        "--project",
        "--extra",
        "--group",
        "--package",
        "--index",
        "-C",
    },
    "poetry": {"-C", "--directory", "-P", "--project"},
    "pdm": {"-p", "--project"},
    "hatch": {"-e", "--env"},
}
_RUNNER_DIRECTORY = {"--directory", "-C"}


@dataclass
class Unwrapped:
    """What the wrappers in front of the program change: the directory it runs in and the
    env files loaded into its environment (pipenv and `dotenv run` load `.env`)."""

    chdir: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)


def unwrap(argv: list[str], env: dict[str, str], seen: Unwrapped | None = None) -> list[str]:
    seen = seen if seen is not None else Unwrapped()
    while argv:
        head = os.path.basename(argv[0])
        if head in _SINGLE_WRAPPERS:
            argv = argv[1:]
        elif head == "env":
            argv = argv[1:]
            while argv and (argv[0].startswith("-") or ASSIGN.match(argv[0])):
                if m := ASSIGN.match(argv[0]):
                    env[m[1]] = m[2]
                argv = argv[1:]
        elif len(argv) > 1 and (head, argv[1]) in _WRAPPERS:
            values = _RUNNER_VALUES.get(head, set())
            if head == "pipenv":
                seen.env_files.append(".env")  # pipenv run loads .env by default
            argv = argv[2:]
            while argv and argv[0].startswith("-"):
                name, eq, value = argv[0].partition("=")
                if name in values and not eq and len(argv) > 1:
                    value = argv[1]
                    argv = argv[1:]
                if name == "--env-file" and value:
                    seen.env_files.append(value)
                if name in _RUNNER_DIRECTORY and value:
                    seen.chdir.append(value)
                argv = argv[1:]
        elif head in ("doppler", "dotenv") and "--" in argv:
            if head == "dotenv":
                seen.env_files.append(".env")
            argv = argv[argv.index("--") + 1 :]
        else:
            return argv
    return argv
