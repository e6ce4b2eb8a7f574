"""check-startup: the motivating diagnosis on the bundled fixture, CPython's resolution rules,
handlers and their log messages, recommendations, --run, and the CLI."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jyoti_doctor.cli import app
from jyoti_doctor.config import Settings, Style
from jyoti_doctor.errors import UsageError
from jyoti_doctor.findings import ExitCode, Report, Severity
from jyoti_doctor.report.json import report_to_dict
from jyoti_doctor.startup.check import check_startup

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

JYOTIFLOW = FIXTURES / "jyotiflow"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def check(root: Path, config: Settings | None = None, **kwargs: Any) -> Report:
    """The report as every output format renders it."""
    return check_startup(root, config or Settings(), **kwargs).to_report()


def prediction(root: Path, command: str, **kwargs: Any) -> dict[str, Any]:
    """The prediction as the JSON document carries it."""
    doc = report_to_dict(check(root, command=command, **kwargs))
    return doc["details"]["prediction"]  # type: ignore[no-any-return]


def test_jyotiflow_motivating_diagnosis() -> None:
    # A known environment (this interpreter: no package named `routers` or `backend` installed),
    # so the alternative launch's root-style imports are predicted, not left unchecked.
    report = check(JYOTIFLOW, python=sys.executable)
    assert report.summary["from"] == "Procfile:1 (web)"
    assert report.summary["predicted"] == "starts, 3 import(s) swallowed"
    swallowed = [f for f in report.findings if f.code == "JD204"]
    assert len(swallowed) == 3
    missing = next(f for f in swallowed if "missing_endpoints" in f.message)
    assert missing.location is not None
    assert missing.location.path.endswith("backend/missing_endpoints.py")
    assert missing.location.line == 3
    assert missing.source == "from backend.deps import get_db"
    assert "(main → missing_endpoints → backend.deps)" in missing.message
    assert "it logs \"Failed to register missing endpoints: No module named 'backend'\"" in (
        missing.message
    )
    routers = next(f for f in swallowed if "routers.health" in f.message)
    assert "Failed to register core routers: No module named 'backend'" in routers.message
    # Not reached today, but waiting once health.py is fixed: the relative import beyond the
    # top-level package `routers`.
    assert any(
        f.code == "JD203" and f.location and f.location.path.endswith("spiritual.py")
        for f in report.findings
    )
    assert report.exit_code() is ExitCode.FINDINGS
    assert report.details["recommended_command"] == (
        f"jyoti-doctor fix-imports --style root --write {report.details['recommended_command'].split()[-1]}"
    )
    assert report.text is not None
    assert "uvicorn backend.main:app --host 0.0.0.0 --port $PORT" in report.text
    assert (
        "from routers import health, spiritual → ModuleNotFoundError: No module named 'routers'"
        in (report.text)
    )


def test_jyotiflow_run_observes_what_was_predicted(tmp_path: Path) -> None:
    # A copy: the real launch writes bytecode, and other tests copy the fixture meanwhile.
    project = tmp_path / "jyotiflow"
    shutil.copytree(JYOTIFLOW, project)
    report = check(project, run=True, timeout=30)
    rows = {
        row[0]: row
        for section in report.sections
        if section.title.startswith("Observed")
        for row in section.rows
    }
    assert rows["start-up"][1:] == ("imports", "imports", "✓")
    logged = [row for key, row in rows.items() if key.startswith("logged by")]
    assert len(logged) == 3 and all(row[2:] == ("logged", "✓") for row in logged)
    assert report.summary["observed"] == "imported"
    # The fixture's .env holds a database password: never in the report.
    assert "p@ss#word1" not in json.dumps(report.details, default=str)


def test_run_reports_an_unpredicted_failure(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"main.py": "import os\nSECRET = os.environ['API_TOKEN']\napp = 1\n", ".env": "OTHER=1\n"},
    )
    report = check(tmp_path, command="uvicorn main:app", run=True)
    assert report.summary["observed"] == "failed"
    observed = [f for f in report.findings if "observed with --run" in f.message]
    assert observed and observed[0].code == "JD205"
    assert "KeyError" in observed[0].message


def test_run_starts_with_the_launchers_environment_not_the_dotenv(tmp_path: Path) -> None:
    """uvicorn does not read .env by itself: --run must not either, or it hides the KeyError
    the real start-up meets. With --env-file it does, and the values stay masked."""
    write(
        tmp_path,
        {
            "main.py": "import os, logging\nlogging.error('token is ' + os.environ['API_TOKEN'])\n"
            "app = 1\n",
            ".env": "API_TOKEN=tok_abcdefghijklmnopqrstuvwxyz\n",
        },
    )
    plain = check(tmp_path, command="uvicorn main:app", run=True)
    assert plain.summary["observed"] == "failed"
    assert any("KeyError" in f.message and f.code == "JD205" for f in plain.findings)
    report = check(tmp_path, command="uvicorn main:app --env-file .env", run=True)
    assert report.summary["observed"] == "imported"
    dumped = json.dumps(report.details) + "".join(
        r for s in report.sections for row in s.rows for r in row
    )
    assert "tok_abcdefghijklmnopqrstuvwxyz" not in dumped
    assert "token is ********" in dumped


def test_namespace_portion_loses_to_a_regular_package_later_on_the_path(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/shared/x.py": "",  # namespace portion, first on sys.path
            "b/shared/__init__.py": "",  # regular package, later: it wins
            "b/shared/y.py": "",
            "a/main.py": "from shared import y\nimport shared.x\napp = 1\n",
        },
    )
    p = prediction(tmp_path, "cd a && PYTHONPATH=../b uvicorn main:app")
    assert p["fatal"]["message"] == "No module named 'shared.x'"
    assert p["fatal"]["chain"] == ["main", "shared.x"]


def test_namespace_portions_merge(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"a/ns/x.py": "", "b/ns/y.py": "", "a/main.py": "import ns.x\nimport ns.y\napp = 1\n"},
    )
    assert prediction(tmp_path, "cd a && PYTHONPATH=../b uvicorn main:app")["fatal"] is None


def test_module_is_not_a_package(tmp_path: Path) -> None:
    write(tmp_path, {"deps.py": "", "main.py": "import deps.sub\napp = 1\n"})
    assert prediction(tmp_path, "uvicorn main:app")["fatal"]["message"] == (
        "No module named 'deps.sub'; 'deps' is not a package"
    )


def test_cannot_import_name_from_package_and_from_namespace(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "X = 1\n",
            "ns/a.py": "",
            "main.py": "from pkg import X, sub\napp = 1\n",
        },
    )
    fatal = prediction(tmp_path, "uvicorn main:app")["fatal"]
    assert (
        fatal["message"]
        == f"cannot import name 'sub' from 'pkg' ({tmp_path / 'pkg' / '__init__.py'})"
    )
    write(tmp_path, {"main.py": "from ns import b\napp = 1\n"})
    fatal = prediction(tmp_path, "uvicorn main:app")["fatal"]
    assert fatal["message"] == "cannot import name 'b' from 'ns' (unknown location)"


def test_type_checking_and_main_guard_and_functions(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import backend.deps\n"
                "def handler():\n    import backend.deps\n"
                "if __name__ == '__main__':\n    import backend.cli\n"
                "app = 1\n"
            )
        },
    )
    write(tmp_path, {"backend/__init__.py": ""})
    p = prediction(tmp_path / "backend", "uvicorn main:app --app-dir ..")
    assert p["fatal"] is None
    # The import inside the function fails when it is called: reported, but not as start-up.
    assert [f["statement"] for f in p["latent"]] == ["import backend.deps"]
    script = prediction(tmp_path, "python main.py")
    assert script["fatal"]["message"] == "No module named 'backend.cli'"


@pytest.mark.parametrize(
    ("clause", "caught"),
    [
        ("except ImportError", True),
        ("except ModuleNotFoundError", False),
        ("except (ValueError, ImportError)", True),
        ("except Exception", True),
        ("except BaseException", True),
        ("except", True),
        ("except KeyError", False),
    ],
)
def test_which_handlers_catch_a_relative_import_error(
    tmp_path: Path, clause: str, caught: bool
) -> None:
    write(tmp_path, {"main.py": f"try:\n    from .deps import x\n{clause}:\n    pass\napp = 1\n"})
    p = prediction(tmp_path, "uvicorn main:app")
    assert (p["fatal"] is None) is caught
    assert len(p["swallowed"]) == int(caught)


@pytest.mark.parametrize(
    ("handler", "logged"),
    [
        ("logger.error(f'Failed: {e}')", "Failed: No module named 'backend'"),
        ("logger.warning('Failed: %s', e)", "Failed: No module named 'backend'"),
        ("logging.exception('Failed: ' + str(e))", "Failed: No module named 'backend'"),
        ("print('Failed: {}'.format(e))", "Failed: No module named 'backend'"),
        (
            "logger.error(f'{type(e).__name__}: {e!r}')",
            "ModuleNotFoundError: ModuleNotFoundError(\"No module named 'backend'\")",
        ),
        ("logger.error(f'missing {e.name}')", "missing backend"),
    ],
)
def test_handler_log_messages_are_rendered(tmp_path: Path, handler: str, logged: str) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/main.py": (
                "import logging\nlogger = logging.getLogger(__name__)\n"
                f"try:\n    from backend.deps import x\nexcept Exception as e:\n    {handler}\napp = 1\n"
            ),
        },
    )
    p = prediction(tmp_path, "cd backend && uvicorn main:app")
    assert p["swallowed"][0]["logged"] == [logged]


def test_bare_raise_in_handler_propagates(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/main.py": (
                "try:\n    import backend.deps\nexcept ImportError:\n    print('no')\n    raise\napp = 1\n"
            ),
        },
    )
    fatal = prediction(tmp_path, "cd backend && uvicorn main:app")["fatal"]
    assert fatal["message"] == "No module named 'backend'"


def test_unknown_top_level_names_are_not_checked_without_an_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    write(tmp_path, {"main.py": "import fastapi_not_here\nimport json\napp = 1\n"})
    report = check(tmp_path, command="uvicorn main:app")
    p = report_to_dict(report)["details"]["prediction"]
    assert p["fatal"] is None
    assert p["stdlib"] == ["json"]
    assert p["not_checked"] == ["fastapi_not_here"]
    assert report.exit_code() is ExitCode.OK
    (info,) = [f for f in report.findings if f.code == "JD206"]
    assert info.severity is Severity.INFO
    assert "1 third-party module(s) not checked: no environment found" in info.message


def test_a_known_environment_decides_third_party_names(tmp_path: Path) -> None:
    """This interpreter as the project's: what it has installed starts, what it lacks fails."""
    write(tmp_path, {"main.py": "import typer\nimport fastapi_not_here\napp = 1\n"})
    p = prediction(tmp_path, "uvicorn main:app", python=sys.executable)
    assert p["installed"] == ["typer"]
    assert p["fatal"]["message"] == "No module named 'fastapi_not_here'"


def test_an_absolute_import_never_resolves_into_a_sibling_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`import jwt` next to app/services/jwt.py is PyJWT (declared), not the sibling; and
    `import django` is never config/django/. Python 3 has no implicit relative imports."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    write(
        tmp_path,
        {
            "requirements.txt": "PyJWT==2.8\nDjango>=5\n",
            "app/__init__.py": "",
            "app/main.py": "from app.services import auth\nimport django\napp = 1\n",
            "app/services/__init__.py": "",
            "app/services/auth.py": "import jwt\n",
            "app/services/jwt.py": "SECRET = 1\n",
            "config/__init__.py": "",
            "config/django/__init__.py": "",
        },
    )
    report = check(tmp_path, command="uvicorn app.main:app")
    p = report_to_dict(report)["details"]["prediction"]
    assert p["fatal"] is None and p["latent"] == []
    assert sorted(p["not_checked"]) == ["django", "jwt"]
    assert report.exit_code() is ExitCode.OK
    # With an environment that lacks them, they are missing — from the environment, not the
    # project: the walk never entered app/services/jwt.py as `jwt`.
    known = prediction(tmp_path, "uvicorn app.main:app", python=sys.executable)
    assert known["fatal"]["message"] == "No module named 'jwt'"
    assert "jwt" not in known["executed"]


@pytest.mark.parametrize(
    ("command", "module"),
    [
        ("python -m pip --version", "pip"),
        ("python -m http.server", "http.server"),
        ("python -m json.tool data.json", "json.tool"),
    ],
)
def test_python_m_of_an_environment_module_is_not_a_missing_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, module: str
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    write(tmp_path, {"app.py": "app = 1\n"})
    report = check(tmp_path, command=command)
    assert report.exit_code() is ExitCode.OK, report.findings
    notes = [f.message for f in report.findings if f.code == "JD206"]
    assert any(f"`python -m {module}` runs" in n for n in notes)


def test_syntax_error_on_the_start_up_path(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "import broken\napp = 1\n", "broken.py": "def (:\n"})
    fatal = prediction(tmp_path, "uvicorn main:app")["fatal"]
    assert (fatal["code"], fatal["exception"]) == ("JD190", "SyntaxError")


def test_app_attribute_assigned_only_in_a_function_is_not_found(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "def create():\n    app = 1\n    return app\n"})
    report = check(tmp_path, command="gunicorn main:app")
    assert [f.code for f in report.findings] == ["JD205"]
    assert "Failed to find attribute 'app' in 'main'." in report.findings[0].message


def test_clean_package_launch_has_no_findings_and_no_recommendation(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/deps.py": "x = 1\n",
            "backend/main.py": "from .deps import x\nfrom backend.deps import x as y\napp = 1\n",
        },
    )
    report = check(tmp_path, command="uvicorn backend.main:app")
    assert report.findings == ()
    assert report.text is None
    assert report.exit_code() is ExitCode.OK


def test_style_that_cannot_work_is_warned(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/deps.py": "x = 1\n",
            "backend/main.py": "from deps import x\napp = 1\n",
        },
    )
    report = check(tmp_path, command="cd backend && uvicorn main:app", style=Style.RELATIVE)
    warning = [f for f in report.findings if f.severity is Severity.WARNING]
    assert len(warning) == 1
    assert "'relative' cannot work with this start command" in warning[0].message
    report = check(tmp_path, Settings(style=Style.ROOT), command="cd backend && uvicorn main:app")
    assert report.findings == ()
    report = check(tmp_path, Settings(style=Style.ROOT), command="uvicorn backend.main:app")
    assert any("'root' cannot work" in f.message for f in report.findings)


def test_unknown_style_and_missing_start_command_are_usage_errors(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "main.py").write_text("app = 1\n")
    bad = runner.invoke(
        app, ["check-startup", "uvicorn main:app", "--project", str(tmp_path), "--style", "dotted"]
    )
    assert bad.exit_code == 2
    assert "dotted" in bad.output
    with pytest.raises(UsageError, match="no start command given"):
        check_startup(tmp_path, Settings())


def test_cli_exit_codes_and_json(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-startup", "--project", str(JYOTIFLOW), "--format", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["command"] == "check-startup"
    assert {f["code"] for f in doc["findings"]} >= {"JD204", "JD203"}
    assert doc["details"]["prediction"]["swallowed"][1]["chain"] == [
        "main",
        "missing_endpoints",
        "backend.deps",
    ]
    write(tmp_path, {"main.py": "app = 1\n"})
    ok = runner.invoke(app, ["check-startup", "uvicorn main:app", "--project", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["check-startup", "node server.js", "--project", str(tmp_path)])
    assert bad.exit_code == 2
    assert "not one jyoti-doctor understands" in bad.output
    gh = runner.invoke(app, ["check-startup", "--project", str(JYOTIFLOW), "--format", "github"])
    assert "::warning file=" in gh.stdout and "title=jyoti-doctor (JD204)" in gh.stdout


def test_one_tree_walk_and_one_parse_per_file_for_all_predictions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start command's prediction and each alternative the recommendation checks share
    the project's file index and parsed files."""
    import ast

    from jyoti_doctor.startup.finder import ProjectIndex

    walks: list[Path] = []
    parses: list[str] = []
    real_walk, real_parse = ProjectIndex.of.__func__, ast.parse  # type: ignore[attr-defined]

    def walk(cls: type[ProjectIndex], project_dir: Path) -> ProjectIndex:
        walks.append(project_dir)
        return real_walk(cls, project_dir)  # type: ignore[no-any-return]

    def parse(source: object, filename: str = "<unknown>", *args: object, **kw: object) -> object:
        parses.append(filename)
        return real_parse(source, filename, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(ProjectIndex, "of", classmethod(walk))
    monkeypatch.setattr(ast, "parse", parse)
    report = check(JYOTIFLOW, python=sys.executable)
    # Both alternatives were predicted (Option 1 and Option 2 carry a verdict each).
    assert report.text is not None and report.text.count("predicted: ") == 2
    assert len(walks) == 1
    main = str(JYOTIFLOW / "backend" / "main.py")
    assert parses.count(main) == 1
    assert len(parses) == len(set(parses))


def test_recommended_command_for_a_package_launch_is_the_relative_rewrite(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/deps.py": "x = 1\n",
            "backend/main.py": "from deps import x\napp = object()\n",
        },
    )
    report = check(tmp_path, command="uvicorn backend.main:app")
    command = report.details["recommended_command"]
    assert isinstance(command, str)
    assert command.startswith("jyoti-doctor fix-imports --style relative --write ")
    assert command.endswith("backend/")
    assert report.text is not None and f"    {command}\n" in report.text


def test_missing_start_command_is_its_own_usage_error(tmp_path: Path) -> None:
    from jyoti_doctor.startup.check import NoStartCommand

    with pytest.raises(NoStartCommand) as caught:
        check_startup(tmp_path, Settings())
    assert isinstance(caught.value, UsageError)  # exit 2 on the command line


def test_project_names_skip_the_shared_excludes(tmp_path: Path) -> None:
    from jyoti_doctor.startup.finder import project_module_names

    write(
        tmp_path,
        {
            "backend/deps.py": "",
            "env/lib/python3.11/site-packages/dotenv/__init__.py": "",
            "__pypackages__/3.11/lib/requests/__init__.py": "",
            "backend.egg-info/top_level.py": "",
            "node_modules/left_pad.py": "",
        },
    )
    assert project_module_names(tmp_path) == {"backend", "deps"}


def test_run_overrules_a_predicted_import_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app puts its own directory on sys.path: the static model predicts the root-style
    `import helper` fails under a package launch, the real import works. No error remains; the
    disagreement says what the model missed."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/main.py": "import os, sys\n"
            "sys.path.insert(0, os.path.dirname(__file__))\n"
            "import helper\napp = helper.make()\n",
            "backend/helper.py": "def make():\n    return 1\n",
        },
    )
    static = check(tmp_path, command="uvicorn backend.main:app")
    assert [f.code for f in static.findings if f.counts] == ["JD201"]
    report = check(tmp_path, command="uvicorn backend.main:app", run=True)
    assert report.summary["observed"] == "imported"
    assert report.exit_code() is ExitCode.OK
    (missed,) = [f for f in report.findings if f.code == "JD207"]
    assert missed.severity is Severity.INFO
    assert "the static model predicted ModuleNotFoundError: No module named 'helper'" in (
        missed.message
    )
    assert "`helper` is importable: the real import loaded it from " in missed.message
    assert missed.message.endswith("backend/helper.py")


def test_run_timeout_is_inconclusive_not_an_app_error(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "import time\ntime.sleep(30)\napp = 1\n"})
    report = check(tmp_path, command="uvicorn main:app", run=True, timeout=0.5)
    assert report.summary["observed"] == "timeout"
    assert report.exit_code() is ExitCode.OK
    (info,) = [f for f in report.findings if f.code == "JD206"]
    assert "--run was inconclusive" in info.message


def test_launcher_preimports_shadow_a_project_module(tmp_path: Path) -> None:
    """uvicorn has imported the standard library's logging before the app: a project
    logging.py in the start directory is never loaded. `python main.py` has not: it is."""
    write(
        tmp_path,
        {
            "logging.py": "import jd_not_installed_pkg\nraise RuntimeError('project logging ran')\n",
            "main.py": "import logging\nlog = logging.getLogger('x')\napp = 1\n",
        },
    )
    report = check(tmp_path, command="uvicorn main:app", run=True)
    p = report_to_dict(report)["details"]["prediction"]
    assert p["fatal"] is None and "logging" in p["stdlib"]
    assert report.summary["observed"] == "imported"
    assert any("the project's logging" in f.message for f in report.findings)
    assert report.exit_code() is ExitCode.OK  # the shadowed file's imports are never judged
    script = check(tmp_path, command="python main.py", run=True, python=sys.executable)
    assert script.summary["observed"] == "failed"
    assert (
        script.summary["predicted"]
        == "fails: ModuleNotFoundError: No module named 'jd_not_installed_pkg'"
    )


def test_python_option_is_resolved_where_the_command_runs(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"proj/main.py": "import typer\napp = 1\n"})
    venv_bin = Path(sys.executable).parent
    monkeypatch.chdir(venv_bin.parent)
    ok = runner.invoke(
        app,
        [
            "check-startup",
            "uvicorn main:app",
            "--project",
            str(tmp_path / "proj"),
            "--python",
            f"bin/{Path(sys.executable).name}",
            "--format",
            "json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["details"]["prediction"]["installed"] == ["typer"]
    bad = runner.invoke(
        app,
        [
            "check-startup",
            "uvicorn main:app",
            "--project",
            str(tmp_path / "proj"),
            "--python",
            "no/such/python",
        ],
    )
    assert bad.exit_code == 2
    assert "--python no/such/python: no executable interpreter" in bad.output


def test_every_python_command_of_a_chain_is_a_launch(tmp_path: Path) -> None:
    """`python manage.py check && gunicorn …`: the check imports the URLconf and fails, so the
    chain stops before the server starts, though the server alone would start."""
    from tests.startup.test_accuracy import django_project

    write(tmp_path, django_project(urls="from mysite import views\n"))
    alone = check(tmp_path, command="gunicorn mysite.asgi:application", python=sys.executable)
    assert alone.exit_code() is ExitCode.OK
    chained = check(
        tmp_path,
        command="python manage.py check && gunicorn mysite.asgi:application",
        python=sys.executable,
    )
    (first,) = [f for f in chained.findings if "runs before the launch" in f.message]
    assert first.code == "JD201"
    assert "`python manage.py check` runs before the launch" in first.message
    assert "ImportError: cannot import name 'views' from 'mysite'" in first.message
    assert chained.exit_code() is ExitCode.FINDINGS


def test_recommended_commands_are_shell_quoted(tmp_path: Path) -> None:
    root = tmp_path / "my proj"
    write(
        root,
        {
            "backend/__init__.py": "",
            "backend/deps.py": "x = 1\n",
            "backend/main.py": "from deps import x\napp = object()\n",
        },
    )
    command = check(root, command="uvicorn backend.main:app").details["recommended_command"]
    assert isinstance(command, str)
    assert command.endswith("'" + str(root / "backend") + "/'")


def test_a_transitive_dependency_named_like_a_project_module_is_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """app/config.py imports pydantic (installed with fastapi, not declared itself); the project
    has app/models/pydantic.py. Without an environment: not checked, never missing."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    write(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "app/__init__.py": "",
            "app/main.py": "from app import config\napp = 1\n",
            "app/config.py": "from pydantic import BaseModel\n",
            "app/models/__init__.py": "",
            "app/models/pydantic.py": "from pydantic import BaseModel\n",
            "app/models/user.py": "from app.models import pydantic\n",
        },
    )
    (tmp_path / "app" / "main.py").write_text(
        "from app import config\nfrom app.models import user\napp = 1\n"
    )
    report = check(tmp_path, command="uvicorn app.main:app")
    assert report.exit_code() is ExitCode.OK, report.findings
    assert report_to_dict(report)["details"]["prediction"]["not_checked"] == ["pydantic"]


def test_an_optional_package_imported_inside_a_function_is_info(tmp_path: Path) -> None:
    """A dev tool imported where it is used (`import debug_toolbar` inside a function), absent
    from the production environment: said, not counted, no recommendation."""
    write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/main.py": "from .urls import extra\napp = 1\n",
            "backend/urls.py": "def extra():\n    import jd_debug_toolbar_pkg\n    return []\n",
        },
    )
    report = check(tmp_path, command="uvicorn backend.main:app", python=sys.executable)
    (info,) = report.findings
    assert (info.code, info.severity) == ("JD201", Severity.INFO)
    assert "an optional dependency imported where it is used?" in info.message
    assert report.exit_code() is ExitCode.OK and report.text is None


def test_an_optional_package_in_try_except_import_error_is_info(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": "try:\n    import jd_sentry_like_pkg\nexcept ImportError:\n"
            "    jd_sentry_like_pkg = None\napp = 1\n",
        },
    )
    report = check(tmp_path, command="uvicorn main:app", python=sys.executable)
    (info,) = report.findings
    assert (info.code, info.severity) == ("JD204", Severity.INFO)
    assert "an optional package; not installed in " in info.message
    assert report.summary["predicted"] == "starts"
    assert report.exit_code() is ExitCode.OK


def test_an_import_chain_deeper_than_the_walk_is_not_checked(tmp_path: Path) -> None:
    files = {f"m{i}.py": f"import m{i + 1}\n" for i in range(300)}
    files["m300.py"] = "x = 1\n"
    files["main.py"] = "import m0\napp = 1\n"
    write(tmp_path, files)
    report = check(tmp_path, command="uvicorn main:app")
    assert report.summary["predicted"] == (
        "not checked: the import chain is too deep to be modelled (RecursionError)"
    )
    assert report.exit_code() is ExitCode.OK
    assert [f.code for f in report.findings] == ["JD206"]
