"""The modules each launcher has already imported when it imports the application, measured.

A name in here is in ``sys.modules`` before the app's first import, so a project module of
the same name in the start directory is never loaded (a project ``logging.py`` under uvicorn).
Measured by launching a probe application under each launcher (CPython 3.11; uvicorn 0.54,
gunicorn 27.0, hypercorn 0.18, fastapi-cli 0.0.34, flask 3.1, daphne 4.2, waitress 3.0, celery
5.7, django 5.2) and listing the top-level names of ``sys.modules`` as the app module started;
private (``_x``) names are left out: no project names a module that way.
"""

from __future__ import annotations

from ..launch.command import StartCommand
from ..launch.launchers import Launcher


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


PREIMPORTED: dict[str, frozenset[str]] = {
    # uvicorn 0.54.0
    "uvicorn": _names(
        "abc anyio array ast asyncio atexit base64 binascii bisect builtins bz2 calendar click "
        "codecs collections concurrent configparser contextlib contextvars copy copyreg datetime "
        "dis email encodings enum errno fcntl fnmatch functools genericpath gettext heapq http "
        "importlib inspect io ipaddress itertools json keyword linecache locale logging lzma "
        "marshal math multiprocessing ntpath opcode operator os pathlib pickle platform posix "
        "posixpath queue quopri random re reprlib select selectors shlex shutil signal site "
        "socket socketserver ssl stat string struct subprocess sys tempfile textwrap threading "
        "time token tokenize traceback types typing urllib uuid uvicorn warnings watchfiles "
        "weakref zipimport zlib"
    ),
    # uvicorn 0.54.0
    "python -m uvicorn": _names(
        "abc anyio array ast asyncio atexit base64 binascii bisect builtins bz2 calendar click "
        "codecs collections concurrent configparser contextlib contextvars copy copyreg datetime "
        "dis email encodings enum errno fcntl fnmatch functools genericpath gettext heapq http "
        "importlib inspect io ipaddress itertools json keyword linecache locale logging lzma "
        "marshal math multiprocessing ntpath opcode operator os pathlib pickle platform posix "
        "posixpath queue quopri random re reprlib runpy select selectors shlex shutil signal site "
        "socket socketserver ssl stat string struct subprocess sys tempfile textwrap threading "
        "time token tokenize traceback types typing urllib uuid uvicorn warnings watchfiles "
        "weakref zipimport zlib"
    ),
    # gunicorn 27.0.1
    "gunicorn": _names(
        "abc argparse array ast atexit base64 binascii bisect builtins bz2 calendar codecs "
        "collections contextlib copy copyreg csv datetime dis email encodings enum errno fcntl "
        "fnmatch functools genericpath gettext glob grp gunicorn heapq html importlib inspect io "
        "ipaddress itertools json keyword linecache locale logging lzma marshal math ntpath "
        "opcode operator os pathlib pickle platform posix posixpath pwd queue quopri random re "
        "reprlib select selectors shlex shutil signal site socket socketserver ssl stat string "
        "struct sys tempfile textwrap threading time token tokenize traceback types typing urllib "
        "warnings weakref zipfile zipimport zlib"
    ),
    # gunicorn 27.0.1+uvicorn 0.54.0
    "gunicorn -k uvicorn.workers.UvicornWorker": _names(
        "abc anyio argparse array ast asyncio atexit base64 binascii bisect builtins bz2 calendar "
        "click codecs collections concurrent configparser contextlib contextvars copy copyreg csv "
        "datetime dis email encodings enum errno fcntl fnmatch functools genericpath gettext glob "
        "grp gunicorn heapq html http importlib inspect io ipaddress itertools json keyword "
        "linecache locale logging lzma marshal math multiprocessing ntpath opcode operator os "
        "pathlib pickle platform posix posixpath pwd queue quopri random re reprlib select "
        "selectors shlex shutil signal site socket socketserver ssl stat string struct subprocess "
        "sys tempfile textwrap threading time token tokenize traceback types typing urllib uuid "
        "uvicorn warnings watchfiles weakref zipfile zipimport zlib"
    ),
    # hypercorn 0.18.0
    "hypercorn": _names(
        "abc argparse array ast asyncio atexit base64 binascii bisect builtins bz2 codecs "
        "collections concurrent contextlib contextvars copy copyreg dataclasses datetime dis "
        "encodings enum errno fcntl fnmatch functools genericpath gettext h11 h2 hashlib heapq "
        "hpack http hypercorn hyperframe importlib inspect io ipaddress itertools json keyword "
        "linecache locale logging lzma marshal math multiprocessing ntpath opcode operator os "
        "pathlib pickle pkgutil platform posix posixpath priority queue random re reprlib runpy "
        "select selectors shutil signal site socket socketserver ssl stat string struct "
        "subprocess sys tempfile textwrap threading time token tokenize tomllib traceback types "
        "typing urllib warnings weakref wsgiref wsproto zipimport zlib"
    ),
    # fastapi-cli 0.0.34
    "fastapi run": _names(
        "abc annotated_doc annotated_types anyio array ast asyncio atexit attr base64 binascii "
        "bisect builtins bz2 calendar click codecs collections colorsys concurrent configparser "
        "contextlib contextvars copy copyreg csv dataclasses datetime decimal difflib dis email "
        "encodings enum errno fastapi fastapi_cli fcntl fnmatch fractions functools genericpath "
        "gettext hashlib heapq hmac html http importlib inspect io ipaddress itertools json "
        "keyword linecache locale logging lzma marshal math mimetypes multiprocessing ntpath "
        "numbers opcode opentelemetry operator os pathlib pickle platform posix posixpath "
        "pydantic pydantic_core pygments queue quopri random re reprlib rich rich_toolkit secrets "
        "select selectors shellingham shlex shutil signal site socket socketserver ssl starlette "
        "stat string struct subprocess sys sysconfig tempfile termios textwrap threading time "
        "token tokenize tomllib traceback tty typer types typing typing_extensions "
        "typing_inspection ujson unicodedata urllib uuid uvicorn warnings watchfiles weakref "
        "zipfile zipimport zlib zoneinfo"
    ),
    # flask 3.1.3
    "flask run": _names(
        "abc array ast atexit base64 binascii bisect blinker builtins bz2 calendar click codecs "
        "collections contextlib contextvars copy copyreg csv dataclasses datetime decimal difflib "
        "dis dotenv email encodings enum errno flask fnmatch functools genericpath gettext "
        "hashlib heapq hmac html http importlib inspect io ipaddress itertools itsdangerous "
        "jinja2 json keyword linecache locale logging lzma markupsafe marshal math mimetypes "
        "ntpath numbers opcode operator os pathlib pickle pkgutil platform posix posixpath pprint "
        "quopri random re reprlib secrets select selectors shutil site socket socketserver ssl "
        "stat string struct sys tempfile textwrap threading time token tokenize traceback types "
        "typing unicodedata urllib uuid warnings weakref werkzeug zipfile zipimport zlib"
    ),
    # daphne 4.2.3
    "daphne": _names(
        "OpenSSL abc argparse array asgiref ast asyncio atexit attr attrs autobahn base64 "
        "binascii bisect builtins bz2 calendar cbor2 cffi click codecs collections concurrent "
        "constantly contextlib contextvars copy copyreg cryptography ctypes daphne dataclasses "
        "datetime dis email encodings enum errno fcntl fnmatch functools gc genericpath gettext "
        "grp h2 hashlib heapq hmac hpack html http hyperframe hyperlink idna importlib "
        "incremental inspect io ipaddress itertools json keyword linecache locale logging lzma "
        "marshal math ntpath opcode operator os pathlib pickle platform posix posixpath pprint "
        "priority pty pwd pycparser queue quopri random re reprlib select selectors "
        "service_identity shutil signal site socket ssl stat string struct subprocess sys "
        "sysconfig tempfile termios textwrap threading time token tokenize traceback tty twisted "
        "txaio types typing typing_extensions unicodedata urllib uuid warnings weakref zipfile "
        "zipimport zlib zope"
    ),
    # waitress 3.0.2
    "waitress-serve": _names(
        "abc array atexit builtins calendar codecs collections contextlib copyreg datetime "
        "encodings enum errno functools genericpath getopt gettext importlib io ipaddress "
        "itertools keyword linecache locale logging marshal math operator os pkgutil platform "
        "posix posixpath re reprlib select selectors site socket stat string sys textwrap "
        "threading time token tokenize traceback types typing urllib waitress warnings weakref "
        "zipimport"
    ),
    # celery 5.7.0
    "celery worker": _names(
        "abc amqp array ast asyncio atexit base64 billiard binascii bisect builtins bz2 calendar "
        "celery cffi click click_didyoumean click_plugins click_repl codecs collections colorsys "
        "concurrent contextlib contextvars copy copyreg csv cython_runtime dataclasses datetime "
        "dateutil decimal difflib dis django email encodings enum errno fcntl fileinput fnmatch "
        "functools genericpath gettext glob grp hashlib heapq hmac html importlib inspect io "
        "ipaddress itertools json keyword kombu linecache locale logging lzma marshal math "
        "msgpack multiprocessing ntpath numbers opcode operator os pathlib pickle platform posix "
        "posixpath pprint prompt_toolkit pwd pyexpat pygments queue quopri random re reprlib "
        "resource secrets select selectors shelve shlex shutil signal site six socket ssl stat "
        "string struct subprocess sys sysconfig tempfile textwrap threading time token tokenize "
        "traceback types typing typing_extensions tzlocal urllib uuid vine warnings wcwidth "
        "weakref xml yaml zipfile zipimport zlib zoneinfo"
    ),
    # n/a
    "python file.py": _names(
        "abc builtins codecs encodings genericpath io marshal os posix posixpath site stat sys "
        "time zipimport"
    ),
    # n/a
    "python -m": _names(
        "abc builtins codecs collections contextlib encodings functools genericpath importlib io "
        "itertools keyword marshal operator os posix posixpath reprlib runpy site stat sys time "
        "types warnings zipimport"
    ),
    # django 5.2.19
    "manage.py runserver": _names(
        "abc argparse array asgiref ast asyncio atexit base64 binascii bisect builtins bz2 codecs "
        "collections concurrent contextlib contextvars copy copyreg datetime decimal difflib dis "
        "django encodings enum errno fcntl fnmatch functools genericpath gettext glob hashlib "
        "heapq importlib inspect io ipaddress itertools keyword linecache locale logging lzma "
        "marshal math ntpath numbers opcode operator os pathlib pickle pkgutil posix posixpath "
        "queue random re reprlib select selectors shutil signal site socket ssl stat string "
        "struct subprocess sys tempfile termios textwrap threading time token tokenize traceback "
        "types typing urllib warnings weakref zipimport zlib"
    ),
}


def preimported(cmd: StartCommand) -> frozenset[str]:
    """What ``cmd``'s launcher has in ``sys.modules`` when it imports the app (measured)."""
    if cmd.launcher is Launcher.SCRIPT:
        return PREIMPORTED["python file.py"]
    if cmd.launcher is Launcher.MODULE:
        return PREIMPORTED["python -m"]
    if cmd.launcher is Launcher.UVICORN:
        return PREIMPORTED["python -m uvicorn" if cmd.python_m else "uvicorn"]
    if cmd.launcher is Launcher.GUNICORN:
        worker = _option(cmd.argv, "-k", "--worker-class") or ""
        return PREIMPORTED[
            "gunicorn -k uvicorn.workers.UvicornWorker" if "uvicorn" in worker else "gunicorn"
        ]
    if cmd.launcher is Launcher.HYPERCORN:
        return PREIMPORTED["hypercorn"]
    if cmd.launcher is Launcher.FASTAPI:
        return PREIMPORTED["fastapi run"]
    if cmd.launcher is Launcher.DAPHNE:
        return PREIMPORTED["daphne"]
    if cmd.launcher is Launcher.WAITRESS:
        return PREIMPORTED["waitress-serve"]
    if cmd.launcher is Launcher.FLASK:
        return PREIMPORTED["flask run"]
    if cmd.launcher is Launcher.CELERY:
        return PREIMPORTED["celery worker"]
    return PREIMPORTED["python -m"]


def _option(argv: tuple[str, ...], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
            short = not name.startswith("--")
            if short and arg.startswith(name) and len(arg) > len(name):
                return arg[len(name) :]
    return None
