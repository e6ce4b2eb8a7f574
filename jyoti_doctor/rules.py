"""The rules: one registry that owns every finding's code, name, severity, fixability and doc.

A rule is an enum member, never a bare string, so code can branch on ``finding.rule is
Rule.X`` and a typo fails at import time. The docs test and the machine formats read this
table (ruff's ``Violation`` is the model: the rule knows its own message and documentation).
"""

from __future__ import annotations

from enum import Enum, StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(StrEnum):
    """How safe a fix is, in ruff's sense."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


class Rule(Enum):
    """Every finding the tool can report. The value is the stable code (``JD101``)."""

    # (code, name, title, default severity, fix applicability, doc page)
    ABSOLUTE_SELF_IMPORT = (
        "JD101",
        "absolute-self-import",
        "absolute self-import",
        Severity.ERROR,
        Applicability.SAFE,
        "imports.md",
    )
    SELF_IMPORT_NO_RELATIVE_FORM = (
        "JD102",
        "self-import-no-relative-form",
        "`import pkg.mod` with no relative form",
        Severity.WARNING,
        Applicability.NONE,
        "imports.md",
    )
    SELF_IMPORT_IN_SCRIPT = (
        "JD103",
        "self-import-in-script",
        "self-import in a script file (unsafe fix)",
        Severity.WARNING,
        Applicability.UNSAFE,
        "imports.md",
    )
    DYNAMIC_SELF_REFERENCE = (
        "JD104",
        "dynamic-self-reference",
        "dynamic self-reference in a string",
        Severity.INFO,
        Applicability.NONE,
        "imports.md",
    )
    KEPT_BY_MAX_LEVEL = (
        "JD105",
        "kept-by-max-level",
        "kept absolute by --max-level",
        Severity.INFO,
        Applicability.NONE,
        "imports.md",
    )
    RUN_BY_PATH = (
        "JD106",
        "run-by-path",
        "file run by path: kept absolute",
        Severity.INFO,
        Applicability.NONE,
        "imports.md",
    )
    REWRITE_BREAKS_ENTRY_POINT = (
        "JD107",
        "rewrite-breaks-entry-point",
        "rewrite would break an entry point that works",
        Severity.ERROR,
        Applicability.NONE,
        "fix-imports.md",
    )
    ENTRY_POINT_NOT_CHECKED = (
        "JD108",
        "entry-point-not-checked",
        "entry point not checked, or already failing, before a rewrite",
        Severity.INFO,
        Applicability.NONE,
        "fix-imports.md",
    )
    UNPARSABLE_FILE = (
        "JD190",
        "unparsable-file",
        "file unreadable or unparsable",
        Severity.ERROR,
        Applicability.NONE,
        "imports.md",
    )
    CHANGED_WHILE_FIXING = (
        "JD191",
        "changed-while-fixing",
        "file changed on disk while fixing; not written",
        Severity.ERROR,
        Applicability.NONE,
        "fix-imports.md",
    )
    VERIFICATION_FAILED = (
        "JD199",
        "verification-failed",
        "internal error: a rewrite failed verification",
        Severity.ERROR,
        Applicability.NONE,
        "fix-imports.md",
    )
    MODULE_NOT_FOUND = (
        "JD201",
        "module-not-found",
        "module not found at startup",
        Severity.ERROR,
        Applicability.NONE,
        "startup.md",
    )
    NO_PARENT_PACKAGE = (
        "JD202",
        "no-parent-package",
        "relative import with no known parent package",
        Severity.ERROR,
        Applicability.NONE,
        "startup.md",
    )
    BEYOND_TOP_LEVEL = (
        "JD203",
        "beyond-top-level",
        "relative import beyond top-level package",
        Severity.ERROR,
        Applicability.NONE,
        "startup.md",
    )
    SWALLOWED_IMPORT_ERROR = (
        "JD204",
        "swallowed-import-error",
        "failing import swallowed by try/except",
        Severity.WARNING,
        Applicability.NONE,
        "startup.md",
    )
    ENTRY_NOT_FOUND = (
        "JD205",
        "entry-not-found",
        "entry module or app object not found",
        Severity.ERROR,
        Applicability.NONE,
        "startup.md",
    )
    NOT_CHECKED = (
        "JD206",
        "not-checked",
        "part of the start-up not checked",
        Severity.INFO,
        Applicability.NONE,
        "startup.md",
    )
    STATIC_MODEL_MISSED = (
        "JD207",
        "static-model-missed",
        "--run saw what the static model missed",
        Severity.INFO,
        Applicability.NONE,
        "startup.md",
    )
    SERVER_NOT_READY = (
        "JD230",
        "server-not-ready",
        "server never became ready",
        Severity.ERROR,
        Applicability.NONE,
        "serve.md",
    )
    STARTUP_ERROR_LOGGED = (
        "JD231",
        "startup-error-logged",
        "error logged while the server started",
        Severity.WARNING,
        Applicability.NONE,
        "serve.md",
    )
    HEALTH_CHECK_FAILED = (
        "JD232",
        "health-check-failed",
        "health path answered with an error",
        Severity.ERROR,
        Applicability.NONE,
        "serve.md",
    )
    WORKER_DIED = (
        "JD233",
        "worker-died",
        "a server worker died or failed to boot",
        Severity.WARNING,
        Applicability.NONE,
        "serve.md",
    )
    PROCESS_LEFT_BEHIND = (
        "JD234",
        "process-left-behind",
        "server process still running after the stop",
        Severity.ERROR,
        Applicability.NONE,
        "serve.md",
    )
    ROUTE_VANISHED = (
        "JD240",
        "route-vanished",
        "route in the baseline is no longer registered",
        Severity.ERROR,
        Applicability.NONE,
        "serve.md",
    )
    ROUTE_ADDED = (
        "JD241",
        "route-added",
        "route registered that the baseline does not have",
        Severity.INFO,
        Applicability.NONE,
        "serve.md",
    )
    ROUTER_NEVER_INCLUDED = (
        "JD242",
        "router-never-included",
        "router defined but never included",
        Severity.WARNING,
        Applicability.NONE,
        "serve.md",
    )
    ROUTER_INCLUDE_SWALLOWED = (
        "JD243",
        "router-include-swallowed",
        "router include guarded by an except that swallows its failure",
        Severity.ERROR,
        Applicability.NONE,
        "serve.md",
    )
    ROUTES_NOT_LISTED = (
        "JD244",
        "routes-not-listed",
        "routes not listed: the app could not be imported",
        Severity.ERROR,
        Applicability.NONE,
        "serve.md",
    )
    MISSING_VARIABLE = (
        "JD301",
        "missing-variable",
        "missing required variable",
        Severity.ERROR,
        Applicability.NONE,
        "env.md",
    )
    MALFORMED_VALUE = (
        "JD302",
        "malformed-value",
        "malformed value",
        Severity.ERROR,
        Applicability.NONE,
        "env.md",
    )
    PLACEHOLDER_VALUE = (
        "JD303",
        "placeholder-value",
        "placeholder value",
        Severity.ERROR,
        Applicability.NONE,
        "env.md",
    )
    STRAY_CHARACTERS = (
        "JD304",
        "stray-characters",
        "stray quotes, whitespace or invisible characters",
        Severity.WARNING,
        Applicability.NONE,
        "env.md",
    )
    SHADOWED_BY_ENVIRONMENT = (
        "JD305",
        "shadowed-by-environment",
        ".env value shadowed by the real environment",
        Severity.INFO,
        Applicability.NONE,
        "env.md",
    )
    DOTENV_SYNTAX = (
        "JD306",
        "dotenv-syntax",
        ".env syntax problem",
        Severity.WARNING,
        Applicability.NONE,
        "env.md",
    )
    DOTENV_TRACKED = (
        "JD307",
        "dotenv-tracked",
        ".env tracked by git or not ignored",
        Severity.WARNING,
        Applicability.NONE,
        "env.md",
    )
    CLIENT_EXPOSED_SECRET = (
        "JD308",
        "client-exposed-secret",
        "secret in a client-exposed variable",
        Severity.ERROR,
        Applicability.NONE,
        "env.md",
    )
    UNDECLARED_VARIABLE = (
        "JD309",
        "undeclared-variable",
        "variable read by the code but declared nowhere",
        Severity.INFO,
        Applicability.NONE,
        "env.md",
    )
    UNUSED_VARIABLE = (
        "JD310",
        "unused-variable",
        "variable declared but never read by the code",
        Severity.INFO,
        Applicability.NONE,
        "env.md",
    )
    DB_NOT_READY = (
        "JD401",
        "db-not-ready",
        "database not ready by the deadline",
        Severity.ERROR,
        Applicability.NONE,
        "db.md",
    )
    DB_AUTH_FAILED = (
        "JD402",
        "db-auth-failed",
        "authentication failed",
        Severity.ERROR,
        Applicability.NONE,
        "db.md",
    )
    DB_MISSING_DATABASE = (
        "JD403",
        "db-missing-database",
        "database does not exist",
        Severity.ERROR,
        Applicability.NONE,
        "db.md",
    )
    DB_UNREACHABLE = (
        "JD404",
        "db-unreachable",
        "host unknown or network unreachable",
        Severity.ERROR,
        Applicability.NONE,
        "db.md",
    )
    DB_POOLER_ADVICE = (
        "JD405",
        "db-pooler-advice",
        "pooler configuration advice",
        Severity.INFO,
        Applicability.NONE,
        "db.md",
    )
    DB_IN_RECOVERY = (
        "JD406",
        "db-in-recovery",
        "server in recovery / read-only",
        Severity.WARNING,
        Applicability.NONE,
        "db.md",
    )
    DB_URL_ADJUSTED = (
        "JD407",
        "db-url-adjusted",
        "connection URL adjusted for libpq (driver suffix)",
        Severity.INFO,
        Applicability.NONE,
        "db.md",
    )
    DB_OUTAGE = (
        "JD408",
        "db-outage",
        "database outage while watching",
        Severity.ERROR,
        Applicability.NONE,
        "db.md",
    )
    DB_CAPACITY = (
        "JD409",
        "db-capacity",
        "connection pools do not fit the free connection slots",
        Severity.WARNING,
        Applicability.NONE,
        "db.md",
    )
    DB_MIGRATIONS_PENDING = (
        "JD410",
        "db-migrations-pending",
        "migrations pending (database behind the code)",
        Severity.WARNING,
        Applicability.NONE,
        "db.md",
    )
    DB_MIGRATION_UNKNOWN = (
        "JD411",
        "db-migration-unknown",
        "database at a revision the code does not know",
        Severity.ERROR,
        Applicability.NONE,
        "db.md",
    )
    DB_MIGRATION_HEADS = (
        "JD412",
        "db-migration-heads",
        "several migration heads",
        Severity.WARNING,
        Applicability.NONE,
        "db.md",
    )

    def __init__(
        self,
        code: str,
        slug: str,
        title: str,
        severity: Severity,
        fix: Applicability,
        doc: str,
    ) -> None:
        self.code = code
        self.slug = slug
        self.title = title
        self.severity = severity
        self.fix = fix
        self.doc = doc

    @property
    def doc_anchor(self) -> str:
        """Where the rule is explained, relative to the repository: ``docs/imports.md#jd101``."""
        return f"docs/{self.doc}#{self.code.lower()}"

    @classmethod
    def from_code(cls, code: str) -> Rule | None:
        """The rule for ``JD101`` (as written in a ``# noqa``), or ``None``."""
        return _BY_CODE.get(code.upper())

    def __str__(self) -> str:
        return self.code


_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in Rule}
