"""Commenters edit and withdraw their own comments: with the edit token, within the window,
through the policy again, audited, and never with anyone else's token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from service.comments import submissions
from service.extensions import db
from service.models import MAX_ID, Article, Comment, ModerationEvent
from tests.conftest import VALID, approve, submit

SITE = "https://blog.example.com"


def posted(client: FlaskClient, **fields: Any) -> tuple[int, str]:
    response = submit(client, **fields)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    return created["id"], created["edit_token"]


def edit(client: FlaskClient, comment_id: int, token: str | None, **changes: Any) -> Any:
    headers = {"X-Edit-Token": token} if token is not None else {}
    return client.patch(f"/api/v1/comments/{comment_id}", json=changes, headers=headers)


def withdraw(client: FlaskClient, comment_id: int, token: str | None) -> Any:
    headers = {"X-Edit-Token": token} if token is not None else {}
    return client.delete(f"/api/v1/comments/{comment_id}", headers=headers)


def change(client: FlaskClient, method: str, comment_id: int, token: str | None) -> Any:
    """An edit or a withdrawal, for the refusals both must give."""
    if method == "patch":
        return edit(client, comment_id, token, body="Changed.")
    return withdraw(client, comment_id, token)


def feed(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/articles/posts/hello/comments")
    assert response.status_code == 200
    return response.get_json()


def stored(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        return comment


def events(app: Flask, comment_id: int) -> list[ModerationEvent]:
    with app.app_context():
        found = db.session.scalars(
            select(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
            .order_by(ModerationEvent.id)
        ).all()
        db.session.expunge_all()
        return list(found)


def age(app: Flask, comment_id: int, minutes: float) -> None:
    """Move a comment's posting time into the past (as if the clock had moved on)."""
    with app.app_context():
        created = db.session.get(Comment, comment_id).created_at
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(created_at=created - timedelta(minutes=minutes))
        )
        db.session.commit()


@pytest.fixture
def published(make_app: Any) -> Flask:
    """A site that publishes at once, so edits show in the public feed."""
    return make_app(MODERATION="off")


# Editing ------------------------------------------------------------------------------------


def test_edit_within_the_window_changes_the_text_and_rerenders_it(published):
    client = published.test_client()
    comment_id, token = posted(client, body="Frist!")

    response = edit(client, comment_id, token, body="First, *really*. <script>alert(1)</script>")

    assert response.status_code == 200, response.get_json()
    view = response.get_json()
    assert view["id"] == comment_id
    assert view["status"] == "approved"
    assert view["edited"] is True
    assert view["body_html"] == (
        "<p>First, <em>really</em>. &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert "email" not in view and "edit_token" not in view
    comment = stored(published, comment_id)
    assert comment.body == "First, *really*. <script>alert(1)</script>"
    assert comment.edited_at is not None
    [public] = feed(client)["comments"]
    assert public["body_html"] == view["body_html"]
    assert public["edited"] is True


def test_name_and_website_can_be_changed_and_the_website_removed(published):
    client = published.test_client()
    comment_id, token = posted(client, website="https://ada.example.org")

    renamed = edit(client, comment_id, token, name="  Ada L.  ", website="ada.example.com")
    assert renamed.status_code == 200
    assert (renamed.get_json()["name"], renamed.get_json()["website"]) == (
        "Ada L.",
        "https://ada.example.com",
    )
    cleared = edit(client, comment_id, token, website=None)
    assert cleared.get_json()["website"] is None
    assert stored(published, comment_id).body == VALID["body"]


def test_unedited_comments_say_so_in_the_feed(published):
    client = published.test_client()
    posted(client)
    [public] = feed(client)["comments"]
    assert public["edited"] is False


def test_edit_shows_in_the_cached_feed_at_once(published):
    client = published.test_client()
    comment_id, token = posted(client, body="Before the edit.")
    before = client.get("/api/v1/articles/posts/hello/comments")
    etag = before.headers["ETag"]

    assert edit(client, comment_id, token, body="After the edit.").status_code == 200

    after = client.get("/api/v1/articles/posts/hello/comments", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert "After the edit." in after.get_json()["comments"][0]["body_html"]
    assert after.get_json()["count"] == 1


def test_edit_is_an_audit_event_by_the_commenter_without_the_address(published, moderator_headers):
    client = published.test_client()
    comment_id, token = posted(client)

    edit(client, comment_id, token, body="Changed my mind.")

    [event] = events(published, comment_id)
    assert (event.actor, event.action, event.moderator_id) == ("commenter", "edit", None)
    assert (event.from_status, event.to_status) == ("approved", "approved")
    listed = client.get(
        f"/api/v1/moderation/events?comment_id={comment_id}", headers=moderator_headers
    )
    assert [e["action"] for e in listed.get_json()["events"]] == ["edit"]
    assert VALID["email"] not in listed.get_data(as_text=True)


def test_under_pre_moderation_an_edited_approved_comment_waits_for_a_moderator_again(
    app, client, moderator_headers
):
    comment_id, token = posted(client)
    approve(client, moderator_headers, comment_id)
    assert feed(client)["count"] == 1

    response = edit(client, comment_id, token, body="Now with different words.")

    assert response.status_code == 200
    assert response.get_json()["status"] == "pending"
    assert feed(client) | {"comments": []} == feed(client)
    assert feed(client)["count"] == 0
    comment = stored(app, comment_id)
    assert comment.status == "pending"
    codes = [reason["code"] for reason in comment.reasons]
    assert codes[:2] == ["edited", "pre_moderation"]
    [_, edited] = events(app, comment_id)
    assert (edited.from_status, edited.to_status) == ("approved", "pending")
    approve(client, moderator_headers, comment_id)
    [public] = feed(client)["comments"]
    assert "different words" in public["body_html"]


def test_an_edit_that_trips_a_hold_rule_goes_back_to_the_queue(make_app):
    app = make_app(MODERATION="off", HOLD_WORDS=("casino",))
    client = app.test_client()
    comment_id, token = posted(client)

    response = edit(client, comment_id, token, body="Visit my casino tonight.")

    assert response.get_json()["status"] == "pending"
    assert feed(client)["comments"] == []
    codes = [reason["code"] for reason in stored(app, comment_id).reasons]
    assert codes == ["edited", "hold_word"]


def test_an_edit_with_a_denied_word_is_rejected_but_the_commenter_is_not_told(make_app):
    app = make_app(MODERATION="off", DENY_WORDS=("slur",))
    client = app.test_client()
    comment_id, token = posted(client)

    response = edit(client, comment_id, token, body="a slur")

    assert response.get_json()["status"] == "pending"
    assert stored(app, comment_id).status == "rejected"
    assert feed(client)["count"] == 0


def test_during_a_surge_an_edit_is_held_like_a_new_comment(published):
    client = published.test_client()
    comment_id, token = posted(client)
    with published.app_context():
        db.session.execute(
            update(Article).values(surge_until=datetime.now(UTC) + timedelta(minutes=30))
        )
        db.session.commit()

    response = edit(client, comment_id, token, body="Edited mid-surge.")

    assert response.get_json()["status"] == "pending"
    assert [r["code"] for r in stored(published, comment_id).reasons] == ["edited", "surge"]


def test_an_edit_never_publishes_a_held_comment(make_app):
    app = make_app(MODERATION="off", LINK_LIMIT=0)
    client = app.test_client()
    comment_id, token = posted(client, body="See https://example.com")
    assert stored(app, comment_id).status == "pending"

    response = edit(client, comment_id, token, body="No links any more.")

    assert response.get_json()["status"] == "pending"
    comment = stored(app, comment_id)
    assert comment.status == "pending"
    assert [reason["code"] for reason in comment.reasons] == ["edited_while_held"]


def test_a_pending_comment_edited_stays_pending(app, client):
    comment_id, token = posted(client)
    response = edit(client, comment_id, token, body="Typo fixed.")
    assert response.status_code == 200
    assert response.get_json()["status"] == "pending"
    assert stored(app, comment_id).body == "Typo fixed."


# Withdrawing --------------------------------------------------------------------------------


def test_withdraw_takes_the_comment_down_and_moderators_can_restore_it(
    published, moderator_headers
):
    client = published.test_client()
    comment_id, token = posted(client)
    assert feed(client)["count"] == 1

    response = withdraw(client, comment_id, token)

    assert response.status_code == 200
    assert response.get_json() == {"id": comment_id, "status": "deleted"}
    assert feed(client) == {
        "article": "posts/hello",
        "count": 0,
        "comments": [],
        "next_cursor": None,
    }
    [event] = events(published, comment_id)
    assert (event.actor, event.action) == ("commenter", "withdraw")
    assert (event.from_status, event.to_status) == ("approved", "deleted")
    restored = client.post(
        f"/api/v1/moderation/comments/{comment_id}/restore", headers=moderator_headers
    )
    assert restored.get_json()["status"] == "approved"
    assert feed(client)["count"] == 1


def test_withdrawing_a_pending_comment_keeps_the_public_feed_as_it_was(app, client):
    comment_id, token = posted(client)
    etag = client.get("/api/v1/articles/posts/hello/comments").headers["ETag"]
    assert withdraw(client, comment_id, token).status_code == 200
    assert stored(app, comment_id).status == "deleted"
    assert client.get("/api/v1/articles/posts/hello/comments").headers["ETag"] == etag


# Refusals -----------------------------------------------------------------------------------


def forged_token(comment_id: int) -> str:
    return f"{comment_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize(
    "token",
    [None, "", "forged", "other-comment", "wrong-key", "nonsense \u00e9\u00e8", "x" * 4000],
)
def test_without_this_comment_s_token_nothing_changes(app, client, method, token):
    comment_id, own = posted(client)
    other_id, other = posted(client, body="Someone else's comment.", email="bob@example.org")
    tokens = {
        "forged": forged_token(comment_id),
        "other-comment": other,
        "wrong-key": own[:-2] + ("AA" if not own.endswith("AA") else "BB"),
    }

    response = change(client, method, comment_id, tokens.get(token, token))

    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "invalid_edit_token"
    assert "browser that posted it" in error["message"]
    comment = stored(app, comment_id)
    assert (comment.status, comment.body) == ("pending", VALID["body"])
    assert events(app, comment_id) == []
    assert other_id != comment_id


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_after_the_window_the_comment_can_no_longer_be_changed(app, client, method):
    comment_id, token = posted(client)
    age(app, comment_id, 15)

    response = change(client, method, comment_id, token)

    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "edit_window_closed"
    assert "15 minutes" in error["message"]
    assert stored(app, comment_id).body == VALID["body"]


def test_just_inside_the_window_the_edit_works(app, client):
    comment_id, token = posted(client)
    age(app, comment_id, 14.9)
    assert edit(client, comment_id, token, body="Just in time.").status_code == 200


def test_the_window_is_configurable(make_app):
    app = make_app(EDIT_WINDOW_MINUTES=2)
    client = app.test_client()
    comment_id, token = posted(client)
    age(app, comment_id, 2)
    response = edit(client, comment_id, token, body="Too late.")
    assert response.get_json()["error"]["code"] == "edit_window_closed"
    assert "2 minutes" in response.get_json()["error"]["message"]


def test_a_zero_window_turns_editing_off(make_app):
    app = make_app(EDIT_WINDOW_MINUTES=0)
    client = app.test_client()
    comment_id, token = posted(client)
    assert withdraw(client, comment_id, token).status_code == 403


@pytest.mark.parametrize("comment_id", [999, MAX_ID, MAX_ID + 1, 10**30])
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_unknown_comments_are_404(client, comment_id, method):
    response = change(client, method, comment_id, submissions_token(client, comment_id))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] in {"comment_not_found", "not_found"}


def submissions_token(client: FlaskClient, comment_id: int) -> str:
    with client.application.app_context():
        return submissions.edit_token(comment_id)


@pytest.mark.parametrize("action", ["reject", "spam", "delete"])
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_removed_rejected_or_spam_comments_cannot_be_changed(
    app, client, moderator_headers, action, method
):
    comment_id, token = posted(client)
    path = f"/api/v1/moderation/comments/{comment_id}"
    if action == "delete":
        decided = client.delete(path, headers=moderator_headers)
    else:
        decided = client.post(f"{path}/{action}", headers=moderator_headers)
    assert decided.status_code == 200

    response = change(client, method, comment_id, token)

    assert response.status_code == 409
    message = response.get_json()["error"]["message"]
    assert "can no longer be changed" in message
    assert "spam" not in message
    assert stored(app, comment_id).body == VALID["body"]


def test_a_closed_article_takes_no_edits_but_lets_comments_be_withdrawn(
    app, client, moderator_headers
):
    comment_id, token = posted(client)
    locked = client.post("/api/v1/moderation/articles/posts/hello/lock", headers=moderator_headers)
    assert locked.status_code == 200

    refused = edit(client, comment_id, token, body="One more thing.")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "comments_closed"
    assert stored(app, comment_id).body == VALID["body"]
    assert withdraw(client, comment_id, token).status_code == 200


def test_withdrawing_twice_is_a_conflict(client):
    comment_id, token = posted(client)
    assert withdraw(client, comment_id, token).status_code == 200
    assert withdraw(client, comment_id, token).status_code == 409


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "_request", "Send body, name or website to change."),
        ({"body": ""}, "body", "Please write a comment."),
        ({"body": "   "}, "body", "Please write a comment."),
        ({"body": "x" * 10_001}, "body", "Please keep your comment to 10,000 characters"),
        ({"body": "bell\x07"}, "body", "control characters"),
        ({"body": "nul\x00"}, "body", "control characters"),
        ({"name": "Ada\u202eecalevoL"}, "name", "control characters"),
        ({"name": ""}, "name", "Please enter your name."),
        ({"website": "javascript:alert(1)"}, "website", "http:// or https://"),
        ({"body": 42}, "body", "as text"),
        ({"email": "new@example.org"}, "email", "Only body, name and website can be changed."),
    ],
)
def test_bad_edits_are_422_with_a_message_per_field(app, client, changes, field, message):
    comment_id, token = posted(client)

    response = edit(client, comment_id, token, **changes)

    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.get_json()["errors"]
    assert message in " ".join(errors[field])
    assert stored(app, comment_id).body == VALID["body"]
    assert events(app, comment_id) == []


@pytest.mark.parametrize("payload", ['["body"]', '"text"', "null", "{not json"])
def test_an_edit_that_is_not_a_json_object_is_refused(client, payload):
    comment_id, token = posted(client)
    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        data=payload,
        content_type="application/json",
        headers={"X-Edit-Token": token},
    )
    assert response.status_code in {400, 422}
    assert response.is_json


def test_an_oversized_edit_is_413(client):
    comment_id, token = posted(client)
    response = edit(client, comment_id, token, body="x" * 70_000)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_edits_are_rate_limited_like_submissions(make_app):
    app = make_app(RATELIMIT_ENABLED=True, FLOOD_SECONDS=0, SUBMIT_RATE_LIMIT="3 per minute")
    client = app.test_client()
    comment_id, token = posted(client)

    answers = [edit(client, comment_id, token, body=f"Take {n}.").status_code for n in range(4)]

    assert answers == [200, 200, 200, 429]
    assert stored(app, comment_id).body == "Take 2."


# Browsers on the site ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_preflight_allows_edits_from_the_site_only(client, method):
    def preflight(origin: str) -> Any:
        return client.options(
            "/api/v1/comments/1",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "content-type, x-edit-token",
            },
        )

    allowed = preflight(SITE)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert method in allowed.headers["Access-Control-Allow-Methods"]
    assert "x-edit-token" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    refused = preflight("https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Headers" not in refused.headers


def test_edits_are_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    operations = spec["paths"]["/api/v1/comments/{comment_id}"]
    assert set(operations) >= {"patch", "delete"}
    for operation in (operations["patch"], operations["delete"]):
        assert {"403", "404", "409"} <= set(operation["responses"])
        [header] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "X-Edit-Token"
    assert "Edit" in spec["components"]["schemas"]
