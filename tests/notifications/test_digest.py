"""The `notify` command's use cases (service/notifications/digest.py): the email digest of held
comments (a real local SMTP server, aiosmtpd) and the stale-queue alert."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from service.extensions import db
from service.models import Comment, CommentStatus, Notification, utcnow
from tests.conftest import free_port, submit
from tests.notifications.helpers import (
    ADDRESS,
    MODERATORS,
    PASSWORD,
    PUBLIC_URL,
    SECRET,
    assert_private,
    delivered,
    email,
    webhook,
)


def age_pending_comments(app: Flask, minutes: int) -> None:
    with app.app_context(), db.session.begin():
        db.session.execute(
            update(Comment)
            .where(Comment.status == CommentStatus.PENDING)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )


def test_notify_emails_one_digest_of_the_held_comments_without_addresses(notify_app, smtp_server):
    mailbox, port = smtp_server
    app = notify_app(**email(port))
    client, runner = app.test_client(), app.test_cli_runner()
    first = submit(client, body="First thoughts.").get_json()
    second = submit(client, "posts/other", name="Grace Hopper", body="A bug!").get_json()

    result = runner.invoke(args=["notify", "--no-alert"])

    assert result.exit_code == 0, result.output
    assert "Digest: 2 held comments sent to 2 recipients." in result.output
    (digest,) = mailbox.messages
    assert digest["Subject"] == "commentdesk: 2 comments held for moderation"
    assert digest["From"] == "commentdesk@desk.example"
    assert mailbox.envelopes == [("commentdesk@desk.example", list(MODERATORS))]
    text = digest.get_content()
    assert f"#{first['id']} on posts/hello, by Ada Lovelace" in text
    assert f"#{second['id']} on posts/other, by Grace Hopper" in text
    assert "First thoughts." in text and "A bug!" in text
    assert "Why: " in text
    assert "The site holds every comment until a moderator approves it" in text
    assert f"{PUBLIC_URL}/moderation/?status=pending&article=posts%2Fother#c{second['id']}" in text
    assert text.index("First thoughts.") < text.index("A bug!")
    assert ADDRESS not in digest.as_string()

    again = runner.invoke(args=["notify", "--no-alert"])
    assert again.exit_code == 0, again.output
    assert "Digest: no newly held comments." in again.output
    assert len(mailbox.messages) == 1

    third = submit(client, body="Later.").get_json()
    runner.invoke(args=["notify", "--no-alert"])
    assert len(mailbox.messages) == 2
    later = mailbox.messages[1].get_content()
    assert f"#{third['id']}" in later
    assert f"#{first['id']} " not in later and "A bug!" not in later


def test_digest_leaves_out_comments_already_decided(notify_app, smtp_server):
    mailbox, port = smtp_server
    app = notify_app(**email(port))
    client = app.test_client()
    kept = submit(client, body="Still waiting.").get_json()
    decided = submit(client, body="Already approved.").get_json()
    with app.app_context(), db.session.begin():
        db.session.execute(
            update(Comment).where(Comment.id == decided["id"]).values(status=CommentStatus.APPROVED)
        )

    assert app.test_cli_runner().invoke(args=["notify", "--no-alert"]).exit_code == 0

    text = mailbox.messages[0].get_content()
    assert f"#{kept['id']}" in text and "Already approved." not in text


def test_failed_digest_marks_nothing_and_the_next_run_sends_it(notify_app, smtp_server, caplog):
    caplog.set_level(logging.WARNING, logger="service.notifications")
    mailbox, port = smtp_server
    broken = notify_app(**email(free_port(), SMTP_USERNAME="desk", SMTP_PASSWORD=PASSWORD))
    submit(broken.test_client())

    result = broken.test_cli_runner().invoke(args=["notify", "--no-alert"])

    assert result.exit_code == 1
    assert "Digest: sending failed" in result.output
    assert "ConnectionRefusedError" in caplog.text
    assert_private(caplog.text + result.output)
    with broken.app_context():
        assert db.session.scalars(select(Notification)).all() == []

    working = notify_app(**email(port))
    result = working.test_cli_runner().invoke(args=["notify", "--no-alert"])
    assert result.exit_code == 0, result.output
    assert "Digest: 1 held comment sent" in result.output
    assert len(mailbox.messages) == 1


def test_notify_without_email_settings_skips_the_digest(runner):
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    assert "Digest: email is not configured" in result.output
    assert "Queue alert: no webhook or email configured" in result.output


# --- the stale-queue alert -----------------------------------------------------------------
def test_stale_queue_alert_fires_only_past_the_threshold_and_once_per_period(
    notify_app, receiver, smtp_server
):
    mailbox, port = smtp_server
    app = notify_app(PENDING_ALERT_MINUTES=30, **webhook(receiver.url), **email(port))
    client, runner = app.test_client(), app.test_cli_runner()
    submit(client, body="Old one.")
    submit(client, "posts/other", body="Another.")
    delivered(app)
    receiver.requests.clear()

    fresh = runner.invoke(args=["notify", "--no-digest"])
    assert fresh.exit_code == 0, fresh.output
    assert "has waited 0 min (threshold 30); no alert" in fresh.output
    assert receiver.requests == [] and mailbox.messages == []

    age_pending_comments(app, minutes=45)
    stale = runner.invoke(args=["notify", "--no-digest"])

    assert stale.exit_code == 0, stale.output
    assert "Queue alert sent: 2 comments wait for moderation" in stale.output
    (request,) = receiver.requests
    payload = json.loads(request["body"])
    assert request["headers"]["X-Commentdesk-Signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    )
    assert payload["event"] == "queue.stale"
    assert payload["pending"] == 2
    assert payload["threshold_minutes"] == 30
    assert 45 <= payload["oldest"]["waited_minutes"] <= 46
    assert payload["queue_url"] == f"{PUBLIC_URL}/moderation/"
    (alert,) = mailbox.messages
    assert alert["Subject"].startswith("commentdesk: the oldest pending comment has waited 4")
    assert "2 comments wait for moderation" in alert.get_content()
    assert ADDRESS not in request["body"].decode() + alert.as_string()

    repeated = runner.invoke(args=["notify", "--no-digest"])
    assert "Queue alert: already sent" in repeated.output
    assert len(receiver.requests) == 1 and len(mailbox.messages) == 1


def test_stale_alert_repeats_after_another_period_if_still_waiting(notify_app, receiver):
    app = notify_app(PENDING_ALERT_MINUTES=30, **webhook(receiver.url))
    submit(app.test_client())
    delivered(app)
    age_pending_comments(app, minutes=40)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["notify"]).exit_code == 0
    with app.app_context(), db.session.begin():
        db.session.execute(update(Notification).values(sent_at=utcnow() - timedelta(minutes=31)))

    result = runner.invoke(args=["notify"])

    assert "Queue alert sent" in result.output
    assert [p.get("event") for p in receiver.payloads()] == [
        "comment.held",
        "queue.stale",
        "queue.stale",
    ]


def test_stale_alert_failure_exits_non_zero(notify_app, caplog):
    caplog.set_level(logging.WARNING, logger="service.notifications")
    app = notify_app(
        PENDING_ALERT_MINUTES=5, NOTIFY_RETRIES=0, **webhook(f"http://127.0.0.1:{free_port()}/x")
    )
    submit(app.test_client())
    delivered(app)
    age_pending_comments(app, minutes=10)

    result = app.test_cli_runner().invoke(args=["notify"])

    assert result.exit_code == 1
    assert "Queue alert: sending failed" in result.output
    with app.app_context():
        assert db.session.scalars(select(Notification)).all() == []


def test_stale_alert_is_off_at_zero(notify_app, receiver):
    app = notify_app(PENDING_ALERT_MINUTES=0, **webhook(receiver.url))
    submit(app.test_client())
    delivered(app)
    age_pending_comments(app, minutes=10_000)

    result = app.test_cli_runner().invoke(args=["notify"])

    assert "Queue alert: off" in result.output
    assert len(receiver.requests) == 1


def test_smtp_without_moderator_recipients_sends_no_digest(make_app):
    # SMTP alone serves commenters' "my comments" links; moderators' email is optional.
    app = make_app(SMTP_HOST="127.0.0.1", NOTIFY_EMAIL_FROM="comments@blog.example.com")
    result = app.test_cli_runner().invoke(args=["notify", "--no-alert"])
    assert result.exit_code == 0, result.output
    assert "Digest: email is not configured" in result.output
