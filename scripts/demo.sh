#!/usr/bin/env bash
# Install jyoti-doctor into .venv and run it on the bundled fixture project, which reproduces the
# motivating failures on purpose (absolute self-imports, a broken .env, no database).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required" >&2; exit 2; }
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
set +e
.venv/bin/jyoti-doctor doctor fixtures/jyotiflow "$@"
status=$?
set -e
case "$status" in
    0|1|2|3|4) echo "demo: doctor exited with $status: the fixture is broken on purpose; the summary above says what it found and what it could not check." >&2; exit 0 ;;
    *) exit "$status" ;;
esac
