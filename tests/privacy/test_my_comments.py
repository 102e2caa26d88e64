"""'My comments': the emailed link (a real local SMTP server, aiosmtpd) arrives on a first
comment, opens the commenter's page, expires, cannot be forged or turned on another
address's comments; withdraw, download and erase work through it like the CLI."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import Comment, ModerationEvent
from service.moderation import accounts, decisions
from service.privacy import my_comments, vault
from service.sites import registry
from tests.conftest import Mailbox, approve, form_token
from tests.notifications.helpers import email
from tests.privacy.test_personal_data import ADA, ada_hash, database_files, everything
from tests.privacy.test_personal_data import post as post_json

PUBLIC_URL = "https://comments.example.com"
_LINK = re.compile(re.escape(PUBLIC_URL) + r"(/my-comments/[A-Za-z0-9_=-]+)")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def mine(make_app: Any, smtp_server: tuple[Mailbox, int]) -> Iterator[tuple[Flask, Mailbox]]:
    mailbox, port = smtp_server
    app = make_app(**email(port, PUBLIC_URL=PUBLIC_URL, MY_COMMENTS_LINK_HOURS=72))
    yield app, mailbox
    app.extensions[my_comments.EXTENSION_KEY].shutdown(wait=True)


def post(client: FlaskClient, **fields: Any) -> int:
    """Post from the widget's form with "Email me a link to manage my comments" ticked."""
    token = form_token(client.application)
    return post_json(client, form_token=token, my_comments_link=True, **fields)


def wait_for(mailbox: Mailbox, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(mailbox.messages) >= count, "no email arrived"


def link_in(mailbox: Mailbox, index: int = -1) -> str:
    body = mailbox.messages[index].get_content()
    match = _LINK.search(body)
    assert match, body
    return match.group(1)


def csrf(page: Any) -> str:
    match = _CSRF.search(page.get_data(as_text=True))
    assert match
    return match.group(1)


def open_page(client: FlaskClient, link: str) -> Any:
    response = client.get(link)
    assert response.status_code == 302 and response.location == "/my-comments/"
    return client.get("/my-comments/")


def test_the_link_arrives_for_each_address_that_asks(mine):
    app, mailbox = mine
    client = app.test_client()

    post(client, name="Ada", email=ADA, body="My first comment")
    post(client, name="Bob", email="bob@example.org", body="Bob's first")
    wait_for(mailbox, 2)

    assert sorted(m["To"] for m in mailbox.messages) == sorted([ADA, "bob@example.org"])
    ada_mail = next(m for m in mailbox.messages if m["To"] == ADA)
    link = _LINK.search(ada_mail.get_content())
    assert link and ADA not in link.group(0) and ada_hash(app) not in link.group(0)
    assert "72 hours" in ada_mail.get_content()


@pytest.mark.parametrize(
    "settings",
    [{"MY_COMMENTS_LINK_HOURS": 0}, {"PUBLIC_URL": ""}],
    ids=["link-hours-0", "no-public-url"],
)
def test_no_email_when_switched_off_or_without_a_public_url(make_app, smtp_server, settings):
    mailbox, port = smtp_server
    app = make_app(**email(port, PUBLIC_URL=PUBLIC_URL, MY_COMMENTS_LINK_HOURS=72) | settings)

    post(app.test_client(), name="Ada", email=ADA, body="Hello")

    app.extensions[my_comments.EXTENSION_KEY].shutdown(wait=True)
    assert mailbox.messages == []


def test_the_link_opens_the_commenters_comments_with_status_and_reason(mine):
    app, mailbox = mine
    client = app.test_client()
    first = post(client, name="Ada", email=ADA, body="Published one")
    refused = post(client, name="Ada", email=ADA, body="Refused one")
    post(client, name="Bob", email="bob@example.org", body="Not Ada's")
    wait_for(mailbox, 2)
    with app.app_context():
        mia = accounts.create_moderator("mia", "correct horse battery staple").id
        decisions.decide(first, "approve", mia)
        decisions.decide(refused, "reject", mia, note="Off topic for this article")

    page = open_page(app.test_client(), link_in(mailbox, 0))

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Published one" in text and "published" in text
    assert "Refused one" in text and "not published" in text
    assert "Why: Off topic for this article" in text
    assert "Not Ada" not in text


def test_an_expired_link_is_refused(mine):
    app, _ = mine
    with app.app_context():
        default = registry.default().id
        old = my_comments.link_for(ADA, default, issued_at=int(time.time()) - 73 * 3600)
        fresh = my_comments.link_for(ADA, default)
    client = app.test_client()
    post(client, name="Ada", email=ADA, body="Hello")

    response = client.get(old.removeprefix(PUBLIC_URL))

    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert client.get(fresh.removeprefix(PUBLIC_URL)).status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:],
        lambda token: token[:40],
        lambda token: "not-a-token",
        # Sealed under another key (the email encryption key): a stolen email_encrypted
        # column value is not a link.
        None,
    ],
    ids=["flipped", "cut", "junk", "email-ciphertext"],
)
def test_a_forged_link_opens_nothing(mine, tamper):
    app, mailbox = mine
    client = app.test_client()
    post(client, name="Ada", email=ADA, body="Hello")
    wait_for(mailbox, 1)
    token = link_in(mailbox).rsplit("/", 1)[1]
    if tamper is None:
        with app.app_context():
            forged = db.session.scalars(select(Comment.email_encrypted)).first()
    else:
        forged = tamper(token)

    response = client.get(f"/my-comments/{forged}")

    assert response.status_code == 403
    assert client.get("/my-comments/").status_code == 403
    assert "Hello" not in client.get("/my-comments/").get_data(as_text=True)


def test_a_link_cannot_act_on_another_addresss_comments(mine):
    app, mailbox = mine
    client = app.test_client()
    post(client, name="Ada", email=ADA, body="Ada's")
    bobs = post(client, name="Bob", email="bob@example.org", body="Bob's")
    wait_for(mailbox, 2)
    ada = app.test_client()
    page = open_page(ada, link_in(mailbox, 0))

    response = ada.post(f"/my-comments/{bobs}/withdraw", data={"csrf_token": csrf(page)})

    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Comment, bobs).status.value == "pending"


@pytest.mark.parametrize("comment_id", [10**6, 2**63, 10**30])
def test_withdrawing_an_id_no_comment_has_is_a_404(mine, comment_id):
    app, mailbox = mine
    client = app.test_client()
    post(client, name="Ada", email=ADA, body="Hello")
    wait_for(mailbox, 1)
    page = open_page(client, link_in(mailbox))

    response = client.post(f"/my-comments/{comment_id}/withdraw", data={"csrf_token": csrf(page)})

    assert response.status_code == 404


def test_withdraw_and_download_through_the_link(mine, moderator_headers):
    app, mailbox = mine
    client = app.test_client()
    comment = post(client, name="Ada", email=ADA, body="Take me back")
    approve(client, moderator_headers, comment)
    wait_for(mailbox, 1)
    page = open_page(client, link_in(mailbox))
    token = csrf(page)

    withdrawn = client.post(f"/my-comments/{comment}/withdraw", data={"csrf_token": token})
    download = client.post("/my-comments/download", data={"csrf_token": token})

    assert withdrawn.status_code == 302
    feed = client.get("/api/v1/articles/posts/erase/comments").get_json()
    assert feed["count"] == 0 and feed["comments"] == []
    with app.app_context():
        event = db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.action == "withdraw")
        ).one()
        assert (event.actor, event.comment_id, event.to_status) == ("commenter", comment, "deleted")
    assert download.headers["Content-Disposition"] == 'attachment; filename="my-comments.json"'
    (record,) = json.loads(download.get_data())["comments"]
    assert (record["id"], record["status"], record["email"]) == (comment, "deleted", ADA)
    without_token = client.post(f"/my-comments/{comment}/withdraw")
    assert without_token.status_code == 400


def test_erasure_through_the_link_behaves_like_the_cli(mine, moderator_headers):
    app, mailbox = mine
    client = app.test_client()
    parent = post(client, name="Ada", email=ADA, body="Parent")
    approve(client, moderator_headers, parent)
    reply = post(client, name="Grace", email="grace@example.org", body="Reply",
                 parent_id=parent)  # fmt: skip
    approve(client, moderator_headers, reply)
    wait_for(mailbox, 2)
    page = open_page(client, link_in(mailbox, 0))

    erased = client.post("/my-comments/erase", data={"csrf_token": csrf(page), "mode": "delete"})

    assert erased.status_code == 200
    assert "gone from 1 comments" in erased.get_data(as_text=True)
    assert ada_hash(app) not in everything(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert ada_hash(app).encode() not in database_files(app)
    feed = client.get("/api/v1/articles/posts/erase/comments").get_json()
    assert [c["id"] for c in feed["comments"]] == [reply]
    assert feed["comments"][0]["parent_removed"] is True
    with app.app_context():
        event = db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.action == "erase")
        ).one()
        assert event.actor == "commenter" and "(delete): 1 comments" in event.note
        assert vault.vault().email_hash(ADA) not in (event.note or "")
    # The link no longer opens anything of Ada's.
    assert "Parent" not in client.get("/my-comments/").get_data(as_text=True)
