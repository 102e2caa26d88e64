"""A new gunicorn worker gets ready before it takes its first request (gunicorn.conf.py's
`post_worker_init`): without this, the first submission in each worker paid for loading the
classifier model, the bans and the rules, and for the first run of the schemas and renderer."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.comments import submissions
from service.extensions import db
from service.http.schemas.public import SubmissionSchema, SubmittedCommentSchema
from service.models import utcnow

_SAMPLE = {
    "name": "Warm",
    "email": "warm-up@example.org",
    "body": "Warming up the worker.",
    "website": "https://example.org",
}


def warm_worker(app: Flask) -> None:
    with app.app_context():
        # Connections made in the master before the fork (with --preload) belong to it:
        # this worker opens its own. close=False leaves the master's sockets alone.
        for engine in db.engines.values():
            engine.dispose(close=False)
        submissions.warm_up()
        _schemas_once()
        app.url_map.bind("localhost").match("/api/v1/articles/warm/comments", method="POST")
        db.session.remove()


def _schemas_once() -> None:
    loaded: dict[str, Any] = SubmissionSchema().load(_SAMPLE)
    view = {**loaded, "id": 1, "parent_id": None, "created_at": utcnow(), "status": "pending"}
    SubmittedCommentSchema().dumps(view | {"body_html": "<p>Warm</p>", "edit_token": "x"})
