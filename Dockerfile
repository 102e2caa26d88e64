# syntax=docker/dockerfile:1
# commentdesk: a two-stage image. The builder installs the package and its dependencies
# into a virtualenv; the final image gets only that virtualenv and the files the service
# runs from, and runs as an unprivileged user.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Every dependency ships manylinux wheels for CPython 3.11, so no compiler is needed here;
# anything that did need one would stay in this stage.
# The lock first, in its own layer: a change to the code does not download them again.
# --require-hashes refuses any file whose hash the lock does not name, and the package goes
# in with --no-deps, so the image runs exactly the versions the tests ran on. The lock holds the
# build backend too, and --no-build-isolation builds with it instead of fetching an unhashed one.
COPY requirements/base.txt ./requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install --no-deps --no-build-isolation .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/commentdesk-metrics
RUN groupadd --system --gid 10001 commentdesk \
    && useradd --system --uid 10001 --gid commentdesk --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin commentdesk
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY service ./service
COPY migrations ./migrations
COPY wsgi.py gunicorn.conf.py ./
COPY --chmod=0755 docker/entrypoint.sh ./docker/entrypoint.sh
COPY docker/healthcheck.py ./docker/healthcheck.py
# The instance folder holds the SQLite file when DATABASE_URL is unset: the only place the
# service writes, so the only one the service user owns.
RUN mkdir instance && chown commentdesk:commentdesk instance
# Numeric, so Kubernetes runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
# It reads BIND as gunicorn does, so a service moved to another port stays healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
