"""The signed webhook (service/notifications/webhook.py), against a real local HTTP receiver:
what is posted and when, retries, and a sender thread that never holds a submission up."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import datetime
from typing import Any

import pytest

from service.extensions import db
from service.models import Comment, CommentStatus, utcnow
from service.notifications import notifier
from tests.conftest import free_port, submit
from tests.notifications.helpers import (
    ADDRESS,
    HOOK_PATH,
    PUBLIC_URL,
    SECRET,
    assert_private,
    delivered,
    webhook,
)


def notify_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("commentdesk-notify")]


def test_held_comment_is_posted_to_the_webhook_signed_and_without_the_address(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    response = submit(app.test_client(), body="Is this *really* true?\n\nI doubt it.")
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    delivered(app)

    (request,) = receiver.requests
    headers, raw = request["headers"], request["body"]
    assert request["path"] == HOOK_PATH
    assert headers["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Commentdesk-Signature"], expected)
    assert headers["X-Commentdesk-Event"] == "comment.held"
    payload = json.loads(raw)
    assert payload["event"] == "comment.held"
    assert payload["delivery"] == headers["X-Commentdesk-Delivery"]
    sent_at = datetime.fromisoformat(payload["sent_at"])
    assert int(headers["X-Commentdesk-Timestamp"]) == int(sent_at.timestamp())
    assert abs((utcnow() - sent_at).total_seconds()) < 60
    comment = payload["comment"]
    assert comment["id"] == response.get_json()["id"]
    assert comment["article"] == "posts/hello"
    assert comment["name"] == "Ada Lovelace"
    assert comment["excerpt"] == "Is this *really* true? I doubt it."
    assert {
        "code": "pre_moderation",
        "message": "The site holds every comment until a moderator approves it.",
    } in comment["reasons"]
    assert all(set(reason) == {"code", "message"} for reason in comment["reasons"])
    assert payload["queue_url"] == (
        f"{PUBLIC_URL}/moderation/?status=pending&article=posts%2Fhello#c{comment['id']}"
    )
    assert ADDRESS not in raw.decode()
    assert set(payload) == {"event", "delivery", "sent_at", "site", "comment", "queue_url"}
    assert payload["site"] == "default"
    assert set(comment) == {"id", "article", "name", "excerpt", "reasons", "created_at"}


def test_published_comments_and_resubmissions_send_no_webhook(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    client = app.test_client()
    assert submit(client).status_code == 201
    assert submit(client).status_code == 200  # the same text again: the stored comment
    delivered(app)
    assert len(receiver.requests) == 1

    published = notify_app(MODERATION="off", **webhook(receiver.url))
    response = submit(published.test_client(), article="posts/other")
    assert response.get_json()["status"] == "approved"
    delivered(published)
    assert len(receiver.requests) == 1


def test_nothing_is_started_when_notifications_are_not_configured(client):
    before = notify_threads()
    assert submit(client).status_code == 201
    assert notify_threads() == before


def test_submission_does_not_wait_for_a_slow_receiver(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    receiver.release.clear()

    response = submit(app.test_client())

    assert response.status_code == 201
    assert receiver.arrived.wait(10), "the webhook never arrived"
    assert not notifier(app).flush(timeout=0), "the receiver should still hold the request"
    receiver.release.set()
    delivered(app)


@pytest.mark.parametrize("failure", ["dead receiver", "HTTP 500"])
def test_failing_receiver_is_retried_then_logged_and_the_comment_is_kept(
    notify_app, receiver, caplog, failure
):
    caplog.set_level(logging.WARNING, logger="service.notifications")
    if failure == "dead receiver":
        url = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    else:
        url, receiver.status = receiver.url, 500
    app = notify_app(**webhook(url, NOTIFY_RETRIES=2))

    response = submit(app.test_client())

    assert response.status_code == 201
    delivered(app)
    if failure == "HTTP 500":
        assert len(receiver.requests) == 3
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.WARNING] * 2
    (gave_up,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    expected = "ConnectionError" if failure == "dead receiver" else "HTTP 500"
    assert "gave up after 3 attempt(s)" in gave_up.getMessage()
    assert expected in gave_up.getMessage()
    assert_private(caplog.text)
    with app.app_context():
        stored = db.session.get(Comment, response.get_json()["id"])
        assert stored is not None and stored.status == CommentStatus.PENDING


def test_receiver_refusing_the_request_is_not_retried(notify_app, receiver, caplog):
    caplog.set_level(logging.WARNING, logger="service.notifications")
    receiver.status = 404
    app = notify_app(**webhook(receiver.url))

    assert submit(app.test_client()).status_code == 201
    delivered(app)

    assert len(receiver.requests) == 1
    assert "refused with HTTP 404; not retried" in caplog.text
    assert_private(caplog.text)


def test_after_a_delivery_gave_up_the_next_gets_one_attempt_until_one_succeeds(
    notify_app, receiver
):
    receiver.status = 503
    app = notify_app(**webhook(receiver.url, NOTIFY_RETRIES=2))
    client = app.test_client()
    assert submit(client, body="one").status_code == 201
    delivered(app)
    assert submit(client, body="two").status_code == 201
    delivered(app)
    assert len(receiver.requests) == 3 + 1

    receiver.status = 200
    assert submit(client, body="three").status_code == 201
    delivered(app)
    assert len(receiver.requests) == 5


def test_shutdown_ends_the_sender_thread_and_later_events_are_only_logged(
    notify_app, receiver, caplog
):
    app = notify_app(**webhook(receiver.url))
    assert submit(app.test_client()).status_code == 201
    delivered(app)
    assert notify_threads()

    notifier(app).shutdown()

    assert notify_threads() == []
    with caplog.at_level(logging.WARNING, logger="service.notifications"):
        assert submit(app.test_client(), body="After the shutdown.").status_code == 201
    assert "not sent: notifications are shut down" in caplog.text
    assert notify_threads() == [] and len(receiver.requests) == 1


def test_an_article_switching_to_surge_mode_is_announced_once(notify_app, receiver):
    app = notify_app(
        **webhook(receiver.url), MODERATION="off", SURGE_SUBMISSIONS=3, SURGE_WINDOW_SECONDS=600
    )
    client = app.test_client()
    for number in range(4):
        response = submit(
            client,
            article="posts/heated",
            email=f"reader{number}@example.org",
            body=f"take {number}",
        )
        assert response.status_code == 201
    delivered(app)

    surges = [p for p in receiver.payloads() if p["event"] == "article.surge"]
    assert len(surges) == 1
    assert surges[0]["article"] == "posts/heated"
    assert "3 submissions in 10 minutes" in surges[0]["why"]
    held = [p for p in receiver.payloads() if p["event"] == "comment.held"]
    assert [p["comment"]["reasons"][0]["code"] for p in held] == ["surge", "surge"]


def test_a_published_comment_edited_back_into_the_queue_is_posted_to_the_webhook(
    notify_app, receiver
):
    app = notify_app(MODERATION="off", HOLD_WORDS=("casino",), **webhook(receiver.url))
    client = app.test_client()
    created = submit(client).get_json()
    assert created["status"] == "approved"

    def edit(body: str) -> Any:
        return client.patch(
            f"/api/v1/comments/{created['id']}",
            json={"body": body},
            headers={"X-Edit-Token": created["edit_token"]},
        )

    assert edit("Fixed a typo.").get_json()["status"] == "approved"
    assert edit("Now about my casino.").get_json()["status"] == "pending"
    assert edit("Still about my casino.").get_json()["status"] == "pending"
    delivered(app)

    # Once, when it went back to the queue; not again for an edit while it waits.
    [payload] = receiver.payloads()
    assert payload["comment"]["id"] == created["id"]
    assert_private(json.dumps(payload))
