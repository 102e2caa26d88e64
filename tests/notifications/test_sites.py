"""Notifications per site: each site's held comments go to its own webhook and its own digest
recipients, its stale queue to its own receivers; the default site's are the environment's."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from service.extensions import db
from service.models import Article, Comment, CommentStatus, Site, utcnow
from tests.conftest import submit
from tests.notifications.helpers import (
    ADDRESS,
    MODERATORS,
    SECRET,
    Receiver,
    assert_private,
    delivered,
    email,
    webhook,
)
from tests.two_sites import add_site, submit_on

B_ORIGIN = "https://b.example.net"
B_SECRET = "site-b-secret-nobody-may-see"
B_DESK = ("desk@b.example.net",)


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()
    running.thread.join(5)


def site_b(app, receiver_url: str | None = None, **settings) -> None:
    hook = {"webhook_url": receiver_url, "webhook_secret": B_SECRET} if receiver_url else {}
    add_site(app, "b", origins=[B_ORIGIN], **hook, **settings)


def test_each_site_held_comment_goes_to_its_own_webhook(notify_app, receiver, second_receiver):
    app = notify_app(**webhook(receiver.url))
    site_b(app, second_receiver.url)
    client = app.test_client()

    on_default = submit(client, body="On the first site.").get_json()
    on_b = submit_on(client, B_ORIGIN, body="On site B.").get_json()
    delivered(app)

    [default_hook] = receiver.payloads()
    [b_hook] = second_receiver.payloads()
    assert (default_hook["site"], default_hook["comment"]["id"]) == ("default", on_default["id"])
    assert (b_hook["site"], b_hook["comment"]["id"]) == ("b", on_b["id"])
    # Each is signed with its own site's secret.
    for hook_receiver, secret in ((receiver, SECRET), (second_receiver, B_SECRET)):
        [request] = hook_receiver.requests
        expected = hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Commentdesk-Signature"] == f"sha256={expected}"
        assert_private(request["body"].decode())
        assert B_SECRET not in request["body"].decode()


def test_a_new_site_hears_nothing_of_the_environment_webhook(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    site_b(app)

    assert submit_on(app.test_client(), B_ORIGIN, body="Quiet site.").status_code == 201
    delivered(app)

    assert receiver.requests == []


def test_notify_sends_each_site_its_own_digest(notify_app, smtp_server):
    mailbox, port = smtp_server
    app = notify_app(**email(port))
    site_b(app, digest_to=list(B_DESK))
    client = app.test_client()
    submit(client, body="Default site's comment.")
    submit_on(client, B_ORIGIN, "posts/b-only", body="Site B's comment.")
    submit_on(client, B_ORIGIN, "posts/b-only", body="Another on B.")

    result = app.test_cli_runner().invoke(args=["notify", "--no-alert"])

    assert result.exit_code == 0, result.output
    assert "[default] Digest: 1 held comment sent to 2 recipients." in result.output
    assert "[b] Digest: 2 held comments sent to 1 recipient." in result.output
    digests = {
        tuple(to): message
        for (_, to), message in zip(mailbox.envelopes, mailbox.messages, strict=True)
    }
    assert set(digests) == {MODERATORS, B_DESK}
    default_text = digests[MODERATORS].get_content()
    b_text = digests[B_DESK].get_content()
    assert "Default site's comment." in default_text and "Site B" not in default_text
    assert "Site B's comment." in b_text and "Another on B." in b_text
    # A moderator of several sites sees whose digest it is; the default site's reads as before.
    assert digests[B_DESK]["Subject"] == "commentdesk (B): 2 comments held for moderation"
    assert digests[MODERATORS]["Subject"] == "commentdesk: 1 comment held for moderation"
    assert "Default site's comment." not in b_text
    assert all(ADDRESS not in message.as_string() for message in mailbox.messages)

    again = app.test_cli_runner().invoke(args=["notify", "--no-alert"])
    assert again.output.count("Digest: no newly held comments.") == 2
    assert len(mailbox.messages) == 2


def test_a_site_without_digest_recipients_gets_no_digest(notify_app, smtp_server):
    mailbox, port = smtp_server
    app = notify_app(**email(port))
    site_b(app)
    submit_on(app.test_client(), B_ORIGIN, body="Only on B.")

    result = app.test_cli_runner().invoke(args=["notify", "--no-alert"])

    assert result.exit_code == 0, result.output
    assert "[default] Digest: no newly held comments." in result.output
    assert "[b] Digest: the site has no digest recipients; skipped." in result.output
    assert mailbox.messages == []


def test_the_stale_alert_goes_to_the_site_whose_queue_waits(notify_app, receiver, second_receiver):
    app = notify_app(PENDING_ALERT_MINUTES=30, **webhook(receiver.url))
    site_b(app, second_receiver.url)
    client = app.test_client()
    submit(client, body="Fresh on the default site.")
    submit_on(client, B_ORIGIN, body="Waiting on B.")
    delivered(app)
    receiver.requests.clear()
    second_receiver.requests.clear()
    with app.app_context(), db.session.begin():
        b_articles = Article.site_id.in_(db.select(Site.id).where(Site.slug == "b"))
        db.session.execute(
            update(Comment)
            .where(Comment.article_id.in_(db.select(Article.id).where(b_articles)))
            .values(created_at=utcnow() - timedelta(minutes=45))
        )

    result = app.test_cli_runner().invoke(args=["notify", "--no-digest"])

    assert result.exit_code == 0, result.output
    assert "[default] Queue alert: the oldest pending comment has waited 0 min" in result.output
    assert "[b] Queue alert sent: 1 comment waits for moderation" in result.output
    delivered(app)
    assert receiver.requests == []
    [alert] = second_receiver.payloads()
    assert (alert["event"], alert["site"], alert["pending"]) == ("queue.stale", "b", 1)
    repeated = app.test_cli_runner().invoke(args=["notify", "--no-digest"])
    assert "[b] Queue alert: already sent" in repeated.output


def test_a_site_webhook_without_its_secret_is_refused_by_notify_and_spares_submissions(
    notify_app, receiver, caplog
):
    app = notify_app(PENDING_ALERT_MINUTES=30)
    add_site(app, "b", origins=[B_ORIGIN], webhook_url=receiver.url)
    caplog.set_level(logging.ERROR, logger="service.notifications")

    response = submit_on(app.test_client(), B_ORIGIN, body="Held all the same.")

    assert response.status_code == 201 and response.get_json()["status"] == "pending"
    assert "The webhook secret of site 'b' is not set" in caplog.text
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code != 0
    assert "[b] Not sent: The webhook secret of site 'b' is not set" in result.output
    assert "/services/" not in result.output + caplog.text
    delivered(app)
    assert receiver.requests == []
    with app.app_context():
        assert db.session.scalar(db.select(Comment.status)) == CommentStatus.PENDING
