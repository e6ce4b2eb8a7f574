"""The run-report-exit sequence every command shares, and the options it takes.

Nothing here imports typer: the pre-commit hook commands also run without it (cli/direct.py),
and an exit is a plain ``SystemExit``, which typer and click pass through unchanged.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TextIO, cast

from ..config import ENV_PREFIX, OutputFormat, Settings, load_config
from ..errors import UsageError
from ..findings import ExitCode, Report
from ..output import Chatter, OutputError, cannot_write_stdout, detach, to_stderr
from ..report import emit, emit_error

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class Common:
    """The options every command shares (format, config, quiet, colour, debug, exit-zero)."""

    format: OutputFormat | None = None
    config: Path | None = None
    quiet: bool = False
    no_color: bool = False
    debug: bool = False
    exit_zero: bool = False


def stderr_console(common: Common) -> Console:
    """A Rich console for progress and chatter; stdout stays for the report."""
    from rich.console import Console

    return Console(
        # A text stream in all but typeshed's name (io.TextIOBase is not typing.IO).
        file=cast(TextIO, Chatter(sys.stderr)) if sys.stderr is not None else None,
        stderr=True,
        no_color=common.no_color or None,
        highlight=False,
        quiet=common.quiet,
    )


def say(message: str) -> None:
    """``jyoti-doctor: message`` on stderr, as click's echo wrote it, flushed: nothing when stderr
    is closed or cannot be written. Control characters are shown escaped, so an escape sequence
    in a path given on the command line never reaches a terminal or a CI log."""
    from ..files import printable  # not at the top: files.py loads pathspec, --help needs neither

    to_stderr(f"jyoti-doctor: {printable(message, keep=chr(10) + chr(9))}\n")


def fail(code: ExitCode, message: str) -> NoReturn:
    say(message)
    raise SystemExit(int(code))


def env_format() -> OutputFormat | None:
    """``JYOTI_DOCTOR_FORMAT`` when it names a format (load_config reports a bad one)."""
    try:
        return OutputFormat(os.environ.get(ENV_PREFIX + "FORMAT", "").lower())
    except ValueError:
        return None


def sarif_help_base() -> str | None:
    return os.environ.get(ENV_PREFIX + "SARIF_HELP_BASE") or None


# Extra documents of the same run, for CI (the Action sets them): `--format` still chooses
# stdout. The Markdown file is appended to, as $GITHUB_STEP_SUMMARY expects.
EXTRA_OUTPUTS = (OutputFormat.JSON, OutputFormat.SARIF, OutputFormat.MARKDOWN)


def extra_outputs() -> list[tuple[OutputFormat, Path]]:
    found = []
    for fmt in EXTRA_OUTPUTS:
        value = os.environ.get(f"{ENV_PREFIX}OUTPUT_{fmt.name}")
        if value:
            found.append((fmt, Path(value)))
    return found


def _open_extra(fmt: OutputFormat, path: Path) -> TextIO:
    # A job summary collects every step's: Markdown is appended to.
    mode: Literal["a", "w"] = "a" if fmt is OutputFormat.MARKDOWN else "w"
    try:
        if stat.S_ISFIFO(os.stat(path).st_mode):
            # A plain open waits for a reader for ever; without one this fails at once (ENXIO).
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.set_blocking(fd, True)
            return open(fd, mode, encoding="utf-8")
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise UsageError(
                f"{ENV_PREFIX}OUTPUT_{fmt.name}: nothing reads the FIFO {path}"
            ) from None
        raise UsageError(_cannot_write(fmt, path, exc)) from None
    try:
        return open(path, mode, encoding="utf-8")
    except OSError as exc:
        raise UsageError(_cannot_write(fmt, path, exc)) from None


def _missing_cwd() -> str | None:
    """Why the current directory cannot be used (deleted under the shell), or ``None``."""
    try:
        os.getcwd()
    except OSError as exc:
        return (
            f"cannot use the current directory ({exc.strerror or exc}): it was deleted, or is "
            "not readable; cd to the project and rerun"
        )
    return None


def _cannot_write(fmt: OutputFormat, path: Path, exc: OSError) -> str:
    return f"{ENV_PREFIX}OUTPUT_{fmt.name}: cannot write {path}: {exc.strerror or exc}"


def fail_with_document(
    command: str, fmt: OutputFormat | None, code: ExitCode, message: str
) -> NoReturn:
    """Exit with ``code``: the message on stderr and, for a machine format, a document on
    stdout (and in every extra output) that says the run failed, so a CI step parsing them
    never meets an empty file."""
    targets: list[tuple[OutputFormat, TextIO | None]] = [(fmt, None)] if fmt else []
    for extra, path in extra_outputs():
        try:
            targets.append((extra, _open_extra(extra, path)))
        except UsageError:
            continue
    for target_fmt, stream in targets:
        try:
            emit_error(
                command,
                target_fmt,
                int(code),
                message,
                stream=stream,
                sarif_help_base=sarif_help_base(),
            )
        except Exception:  # noqa: BLE001, S110  (output gone: the message below still goes out)
            pass
        finally:
            if stream is not None:
                _close_quietly(stream)
    fail(code, message)


def _how_it_ended(report: Report, common: Common) -> str:
    """The summary line of a report that could not be written: the run itself is done (files a
    ``--write`` changed are changed), and this is all that says so."""
    from ..report.summary import summary_parts

    text, verdict, _ = summary_parts(report, common.exit_zero)
    return f"the run itself ended: {text}{verdict}"


def _close_quietly(stream: TextIO) -> None:
    try:
        stream.close()
    except OSError:  # its write failed already (a full disk): that failure is the one reported
        pass


def execute(
    command: str,
    common: Common,
    target: Path,
    produce: Callable[[Settings], Report],
    *,
    secrets: Callable[[], Iterable[str]] = tuple,
    start_dir: Path | None = None,
    list_findings: bool = True,
) -> NoReturn:
    """Load config, run ``command``'s core, emit the report and exit with its code.

    Usage errors exit 2 with a one-line message; anything unexpected is an internal error
    (exit 70) whose message is masked and says how to see the traceback. Error paths mask the
    secrets of the environment and of ``target``'s ``.env`` (and of ``start_dir``'s: a ``--cwd``
    outside the project may hold another), plus those ``secrets()`` names; they are gathered
    only when an error is reported, so a run that succeeds reads nothing twice.
    """

    def masked(text: str) -> str:
        from ..env.secrets import file_secrets, project_secrets, secret_values
        from ..masking import mask_text

        found = list(secret_values(os.environ.items()))
        sources: list[Callable[[], Iterable[str]]] = [lambda: project_secrets(target), secrets]
        if start_dir is not None:
            sources.append(lambda: file_secrets([start_dir / ".env"]))
        for source in sources:
            try:
                found.extend(source())
            except Exception:  # noqa: BLE001, S112
                # One unreadable source (the directory deleted with its .env) must not cost
                # the others, nor turn the error being reported into a traceback.
                continue
        return mask_text(text, tuple(found))

    # The format is known before the config is read, so a bad config still gets its document.
    fmt: OutputFormat | None = common.format or env_format()
    try:
        if (gone := _missing_cwd()) is not None:
            raise UsageError(gone)
        settings = load_config(common.config, target)
        fmt = common.format or settings.format
        report = produce(settings)
        with ExitStack() as files:
            # Written (and closed) before anything is printed: an unwritable file is one usage
            # error, not a report on stdout followed by an error document, and a reader gone
            # from stdout cannot leave them empty.
            extras = []
            for extra, path in extra_outputs():
                opened = _open_extra(extra, path)
                files.callback(_close_quietly, opened)
                extras.append((extra, path, opened))
            for extra, path, stream in extras:
                try:
                    emit(
                        report,
                        extra,
                        stream=stream,
                        exit_zero=common.exit_zero,
                        sarif_help_base=sarif_help_base(),
                    )
                    stream.close()  # here, so that a full disk is reported, not lost
                except OSError as exc:
                    reason = _cannot_write(extra, path, exc)
                    raise UsageError(f"{reason}; {_how_it_ended(report, common)}") from None
        try:
            emit(
                report,
                fmt,
                quiet=common.quiet,
                color=False if common.no_color else None,
                list_findings=list_findings,
                exit_zero=common.exit_zero,
                sarif_help_base=sarif_help_base(),
            )
        except (OSError, OutputError) as exc:  # a full disk, an I/O error: not ours, nor a bug
            detach(sys.stdout)
            reason = cannot_write_stdout(exc) if isinstance(exc, OSError) else str(exc)
            raise UsageError(f"{reason}; {_how_it_ended(report, common)}") from None
        code = report.exit_code(exit_zero=common.exit_zero)
    except UsageError as exc:
        fail_with_document(command, fmt, ExitCode.USAGE, masked(str(exc)))
    except KeyboardInterrupt:
        fail_with_document(command, fmt, ExitCode.INTERRUPTED, "interrupted")
    except Exception as exc:  # noqa: BLE001  (the last line of defence: never a bare traceback)
        if common.debug or os.environ.get("JYOTI_DOCTOR_DEBUG"):
            import traceback

            text = "".join(traceback.format_exception(exc))
            to_stderr(masked(text))
        if (gone := _missing_cwd()) is not None:  # deleted during the run: not a bug of ours
            fail_with_document(command, fmt, ExitCode.USAGE, gone)
        fail_with_document(
            command,
            fmt,
            ExitCode.INTERNAL,
            f"internal error ({type(exc).__name__}: {masked(str(exc))}); "
            "this is a bug in jyoti-doctor. Rerun with --debug to see the traceback.",
        )
    raise SystemExit(int(code))
