"""Form traps for bots (service/screening/traps.py) through the HTTP API, on SQLite and
PostgreSQL: the honeypot field and the signed time the form was shown."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from service.extensions import db
from service.models import Comment
from service.ops import config
from tests.conftest import VALID, approve
from tests.screening.helpers import post, reason_codes, stored, token_headers


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
