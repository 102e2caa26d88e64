"""What use cases report to operators: the Prometheus metric objects, the submission counter
and the audit log line. It knows nothing of HTTP (no request, blueprint or hooks: those are
in service/ops/observability.py, which serves these same metrics at /metrics); it reaches the
running app only through its context, so it works the same from a request, the CLI or a job.

Labels and log fields are verdicts, actions, counts, usernames and site slugs: never an email,
an IP in clear, an article key (user input) or comment text. A site label is the slug of a
site that exists (sites are few, so the label's values stay bounded), "" where none is known.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, has_app_context
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from service.extensions import db
from service.models import Article, Comment, Moderator, Site

EXTENSION_KEY = "commentdesk.observability"

audit_log = logging.getLogger("commentdesk.audit")


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry | None
    requests: Counter
    latency: Histogram
    submissions: Counter
    decisions: Counter
    rate_limited: Counter
    dependency_up: Gauge


def new_metrics(registry: CollectorRegistry | None) -> Metrics:
    """The app's metric objects, in `registry` (None: gunicorn's multiprocess mode, where
    every worker writes its values to files and a scrape reads them all)."""
    return Metrics(
        registry=registry,
        requests=Counter(
            "commentdesk_http_requests",
            "HTTP requests answered, by endpoint, method, status and site.",
            ["endpoint", "method", "status", "site"],
            registry=registry,
        ),
        latency=Histogram(
            "commentdesk_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint and method.",
            ["endpoint", "method"],
            registry=registry,
        ),
        submissions=Counter(
            "commentdesk_submissions",
            "Comments stored, by the policy's verdict and site.",
            ["verdict", "site"],
            registry=registry,
        ),
        decisions=Counter(
            "commentdesk_decisions",
            "Comments moved by moderators' actions, by action and site.",
            ["action", "site"],
            registry=registry,
        ),
        rate_limited=Counter(
            "commentdesk_rate_limited",
            "Requests refused with 429 (rate limits and flood checks), by endpoint.",
            ["endpoint"],
            registry=registry,
        ),
        dependency_up=Gauge(
            "commentdesk_dependency_up",
            "1 if the dependency answered the last readiness probe, 0 if not.",
            ["dependency"],
            registry=registry,
            # Across workers: the newest probe's answer, forgetting workers that died.
            multiprocess_mode="livemostrecent",
        ),
    )


def app_metrics() -> Metrics | None:
    """The running app's metrics; None before observability has set them up."""
    return current_app.extensions.get(EXTENSION_KEY)


def label_site(slug: str) -> None:
    """Name the site this request or command is for, on its metrics and log lines (the sites
    registry calls it when it picks one; ops knows no more of sites than this label)."""
    g.commentdesk_site_label = slug


def site_label() -> str:
    """The site named by label_site; "" where nothing picked one (a moderator's page), so
    that no line ever names a site wrongly."""
    label: str = g.get("commentdesk_site_label", "") if has_app_context() else ""
    return label


def count_submission(verdict: str) -> None:
    """Called by the submission use case after its commit (its site is the current one)."""
    if metrics := app_metrics():
        metrics.submissions.labels(verdict=verdict, site=site_label()).inc()


def emit(
    logger: logging.Logger, log_format: str, summary: Callable[[], str], fields: dict[str, Any]
) -> None:
    """One log line: a JSON object, or a summary followed by key=value pairs."""
    if log_format == "json":
        line = json.dumps(
            {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "logger": logger.name}
            | fields,
            separators=(",", ":"),
        )
    else:
        details = " ".join(f"{key}={value}" for key, value in fields.items())
        line = f"{summary()} {details}"
    logger.info(line)


def audit(
    action: str, count: int, moderator_id: int, batch: str, comment_ids: Collection[int] = ()
) -> None:
    """One line per moderation decision (called after the commit), naming the sites of the
    comments it moved, which the decisions metric counts by."""
    # On a connection of its own: a read on the session would leave a transaction open
    # after the use case's commit (on SQLite, a snapshot that hides later writes).
    with db.engine.connect() as connection:
        username = connection.scalar(select(Moderator.username).where(Moderator.id == moderator_id))
        by_site: dict[str, int] = {}
        if comment_ids:
            rows = connection.execute(
                select(Site.slug, func.count())
                .select_from(Comment)
                .join(Article, Article.id == Comment.article_id)
                .join(Site, Site.id == Article.site_id)
                .where(Comment.id.in_(comment_ids))
                .group_by(Site.slug)
            )
            by_site = {slug: moved for slug, moved in rows}
    if (metrics := app_metrics()) and by_site:
        for slug, moved in by_site.items():
            metrics.decisions.labels(action=action, site=slug).inc(moved)
    emit(
        audit_log,
        current_app.config["LOG_FORMAT"],
        lambda: f"{action} x{count}",
        {
            # Set by observability's first request hook; outside a request (the CLI) there
            # is none.
            "request_id": g.get("request_id"),
            "action": action,
            "count": count,
            "moderator": username,
            "batch": batch,
            # One slug, or several (an admin's bulk action across sites), comma-separated.
            "site": ",".join(sorted(by_site)),
        },
    )
