"""Decisions: one path for the JSON API, the web queue and the CLI; every decision carries
its batch, and an API decision is undone through the API."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.errors import CommentNotFound, NothingToUndo
from service.extensions import db
from service.models import Article, Comment, CommentStatus, ModerationEvent
from service.moderation import accounts, decisions
from tests.http.api.test_moderation import new_comment

API = "/api/v1/moderation"
FEED = "/api/v1/articles/posts/hello/comments"


def article_state(app: Flask, comment_id: int) -> tuple[CommentStatus, int, int]:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        article = db.session.get_one(Article, comment.article_id)
        return comment.status, article.approved_count, article.feed_version


def undo(client: FlaskClient, headers: dict[str, str], batch: str) -> Any:
    return client.post(f"{API}/undo", json={"batch": batch}, headers=headers)


def test_an_api_decision_answers_with_its_batch_and_the_api_undoes_it(
    app, client, moderator_headers
):
    comment_id = new_comment(client)
    etag = client.get(FEED).headers["ETag"]
    assert article_state(app, comment_id) == (CommentStatus.PENDING, 0, 0)

    approved = client.post(f"{API}/comments/{comment_id}/approve", headers=moderator_headers)

    assert approved.status_code == 200
    body = approved.get_json()
    assert body["status"] == "approved" and body["id"] == comment_id
    assert len(body["batch"]) == 32
    assert article_state(app, comment_id) == (CommentStatus.APPROVED, 1, 1)

    undone = undo(client, moderator_headers, body["batch"])

    assert undone.status_code == 200, undone.get_json()
    assert undone.get_json()["results"] == [{"id": comment_id, "status": "pending", "error": None}]
    assert article_state(app, comment_id) == (CommentStatus.PENDING, 0, 2)
    assert client.get(FEED).get_json()["count"] == 0
    assert client.get(FEED, headers={"If-None-Match": etag}).status_code == 200
    # An undo is not undone in turn.
    again = undo(client, moderator_headers, undone.get_json()["batch"])
    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "nothing_to_undo"


def test_an_api_delete_answers_with_its_batch_and_the_api_undoes_it(app, client, moderator_headers):
    comment_id = new_comment(client)
    client.post(f"{API}/comments/{comment_id}/approve", headers=moderator_headers)

    deleted = client.delete(f"{API}/comments/{comment_id}", headers=moderator_headers)

    assert deleted.status_code == 200
    assert deleted.get_json()["status"] == "deleted"
    assert article_state(app, comment_id)[:2] == (CommentStatus.DELETED, 0)
    assert undo(client, moderator_headers, deleted.get_json()["batch"]).status_code == 200
    assert article_state(app, comment_id)[:2] == (CommentStatus.APPROVED, 1)


def test_the_openapi_document_shows_the_batch_of_a_single_decision(client):
    spec = client.get("/openapi.json").get_json()
    # The decision routes share their path template with pin/unpin, which the document
    # lists under it; the DELETE decision has its own.
    delete = spec["paths"]["/api/v1/moderation/comments/{comment_id}"]["delete"]
    schema_ref = delete["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert "batch" in schema["properties"]
    assert "email" in schema["properties"]  # the moderator's view, as before


def test_another_moderator_cannot_undo_your_decision(app, client, moderator_headers):
    comment_id = new_comment(client)
    batch = client.post(
        f"{API}/comments/{comment_id}/approve", headers=moderator_headers
    ).get_json()["batch"]
    with app.app_context():
        noor = accounts.create_moderator("noor", "correct horse battery staple").id

    with app.app_context(), pytest.raises(NothingToUndo, match="nothing to undo"):
        decisions.undo(batch, noor)

    assert article_state(app, comment_id)[0] == CommentStatus.APPROVED


def test_decide_many_moves_what_it_can_and_reports_each_id(app, client):
    first, second = new_comment(client), new_comment(client)
    with app.app_context():
        mia = accounts.create_moderator("mia", "correct horse battery staple").id
        decisions.decide(second, "reject", mia)

        result = decisions.decide_many([first, second, 999_999], "reject", mia)

    assert [(o.id, o.status) for o in result.outcomes] == [
        (first, "rejected"),
        (second, "rejected"),
        (999_999, None),
    ]
    assert [o.error["code"] if o.error else None for o in result.outcomes] == [
        None,
        "invalid_transition",
        "comment_not_found",
    ]
    with app.app_context():
        batches = db.session.scalars(
            select(ModerationEvent.batch).where(ModerationEvent.comment_id == first)
        ).all()
    assert batches == [result.batch]


def test_a_single_decision_that_cannot_move_raises_and_writes_nothing(app, client):
    comment_id = new_comment(client)
    with app.app_context():
        mia = accounts.create_moderator("mia", "correct horse battery staple").id
        with pytest.raises(CommentNotFound):
            decisions.decide(999_999, "approve", mia)
        events = db.session.scalars(select(ModerationEvent)).all()

    assert events == []
    assert article_state(app, comment_id) == (CommentStatus.PENDING, 0, 0)


def test_a_decision_the_moderator_did_not_see_is_refused(app, client):
    comment_id = new_comment(client)
    with app.app_context():
        mia = accounts.create_moderator("mia", "correct horse battery staple").id
        decisions.decide(comment_id, "spam", mia)

        result = decisions.decide_many(
            [comment_id], "approve", mia, expected={comment_id: "pending"}
        )

    assert result.outcomes[0].error is not None
    assert "when you looked" in result.outcomes[0].error["message"]
    assert article_state(app, comment_id)[0] == CommentStatus.SPAM
