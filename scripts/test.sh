#!/usr/bin/env bash
# The whole test suite: scripts/test.sh [pytest arguments...]
#
# On PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set; otherwise SQLite and the embedded Celery mode.
# (Under pytest the settings supply a test SECRET_KEY and SECURE_SSL_REDIRECT=0 when those are unset.)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --browser

PY=.venv/bin/python

if [[ -n ${DATABASE_URL:-} ]]; then db="PostgreSQL (DATABASE_URL)"; else db="SQLite"; fi
if [[ -n ${REDIS_URL:-} ]]; then broker="Redis (REDIS_URL)"; else broker="embedded"; fi
echo "==> pytest on $db, Celery broker $broker${CI:+, CI=$CI}"

status=0
"$PY" -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "test.sh: pytest collected no tests (exit code 5); that is a failure, not a pass." >&2
    echo "         Check the arguments ($*) and that tests/ holds test_*.py files." >&2
fi
exit "$status"
