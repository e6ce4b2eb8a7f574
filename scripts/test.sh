#!/usr/bin/env bash
# Install everything the test suite needs and run it: PostgreSQL and PgBouncer (Debian packages,
# when missing and we may install them), the project with its test extras in .venv, then pytest.
# pytest's exit code 5 (no tests collected) is a failure here, not a pass.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need_apt+=(pgbouncer)
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "missing system packages: ${need_apt[*]} (install them to run the database tests)" >&2
    fi
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required" >&2; exit 2; }
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
set +e
# One worker per core (tests/_end_of_run.py brings their summaries back); extra arguments come
# after, so `-n 0` runs it in one process.
.venv/bin/python -m pytest -n auto "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit "$status"
