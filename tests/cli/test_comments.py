"""`flask comments approve|reject|spam|delete|restore ID…` and `flask comments undo BATCH`:
the same decisions as the queue and the API, in a moderator's name."""

from __future__ import annotations

import re

from flask import Flask

from service.extensions import db
from service.models import Article, Comment, CommentStatus, ModerationEvent
from service.moderation import accounts
from tests.conftest import run_cli
from tests.http.api.test_moderation import new_comment

BATCH = re.compile(r"Batch ([0-9a-f]{32})\.")


def state(app: Flask, comment_id: int) -> tuple[CommentStatus, int, int]:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        article = db.session.get_one(Article, comment.article_id)
        return comment.status, article.approved_count, article.feed_version


def test_approve_then_undo_through_the_cli(app, client):
    first, second = new_comment(client), new_comment(client)
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")

    approved = run_cli(app, "comments", "approve", str(first), str(second), "--moderator", "mia")

    assert approved.exit_code == 0, approved.output
    assert f"Approved: {first} {second}." in approved.output
    (batch,) = BATCH.findall(approved.output)
    assert f"flask comments undo {batch} --moderator mia" in approved.output
    assert state(app, first) == (CommentStatus.APPROVED, 2, 1)
    with app.app_context():
        event = db.session.get_one(ModerationEvent, 1)
        assert (event.actor, event.action, event.batch) == ("moderator", "approve", batch)

    undone = run_cli(app, "comments", "undo", batch, "--moderator", "mia")

    assert undone.exit_code == 0, undone.output
    assert f"Put back: {first} {second}." in undone.output
    assert state(app, first) == (CommentStatus.PENDING, 0, 2)
    assert state(app, second)[0] == CommentStatus.PENDING


def test_a_cli_decision_that_cannot_move_says_why_and_fails(app, client):
    comment_id = new_comment(client)
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")

    result = run_cli(app, "comments", "restore", str(comment_id), "--moderator", "mia")

    assert result.exit_code == 1
    assert "nothing to restore" in result.output
    assert state(app, comment_id)[0] == CommentStatus.PENDING


def test_delete_restore_and_spam_through_the_cli(app, client):
    comment_id = new_comment(client)
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")

    for command, status in [
        ("spam", CommentStatus.SPAM),
        ("delete", CommentStatus.DELETED),
        ("restore", CommentStatus.SPAM),
        ("reject", CommentStatus.REJECTED),
    ]:
        result = run_cli(app, "comments", command, str(comment_id), "--moderator", "mia")
        assert result.exit_code == 0, result.output
        assert state(app, comment_id)[0] == status


def test_the_cli_needs_an_active_moderator_and_cannot_undo_another_ones_batch(app, client):
    comment_id = new_comment(client)
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        accounts.create_moderator("noor", "correct horse battery staple")
    unknown = run_cli(app, "comments", "approve", str(comment_id), "--moderator", "nobody")
    assert unknown.exit_code != 0
    assert state(app, comment_id)[0] == CommentStatus.PENDING

    approved = run_cli(app, "comments", "approve", str(comment_id), "--moderator", "mia")
    (batch,) = BATCH.findall(approved.output)
    theirs = run_cli(app, "comments", "undo", batch, "--moderator", "noor")

    assert theirs.exit_code != 0
    assert "nothing to undo" in theirs.output
    assert state(app, comment_id)[0] == CommentStatus.APPROVED
