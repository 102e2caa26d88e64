"""Notifications: the signed webhook for held comments (a real local HTTP receiver), the email
digest and the stale-queue alert of `flask notify` (a real local SMTP server, aiosmtpd)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from service import create_app
from service.extensions import db
from service.models import Comment, CommentStatus, Notification, utcnow
from service.notifications import notifier
from service.ops.config import ConfigError, settings_from_environment
from tests.conftest import VALID, base_config, free_port, submit

ADDRESS = VALID["email"]
SECRET = "webhook-secret-that-nobody-may-see"
PASSWORD = "smtp-password-that-nobody-may-see"
# A Slack-style URL: the path is a token, so it must stay out of the logs too.
HOOK_PATH = "/services/T000/B000/token-in-the-path"
PUBLIC_URL = "https://comments.example.com"
MODERATORS = ("mia@desk.example", "raj@desk.example")


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each request and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                receiver.arrived.set()
                receiver.release.wait(10)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{HOOK_PATH}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.thread.start()
    yield running
    running.release.set()
    running.server.shutdown()
    running.server.server_close()
    running.thread.join(5)


@pytest.fixture
def notify_app(make_app: Any) -> Iterator[Any]:
    """Apps with notification settings; their background senders are stopped afterwards, so
    no thread outlives its test."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = make_app(**({"PUBLIC_URL": PUBLIC_URL, "NOTIFY_RETRY_DELAY": 0.01} | overrides))
        built.append(app)
        return app

    yield build
    for app in built:
        notifier(app).shutdown()


def webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"NOTIFY_WEBHOOK_URL": url, "NOTIFY_WEBHOOK_SECRET": SECRET, **extra}


def email(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "NOTIFY_EMAIL_FROM": "commentdesk@desk.example",
        "NOTIFY_EMAIL_TO": MODERATORS,
        # The commenters' "my comments" emails would share the mailbox (tests/test_my_comments).
        "MY_COMMENTS_LINK_HOURS": 0,
        **extra,
    }


def delivered(app: Flask) -> None:
    assert notifier(app).flush(timeout=20), "webhook deliveries still running"


def notify_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("commentdesk-notify")]


def age_pending_comments(app: Flask, minutes: int) -> None:
    with app.app_context(), db.session.begin():
        db.session.execute(
            update(Comment)
            .where(Comment.status == CommentStatus.PENDING)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )


def assert_private(text: str) -> None:
    for secret in (ADDRESS, SECRET, PASSWORD, HOOK_PATH):
        assert secret not in text


# --- the webhook ---------------------------------------------------------------------------


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
    assert set(payload) == {"event", "delivery", "sent_at", "comment", "queue_url"}
    assert set(comment) == {"id", "article", "name", "excerpt", "reasons", "created_at"}


def test_slack_format_posts_escaped_text_with_a_link_to_the_queue(notify_app, receiver):
    app = notify_app(NOTIFY_WEBHOOK_URL=receiver.url, NOTIFY_WEBHOOK_FORMAT="slack")
    response = submit(app.test_client(), body="<!channel> look & see <https://spam.example|x>")
    assert response.status_code == 201
    delivered(app)

    (payload,) = receiver.payloads()
    assert list(payload) == ["text"]
    text = payload["text"]
    assert "*posts/hello*" in text and "*Ada Lovelace*" in text
    assert "&lt;!channel&gt; look &amp; see &lt;https://spam.example|x&gt;" in text
    assert "<!channel>" not in text
    comment_id = response.get_json()["id"]
    link = f"{PUBLIC_URL}/moderation/?status=pending&article=posts%2Fhello#c{comment_id}"
    assert text.endswith(f"<{link}|Open the queue>")
    assert ADDRESS not in text


def test_addresses_typed_into_the_name_or_the_body_are_masked(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    response = submit(
        app.test_client(),
        name="ada@example.org",
        body="Write to me at ada@example.org or ADA@Example.org, please.",
    )
    assert response.status_code == 201
    delivered(app)

    (request,) = receiver.requests
    raw = request["body"].decode()
    assert "example.org" not in raw.lower()
    comment = json.loads(raw)["comment"]
    assert comment["name"] == "[email hidden]"
    assert comment["excerpt"] == "Write to me at [email hidden] or [email hidden] please."


def test_long_bodies_are_cut_to_a_short_excerpt(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    assert submit(app.test_client(), body="word " * 500).status_code == 201
    delivered(app)

    excerpt = receiver.payloads()[0]["comment"]["excerpt"]
    assert len(excerpt) <= 201
    assert excerpt.endswith("word…")


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


# --- the digest ----------------------------------------------------------------------------


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


def test_smtp_login_failure_is_logged_without_the_password(notify_app, smtp_server, caplog):
    caplog.set_level(logging.WARNING, logger="service.notifications")
    _mailbox, port = smtp_server
    # The local server offers no AUTH (and no TLS): the login fails, the password stays put.
    app = notify_app(**email(port, SMTP_USERNAME="desk", SMTP_PASSWORD=PASSWORD))
    submit(app.test_client())

    result = app.test_cli_runner().invoke(args=["notify"])

    assert result.exit_code == 1
    assert "SMTPNotSupportedError" in caplog.text
    assert_private(caplog.text + result.output)


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


# --- settings ------------------------------------------------------------------------------


def test_notification_settings_come_from_the_environment():
    settings = settings_from_environment(
        {
            "PUBLIC_URL": "https://comments.example.com/",
            "NOTIFY_WEBHOOK_URL": "https://hooks.example.com/x",
            "NOTIFY_WEBHOOK_SECRET": SECRET,
            "NOTIFY_WEBHOOK_FORMAT": "slack",
            "NOTIFY_RETRIES": "5",
            "SMTP_HOST": "smtp.example.com",
            "SMTP_PORT": "2525",
            "SMTP_STARTTLS": "false",
            "SMTP_PASSWORD": PASSWORD,
            "NOTIFY_EMAIL_FROM": "desk@example.com",
            "NOTIFY_EMAIL_TO": " mia@desk.example, raj@desk.example ,",
            "PENDING_ALERT_MINUTES": "90",
        }
    )
    assert settings["NOTIFY_EMAIL_TO"] == MODERATORS
    assert settings["SMTP_PORT"] == 2525 and settings["SMTP_STARTTLS"] is False
    assert settings["PENDING_ALERT_MINUTES"] == 90 and settings["NOTIFY_RETRIES"] == 5

    app = create_app(base_config("sqlite://") | settings)
    notify = notifier(app).settings
    assert notify.public_url == PUBLIC_URL
    assert notify.webhook_format == "slack"
    assert notify.email_to == MODERATORS
    assert PASSWORD not in repr(notify) and SECRET not in repr(notify)
    assert "hooks.example.com/x" not in repr(notify)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOTIFY_WEBHOOK_URL": "https://hooks.example.com/x"}, "NOTIFY_WEBHOOK_SECRET is not set"),
        ({"NOTIFY_WEBHOOK_URL": "hooks.example.com/x"}, "must be an http:// or https:// URL"),
        ({"NOTIFY_WEBHOOK_FORMAT": "xml"}, "NOTIFY_WEBHOOK_FORMAT must be one of json, slack"),
        ({"PUBLIC_URL": "comments.example.com"}, "PUBLIC_URL must be an http"),
        ({"NOTIFY_EMAIL_TO": ("mia@desk.example",)}, "SMTP_HOST is not"),
        ({"SMTP_HOST": "smtp.example.com"}, "NOTIFY_EMAIL_FROM is not set"),
        (
            {"SMTP_HOST": "smtp.example.com", "NOTIFY_EMAIL_TO": ("mia@desk.example",)},
            "NOTIFY_EMAIL_FROM is not set",
        ),
    ],
)
def test_notification_settings_mistakes_stop_start_up(overrides, message):
    with pytest.raises(ConfigError, match=message) as refused:
        create_app(base_config("sqlite://") | overrides)
    assert "hooks.example.com/x" not in str(refused.value)


def test_smtp_without_moderator_recipients_sends_no_digest(make_app):
    # SMTP alone serves commenters' "my comments" links; moderators' email is optional.
    app = make_app(SMTP_HOST="127.0.0.1", NOTIFY_EMAIL_FROM="comments@blog.example.com")
    result = app.test_cli_runner().invoke(args=["notify", "--no-alert"])
    assert result.exit_code == 0, result.output
    assert "Digest: email is not configured" in result.output


def test_malformed_notification_numbers_are_refused_by_name():
    with pytest.raises(ConfigError, match="SMTP_PORT must be a whole number"):
        settings_from_environment({"SMTP_PORT": "smtp"})
    with pytest.raises(ConfigError, match="SMTP_STARTTLS must be true or false"):
        settings_from_environment({"SMTP_STARTTLS": "perhaps"})


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
