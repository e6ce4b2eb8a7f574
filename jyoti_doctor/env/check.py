"""``check-env`` as a plain function: a project directory and settings in, a :class:`Report` out.

Severity policy. An ``Issue`` at ``Level.ERROR`` breaks the app (or leaks a secret) and is an
error finding. ``Level.ADVISORY`` issues (a BOM, CRLF, a duplicate key, a `.env` not ignored by
git...) do not stop the app from starting: they are warnings under ``--strict`` and information
otherwise, so that, with the one exit-code rule of docs/contract.md (errors and warnings exit 1, info never),
``check-env`` exits 1 only for an invalid environment unless ``--strict`` asks for more.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..errors import UsageError
from ..findings import (
    Applicability,
    Finding,
    Fix,
    JsonValue,
    Location,
    Report,
    Section,
    Severity,
    SummaryValue,
)
from ..masking import MASK, is_secret_name, looks_like_secret, mask_secret, mask_text
from ..rules import Rule
from ..textfile import read_bounded_bytes
from .load import DotenvFile, display_key, git_issues
from .model import Issue, Level, Source
from .resolve import (
    Environment,
    Resolved,
    candidate_files,
    display_path,
    load_environment,
)
from .schema import Schema, VarSpec, VarType, load_schema
from .secrets import variants
from .validators import clean_value, placeholder_issue, supabase_role, validate

COMMAND = "check-env"
CLIENT_PREFIXES = (
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
    "PUBLIC_",
)
COLUMNS = ("variable", "type", "source", "status", "value", "message")
_HINT_WIDTH = 60


def printable(text: str) -> str:
    """Control and invisible characters spelled out, so a hint shows what is really there."""
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or (
            char.isspace() and char != " "
        ):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def hint(value: str | None, secret: bool) -> str:
    """The value as the report may show it."""
    if value is None:
        return ""
    if value == "":
        return '""'
    if secret:
        return printable(mask_secret(value))
    # Masked before the cut, so no prefix of an embedded key survives the truncation.
    shown = printable(mask_text(value))
    return shown if len(shown) <= _HINT_WIDTH else shown[: _HINT_WIDTH - 1] + "…"


def client_exposed_reason(name: str, value: str) -> str | None:
    """Why a client-exposed variable (NEXT_PUBLIC_..., VITE_...) holds a secret, or None."""
    upper = name.upper()
    if not upper.startswith(CLIENT_PREFIXES) or not value.strip():
        return None
    prefix = next(p for p in CLIENT_PREFIXES if upper.startswith(p))
    rest = name[len(prefix) :].upper()
    role = supabase_role(value.strip())
    if role in ("service_role", "secret"):
        return f"a Supabase {role} key, which bypasses Row Level Security"
    if role in ("anon", "publishable"):
        return None  # made to be public
    if "PUBLISHABLE" in rest or value.startswith(("pk_live_", "pk_test_")):
        return None
    if "DSN" in rest and "SENTRY" in rest and ":" not in value.split("://", 1)[-1].split("@")[0]:
        return None  # a Sentry DSN's public key is meant for browsers
    if looks_like_secret(value):
        return "a value that looks like a credential"
    if is_secret_name(rest):
        return "a value named like a secret"
    return None


class _Builder:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.findings: list[Finding] = []
        self.secrets: set[str] = set()

    def severity(self, level: Level) -> Severity:
        if level is Level.ERROR:
            return Severity.ERROR
        if level is Level.WARNING:
            return Severity.WARNING
        if level is Level.ADVISORY:
            return Severity.WARNING if self.strict else Severity.INFO
        return Severity.INFO

    def add(
        self,
        issue: Issue,
        *,
        location: Location | None = None,
        source: str | None = None,
    ) -> None:
        self.findings.append(
            Finding.make(
                issue.rule,
                issue.message,
                severity=self.severity(issue.level),
                location=location,
                fix=Fix(Applicability.NONE, reason=issue.fix) if issue.fix else None,
                source=source,
            )
        )

    def remember(self, value: str | None) -> None:
        if value:
            self.secrets |= variants(value)


def _location(resolved: Resolved) -> Location | None:
    if resolved.file is not None and resolved.entry is not None:
        return Location(resolved.file.display, resolved.entry.line)
    return None


def _empty_for_code(spec: VarSpec, where: str) -> list[Issue]:
    if spec.ignore_empty:
        return []
    return [
        Issue(
            Rule.MALFORMED_VALUE,
            f"{spec.name} is set but empty ({where}); the settings class parses it as "
            f"{spec.type.value} and fails at startup",
            fix=f"give {spec.name} a value, or remove the line to use the default",
        )
    ]


_PRODUCTION_FILES = frozenset(
    {".env.production", ".env.prod", "production.env", "prod.env", ".env.production.local"}
)


def _production_like(resolved: Resolved, environment: Environment) -> bool:
    """Whether the value is meant for production: it comes from a production env file, or the
    environment says so (ENVIRONMENT=production, as project templates spell it)."""
    if resolved.file is not None and resolved.file.path.name.lower() in _PRODUCTION_FILES:
        return True
    for name in ("ENVIRONMENT", "APP_ENV", "ENV"):
        value = environment.lookup(name).value
        if value is not None and value.strip().lower() in ("production", "prod"):
            return True
    return False


def _placeholder_level(issue: Issue, production: bool) -> Issue:
    """A placeholder secret fails a production env file; in a development .env it is a warning
    (templates ship `changethis` on purpose, to be changed before deploying)."""
    if issue.rule is not Rule.PLACEHOLDER_VALUE:
        return issue
    if production:
        return replace(issue, level=Level.ERROR, message=f"{issue.message} (in a production env)")
    return replace(
        issue, level=Level.WARNING, message=f"{issue.message}; change it before deploying"
    )


def _status(value: str | None, spec: VarSpec, issues: list[Issue]) -> str:
    if spec.unchecked and value:
        return "not checked"
    if value is None:
        return "missing" if spec.required else "unset (optional)"
    if value == "":
        if spec.required:
            return "empty"
        return "invalid" if any(i.level is Level.ERROR for i in issues) else "empty (optional)"
    codes = {i.rule for i in issues if i.level in (Level.ERROR, Level.WARNING)}
    for code, word in (
        (Rule.PLACEHOLDER_VALUE, "placeholder"),
        (Rule.MALFORMED_VALUE, "invalid"),
        (Rule.STRAY_CHARACTERS, "stray characters"),
    ):
        if code in codes:
            return word
    return "ok" if not issues else "ok (advice)"


def _type_label(spec: VarSpec, schema: Schema) -> str:
    if spec.type is VarType.POSTGRES_URL:
        consumer = spec.consumer or schema.consumer_guess
        return f"{spec.type.value} ({consumer})" if consumer else spec.type.value
    return spec.type.value


def _check_declared(
    spec: VarSpec,
    schema: Schema,
    environment: Environment,
    out: _Builder,
) -> tuple[str, ...]:
    files = environment.files
    resolved = environment.lookup(spec.name, spec.default, ignore_case=not spec.case_sensitive)
    value = resolved.value
    secret = spec.is_secret or (value is not None and looks_like_secret(value))
    if secret:
        out.remember(value)
        out.remember(resolved.hidden_environment)
        if resolved.shadowed is not None:
            out.remember(resolved.shadowed[1].value)
    shown = hint(value, secret)
    location = _location(resolved)
    source = f"{spec.name}={shown}" if value is not None else None
    issues: list[Issue] = []
    if value is None and spec.required:
        issues.append(
            Issue(
                Rule.MISSING_VARIABLE,
                f"{spec.name} is required but not set (not in the environment"
                + (
                    ", nor in " + ", ".join(f.display for f in files)
                    if files
                    else ", and no .env file"
                )
                + ")",
                fix=f"set {spec.name} in the environment or in .env",
            )
        )
    elif (
        value == ""
        and spec.required
        and (not spec.from_code or spec.ignore_empty or spec.type is VarType.STRING)
    ):
        # A settings class accepts "" for a str field (the app starts, with an empty value);
        # with env_ignore_empty, or for any other declared variable, empty is missing.
        accepted = spec.from_code and spec.type is VarType.STRING and not spec.ignore_empty
        issues.append(
            Issue(
                Rule.MISSING_VARIABLE,
                f"{spec.name} is required but empty"
                + ("" if resolved.source is Source.ENVIRONMENT else f" in {resolved.where}")
                + (" (the environment)" if resolved.source is Source.ENVIRONMENT else "")
                + (
                    "; the settings class accepts it, so the app starts with an empty value"
                    if accepted
                    else ""
                ),
                level=Level.ADVISORY if accepted else Level.ERROR,
                fix=f"give {spec.name} a value",
            )
        )
    elif spec.unchecked and value:
        pass  # said in the table: the code changes the value before pydantic judges it
    elif value or (value == "" and spec.from_code and spec.type is not VarType.STRING):
        # An empty value is still parsed by pydantic (and fails for a number or a URL).
        issues.extend(
            validate(spec, value, shown=None if secret else value, consumer=schema.consumer_guess)
            if value
            else _empty_for_code(spec, resolved.where)
        )
    if secret:
        production = _production_like(resolved, environment)
        issues = [_placeholder_level(i, production) for i in issues]
    for issue in issues:
        out.add(issue, location=location, source=source)
    if resolved.shadowed is not None:
        shadow_file, entry = resolved.shadowed
        _shadow(spec.name, value or "", shadow_file, entry, secret, out, declared=True)
    # Short: the findings carry the full explanation, and a narrow terminal must fit the table.
    rank = {Level.ERROR: 0, Level.WARNING: 1, Level.ADVISORY: 2, Level.INFO: 3}
    message = ""
    if issues:
        worst = min(issues, key=lambda i: rank[i.level])
        more = f" (+{len(issues) - 1} more)" if len(issues) > 1 else ""
        message = f"{worst.rule.code} {worst.rule.title}{more}"
    if not message and value is None and not spec.required:
        message = "optional, not set"
    if spec.unchecked and value:
        message = f"not checked: {spec.unchecked}"
    where = resolved.where
    if resolved.hidden_environment is not None:
        where += " (over the environment)"
    return (
        spec.name,
        _type_label(spec, schema),
        where,
        _status(value, spec, issues),
        shown,
        message,
    )


def _shadow(
    name: str,
    env_value: str,
    file: DotenvFile,
    entry: object,
    secret: bool,
    out: _Builder,
    *,
    declared: bool,
) -> None:
    line = getattr(entry, "line", None)
    file_value = getattr(entry, "value", None) or ""
    secret = secret or looks_like_secret(env_value) or looks_like_secret(file_value)
    if env_value == "" and file_value:
        issue = Issue(
            Rule.SHADOWED_BY_ENVIRONMENT,
            f"the environment sets {name} to an empty string, so load_dotenv() keeps it empty "
            f"and ignores {file.display}'s value",
            level=Level.ADVISORY if declared else Level.INFO,
            fix=f"unset {name} in the environment, or call load_dotenv(override=True)",
        )
    else:
        values = (
            ""
            if secret
            else f" (environment: `{hint(env_value, False)}`, .env: `{hint(file_value, False)}`)"
        )
        issue = Issue(
            Rule.SHADOWED_BY_ENVIRONMENT,
            f"{name} in {file.display} is ignored: the environment sets it too and wins, as with "
            f"load_dotenv(){values}",
            level=Level.INFO,
            fix="remove one of the two, or use load_dotenv(override=True) if .env must win",
        )
    out.add(issue, location=Location(file.display, line))


def _check_undeclared(
    file: DotenvFile,
    schema: Schema,
    environment: Environment,
    out: _Builder,
    done: set[str],
) -> None:
    """Values in a .env that no schema declares still get the generic checks (as advice)."""
    environ = environment.process
    for key, entry in file.effective().items():
        if schema.get(key) is not None or key in done or entry.value is None:
            continue
        done.add(key)
        secret = is_secret_name(key) or looks_like_secret(entry.value)
        if secret:
            out.remember(entry.value)
            out.remember(environ.get(key))
        name = display_key(key, entry.line)
        if entry.value:
            cleaned = clean_value(name, entry.value)
            found = list(cleaned.issues)
            placeholder = placeholder_issue(name, cleaned.value) if cleaned.value else None
            if placeholder is not None:
                found.append(placeholder)
            if found:
                location = Location(file.display, entry.line)
                source = f"{name}={hint(entry.value, secret)}"
            production = secret and _production_like(environment.lookup(key), environment)
            for issue in found:
                if secret and issue.rule is Rule.PLACEHOLDER_VALUE:
                    issue = _placeholder_level(issue, production)
                else:
                    issue = replace(issue, level=Level.ADVISORY)
                out.add(issue, location=location, source=source)
        if not environment.files_win and key in environ and environ[key] != entry.value:
            _shadow(name, environ[key], file, entry, secret, out, declared=False)


def check_env(
    project_dir: Path,
    config: Settings,
    *,
    env_files: Sequence[Path] = (),
    schema: str | None = None,
    require: Sequence[str] = (),
    strict: bool = False,
    environ: Mapping[str, str] | None = None,
) -> EnvResult:
    """Validate the environment and ``.env`` files of ``project_dir`` against its schema.

    Raises :class:`~jyoti_doctor.errors.UsageError` for an explicitly named file that is missing
    or unreadable and for a malformed schema.
    """
    if not project_dir.is_dir():
        raise UsageError(f"project directory not found: {project_dir}")
    env = dict(os.environ if environ is None else environ)
    # Every value that could be a secret, for masking the message of an unexpected failure.
    candidates = [v for v in env.values() if len(v) >= 8]
    try:
        return _check(project_dir, config, env, candidates, env_files, schema, require, strict)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001  (re-raised with the values masked)
        candidates += _raw_values(project_dir, config, env_files)
        masked = mask_text(f"{type(exc).__name__}: {exc}", tuple(candidates))
        raise EnvCheckFailed(masked).with_traceback(exc.__traceback__) from None


def _raw_values(project_dir: Path, config: Settings, env_files: Sequence[Path]) -> list[str]:
    """Everything after `=` in the env files, read naively: the failure may precede parsing."""
    found: list[str] = []
    try:
        for path in candidate_files(project_dir, config, env_files):
            text = read_bounded_bytes(path, what="env file").decode("utf-8", errors="replace")
            for line in text.splitlines():
                value = line.partition("=")[2].strip()
                found += [v for v in (value, value.strip("'\"")) if len(v) >= 8]
    except Exception:  # noqa: BLE001, S110  (best effort on a path that is already failing)
        pass
    return found


class EnvCheckFailed(RuntimeError):
    """An unexpected failure inside check-env, its message stripped of every loaded value."""


def _check(
    project_dir: Path,
    config: Settings,
    env: dict[str, str],
    candidates: list[str],
    env_files: Sequence[Path],
    schema: str | None,
    require: Sequence[str],
    strict: bool,
) -> EnvResult:
    declared = load_schema(project_dir, config, schema, require)
    environment = load_environment(project_dir, config, env_files, env, declared.app_files)
    files = environment.files
    candidates += [e.value for f in files for e in f.entries if e.value and len(e.value) >= 8]
    out = _Builder(strict)
    details: dict[str, JsonValue] = {}
    git_not_checked: dict[str, JsonValue] = {}
    for file in files:
        for issue in sorted(file.issues, key=lambda i: i.line or 0):
            out.add(issue, location=Location(file.display, issue.line))
        found, reason = git_issues(file)
        for issue in found:
            out.add(issue, location=Location(file.display))
        if reason:
            git_not_checked[file.display] = f"not checked: {reason}"
    if git_not_checked:
        details["git"] = git_not_checked
    rows = [_check_declared(spec, declared, environment, out) for spec in declared.variables]
    done: set[str] = set()
    # The file that wins comes first, so the value the app sees is the one judged.
    for file in reversed(files):
        _check_undeclared(file, declared, environment, out, done)
    _check_exposed(declared, environment, out)
    usage = _check_usage(declared, environment, out)
    if usage:
        details["code_reads"] = usage
    secrets = tuple(out.secrets)
    findings = tuple(_scrub(f, secrets) for f in out.findings)
    # By position: only the value and message cells can hold a value; the name, the type and
    # the status are the tool's own words (a password `postgres` must not eat `postgres-url`).
    rows = [(*row[:4], *(mask_text(c, secrets) if c else c for c in row[4:])) for row in rows]
    invalid = sum(
        1
        for row in rows
        if row[3] in ("missing", "empty", "invalid", "placeholder", "stray characters")
    )
    if declared.consumer_guess:
        details["postgres_consumer_guess"] = declared.consumer_guess
    app_files = declared.app_files
    if app_files is not None:
        used = any(f.source is Source.SETTINGS_ENV_FILE for f in files)
        details["settings_env_file"] = (
            f"{', '.join(display_path(p, project_dir) for p in app_files.paths)} "
            f"(env_file of {app_files.owner}), relative to {app_files.assumed}"
            + ("" if used else "; not read: --env-file or the config's env-file take its place")
        )
    if declared.notes:
        details["schema_notes"] = list(declared.notes)
    return EnvResult(
        schema=declared.origin,
        env_files=tuple(f.display for f in files),
        rows=tuple(rows),
        invalid=invalid,
        findings=findings,
        details=details,
    )


@dataclass(frozen=True)
class EnvResult:
    """What check-env found, typed; every value in it is already masked."""

    schema: str
    env_files: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    invalid: int
    findings: tuple[Finding, ...]
    details: dict[str, JsonValue]

    def to_report(self) -> Report:
        summary: dict[str, SummaryValue] = {
            "schema": self.schema,
            "env_files": ", ".join(self.env_files) or "none",
            "variables": len(self.rows),
            "invalid": self.invalid,
        }
        return Report(
            command=COMMAND,
            findings=self.findings,
            summary=summary,
            sections=(
                Section("environment_variables", "Environment variables", COLUMNS, self.rows),
            ),
            details=self.details,
        )


def _check_exposed(schema: Schema, environment: Environment, out: _Builder) -> None:
    names = dict.fromkeys(spec.name for spec in schema.variables)
    names.update(dict.fromkeys(environment.file_names()))
    for name in names:
        if not name.upper().startswith(CLIENT_PREFIXES):
            continue
        spec = schema.get(name)
        resolved = environment.lookup(name, spec.default if spec else None)
        if not resolved.value:
            continue
        reason = client_exposed_reason(name, resolved.value)
        if reason is None:
            continue
        out.remember(resolved.value)
        prefix = next(p for p in CLIENT_PREFIXES if name.upper().startswith(p))
        shown = display_key(name, resolved.entry.line if resolved.entry else 0)
        out.add(
            Issue(
                Rule.CLIENT_EXPOSED_SECRET,
                f"{shown} holds {reason}, but the {prefix} prefix ships it to every browser "
                "in the client bundle",
                fix=f"drop the {prefix} prefix and use the value server-side only; rotate it "
                "if it was ever deployed",
            ),
            location=_location(resolved),
            source=f"{shown}={hint(resolved.value, True)}",
        )


# Variables that libraries and platforms read by themselves: never "unused" for want of a
# read in the app's own code.
_READ_BY_OTHERS = re.compile(
    r"(SENTRY|OPENAI|ANTHROPIC|AWS|AZURE|GOOGLE|GCP|HF|HUGGINGFACE|PG|PYTHON|UVICORN|GUNICORN|"
    r"HYPERCORN|OTEL|NEW_RELIC|DD|LOGFIRE|LANGCHAIN|LANGSMITH|REDIS|CELERY|DJANGO|FLASK)_.*|"
    r"PORT|HOST|TZ|LANG|LC_.*|PATH|WEB_CONCURRENCY|FORWARDED_ALLOW_IPS|GUNICORN_CMD_ARGS|"
    r"(HTTP|HTTPS|NO|ALL)_PROXY|SSL_CERT_FILE|REQUESTS_CA_BUNDLE|DATABASE_URL"
)


def _check_usage(schema: Schema, environment: Environment, out: _Builder) -> str:
    """JD309/JD310: what the code reads against what the files and the schema declare.

    Returns what the details should say about it ("" when the code was not read).
    """
    code = schema.code
    if code is None or not code.found:
        return ""
    read = {v.name.upper() for v in code.variables}
    read |= {alias.upper() for v in code.variables for alias in v.aliases}
    read |= {name.upper() for name, _ in code.reads}
    declared: dict[str, str] = {}  # upper-cased name -> where it is declared or set
    for spec in schema.variables:
        if not spec.from_code or " + " in spec.origin:
            declared.setdefault(spec.name.upper(), spec.origin.rsplit(" + ", 1)[-1])
    for file in environment.files:
        for key, entry in file.effective().items():
            declared.setdefault(key.upper(), f"{file.display}:{entry.line}")
    if code.dynamic:
        unused = "not checked: the code reads the environment by computed names at " + ", ".join(
            code.dynamic[:3]
        )
    else:
        unused = "checked"
        for upper, where in declared.items():
            if upper in read or _READ_BY_OTHERS.fullmatch(upper):
                continue
            path, _, line = where.rpartition(":")
            location = Location(path, int(line)) if line.isdigit() else None
            name = next(
                (k for f in environment.files for k in f.effective() if k.upper() == upper),
                upper,
            )
            out.add(
                Issue(
                    Rule.UNUSED_VARIABLE,
                    f"{display_key(name, (location.line or 0) if location else 0)} is "
                    f"{'set in' if location else 'declared in'} {where} but the code never "
                    "reads it: no settings field, no os.environ read (docker compose, the "
                    "frontend or a tool may still use it)",
                    level=Level.INFO,
                    fix="remove it if nothing uses it, or check the spelling against the code",
                ),
                location=location,
            )
    documented = any(not s.from_code or " + " in s.origin for s in schema.variables)
    if documented:
        for var in code.variables:
            upper = var.name.upper()
            if (
                upper in declared
                or environment.lookup(var.name, ignore_case=True).value is not None
            ):
                continue
            if var.required or not var.direct:
                continue  # JD301 says it already; a settings class is a declaration itself
            out.add(
                Issue(
                    Rule.UNDECLARED_VARIABLE,
                    f"{var.name} is read by the code ({var.origin}) but declared nowhere "
                    "(not in .env.example, the config or an env file)",
                    level=Level.INFO,
                    fix=f"add {var.name} to .env.example, with its default if it has one",
                )
            )
    return f"never-read variables: {unused}"


def _scrub(finding: Finding, secrets: tuple[str, ...]) -> Finding:
    """Last line of defence: no known secret value survives in any text of a finding."""
    if not secrets:
        return finding
    fix = finding.fix
    if fix is not None and fix.reason:
        fix = replace(fix, reason=mask_text(fix.reason, secrets))
    return replace(
        finding,
        message=mask_text(finding.message, secrets),
        source=mask_text(finding.source, secrets) if finding.source else finding.source,
        fix=fix,
    )


__all__ = ["COMMAND", "MASK", "Source", "check_env"]
