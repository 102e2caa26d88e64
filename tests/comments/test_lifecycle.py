"""The life-cycle core: every transition of the state table (DESIGN.md, "Comment states"),
each with its audit event, its article's public count and its feed version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service.audit import AuditAction
from service.errors import InvalidTransition
from service.extensions import db
from service.models import (
    Article,
    Comment,
    CommentStatus,
    ModerationEvent,
)
from service.moderation import accounts, decisions
from tests.comments.test_edits import edit, posted, withdraw

PENDING, APPROVED = CommentStatus.PENDING, CommentStatus.APPROVED
REJECTED, SPAM, DELETED = CommentStatus.REJECTED, CommentStatus.SPAM, CommentStatus.DELETED
MODERATED = [PENDING, APPROVED, REJECTED, SPAM]
# The decision that moves a comment into each state a moderator can choose.
DECISION_FOR = {APPROVED: "approve", REJECTED: "reject", SPAM: "spam"}


@dataclass(frozen=True)
class Snapshot:
    status: CommentStatus
    approved_count: int
    feed_version: int
    events: int


def snapshot(app: Flask, comment_id: int) -> Snapshot:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        article = db.session.get_one(Article, comment.article_id)
        events = db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.comment_id == comment_id)
        ).all()
        return Snapshot(comment.status, article.approved_count, article.feed_version, len(events))


def last_event(app: Flask, comment_id: int) -> dict[str, Any]:
    with app.app_context():
        event = db.session.scalars(
            select(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
            .order_by(ModerationEvent.id.desc())
        ).first()
        assert event is not None
        return {
            "actor": event.actor,
            "action": event.action,
            "from": event.from_status,
            "to": event.to_status,
            "moderator_id": event.moderator_id,
            "batch": event.batch,
        }


@pytest.fixture
def mia(app: Flask, moderator_headers: dict[str, str]) -> int:
    """The id of the moderator whose API token moderator_headers carries."""
    with app.app_context():
        return accounts.active_moderator("mia").id


def comment_in(app: Flask, client: Any, moderator: int, state: CommentStatus) -> int:
    """A new comment (held for moderation), moved by a moderator into `state`."""
    comment_id, _token = posted(client)
    if state != PENDING:
        with app.app_context():
            decisions.decide(comment_id, DECISION_FOR[state], moderator)
    return comment_id


def public_change(before: CommentStatus, after: CommentStatus) -> int:
    return (after == APPROVED) - (before == APPROVED)


def assert_moved(
    before: Snapshot, after: Snapshot, start: CommentStatus, target: CommentStatus
) -> None:
    assert after.status == target
    assert after.approved_count == before.approved_count + public_change(start, target)
    # Only moves into or out of the public thread change what readers see.
    touched = APPROVED in (start, target)
    assert after.feed_version == before.feed_version + touched
    assert after.events == before.events + 1


MOVES = [(start, target) for start in MODERATED for target in DECISION_FOR if start != target]


@pytest.mark.parametrize(("start", "target"), MOVES, ids=[f"{s}-to-{t}" for s, t in MOVES])
def test_a_moderator_moves_a_comment_between_states_with_event_count_and_feed_version(
    app, client, mia, start, target
):
    comment_id = comment_in(app, client, mia, start)
    before = snapshot(app, comment_id)

    with app.app_context():
        decided = decisions.decide(comment_id, DECISION_FOR[target], mia)

    assert_moved(before, snapshot(app, comment_id), start, target)
    assert last_event(app, comment_id) == {
        "actor": "moderator",
        "action": DECISION_FOR[target],
        "from": start.value,
        "to": target.value,
        "moderator_id": mia,
        "batch": decided.batch,
    }


@pytest.mark.parametrize(("start", "target"), MOVES, ids=[f"{s}-to-{t}" for s, t in MOVES])
def test_undo_puts_a_moved_comment_back_with_event_count_and_feed_version(
    app, client, mia, start, target
):
    comment_id = comment_in(app, client, mia, start)
    with app.app_context():
        decided = decisions.decide(comment_id, DECISION_FOR[target], mia)
    before = snapshot(app, comment_id)

    with app.app_context():
        undone = decisions.undo(decided.batch, mia)

    assert [o.error for o in undone.outcomes] == [None]
    assert_moved(before, snapshot(app, comment_id), target, start)
    assert last_event(app, comment_id) == {
        "actor": "moderator",
        "action": "undo",
        "from": target.value,
        "to": start.value,
        "moderator_id": mia,
        "batch": undone.batch,
    }


@pytest.mark.parametrize("state", list(DECISION_FOR))
def test_a_decision_to_the_state_a_comment_has_is_a_409_and_changes_nothing(
    app, client, mia, moderator_headers, state
):
    comment_id = comment_in(app, client, mia, state)
    before = snapshot(app, comment_id)

    response = client.post(
        f"/api/v1/moderation/comments/{comment_id}/{DECISION_FOR[state]}",
        headers=moderator_headers,
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_transition"
    assert snapshot(app, comment_id) == before


@pytest.mark.parametrize("start", MODERATED)
def test_delete_from_each_state_and_restore_returns_to_the_state_before(app, client, mia, start):
    comment_id = comment_in(app, client, mia, start)
    before = snapshot(app, comment_id)

    with app.app_context():
        decisions.decide(comment_id, "delete", mia)
    deleted = snapshot(app, comment_id)
    assert_moved(before, deleted, start, DELETED)
    assert last_event(app, comment_id)["action"] == "delete"
    assert (last_event(app, comment_id)["from"], last_event(app, comment_id)["to"]) == (
        start.value,
        "deleted",
    )

    with app.app_context():
        decisions.decide(comment_id, "restore", mia)
    restored = snapshot(app, comment_id)
    assert_moved(deleted, restored, DELETED, start)
    assert restored.approved_count == before.approved_count
    event = last_event(app, comment_id)
    assert (event["actor"], event["action"], event["from"], event["to"]) == (
        "moderator",
        "restore",
        "deleted",
        start.value,
    )


@pytest.mark.parametrize("start", MODERATED)
def test_undo_of_a_delete_and_of_a_restore(app, client, mia, start):
    comment_id = comment_in(app, client, mia, start)
    before = snapshot(app, comment_id)
    with app.app_context():
        deleted = decisions.decide(comment_id, "delete", mia)
        decisions.undo(deleted.batch, mia)
    assert snapshot(app, comment_id).status == start
    assert snapshot(app, comment_id).approved_count == before.approved_count

    with app.app_context():
        decisions.decide(comment_id, "delete", mia)
        restored = decisions.decide(comment_id, "restore", mia)
        decisions.undo(restored.batch, mia)
    after = snapshot(app, comment_id)
    assert after.status == DELETED
    assert after.approved_count == before.approved_count - (start == APPROVED)
    assert last_event(app, comment_id)["action"] == "undo"


@pytest.mark.parametrize("action", ["approve", "reject", "spam", "delete"])
def test_a_deleted_comment_refuses_every_decision_but_restore(app, client, mia, action):
    comment_id = comment_in(app, client, mia, APPROVED)
    with app.app_context():
        decisions.decide(comment_id, "delete", mia)
    before = snapshot(app, comment_id)

    with app.app_context(), pytest.raises(InvalidTransition, match="restore it first"):
        decisions.decide(comment_id, action, mia)

    assert snapshot(app, comment_id) == before


@pytest.mark.parametrize("start", MODERATED)
def test_restore_refuses_a_comment_that_is_not_deleted(app, client, mia, start):
    comment_id = comment_in(app, client, mia, start)
    before = snapshot(app, comment_id)

    with app.app_context(), pytest.raises(InvalidTransition, match="nothing to restore"):
        decisions.decide(comment_id, "restore", mia)

    assert snapshot(app, comment_id) == before


def test_the_policys_verdict_at_submission_counts_an_approved_comment_once(make_app):
    app = make_app(MODERATION="off")
    comment_id, _token = posted(app.test_client())

    after = snapshot(app, comment_id)

    assert after.status == APPROVED
    assert (after.approved_count, after.feed_version, after.events) == (1, 1, 0)


def test_a_withdrawal_is_the_commenters_event_and_leaves_the_thread(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    comment_id, token = posted(client)
    before = snapshot(app, comment_id)

    assert withdraw(client, comment_id, token).status_code == 200

    assert_moved(before, snapshot(app, comment_id), APPROVED, DELETED)
    event = last_event(app, comment_id)
    assert (event["actor"], event["action"], event["from"], event["to"]) == (
        "commenter",
        "withdraw",
        "approved",
        "deleted",
    )
    assert event["moderator_id"] is None and event["batch"] is None


def test_an_edit_that_stays_approved_moves_the_feed_but_not_the_count(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    comment_id, token = posted(client)
    before = snapshot(app, comment_id)

    assert edit(client, comment_id, token, body="Second thoughts.").status_code == 200

    after = snapshot(app, comment_id)
    assert (after.status, after.approved_count) == (APPROVED, before.approved_count)
    assert after.feed_version == before.feed_version + 1
    event = last_event(app, comment_id)
    assert (event["actor"], event["action"], event["from"], event["to"]) == (
        "commenter",
        AuditAction.EDIT,
        "approved",
        "approved",
    )
