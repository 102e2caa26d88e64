"""Who gets the "my comments" link by email: only a commenter who ticked "Email me a link to
manage my comments", never a submission caught as spam or by a bot trap, at most once a day
per address (held in the database, so every worker sees it) and MY_COMMENTS_MAIL_PER_HOUR an
hour for the site. A real local SMTP server (aiosmtpd) receives what is sent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from service.extensions import db
from service.models import LinkMail, utcnow
from service.privacy import my_comments
from tests.conftest import Mailbox, form_token
from tests.notifications.helpers import email

PUBLIC_URL = "https://comments.example.com"
ADA = "ada@example.org"
WAVE_TEXT = "Earn 500 a day from home, ask me how, the best offer you will see this year"


@pytest.fixture
def mail_app(
    make_app: Any, smtp_server: tuple[Mailbox, int]
) -> Iterator[Callable[..., tuple[Flask, Mailbox]]]:
    """Apps that send mail to the local server; their mail threads are stopped afterwards."""
    mailbox, port = smtp_server
    built: list[Flask] = []

    def build(**overrides: Any) -> tuple[Flask, Mailbox]:
        app = make_app(**email(port, PUBLIC_URL=PUBLIC_URL, MY_COMMENTS_LINK_HOURS=72) | overrides)
        built.append(app)
        return app, mailbox

    yield build
    for app in built:
        settle(app)


def settle(app: Flask) -> None:
    """Wait until every mail this app queued has reached the SMTP server."""
    app.extensions[my_comments.EXTENSION_KEY].shutdown(wait=True)


def post(app: Flask, email: str = ADA, body: str = "A thoughtful comment.", **fields: Any) -> Any:
    """A submission as the widget sends it (form token from a minute ago), asking for the link
    unless told otherwise."""
    data = {"name": "Ada", "email": email, "body": body, "form_token": form_token(app)}
    data |= {"my_comments_link": True} | fields
    response = app.test_client().post("/api/v1/articles/posts/mail/comments", json=data)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def recipients(mailbox: Mailbox) -> list[str]:
    return [message["To"] for message in mailbox.messages]


def test_no_mail_unless_the_commenter_asks(mail_app):
    app, mailbox = mail_app()

    post(app, my_comments_link=False)
    # A client that does not know the field at all (an older widget, a script).
    silent = {"name": "Bob", "email": "bob@example.org", "body": "Not asking either."}
    response = app.test_client().post(
        "/api/v1/articles/posts/mail/comments", json=silent | {"form_token": form_token(app)}
    )
    assert response.status_code == 201

    settle(app)
    assert mailbox.messages == []


def test_asking_brings_one_mail_and_asking_again_the_same_day_none(mail_app):
    app, mailbox = mail_app()

    post(app, body="First comment.")
    post(app, email=ADA.upper(), body="Second comment, same address.")
    post(app, email="bob@example.org", body="Bob asks too.")

    settle(app)
    assert sorted(recipients(mailbox)) == [ADA, "bob@example.org"]


def test_the_daily_limit_holds_across_workers_and_lapses_after_a_day(mail_app):
    first, mailbox = mail_app()
    other_worker, _ = mail_app()
    post(first, body="From one worker.")
    settle(first)

    post(other_worker, body="From another worker, an hour later.")
    settle(other_worker)
    assert recipients(mailbox) == [ADA]

    later, _ = mail_app()
    with later.app_context():
        db.session.execute(update(LinkMail).values(sent_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    post(later, body="The next day.")
    settle(later)
    assert recipients(mailbox) == [ADA, ADA]


@pytest.mark.parametrize(
    ("settings", "fields"),
    [
        ({}, {"hp": "https://bot.example"}),
        ({}, {"form_token": "forged.token.value"}),
        ({}, {"form_token": None}),
        ({"DENY_WORDS": ("casino",)}, {"body": "Best casino bonuses here."}),
        ({"DENY_DOMAINS": ("spam.example",)}, {"website": "https://spam.example/"}),
        ({"MODERATION": "off"}, {"form_token": None}),
    ],
    ids=["honeypot", "forged-token", "no-token", "deny-word", "spam-domain", "no-token-off"],
)
def test_no_mail_for_a_submission_caught_as_spam_or_by_a_trap(mail_app, settings, fields):
    app, mailbox = mail_app(**settings)

    post(app, **fields)

    settle(app)
    assert mailbox.messages == []


def test_no_mail_for_a_copy_of_what_other_addresses_just_sent(mail_app):
    app, mailbox = mail_app()
    for sender in ("one@spam.example", "two@spam.example"):
        post(app, email=sender, body=WAVE_TEXT, my_comments_link=False)

    # The same text with other numbers and punctuation is the same wave.
    post(app, body=WAVE_TEXT.replace("500", "900") + "!!")

    settle(app)
    assert mailbox.messages == []


def test_the_sites_hourly_cap_holds(mail_app, caplog):
    app, mailbox = mail_app(MY_COMMENTS_MAIL_PER_HOUR=2)
    caplog.set_level(logging.WARNING, logger="service.privacy.my_comments")

    for n in range(4):
        post(app, email=f"reader{n}@example.org", body=f"Comment number {n}: {'x' * n}")

    settle(app)
    assert recipients(mailbox) == ["reader0@example.org", "reader1@example.org"]
    assert "MY_COMMENTS_MAIL_PER_HOUR (2) reached" in caplog.text
    assert "reader3@example.org" not in caplog.text


def test_the_plain_form_has_the_unticked_box_and_a_ticked_one_brings_the_link(mail_app):
    app, mailbox = mail_app()
    client = app.test_client()
    page = client.get("/articles/posts/mail/comments.html").get_data(as_text=True)
    assert 'name="my_comments_link" type="checkbox" value="true">' in page
    assert "Email me a link to manage my comments" in page

    response = client.post(
        "/api/v1/articles/posts/mail/comments",
        data={
            "name": "Ada",
            "email": ADA,
            "body": "From the plain form.",
            "website": "",
            "my_comments_link": "true",
            "form_token": form_token(app),
            "return_to": "https://blog.example.com/posts/mail",
        },
    )

    assert response.status_code == 303
    settle(app)
    assert recipients(mailbox) == [ADA]


def test_the_error_page_keeps_the_box_as_the_reader_left_it(mail_app):
    app, mailbox = mail_app()
    form = {"name": "Ada", "email": "ada@example", "body": "Oops.", "form_token": form_token(app),
            "return_to": "https://blog.example.com/posts/mail"}  # fmt: skip
    client = app.test_client()

    ticked = client.post(
        "/api/v1/articles/posts/mail/comments", data=form | {"my_comments_link": "true"}
    )
    unticked = client.post("/api/v1/articles/posts/mail/comments", data=form)

    assert ticked.status_code == unticked.status_code == 422
    box = 'name="my_comments_link" type="checkbox" value="true"'
    assert f"{box} checked>" in ticked.get_data(as_text=True)
    assert f"{box}>" in unticked.get_data(as_text=True)
    settle(app)
    assert mailbox.messages == []


def test_the_api_documents_the_field(mail_app):
    app, _ = mail_app()
    spec = app.test_client().get("/openapi.json").get_json()
    field = spec["components"]["schemas"]["Submission"]["properties"]["my_comments_link"]
    assert field["type"] == "boolean" and field["default"] is False
