"""Operations over HTTP: health and readiness probes, the /metrics scrape, request timing and
the access log (the metric objects and the audit line are in service/ops/telemetry.py).

Labels and log fields are endpoint names, statuses, counts and the slug of the request's site
("" where the request has none, never a slug a client made up): never an email, an IP in
clear, an article key (user input) or comment text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    request,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from service.extensions import db
from service.models import Comment, CommentStatus
from service.ops import database, proxies, telemetry
from service.privacy import vault

REQUEST_ID_HEADER = "X-Request-ID"
READY_RETRY_AFTER = "5"
# What a client may name its own request id; anything else is replaced by a fresh one.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("commentdesk.access")

blp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    app.extensions[telemetry.EXTENSION_KEY] = _metrics()
    _configure_logging(app.config["LOG_FORMAT"])
    # First of all before_request hooks, so a refusal by the rate limiter is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.register_blueprint(blp)
    proxies.init_app(app)


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _metrics() -> telemetry.Metrics:
    # In gunicorn's multiprocess mode every worker writes its values to files in
    # PROMETHEUS_MULTIPROC_DIR and a scrape reads them all; metrics then belong to no registry.
    registry = None if _multiprocess_dir() else CollectorRegistry()
    if registry is not None:
        registry.register(QueueCollector())
    return telemetry.new_metrics(registry)


class QueueCollector(Collector):
    """Comments by status, counted at scrape time with one GROUP BY."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "commentdesk_comments", "Comments in the database, by status.", labels=["status"]
        )
        try:
            rows = db.session.execute(
                select(Comment.status, func.count()).group_by(Comment.status)
            ).all()
        except DBAPIError:
            # The scrape must still answer when the database is down: that is when
            # commentdesk_dependency_up matters.
            db.session.rollback()
            return
        counts = {status.value: count for status, count in rows}
        for status in CommentStatus:
            gauge.add_metric([status.value], counts.get(status.value, 0))
        yield gauge


# -- request hooks -------------------------------------------------------------------------


def request_id() -> str:
    """The client's X-Request-ID when it is sane, otherwise a fresh one; fixed per request."""
    if "request_id" not in g:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))
    found: str = g.request_id
    return found


def request_id_from(given: str) -> str:
    return given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _start_timer() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _observe(response: Response) -> Response:
    # Runs for every request, the public feed's included: each proxy lookup counts here.
    elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    record_request(
        current_app,
        AnsweredRequest(
            endpoint=request.endpoint or "unmatched",
            method=request.method,
            path=_path_template(),
            status=response.status_code,
            elapsed=elapsed,
            request_id=rid,
            remote_addr=request.remote_addr,
            site=telemetry.site_label(),
        ),
    )
    return response


@dataclass(frozen=True)
class AnsweredRequest:
    endpoint: str
    method: str
    # The URL rule, never the raw path: article keys are whatever a client typed.
    path: str
    status: int
    elapsed: float
    request_id: str
    remote_addr: str | None
    # The slug of the site the request was for; "" when it had none (a moderator's page).
    site: str = ""


def record_request(app: Flask, answered: AnsweredRequest) -> None:
    """Count, time and log one answered request (also for answers given in front of Flask,
    see service/feed/repeat_reads.py)."""
    # Clients may send any method token; labels take a known few so they stay bounded.
    method = answered.method if answered.method in _METHODS else "other"
    endpoint, status, site = answered.endpoint, answered.status, answered.site
    if metrics := app.extensions.get(telemetry.EXTENSION_KEY):
        metrics.requests.labels(endpoint, method, str(status), site).inc()
        metrics.latency.labels(endpoint, method).observe(answered.elapsed)
        if status == 429:
            metrics.rate_limited.labels(endpoint).inc()
    if not access_log.isEnabledFor(logging.INFO):
        return
    path = answered.path
    duration_ms = round(answered.elapsed * 1000, 2)
    email_vault: vault.EmailVault = app.extensions[vault.EXTENSION_KEY]
    telemetry.emit(
        access_log,
        app.config["LOG_FORMAT"],
        lambda: f"{method} {path} {status} {duration_ms}ms",
        {
            "request_id": answered.request_id,
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "status": status,
            "site": site,
            "duration_ms": duration_ms,
            # A keyed hash, truncated: enough to spot one noisy client, not to find them.
            "client": (email_vault.ip_hash(answered.remote_addr) or "")[:12] or None,
        },
    )


def _path_template() -> str:
    return request.url_rule.rule if request.url_rule else "<unmatched>"


# -- logs ----------------------------------------------------------------------------------


class _Formatter(logging.Formatter):
    """Access and audit lines arrive as JSON already; any other commentdesk record (a
    warning, a traceback) is wrapped so that a JSON log stays one object a line."""

    def __init__(self, log_format: str) -> None:
        text_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
        super().__init__("%(message)s" if log_format == "json" else text_format)
        self.json = log_format == "json"

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not self.json or (message.startswith("{") and not record.exc_info):
            return super().format(record)
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "logger": record.name,
            "level": record.levelname.lower(),
            "message": message,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def _configure_logging(log_format: str) -> None:
    logger = logging.getLogger("commentdesk")
    logger.setLevel(logging.INFO)
    if logger.handlers or logging.getLogger().handlers:
        # Someone (an embedding app, pytest's log capture) already handles records.
        for handler in logger.handlers:
            handler.setFormatter(_Formatter(log_format))
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(log_format))
    logger.addHandler(handler)
    logger.propagate = False
    # Flask-Limiter warns once per outage that its storage is unreachable and limits now
    # count in memory, on a logger of its own that only has a NullHandler: without this the
    # warning the README promises went nowhere. Warnings and above: its info lines name keys.
    limiter_logger = logging.getLogger("flask-limiter")
    if handler not in limiter_logger.handlers:
        limiter_logger.addHandler(handler)


# -- probes and the scrape -----------------------------------------------------------------


@blp.get("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


@blp.get("/readyz")
def readyz() -> Any:
    """Ready means able to serve: without the database nothing works, but without Redis the
    rate limits only fall back to this process's memory, so Redis down is "degraded", still
    ready (pulling every replica out of the load balancer for a Redis blip would be worse)."""
    checks = {"database": _database_state()}
    if database.REPLICA in db.engines:
        checks["replica"] = _replica_state()
    storage = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith(("redis://", "rediss://")):
        checks["redis"] = _redis_state(storage)
    if metrics := telemetry.app_metrics():
        for dependency, state in checks.items():
            metrics.dependency_up.labels(dependency).set(1 if state == "ok" else 0)
    if all(state != "unreachable" for state in checks.values()):
        return checks
    return checks, 503, {"Retry-After": READY_RETRY_AFTER}


def _database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        return "unreachable"
    finally:
        db.session.rollback()
    return "ok"


def _replica_state() -> str:
    try:
        with database.reads_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError:
        return "unreachable"
    return "ok"


def _redis_state(url: str) -> str:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        return "degraded"
    finally:
        client.close()
    return "ok"


@blp.get("/metrics")
def metrics() -> Response:
    own = telemetry.app_metrics()
    if own is not None and own.registry is not None:
        registry = own.registry
    else:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(QueueCollector())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
