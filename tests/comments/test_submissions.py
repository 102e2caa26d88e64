"""Submitting a comment: every validation rule with ugly input, form posts, replies and
threading, visibility before approval, and idempotent resubmission; flood control and the
submission rate limits (in memory)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

import dns.exception
import dns.resolver
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import Comment
from tests.conftest import VALID, approve, submit
from tests.privacy.test_vault import database_text
from tests.screening.helpers import post, shift_history

ARTICLE_URL = "/api/v1/articles/posts/hello/comments"
MISSING = object()
ABSENT_DOMAIN = "no-such-domain-xyz123.com"


def post_json(client: FlaskClient, payload: Any, article: str = "posts/hello") -> Any:
    return client.post(f"/api/v1/articles/{article}/comments", json=payload)


def post_raw(client: FlaskClient, data: str | bytes, content_type: str = "application/json") -> Any:
    return client.post(ARTICLE_URL, data=data, content_type=content_type)


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.get_json()["errors"]
    for messages in errors.values():
        assert messages
        assert all(isinstance(m, str) and m.strip() for m in messages)
    return errors


def stored_comments(app: Flask) -> list[Comment]:
    with app.app_context():
        return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def queue(client: FlaskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/moderation/comments?status=all", headers=headers)
    assert response.status_code == 200
    return response.get_json()["comments"]


def public_feed(client: FlaskClient, article: str = "posts/hello") -> dict[str, Any]:
    response = client.get(f"/api/v1/articles/{article}/comments")
    assert response.status_code == 200
    return response.get_json()


def approved_comment(client: FlaskClient, headers: dict[str, str], **fields: Any) -> int:
    created = submit(client, **fields)
    assert created.status_code == 201, created.get_json()
    approve(client, headers, created.get_json()["id"])
    return created.get_json()["id"]


# Required fields ---------------------------------------------------------------------------

REQUIRED_MESSAGES = {
    "name": "Please enter your name.",
    "email": "Please enter your email address.",
    "body": "Please write a comment.",
}


@pytest.mark.parametrize("field", list(REQUIRED_MESSAGES))
@pytest.mark.parametrize(
    "value",
    [MISSING, None, "", "   ", "\t\n\r ", "\u00a0\u3000"],
    ids=["missing", "null", "empty", "spaces", "tabs-newlines", "unicode-spaces"],
)
def test_required_field_missing_empty_or_blank_gets_its_message(app, client, field, value):
    payload = dict(VALID)
    if value is MISSING:
        del payload[field]
    else:
        payload[field] = value

    response = post_json(client, payload)

    assert errors_of(response) == {field: [REQUIRED_MESSAGES[field]]}
    assert stored_comments(app) == []


def test_every_problem_is_reported_at_once(client):
    response = post_json(
        client,
        {"name": " ", "email": "nope", "body": "", "website": "ftp://x.org", "parent_id": "x"},
    )

    errors = errors_of(response)
    assert set(errors) == {"name", "email", "body", "website", "parent_id"}
    assert errors["name"] == ["Please enter your name."]
    assert errors["body"] == ["Please write a comment."]
    assert "@-sign" in errors["email"][0]


WRONG_TYPES = [
    *(
        (field, value)
        for field in ("name", "email", "body", "website")
        for value in (42, 4.2, True, ["text"], {"text": "text"})
    ),
    *(("parent_id", value) for value in (True, "one", [1], {"id": 1})),
]


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES, ids=[repr(c) for c in WRONG_TYPES])
def test_wrong_json_type_is_refused_for_that_field(app, client, field, value):
    response = post_json(client, VALID | {field: value})

    assert set(errors_of(response)) == {field}
    assert stored_comments(app) == []


def test_null_optional_fields_mean_none(client):
    response = submit(client, website=None, parent_id=None)

    assert response.status_code == 201
    assert response.get_json()["website"] is None
    assert response.get_json()["parent_id"] is None


@pytest.mark.parametrize(
    "payload",
    [[], [VALID], "name=Ada", 42, True, None],
    ids=["empty-list", "list", "string", "number", "boolean", "null"],
)
def test_json_that_is_not_an_object_is_refused(app, client, payload):
    response = post_raw(client, json.dumps(payload))

    assert response.status_code == 422
    assert response.get_json()["errors"]
    assert stored_comments(app) == []


@pytest.mark.parametrize(
    "raw",
    [
        "{bad",
        '{"name": "Ada", "email": "ada@example.org", "body": "hi",}',
        '{"name": "Ada"',
        "{'name': 'Ada'}",
        b"\xff\xfe\x00{",
    ],
    ids=["garbage", "trailing-comma", "truncated", "single-quotes", "not-utf8"],
)
def test_malformed_json_is_a_json_400(app, client, raw):
    response = post_raw(client, raw)

    assert response.status_code == 400
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert "JSON" in error["message"]
    assert stored_comments(app) == []


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_request_over_the_size_limit_is_a_json_413(app, client, content_type):
    oversized = VALID | {"body": "x" * (64 * 1024)}
    data = (
        json.dumps(oversized)
        if content_type == "application/json"
        else "&".join(f"{key}={value}" for key, value in oversized.items())
    )

    response = post_raw(client, data, content_type)

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert stored_comments(app) == []


# Lengths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["b" * 10_000, "🎉" * 10_000], ids=["ascii", "emoji"])
def test_body_of_exactly_ten_thousand_characters_is_accepted(app, client, body):
    # Sent as UTF-8, not \u escapes: the limit counts characters, not bytes.
    response = post_raw(client, json.dumps(VALID | {"body": body}, ensure_ascii=False).encode())

    assert response.status_code == 201
    assert [c.body for c in stored_comments(app)] == [body]


def test_body_of_ten_thousand_and_one_characters_is_refused(app, client):
    response = submit(client, body="b" * 10_001)

    assert errors_of(response) == {
        "body": ["Please keep your comment to 10,000 characters or fewer (it has 10,001)."]
    }
    assert stored_comments(app) == []


@pytest.mark.parametrize("name", ["n" * 81, "n" * 10_240], ids=["81-chars", "10-kB"])
def test_name_over_eighty_characters_is_refused(client, name):
    response = submit(client, name=name)

    assert errors_of(response) == {"name": ["Please keep your name to 80 characters or fewer."]}


def test_name_of_eighty_characters_is_accepted_and_trimmed(client):
    name = "N" + "n" * 78 + "N"

    response = submit(client, name=f"  \t{name} \n")

    assert response.status_code == 201
    assert response.get_json()["name"] == name


# Invisible and unstorable characters -------------------------------------------------------

CONTROL_CHARACTERS = [
    ("name", "Ada\x00"),
    ("name", "\x00"),
    ("name", "Ada\x1b[31mLovelace"),
    ("name", "Ada\nLovelace"),
    ("name", "Ada \u202eecalevoL"),
    ("name", "Ada \u2067isolate\u2069"),
    ("email", "ada\x00@example.org"),
    ("email", "ada@example.org\x00"),
    ("email", "ada\u202e@example.org"),
    ("body", "hello\x00world"),
    ("body", "\x00"),
    ("body", "ring the bell\x07"),
    ("website", "https://example.com/\x00"),
    ("website", "https://example.com/page\x07"),
]


@pytest.mark.parametrize(
    ("field", "value"), CONTROL_CHARACTERS, ids=[repr(c) for c in CONTROL_CHARACTERS]
)
def test_control_characters_and_direction_overrides_are_refused(app, client, field, value):
    # PostgreSQL cannot store NUL at all: this must be a 422 there too, never a 500.
    response = submit(client, **{field: value})

    assert set(errors_of(response)) == {field}
    assert stored_comments(app) == []


@pytest.mark.parametrize("field", ["name", "email", "body", "website"])
def test_lone_surrogate_escapes_are_refused(app, client, field):
    # Valid JSON, but "\ud800" alone is no character and cannot be encoded for storage.
    raw = json.dumps(VALID | {field: "PLACEHOLDER"}).replace("PLACEHOLDER", "x\\ud800y")

    response = post_raw(client, raw)

    assert set(errors_of(response)) == {field}
    assert stored_comments(app) == []


def test_emoji_in_name_and_body_are_stored_exactly(client, moderator_headers):
    name = "Zoë 👩🏽‍💻 🦊"
    body = "Great post 🎉👍🏽 — ça va?\n\n👨‍👩‍👧 family emoji, a ZWJ sequence"

    response = submit(client, name=name, body=body)

    assert response.status_code == 201
    assert response.get_json()["name"] == name
    [item] = queue(client, moderator_headers)
    assert (item["name"], item["body"]) == (name, body)


def test_body_keeps_newlines_and_tabs(client, moderator_headers):
    body = "line one\n\tindented\n\nlast line  "

    assert submit(client, body=body).status_code == 201
    assert queue(client, moderator_headers)[0]["body"] == body


# Script in every field ---------------------------------------------------------------------


def test_script_in_name_and_body_is_stored_as_typed_and_never_rendered(client, moderator_headers):
    name = "<script>alert('name')</script>"
    body = "<script>alert('body')</script> and <img src=x onerror=alert(1)>"

    created = submit(client, name=name, body=body)
    approve(client, moderator_headers, created.get_json()["id"])

    [item] = queue(client, moderator_headers)
    assert (item["name"], item["body"]) == (name, body)
    [public] = public_feed(client)["comments"]
    assert public["name"] == name  # JSON is data: the widget inserts the name as text
    assert "<script" not in public["body_html"].lower()
    assert "<img" not in public["body_html"].lower()
    assert "&lt;script&gt;" in public["body_html"]


@pytest.mark.parametrize(
    "email",
    ["<script>alert(1)</script>", "<script>@example.org", "ada@<script>.org"],
)
def test_script_in_email_is_refused(client, email):
    assert set(errors_of(submit(client, email=email))) == {"email"}


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "  javascript:alert(1)",
        "javascript://example.com/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "mailto:ada@example.org",
        "<script>alert(1)</script>",
        "https://",
        "https://exa mple.com",
        "https://" + "a" * 2048 + ".com",
    ],
)
def test_website_that_is_not_an_http_address_is_refused(app, client, website):
    response = submit(client, website=website)

    assert set(errors_of(response)) == {"website"}
    assert stored_comments(app) == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.com", "https://example.com"),
        ("example.com/blog?page=2", "https://example.com/blog?page=2"),
        ("  https://ada.example.org/  ", "https://ada.example.org/"),
        ("http://example.com", "http://example.com"),
        ("HTTPS://Example.com/Path", "HTTPS://Example.com/Path"),
        ("", None),
        ("   ", None),
    ],
)
def test_website_is_normalised_to_a_web_address(client, typed, stored):
    response = submit(client, website=typed)

    assert response.status_code == 201
    assert response.get_json()["website"] == stored


# Email -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ada@EXAMPLE.ORG", "Ada@example.org"),
        ("  ada@example.org\t", "ada@example.org"),
        ("ada@Bücher.DE", "ada@bücher.de"),
    ],
)
def test_email_is_normalised(client, moderator_headers, typed, stored):
    assert submit(client, email=typed).status_code == 201

    assert queue(client, moderator_headers)[0]["email"] == stored


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("ada.lovelace", "must have an @-sign"),
        ("ada.lovelace@", "something after the @-sign"),
        ("@example.org", "something before the @-sign"),
        ("ada..lovelace@example.org", "two periods in a row"),
        ("ada lovelace@example.org", "invalid characters before the @-sign"),
        ("ada@example", "It should have a period"),
        ("ada@example.invalid", "special-use or reserved name"),
        ("a" * 250 + "@example.org", "too long"),
    ],
)
def test_invalid_email_message_says_what_is_wrong(app, client, email, problem):
    response = submit(client, email=email)

    [message] = errors_of(response)["email"]
    assert message.startswith("That email address is not valid: ")
    assert problem in message
    assert stored_comments(app) == []


def test_deliverability_is_not_checked_by_default(client):
    response = submit(client, email=f"someone@{ABSENT_DOMAIN}")

    assert response.status_code == 201


@pytest.fixture
def dns_says_domain_is_absent() -> None:
    """The deliverability check asks DNS; skip when no resolver answers here."""
    try:
        resolver = dns.resolver.Resolver()
        resolver.lifetime = 3
        resolver.resolve(ABSENT_DOMAIN, "MX")
    except dns.resolver.NXDOMAIN:
        return
    except dns.exception.DNSException as error:
        pytest.skip(f"no DNS resolver answers here ({type(error).__name__})")
    pytest.skip(f"{ABSENT_DOMAIN} exists now; pick another absent domain")


def test_deliverability_check_can_be_turned_on(make_app, dns_says_domain_is_absent):
    client = make_app(EMAIL_CHECK_DELIVERABILITY=True).test_client()

    response = submit(client, email=f"someone@{ABSENT_DOMAIN}")

    [message] = errors_of(response)["email"]
    assert "does not exist" in message


# Unknown fields ----------------------------------------------------------------------------


def test_unknown_fields_are_ignored_and_never_stored(app, client, moderator_headers):
    response = submit(
        client,
        status="approved",
        is_admin=True,
        id=999,
        depth=7,
        created_at="2000-01-01T00:00:00+00:00",
        email_hash="0" * 64,
        nickname="unknown-field-marker",
    )

    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "pending"
    assert created["id"] != 999
    assert not created["created_at"].startswith("2000")
    assert public_feed(client)["comments"] == []
    [item] = queue(client, moderator_headers)
    assert item["status"] == "pending"
    assert item["email_hash"] != "0" * 64
    [comment] = stored_comments(app)
    assert comment.depth == 0
    assert "unknown-field-marker" not in database_text(app)


# Form posts (the no-JavaScript form) -------------------------------------------------------


def post_form(client: FlaskClient, **fields: Any) -> Any:
    return client.post(ARTICLE_URL, data=VALID | fields)


def test_form_post_goes_back_to_the_page_at_the_new_comment(app, client):
    response = post_form(client, return_to="https://blog.example.com/posts/hello?x=1#respond")

    assert response.status_code == 303
    [comment] = stored_comments(app)
    assert response.location == f"https://blog.example.com/posts/hello?x=1#comment-{comment.id}"
    assert (comment.name, comment.body) == (VALID["name"], VALID["body"])


def test_form_post_without_return_to_goes_back_to_the_referring_page(app, client):
    response = client.post(
        ARTICLE_URL, data=VALID, headers={"Referer": "https://blog.example.com/posts/hello"}
    )

    assert response.status_code == 303
    [comment] = stored_comments(app)
    assert response.location == f"https://blog.example.com/posts/hello#comment-{comment.id}"


def test_form_sends_empty_optional_fields(client):
    response = post_form(client, website="", parent_id="", return_to="")

    assert response.status_code == 201
    assert response.get_json()["website"] is None


def test_form_resubmission_goes_back_to_the_same_comment(app, client):
    page = "https://blog.example.com/posts/hello"

    first = post_form(client, return_to=page)
    second = post_form(client, return_to=page)

    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(stored_comments(app)) == 1


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example.com/posts/hello",
        "http://blog.example.com/posts/hello",
        "https://blog.example.com.evil.example/posts/hello",
        "https://blog.example.com@evil.example/posts/hello",
        "//evil.example/posts/hello",
        "/posts/hello",
        "javascript:alert(1)//https://blog.example.com",
        "https://blog.example.com/posts/hello\r\nSet-Cookie: session=stolen",
    ],
)
def test_form_post_never_redirects_off_the_site(client, return_to):
    response = post_form(client, return_to=return_to)

    assert response.status_code == 201
    assert "Location" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert response.get_json()["status"] == "pending"


def test_form_post_with_invalid_fields_gets_a_page_with_the_messages(app, client):
    response = post_form(
        client, name="", email="", return_to="https://blog.example.com/posts/hello"
    )

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Name: Please enter your name." in page
    assert "Email: Please enter your email address." in page
    assert stored_comments(app) == []


def test_form_post_without_a_page_to_return_to_gets_json_errors(client):
    assert errors_of(post_form(client, name="")) == {"name": ["Please enter your name."]}


# Visibility and threading ------------------------------------------------------------------


def test_pending_comment_is_invisible_until_approved(client, moderator_headers):
    created = submit(client)
    assert created.get_json()["status"] == "pending"

    assert public_feed(client)["comments"] == []
    assert public_feed(client)["count"] == 0
    assert client.get("/api/v1/counts?article=posts/hello").get_json() == {
        "counts": {"posts/hello": 0}
    }

    approve(client, moderator_headers, created.get_json()["id"])

    feed = public_feed(client)
    assert [c["id"] for c in feed["comments"]] == [created.get_json()["id"]]
    assert feed["count"] == 1
    assert client.get("/api/v1/counts?article=posts/hello").get_json() == {
        "counts": {"posts/hello": 1}
    }


def test_reply_to_an_approved_comment_is_threaded_under_it(client, moderator_headers):
    root = approved_comment(client, moderator_headers, body="root")

    reply = submit(client, body="reply", parent_id=root)
    assert reply.status_code == 201
    assert reply.get_json()["parent_id"] == root
    approve(client, moderator_headers, reply.get_json()["id"])

    comments = public_feed(client)["comments"]
    assert [(c["id"], c["parent_id"]) for c in comments] == [
        (root, None),
        (reply.get_json()["id"], root),
    ]


def test_form_reply_sends_parent_id_as_text(client, moderator_headers):
    root = approved_comment(client, moderator_headers, body="root")

    response = post_form(client, body="reply", parent_id=str(root))

    assert response.status_code == 201
    assert response.get_json()["parent_id"] == root


@pytest.mark.parametrize(
    "target",
    ["pending", "rejected", "other-article", "nonexistent", "zero", "negative", "beyond-int4"],
)
def test_reply_to_a_comment_that_is_not_public_here_is_refused(
    app, client, moderator_headers, target
):
    pending = submit(client, body="pending").get_json()["id"]
    rejected = submit(client, body="to reject").get_json()["id"]
    client.post(f"/api/v1/moderation/comments/{rejected}/reject", headers=moderator_headers)
    elsewhere = approved_comment(client, moderator_headers, article="posts/other")
    parent_id = {
        "pending": pending,
        "rejected": rejected,
        "other-article": elsewhere,
        "nonexistent": 424242,
        "zero": 0,
        "negative": -1,
        "beyond-int4": 2**31,
    }[target]

    response = submit(client, body="reply", parent_id=parent_id)

    assert set(errors_of(response)) == {"parent_id"}
    assert len(stored_comments(app)) == 3


@pytest.mark.parametrize("parent_id", [2**63, 10**30])
def test_absurdly_large_parent_id_is_refused(client, parent_id):
    assert set(errors_of(submit(client, parent_id=parent_id))) == {"parent_id"}


def test_replies_past_the_depth_limit_attach_at_the_deepest_level(make_app, moderator_headers):
    client = make_app(MAX_REPLY_DEPTH=2).test_client()
    top = approved_comment(client, moderator_headers, body="depth 0")
    first = approved_comment(client, moderator_headers, body="depth 1", parent_id=top)
    second = approved_comment(client, moderator_headers, body="depth 2", parent_id=first)

    too_deep = submit(client, body="would be depth 3", parent_id=second)
    assert too_deep.status_code == 201
    # A sibling of the depth-2 comment: still at depth 2, under the same parent.
    assert too_deep.get_json()["parent_id"] == first
    approve(client, moderator_headers, too_deep.get_json()["id"])
    deeper = submit(client, body="reply to that", parent_id=too_deep.get_json()["id"])
    assert deeper.get_json()["parent_id"] == first

    approve(client, moderator_headers, deeper.get_json()["id"])
    parents = {c["id"]: c["parent_id"] for c in public_feed(client)["comments"]}
    assert parents == {
        top: None,
        first: top,
        second: first,
        too_deep.get_json()["id"]: first,
        deeper.get_json()["id"]: first,
    }


# Idempotent resubmission -------------------------------------------------------------------


def test_identical_resubmission_returns_the_stored_comment(app, client):
    first = submit(client)
    second = submit(client)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.get_json()["edit_token"] == first.get_json()["edit_token"]
    assert len(stored_comments(app)) == 1


@pytest.mark.parametrize(
    "email", ["ADA@EXAMPLE.ORG", "Ada@Example.Org", "  ada@example.org  "], ids=str.strip
)
def test_resubmission_with_the_address_in_another_case_is_the_same_commenter(app, client, email):
    first = submit(client, email="ada@example.org")
    second = submit(client, email=email)

    assert second.status_code == 200
    assert second.get_json()["id"] == first.get_json()["id"]
    assert len(stored_comments(app)) == 1


@pytest.mark.parametrize(
    "change",
    [{"body": "Second!"}, {"article": "posts/other"}, {"email": "grace@example.org"}],
    ids=["other-body", "other-article", "other-email"],
)
def test_a_different_submission_makes_a_new_comment(app, client, change):
    first = submit(client)
    second = submit(client, **change)

    assert second.status_code == 201
    assert second.get_json()["id"] != first.get_json()["id"]
    assert len(stored_comments(app)) == 2


@pytest.mark.parametrize(
    ("minutes_ago", "same_comment"), [(9, True), (11, False)], ids=["9-min", "11-min"]
)
def test_resubmission_counts_as_duplicate_for_ten_minutes(app, client, minutes_ago, same_comment):
    first = submit(client).get_json()["id"]
    with app.app_context():
        comment = db.session.get(Comment, first)
        comment.created_at -= timedelta(minutes=minutes_ago)
        db.session.commit()

    second = submit(client)

    assert (second.get_json()["id"] == first) is same_comment
    assert second.status_code == (200 if same_comment else 201)
    assert len(stored_comments(app)) == (1 if same_comment else 2)


def test_resubmission_from_another_client_does_not_get_the_edit_token(app, client):
    first = submit(client)
    other = app.test_client()

    second = other.post(ARTICLE_URL, json=VALID, environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert second.status_code == 200
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.get_json()["edit_token"] is None


def test_simultaneous_double_submission_stores_one_comment(app):
    clicks = 6
    barrier = Barrier(clicks)

    def click(_: int) -> Any:
        client = app.test_client()
        barrier.wait()
        return client.post(ARTICLE_URL, json=VALID)

    with ThreadPoolExecutor(clicks) as pool:
        responses = list(pool.map(click, range(clicks)))

    assert sorted(r.status_code for r in responses) == [200] * (clicks - 1) + [201]
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert len(stored_comments(app)) == 1


def assert_too_many(response: Any, message: str) -> None:
    assert response.status_code == 429, response.get_json()
    assert response.is_json
    assert message in response.get_json()["error"]["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 60


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
