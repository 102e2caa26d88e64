"""What the screening tests through the HTTP API share: posting as the widget does from a given
address, a moderator's token, and reading back a comment's status and reasons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import Article, Comment
from service.moderation import accounts
from tests.conftest import VALID, form_token

PASSWORD = "correct horse battery staple"


def post(
    client: FlaskClient,
    article: str = "posts/hello",
    *,
    ip: str = "203.0.113.10",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    # As the widget posts: with a token from a form shown a minute ago (tests of the token
    # itself pass their own, or None for none).
    token = {"form_token": form_token(client.application)}
    return client.post(
        f"/api/v1/articles/{article}/comments",
        json={k: v for k, v in (VALID | token | fields).items() if v is not None},
        headers=headers,
        environ_base={"REMOTE_ADDR": ip},
    )


def token_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        token = accounts.create_api_token("mia", "tests")
    return {"Authorization": f"Bearer {token}"}


def stored(client: FlaskClient, headers: dict[str, str], comment_id: int) -> dict[str, Any]:
    """The comment as moderators see it (status and reasons included)."""
    page = client.get(
        "/api/v1/moderation/comments", query_string={"status": "all"}, headers=headers
    ).get_json()
    [comment] = [c for c in page["comments"] if c["id"] == comment_id]
    return comment


def reason_codes(comment: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in comment["reasons"]]


def events(client: FlaskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    return client.get("/api/v1/moderation/events", headers=headers).get_json()["events"]


def shift_history(app: Flask, seconds: float) -> None:
    """Move every stored time back, as if `seconds` had passed."""
    delta = timedelta(seconds=seconds)
    with app.app_context():
        for comment in db.session.scalars(select(Comment)):
            comment.created_at -= delta
        for article in db.session.scalars(select(Article)):
            article.created_at -= delta
            if article.surge_until is not None:
                article.surge_until -= delta
        db.session.commit()
