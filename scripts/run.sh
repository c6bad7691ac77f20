#!/usr/bin/env bash
# The embedded default: SQLite under var/, no Redis (Celery on kombu's filesystem transport), demo data, one
# Celery worker with embedded beat in the background and Django's runserver in the foreground.
#
# Environment: PORT (default 8000); DEBUG and SECURE_SSL_REDIRECT default to 1 and 0 here; DATABASE_URL and
# REDIS_URL are honoured when set (see README, "Configuration").
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

export DEBUG=${DEBUG:-1}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0}
PORT=${PORT:-8000}
PY=.venv/bin/python
CELERY_LOG=var/log/celery.log

is_true() {
    local word=${1,,}
    word=${word//[[:space:]]/}
    [[ $word == 1 || $word == true || $word == yes || $word == on ]]
}

if [[ -n ${DATABASE_URL:-} ]]; then db="DATABASE_URL"; else db="SQLite, var/db.sqlite3"; fi
if [[ -n ${REDIS_URL:-} ]]; then broker="Redis (REDIS_URL)"; else broker="embedded, filesystem transport under var/celery"; fi
echo "==> database: $db; Celery broker: $broker"

echo "==> migrate"
"$PY" manage.py migrate --noinput
echo "==> demo data"
"$PY" manage.py seed_demo
if ! is_true "$DEBUG"; then
    echo "==> collectstatic (DEBUG is off)"
    "$PY" manage.py collectstatic --noinput
fi

celery_pid=""
stop_celery() {
    [[ -n $celery_pid ]] || return 0
    if kill -0 "$celery_pid" 2>/dev/null; then
        echo "==> stopping the Celery worker (pid $celery_pid)"
        kill -TERM "$celery_pid" 2>/dev/null || true
        # A warm shutdown lets running tasks finish; do not wait for ever.
        for _ in $(seq 1 20); do
            kill -0 "$celery_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$celery_pid" 2>/dev/null || true
    fi
    wait "$celery_pid" 2>/dev/null || true
    celery_pid=""
}
# runserver stays in the foreground (Ctrl-C, breakpoint()); these run once it has stopped.
trap stop_celery EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "==> Celery worker with embedded beat (log: $CELERY_LOG)"
.venv/bin/celery -A clinic worker --beat --loglevel=INFO --concurrency=2 \
    --schedule var/celerybeat-schedule >>"$CELERY_LOG" 2>&1 &
celery_pid=$!
sleep 2
if ! kill -0 "$celery_pid" 2>/dev/null; then
    echo "The Celery worker stopped at start-up; the end of $CELERY_LOG:" >&2
    tail -n 30 "$CELERY_LOG" >&2
    exit 1
fi

cat <<MSG

    KAP clinic: http://127.0.0.1:$PORT/
      staff:    http://127.0.0.1:$PORT/staff/
      portal:   http://127.0.0.1:$PORT/portal/
      admin:    http://127.0.0.1:$PORT/admin/
    (demo logins above; Celery log in $CELERY_LOG; Ctrl-C stops everything)

MSG
"$PY" manage.py runserver "127.0.0.1:$PORT"
