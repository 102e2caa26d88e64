"""Spam and abuse policy through the HTTP API, on SQLite and PostgreSQL: form traps, flood
control, rate limits (in memory), content rules from the environment, trust, article locks
and closing, surges, Akismet, and the reasons moderators see."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlalchemy import select, update

from service.extensions import db
from service.models import Article, Comment, utcnow
from service.moderation import accounts
from service.ops import config
from service.screening import akismet_check
from tests.conftest import VALID, approve, form_token

PASSWORD = "correct horse battery staple"


# ------------------------------------------------------------------------ helpers


def post(
    client: FlaskClient,
    article: str = "posts/hello",
    *,
    ip: str = "203.0.113.10",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    # As the widget posts: with a token from a form shown a minute ago (tests of the token
    # itself pass their own, or None for none).
    token = {"form_token": form_token(client.application)}
    return client.post(
        f"/api/v1/articles/{article}/comments",
        json={k: v for k, v in (VALID | token | fields).items() if v is not None},
        headers=headers,
        environ_base={"REMOTE_ADDR": ip},
    )


def token_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        token = accounts.create_api_token("mia", "tests")
    return {"Authorization": f"Bearer {token}"}


def stored(client: FlaskClient, headers: dict[str, str], comment_id: int) -> dict[str, Any]:
    """The comment as moderators see it (status and reasons included)."""
    page = client.get(
        "/api/v1/moderation/comments", query_string={"status": "all"}, headers=headers
    ).get_json()
    [comment] = [c for c in page["comments"] if c["id"] == comment_id]
    return comment


def reason_codes(comment: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in comment["reasons"]]


def events(client: FlaskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    return client.get("/api/v1/moderation/events", headers=headers).get_json()["events"]


def shift_history(app: Flask, seconds: float) -> None:
    """Move every stored time back, as if `seconds` had passed."""
    delta = timedelta(seconds=seconds)
    with app.app_context():
        for comment in db.session.scalars(select(Comment)):
            comment.created_at -= delta
        for article in db.session.scalars(select(Article)):
            article.created_at -= delta
            if article.surge_until is not None:
                article.surge_until -= delta
        db.session.commit()


def assert_too_many(response: Any, message: str) -> None:
    assert response.status_code == 429, response.get_json()
    assert response.is_json
    assert message in response.get_json()["error"]["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 60


# ------------------------------------------------------------------- form traps


def test_filled_honeypot_is_stored_as_spam_but_answered_like_any_comment(app, client):
    headers = token_headers(app)
    response = post(client, hp="http://bot.example")
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["status"] == "pending"
    assert "spam" not in str(answer) and "honeypot" not in str(answer)
    comment = stored(client, headers, answer["id"])
    assert comment["status"] == "spam"
    assert reason_codes(comment) == ["pre_moderation", "honeypot"]
    assert comment["reasons"][1]["message"] == "filled in the hidden field only bots see"


def test_honeypot_of_whitespace_only_is_not_filled(app, client):
    headers = token_headers(app)
    response = post(client, hp="   ")
    assert stored(client, headers, response.get_json()["id"])["status"] == "pending"


def test_honeypot_in_a_form_post_is_spam_and_redirects_like_any_comment(app, client):
    headers = token_headers(app)
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        data=VALID | {"hp": "I am a bot", "return_to": "https://blog.example.com/posts/hello"},
    )
    assert response.status_code == 303
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id))
    assert stored(client, headers, comment_id)["status"] == "spam"


def test_form_token_endpoint_hands_out_an_uncached_token_and_the_honeypot_name(client):
    response = client.get("/api/v1/form-token")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["honeypot_field"] == "hp"
    assert isinstance(body["token"], str) and body["token"]


def test_form_token_sent_back_at_once_is_spam(app, client):
    headers = token_headers(app)
    token = client.get("/api/v1/form-token").get_json()["token"]
    response = post(client, form_token=token)
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    comment = stored(client, headers, response.get_json()["id"])
    assert comment["status"] == "spam"
    assert reason_codes(comment) == ["pre_moderation", "too_fast"]


def test_form_token_at_human_speed_passes_when_the_minimum_is_zero(make_app):
    app = make_app(MIN_FORM_SECONDS=0, MODERATION="off")
    client = app.test_client()
    token = client.get("/api/v1/form-token").get_json()["token"]
    response = post(client, form_token=token)
    assert response.get_json()["status"] == "approved"


class _SignerFrom(TimestampSigner):
    """Signs as the service does, but as if the form had been shown `age` seconds ago."""

    def __init__(self, secret: str, age: float) -> None:
        super().__init__(secret, salt="commentdesk.form-shown")
        self.age = age

    def get_timestamp(self) -> int:
        return int(time.time() - self.age)


@pytest.mark.parametrize("age", [10, 3600, 20 * 3600])
def test_form_token_from_a_form_shown_a_while_ago_passes(make_app, age):
    app = make_app(MODERATION="off")
    token = _SignerFrom(app.config["SECRET_KEY"], age).sign(b"form").decode()
    response = post(app.test_client(), form_token=token)
    assert response.status_code == 201
    assert response.get_json()["status"] == "approved"


@pytest.mark.parametrize(
    "forge",
    [
        lambda app: _SignerFrom("someone else's secret", 10).sign(b"form").decode(),
        lambda app: "form.AAAAAA.not-a-signature",
        lambda app: "garbage",
        lambda app: _SignerFrom(app.config["SECRET_KEY"], 10).sign(b"form").decode()[:-2] + "xx",
    ],
    ids=["other key", "made up", "garbage", "tampered"],
)
def test_forged_form_token_is_spam(make_app, forge):
    app = make_app(MODERATION="off")
    client = app.test_client()
    headers = token_headers(app)
    response = post(client, form_token=forge(app))
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    comment = stored(client, headers, response.get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == ("spam", ["form_token", "no_form_token"])


@pytest.mark.parametrize("mode", ["off", "trusted"])
def test_json_without_a_form_token_is_held_with_its_reason(make_app, mode):
    app = make_app(MODERATION=mode)
    client = app.test_client()
    headers = token_headers(app)
    response = post(client, form_token=None)
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    comment = stored(client, headers, response.get_json()["id"])
    assert comment["status"] == "pending"
    assert reason_codes(comment)[-1] == "no_form_token"


def test_json_without_a_form_token_is_held_even_from_a_trusted_address(make_app):
    app = make_app(MODERATION="trusted")
    client = app.test_client()
    headers = token_headers(app)
    approve(client, headers, post(client, body="My first comment.").get_json()["id"])
    assert post(client, body="A second one, by a form.").get_json()["status"] == "approved"
    response = post(client, body="A third one, by a script.", form_token=None)
    comment = stored(client, headers, response.get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == ("pending", ["no_form_token"])


def test_no_form_token_is_only_a_reason_to_hold_under_pre_moderation(make_app):
    app = make_app(MODERATION="pre")
    client = app.test_client()
    headers = token_headers(app)
    comment = stored(client, headers, post(client, form_token=None).get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == (
        "pending",
        ["pre_moderation", "no_form_token"],
    )


@pytest.mark.parametrize("mode", ["off", "trusted"])
def test_a_valid_form_token_is_not_held_for_it(make_app, mode):
    app = make_app(MODERATION=mode)
    client = app.test_client()
    headers = token_headers(app)
    comment = stored(client, headers, post(client).get_json()["id"])
    assert "no_form_token" not in reason_codes(comment)
    if mode == "off":
        assert comment["status"] == "approved"


def test_expired_form_token_is_held_with_the_reason(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    headers = token_headers(app)
    token = _SignerFrom(app.config["SECRET_KEY"], 2 * 24 * 3600).sign(b"form").decode()
    response = post(client, form_token=token)
    assert response.get_json()["status"] == "pending"
    comment = stored(client, headers, response.get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == ("pending", ["no_form_token"])


@pytest.mark.parametrize("mode", ["off", "trusted"])
def test_form_token_not_required_lets_a_sites_backend_post_without_one(make_app, mode):
    app = make_app(MODERATION=mode, FORM_TOKEN_REQUIRED=False)
    client = app.test_client()
    headers = token_headers(app)
    comment = stored(client, headers, post(client, form_token=None).get_json()["id"])
    assert "no_form_token" not in reason_codes(comment)
    if mode == "off":
        assert (comment["status"], reason_codes(comment)) == ("approved", [])


def test_form_token_required_is_read_from_the_environment():
    assert config.settings_from_environment({"FORM_TOKEN_REQUIRED": "false"}) == {
        "FORM_TOKEN_REQUIRED": False
    }


def test_edits_need_no_form_token(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    created = post(client).get_json()
    response = client.patch(
        f"/api/v1/comments/{created['id']}",
        json={"body": "Edited by me."},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "approved"


# ------------------------------------------------------------------ flood control


@pytest.fixture
def limited(make_app: Callable[..., Flask]) -> Flask:
    """Abuse limits on: flood control at 15 s, a submission rate no test here reaches."""
    return make_app(RATELIMIT_ENABLED=True, FLOOD_SECONDS=15, SUBMIT_RATE_LIMIT="100 per minute")


def test_same_address_cannot_post_again_within_the_flood_interval(limited):
    client = limited.test_client()
    assert post(client, body="First thought.", ip="203.0.113.1").status_code == 201
    response = post(client, "posts/other", body="Second thought.", ip="203.0.113.2")
    assert_too_many(response, "You posted a comment a moment ago. Please wait")
    assert response.get_json()["error"]["code"] == "too_soon"


def test_same_client_ip_cannot_post_again_within_the_flood_interval(limited):
    client = limited.test_client()
    assert post(client, email="one@example.org", body="One.").status_code == 201
    response = post(client, email="two@example.org", body="Two.")
    assert_too_many(response, "Please wait")


def test_flood_message_and_retry_after_say_how_long_is_left(limited):
    client = limited.test_client()
    post(client, body="One.")
    shift_history(limited, 10)
    response = post(client, body="Two.")
    assert response.status_code == 429
    assert response.get_json()["error"]["message"] == (
        "You posted a comment a moment ago. Please wait 5 seconds before posting another."
    )
    assert response.headers["Retry-After"] == "5"


def test_another_person_from_another_address_is_not_flooded(limited):
    client = limited.test_client()
    assert post(client, body="One.").status_code == 201
    response = post(client, email="bea@example.org", body="Two.", ip="198.51.100.7")
    assert response.status_code == 201


def test_identical_double_submit_is_not_a_flood_but_the_stored_comment(limited):
    client = limited.test_client()
    first = post(client, body="Clicked twice.")
    again = post(client, body="Clicked twice.")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    with limited.app_context():
        assert db.session.query(Comment).count() == 1


def test_posting_again_after_the_flood_interval_is_fine(limited):
    client = limited.test_client()
    post(client, body="One.")
    shift_history(limited, 16)
    assert post(client, body="Two.").status_code == 201


def test_flood_control_is_off_when_rate_limits_are_off(make_app):
    client = make_app(RATELIMIT_ENABLED=False, FLOOD_SECONDS=15).test_client()
    assert post(client, body="One.").status_code == 201
    assert post(client, body="Two.").status_code == 201


def test_flood_seconds_zero_turns_flood_control_off(make_app):
    app = make_app(RATELIMIT_ENABLED=True, FLOOD_SECONDS=0, SUBMIT_RATE_LIMIT="100 per minute")
    client = app.test_client()
    assert post(client, body="One.").status_code == 201
    assert post(client, body="Two.").status_code == 201


# ------------------------------------------------------------- rate limits (memory)


def rate_limited(make_app: Callable[..., Flask], **config: Any) -> FlaskClient:
    settings = {"RATELIMIT_ENABLED": True, "FLOOD_SECONDS": 0} | config
    return make_app(**settings).test_client()


def test_default_submission_limit_is_five_a_minute(make_app):
    client = rate_limited(make_app)
    for n in range(5):
        assert post(client, body=f"Comment {n}").status_code == 201
    response = post(client, body="One too many")
    assert_too_many(response, "You are sending comments too quickly.")
    assert response.get_json()["error"]["message"] == (
        "You are sending comments too quickly. Please wait a little and try again."
    )


def test_daily_limit_applies_too(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="100 per minute;3 per day")
    for n in range(3):
        assert post(client, body=f"Comment {n}").status_code == 201
    response = post(client, body="One too many")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 3600


def test_rate_limit_is_per_client_ip(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="2 per minute")
    for n in range(2):
        assert post(client, body=f"A{n}", ip="203.0.113.1").status_code == 201
    assert post(client, body="A2", ip="203.0.113.1").status_code == 429
    assert post(client, body="B0", ip="203.0.113.2").status_code == 201


def test_refused_submission_is_not_stored(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="1 per minute")
    post(client, body="Kept.")
    post(client, body="Refused.")
    with client.application.app_context():
        assert db.session.scalars(select(Comment.body)).all() == ["Kept."]


def test_reading_comments_is_not_limited_by_the_submission_limit(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="1 per minute")
    post(client, body="Kept.")
    for _ in range(5):
        assert client.get("/api/v1/articles/posts/hello/comments").status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=0)
    for n, spoofed in enumerate(("198.51.100.1", "198.51.100.2")):
        response = post(client, body=f"{n}", headers={"X-Forwarded-For": spoofed})
        assert response.status_code == 201
    response = post(client, body="third", headers={"X-Forwarded-For": "198.51.100.3"})
    assert response.status_code == 429


def test_forwarded_for_is_the_client_behind_one_trusted_proxy(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    proxy = {"ip": "10.0.0.2"}
    for n in range(2):
        response = post(client, body=f"a{n}", headers={"X-Forwarded-For": "198.51.100.1"}, **proxy)
        assert response.status_code == 201
    response = post(client, body="a2", headers={"X-Forwarded-For": "198.51.100.1"}, **proxy)
    assert response.status_code == 429
    # Another reader behind the same proxy has their own limit.
    response = post(client, body="b0", headers={"X-Forwarded-For": "198.51.100.2"}, **proxy)
    assert response.status_code == 201


def test_one_trusted_proxy_believes_only_the_address_it_added(make_app):
    client = rate_limited(make_app, SUBMIT_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    # The client forges the first entry; the proxy appends what it saw (198.51.100.9).
    for n, forged in enumerate(("1.1.1.1", "2.2.2.2")):
        chain = f"{forged}, 198.51.100.9"
        response = post(client, body=f"{n}", headers={"X-Forwarded-For": chain}, ip="10.0.0.2")
        assert response.status_code == 201
    chain = "3.3.3.3, 198.51.100.9"
    response = post(client, body="x", headers={"X-Forwarded-For": chain}, ip="10.0.0.2")
    assert response.status_code == 429


def test_rate_limits_off_means_no_limit(make_app):
    client = make_app(RATELIMIT_ENABLED=False, SUBMIT_RATE_LIMIT="1 per minute").test_client()
    for n in range(4):
        assert post(client, body=f"Comment {n}").status_code == 201


# -------------------------------------------------------- content rules (from env)


@pytest.fixture
def ruled(make_app: Callable[..., Flask]) -> Flask:
    return make_app(
        MODERATION="off",
        LINK_LIMIT=2,
        HOLD_WORDS=("casino", "payday loan"),
        DENY_WORDS=("kill yourself",),
        DENY_DOMAINS=("cheap-meds.biz",),
    )


@pytest.mark.parametrize(
    ("fields", "status", "codes"),
    [
        ({"body": "A fair point, well made."}, "approved", []),
        ({"body": "Best c\u0430s\u200bino in town"}, "pending", ["hold_word"]),
        ({"body": "Nice.", "name": "PAYDAY LOAN"}, "pending", ["hold_word"]),
        ({"body": "An occasional reader writes."}, "approved", []),
        ({"body": "https://a.com/1 https://b.com/2 https://c.com/3"}, "pending", ["links"]),
        ({"body": "Just k\u0456ll yourself"}, "rejected", ["deny_word"]),
        ({"body": "Pills: https://www.cheap-meds.biz/x"}, "spam", ["deny_domain"]),
        ({"body": "Pills at cheap-meds.biz"}, "spam", ["deny_domain"]),
        ({"body": "Nice.", "website": "https://shop.cheap-meds.biz"}, "spam", ["deny_domain"]),
    ],
    ids=[
        "plain",
        "hold word with tricks",
        "hold phrase in name",
        "word inside a word",
        "too many links",
        "deny word",
        "denied domain in a link",
        "denied bare domain",
        "denied domain as website",
    ],
)
def test_content_rules_from_the_environment(ruled, fields, status, codes):
    client = ruled.test_client()
    headers = token_headers(ruled)
    response = post(client, **fields)
    assert response.status_code == 201
    # Only approval is ever disclosed: a refused comment looks like a held one.
    assert response.get_json()["status"] == ("approved" if status == "approved" else "pending")
    comment = stored(client, headers, response.get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == (status, codes)


def test_link_reason_says_how_many_and_the_limit(ruled):
    client = ruled.test_client()
    headers = token_headers(ruled)
    response = post(client, body="a.com b.com c.com d.com")
    assert stored(client, headers, response.get_json()["id"])["reasons"] == [
        {"code": "links", "message": "4 links (limit 2)"}
    ]


def test_lists_are_read_from_the_environment_as_written_by_operators(make_app):
    settings = config.settings_from_environment(
        {
            "HOLD_WORDS": " casino , payday loan,, ",
            "DENY_WORDS": "kill yourself",
            "DENY_DOMAINS": "https://Cheap-Meds.BIZ/, bet-now.top.",
        }
    )
    assert settings == {
        "HOLD_WORDS": ("casino", "payday loan"),
        "DENY_WORDS": ("kill yourself",),
        "DENY_DOMAINS": ("cheap-meds.biz", "bet-now.top"),
    }
    app = make_app(MODERATION="off", **settings)
    client = app.test_client()
    headers = token_headers(app)
    cases = [
        ({"body": "Nice.", "website": "https://shop.cheap-meds.biz/"}, "spam"),
        ({"body": "https://www.bet-now.top/"}, "spam"),
        ({"body": "Need a Payday Loan?"}, "pending"),
        ({"body": "Just k\u0456ll yourself"}, "rejected"),
        ({"body": "Lovely weather."}, "approved"),
    ]
    for n, (fields, status) in enumerate(cases):
        response = post(client, email=f"r{n}@example.org", **fields)
        assert stored(client, headers, response.get_json()["id"])["status"] == status, fields


def test_reasons_are_listed_for_moderators_with_code_and_message(ruled):
    client = ruled.test_client()
    headers = token_headers(ruled)
    response = post(client, body="casino a.com b.com c.com")
    [comment] = client.get("/api/v1/moderation/comments", headers=headers).get_json()["comments"]
    assert comment["id"] == response.get_json()["id"]
    assert comment["reasons"] == [
        {"code": "links", "message": "3 links (limit 2)"},
        {"code": "hold_word", "message": "contains held word 'casino'"},
    ]


def test_reasons_never_reach_the_public_thread(ruled):
    client = ruled.test_client()
    post(client, body="A fair point, well made.")
    thread = client.get("/api/v1/articles/posts/hello/comments").get_data(as_text=True)
    assert "reasons" not in thread and "moderation_off" not in thread


# --------------------------------------------------------------------------- trust


def test_trusted_mode_approves_an_address_once_a_comment_of_it_was_approved(make_app):
    app = make_app(MODERATION="trusted")
    client = app.test_client()
    headers = token_headers(app)
    first = post(client, body="My first comment.")
    assert first.get_json()["status"] == "pending"
    assert reason_codes(stored(client, headers, first.get_json()["id"])) == ["first_comment"]
    approve(client, headers, first.get_json()["id"])
    second = post(client, body="And another.", email="ADA@Example.org")
    assert second.get_json()["status"] == "approved"
    # Someone else is still new here.
    third = post(client, body="Hello!", email="bea@example.org")
    assert third.get_json()["status"] == "pending"


@pytest.mark.parametrize("mode", ["pre", "off", "trusted"])
def test_an_address_with_spam_history_is_held_in_every_mode(make_app, mode):
    app = make_app(MODERATION=mode)
    client = app.test_client()
    headers = token_headers(app)
    first = post(client, body="A real comment.").get_json()["id"]
    second = post(client, body="Buy my stuff.").get_json()["id"]
    if mode != "off":
        approve(client, headers, first)
    response = client.post(f"/api/v1/moderation/comments/{second}/spam", headers=headers)
    assert response.status_code == 200
    third = post(client, body="Hello again.")
    assert third.get_json()["status"] == "pending"
    assert "spam_history" in reason_codes(stored(client, headers, third.get_json()["id"]))


# ------------------------------------------------------------ locking and closing


def test_locked_article_refuses_new_comments_until_unlocked(app, client):
    headers = token_headers(app)
    assert post(client, body="Before the lock.").status_code == 201
    lock = client.post(
        "/api/v1/moderation/articles/posts/hello/lock",
        json={"note": "Heated thread"},
        headers=headers,
    )
    assert lock.status_code == 200
    assert lock.get_json() == {"article": "posts/hello", "locked": True}

    refused = post(client, body="After the lock.", email="bea@example.org")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {
        "code": "comments_closed",
        "message": "Comments on this article have been closed by the moderators.",
    }
    # Other articles are open.
    assert post(client, "posts/other", body="Elsewhere.").status_code == 201

    unlock = client.post("/api/v1/moderation/articles/posts/hello/unlock", headers=headers)
    assert unlock.get_json() == {"article": "posts/hello", "locked": False}
    assert post(client, body="After the unlock.", email="bea@example.org").status_code == 201


def test_lock_and_unlock_are_in_the_audit_log(app, client):
    headers = token_headers(app)
    post(client, body="Hi.")
    client.post(
        "/api/v1/moderation/articles/posts/hello/lock", json={"note": "Heated"}, headers=headers
    )
    client.post("/api/v1/moderation/articles/posts/hello/unlock", headers=headers)
    unlock, lock = events(client, headers)[:2]
    assert {k: v for k, v in lock.items() if k not in ("id", "created_at")} == {
        "comment_id": None,
        "article": "posts/hello",
        "moderator": "mia",
        "actor": "moderator",
        "action": "lock",
        "from_status": None,
        "to_status": None,
        "note": "Heated",
        "ban_id": None,
        "commenter_hash": None,
        "data": None,
    }
    assert (unlock["action"], unlock["article"], unlock["note"]) == ("unlock", "posts/hello", None)


def test_decisions_in_the_audit_log_name_the_comments_article(app, client):
    headers = token_headers(app)
    comment_id = post(client, "posts/deep/path", body="Hi.").get_json()["id"]
    approve(client, headers, comment_id)
    [event] = events(client, headers)
    assert (event["comment_id"], event["article"], event["action"]) == (
        comment_id,
        "posts/deep/path",
        "approve",
    )


def test_locking_twice_or_reopening_an_unknown_article_is_refused(app, client):
    headers = token_headers(app)
    post(client, body="Hi.")
    path = "/api/v1/moderation/articles/posts/hello"
    assert client.post(f"{path}/unlock", headers=headers).status_code == 409
    assert client.post(f"{path}/lock", headers=headers).status_code == 200
    again = client.post(f"{path}/lock", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == "Article 'posts/hello' is already locked."
    # An unknown article has nothing to reopen; locking one prepares it (issue 16, item 13).
    missing = client.post("/api/v1/moderation/articles/posts/nowhere/unlock", headers=headers)
    assert missing.status_code == 409
    assert missing.get_json()["error"]["message"] == "Article 'posts/nowhere' is already open."


def test_locking_needs_a_moderator_token(app, client):
    post(client, body="Hi.")
    assert client.post("/api/v1/moderation/articles/posts/hello/lock").status_code == 401
    assert post(client, body="Still open.", email="bea@example.org").status_code == 201


@pytest.mark.parametrize(
    ("age_days", "open_"), [(0, True), (6.9, True), (7.1, False), (400, False)]
)
def test_articles_close_some_days_after_their_first_comment(make_app, age_days, open_):
    app = make_app(CLOSE_AFTER_DAYS=7)
    client = app.test_client()
    assert post(client, body="First.").status_code == 201
    with app.app_context():
        db.session.execute(update(Article).values(created_at=utcnow() - timedelta(days=age_days)))
        db.session.commit()
    response = post(client, body="Later.", email="bea@example.org")
    if open_:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert response.get_json()["error"] == {
            "code": "comments_closed",
            "message": "Comments on this article closed 7 days after the first one.",
        }


def test_articles_never_close_by_age_by_default(app, client):
    post(client, body="First.")
    with app.app_context():
        db.session.execute(update(Article).values(created_at=utcnow() - timedelta(days=3650)))
        db.session.commit()
    assert post(client, body="Ten years on.", email="bea@example.org").status_code == 201


# -------------------------------------------------------------------------- surge


@pytest.fixture
def surging(make_app: Callable[..., Flask]) -> Flask:
    return make_app(
        MODERATION="off",
        SURGE_SUBMISSIONS=3,
        SURGE_WINDOW_SECONDS=600,
        SURGE_COOLDOWN_SECONDS=3600,
    )


def test_surge_puts_the_article_under_pre_moderation_and_is_audited(surging):
    client = surging.test_client()
    headers = token_headers(surging)
    statuses = [
        post(client, body=f"Comment {n}", email=f"r{n}@example.org").get_json()["status"]
        for n in range(4)
    ]
    assert statuses == ["approved", "approved", "pending", "pending"]
    held = client.get("/api/v1/moderation/comments", headers=headers).get_json()["comments"]
    assert [reason_codes(c) for c in held] == [["surge"], ["surge"]]
    assert held[0]["reasons"][0]["message"].startswith(
        "A surge of comments put this article under pre-moderation until "
    )
    [surge_on] = [e for e in events(client, headers) if e["action"].startswith("surge")]
    assert (surge_on["action"], surge_on["actor"], surge_on["moderator"]) == (
        "surge_on",
        "system",
        None,
    )
    assert surge_on["article"] == "posts/hello"
    assert surge_on["note"] == "3 submissions in 10 minutes (threshold 3)."
    # Other articles keep the site's mode.
    other = post(client, "posts/other", body="Calm here.", email="z@example.org")
    assert other.get_json()["status"] == "approved"


def test_after_the_cool_down_the_article_returns_to_the_sites_mode(surging):
    client = surging.test_client()
    headers = token_headers(surging)
    for n in range(3):
        post(client, body=f"Comment {n}", email=f"r{n}@example.org")
    shift_history(surging, 3601)
    after = post(client, body="Quiet again.", email="late@example.org")
    assert after.get_json()["status"] == "approved"
    actions = [e["action"] for e in events(client, headers)]
    assert actions == ["surge_off", "surge_on"]


def test_spam_surge_switches_to_pre_moderation(make_app):
    app = make_app(MODERATION="off", SURGE_SPAM=2, SURGE_WINDOW_SECONDS=600)
    client = app.test_client()
    headers = token_headers(app)
    for n in range(2):
        post(client, body=f"Bot {n}", email=f"bot{n}@example.org", hp="filled")
    reader = post(client, body="A real reader.", email="reader@example.org")
    assert reader.get_json()["status"] == "pending"
    assert reason_codes(stored(client, headers, reader.get_json()["id"])) == ["surge"]
    [surge_on] = [e for e in events(client, headers) if e["action"] == "surge_on"]
    assert surge_on["note"] == "2 spam submissions in 10 minutes (threshold 2)."


def test_surge_is_off_when_its_thresholds_are_zero(app, client):
    # The base test configuration sets both thresholds to zero.
    headers = token_headers(app)
    for n in range(8):
        post(client, body=f"Comment {n}", email=f"r{n}@example.org")
    assert not [e for e in events(client, headers) if e["action"].startswith("surge")]


# ------------------------------------------------------------------------- Akismet


class FakeAkismet:
    """Answers comment-check requests as the Akismet API does; records what it was sent."""

    def __init__(self, answer: str = "false", pro_tip: str | None = None) -> None:
        self.answer = answer
        self.pro_tip = pro_tip
        self.failure: Exception | None = None
        self.status = 200
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failure is not None:
            raise self.failure
        headers = {"X-akismet-pro-tip": self.pro_tip} if self.pro_tip else {}
        return httpx.Response(self.status, text=self.answer, headers=headers)

    def sent(self) -> dict[str, list[str]]:
        [request] = self.requests
        return parse_qs(request.content.decode())


@pytest.fixture
def akismet(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, FakeAkismet]]:
    app = make_app(
        MODERATION="off",
        AKISMET_API_KEY="abc123",
        AKISMET_BLOG_URL="https://blog.example.com",
    )
    fake = FakeAkismet()
    with httpx.Client(transport=httpx.MockTransport(fake)) as http:
        app.extensions[akismet_check.EXTENSION_KEY] = http
        yield app, fake


@pytest.mark.parametrize(
    ("answer", "pro_tip", "status", "codes"),
    [
        ("false", None, "approved", []),
        ("true", None, "spam", ["akismet"]),
        ("true", "discard", "spam", ["akismet"]),
    ],
    ids=["ham", "spam", "blatant spam"],
)
def test_akismet_verdict_decides_spam(akismet, answer, pro_tip, status, codes):
    app, fake = akismet
    fake.answer, fake.pro_tip = answer, pro_tip
    client = app.test_client()
    headers = token_headers(app)
    response = post(client, body="Some text to check.")
    assert response.status_code == 201
    comment = stored(client, headers, response.get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == (status, codes)
    if codes:
        assert comment["reasons"] == [{"code": "akismet", "message": "Akismet says spam"}]


def test_akismet_gets_the_comment_but_never_the_email(akismet):
    app, fake = akismet
    post(
        app.test_client(),
        body="Checking what is sent.",
        name="Ada",
        email="ada.private@example.org",
        website="https://ada.example.org",
        headers={"User-Agent": "TestBrowser/1.0"},
        ip="198.51.100.23",
    )
    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url == "https://rest.akismet.com/1.1/comment-check"
    sent = fake.sent()
    assert sent["api_key"] == ["abc123"]
    assert sent["blog"] == ["https://blog.example.com"]
    assert sent["user_ip"] == ["198.51.100.23"]
    assert sent["comment_content"] == ["Checking what is sent."]
    assert sent["comment_author"] == ["Ada"]
    assert sent["comment_author_url"] == ["https://ada.example.org"]
    assert sent["user_agent"] == ["TestBrowser/1.0"]
    assert "comment_author_email" not in sent
    raw = request.content.decode() + str(request.url) + str(request.headers)
    assert "ada.private" not in raw and "ada.private%40example.org" not in raw


@pytest.mark.parametrize(
    "fail",
    [
        lambda fake: setattr(fake, "failure", httpx.ConnectError("refused")),
        lambda fake: setattr(fake, "failure", httpx.ReadTimeout("slow")),
        lambda fake: setattr(fake, "status", 503),
        lambda fake: setattr(fake, "answer", "invalid"),
        lambda fake: setattr(fake, "answer", "<html>maintenance</html>"),
    ],
    ids=["connection refused", "timeout", "server error", "invalid key", "nonsense"],
)
def test_akismet_failure_never_stops_a_submission(akismet, caplog, fail):
    app, fake = akismet
    fail(fake)
    caplog.set_level(logging.WARNING, logger="service.screening.akismet_check")
    response = post(app.test_client(), body="Akismet is having a bad day.")
    assert response.status_code == 201
    assert response.get_json()["status"] == "approved"
    assert len(fake.requests) == 1
    assert any("Akismet check skipped" in r.getMessage() for r in caplog.records)


def test_akismet_is_not_asked_unless_configured(make_app):
    app = make_app(MODERATION="off")
    fake = FakeAkismet(answer="true")
    with httpx.Client(transport=httpx.MockTransport(fake)) as http:
        app.extensions[akismet_check.EXTENSION_KEY] = http
        response = post(app.test_client(), body="No key, no call.")
    assert response.get_json()["status"] == "approved"
    assert fake.requests == []
