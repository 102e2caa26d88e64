#!/bin/sh
# Container entrypoint: apply the database migrations, then become gunicorn (exec, so
# SIGTERM from `docker stop` reaches gunicorn and it shuts down gracefully).
#   MIGRATE_ON_START=false  skip the migrations (compose runs a one-shot `migrate` service).
#   Any arguments are run instead, e.g. `docker run IMAGE flask --app wsgi db upgrade`.
set -eu

cd "$(dirname "$0")/.."

# Prometheus' multiprocess mode (one metrics file per gunicorn worker) needs the folder to
# exist and to start empty: files left by an earlier run would be counted again.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

if [ "${MIGRATE_ON_START:-true}" != "false" ]; then
    flask --app wsgi db upgrade
fi

exec gunicorn --config gunicorn.conf.py wsgi:app
