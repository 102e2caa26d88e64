"""How a comment is shown to each audience (service/comments/views.py): readers and the
commenter never see an address, an IP or moderation data; moderators and exports do."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.comments import views
from service.extensions import db
from service.models import BodyFormat, Comment, CommentStatus
from tests.conftest import VALID

EMAIL = "private.person@example.org"
PRIVATE_KEYS = {"email", "email_hash", "ip_hash", "user_agent", "reasons", "body", "status"}


def stored(client: FlaskClient) -> int:
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        json=VALID | {"email": EMAIL, "website": "https://example.org/me"},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_the_public_and_commenter_views_carry_no_address_ip_or_moderation_data(
    app: Flask, client: FlaskClient
) -> None:
    comment_id = stored(client)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        public = views.public_view(comment)
        commenter = views.commenter_view(comment)
    assert not PRIVATE_KEYS & set(public)
    assert set(commenter) - set(public) == {"status"}
    for view in (public, commenter):
        text = json.dumps(view, default=str)
        assert EMAIL not in text and "example.org/me" in text
        assert "192.0.2.44" not in text


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (CommentStatus.PENDING, "pending"),
        (CommentStatus.SPAM, "pending"),
        (CommentStatus.REJECTED, "pending"),
        (CommentStatus.APPROVED, "approved"),
    ],
)
def test_the_commenter_is_told_only_approved_or_pending(
    app: Flask, client: FlaskClient, status: CommentStatus, shown: str
) -> None:
    comment_id = stored(client)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        comment.status = status
        assert views.commenter_view(comment)["status"] == shown


def test_the_moderator_view_carries_the_address_and_moderation_data(
    app: Flask, client: FlaskClient
) -> None:
    comment_id = stored(client)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        view = views.moderator_view(comment, "posts/hello")
    assert view["email"] == EMAIL
    assert view["article"] == "posts/hello"
    assert {"email_hash", "ip_hash", "user_agent", "reasons", "status"} <= view.keys()


def test_the_export_view_carries_the_address_as_plain_json(app: Flask, client: FlaskClient) -> None:
    comment_id = stored(client)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        record = views.export_view(comment, "posts/hello")
    assert json.loads(json.dumps(record)) == record
    assert record["email"] == EMAIL
    assert record["name"] == VALID["name"]
    assert type(record["body_format"]) is str and record["body_format"] == BodyFormat.MARKDOWN
    assert type(record["status"]) is str and record["status"] == "pending"
