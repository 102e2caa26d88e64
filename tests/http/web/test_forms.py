"""Web input read through schemas, and the one error mapping of the web blueprints: input no
page of ours sends is refused with the schema's message and changes nothing (never a 500),
and the queue's scripts get their refusals in the API's JSON error shapes."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.moderation import accounts
from tests.conftest import submit
from tests.http.web.helpers import (
    PASSWORD,
    csrf_token,
    flashes,
    new_comment,
    sign_in,
    snapshot,
    status_of,
)

XHR = {"Accept": "application/json"}


@pytest.fixture
def comment(app: Flask, client: FlaskClient) -> int:
    """A pending comment, and mia (an admin) signed in to decide it."""
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
    pending = new_comment(client, body="A pending comment to decide.")
    assert sign_in(client).status_code == 302
    return pending


def post(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(path, data=data | {"csrf_token": csrf_token(client)}, **kwargs)


def refused_with(response: Any, message: str) -> bool:
    return response.status_code == 200 and flashes(response) == [("flash-error", message)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"action": "approve", "ids": ["1", "abc", "\u00b2", "9" * 5000]},
            "Select comments of the queue, by their box.",
        ),
        (
            {"action": "approve", "ids": ["", ""]},
            "Select at least one comment, then choose an action.",
        ),
        (
            {"action": "obliterate", "ids": "{comment}"},
            "action must be one of approve, reject, spam, restore, delete.",
        ),
        ({"ids": "{comment}"}, "Choose an action for the selected comments."),
        (
            {"action": "approve", "ids": "{comment}", "seen-{comment}": "invisible"},
            "That is not a comment's status.",
        ),
        (
            {"action": "approve", "ids": "{comment}", "note": "x" * 2001},
            "Longer than maximum length 2000.",
        ),
        (
            {"action": "approve", "ids": "{comment}", "note": "ok\x1b[31m"},
            "This text contains control characters; please remove them.",
        ),
    ],
    ids=[
        "bad-ids",
        "empty-ids",
        "unknown-action",
        "no-action",
        "bad-seen",
        "long-note",
        "escape-in-note",
    ],
)
def test_bulk_form_that_no_queue_page_sends_is_refused_with_the_schemas_message(
    app, client, comment, data, message
):
    before = snapshot(app)
    filled = {
        key.format(comment=comment): [v.format(comment=comment) for v in value]
        if isinstance(value, list)
        else value.format(comment=comment)
        for key, value in data.items()
    }
    response = post(client, "/moderation/bulk", filled, follow_redirects=True)
    assert refused_with(response, message)
    assert snapshot(app) == before


def test_a_decision_with_an_over_long_note_full_of_controls_is_refused(app, client, comment):
    before = snapshot(app)
    response = post(
        client,
        f"/moderation/comments/{comment}/approve",
        {"note": "\x07" * 3000, f"seen-{comment}": "pending"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    [(category, text)] = flashes(response)
    assert category == "flash-error"
    assert "Longer than maximum length 2000." in text and "control characters" in text
    assert snapshot(app) == before
    assert status_of(app, comment) == "pending"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "abc"}, "Choose how many days the ban lasts, or for good."),
        ({"days": "0"}, "days must be between 1 and 3650."),
        ({"days": "99999999999999999999"}, "days must be between 1 and 3650."),
        ({"until": "yesterday"}, "Not a valid datetime."),
        ({"until": "0001-01-01T00:00:00+14:00"}, "Enter a date between the years 1970 and 9998."),
        ({"until": "2099-01-01T00:00:00+00:00", "days": "7"}, "Send until or days, not both."),
        ({"kind": "everyone"}, "Choose what to ban: an address, a domain or a client hash."),
        ({"reason": ""}, "Say why, for the other moderators and the audit log."),
        ({"spam": "perhaps"}, "Not a valid boolean."),
    ],
    ids=[
        "days-letters",
        "days-zero",
        "days-huge",
        "until-words",
        "until-year-1",
        "until-and-days",
        "kind",
        "no-reason",
        "spam",
    ],
)
@pytest.mark.parametrize("form", ["author", "typed"])
def test_ban_form_with_bad_dates_days_or_kind_is_refused_and_bans_nobody(
    app, client, comment, data, message, form
):
    before = snapshot(app)
    fields = {"kind": "email", "reason": "trolling", "spam": "0"} | data
    if form == "author":
        path, back = f"/moderation/comments/{comment}/ban", "/moderation/"
    else:
        path, back = "/moderation/bans", "/moderation/bans"
        fields["target"] = "troll@example.org"
    response = post(client, path, fields)
    assert response.status_code == 302 and response.location == back
    assert flashes(client.get(back)) == [("flash-error", message)]
    assert snapshot(app) == before


def test_typed_ban_without_a_target_asks_for_one(app, client, comment):
    before = snapshot(app)
    response = post(
        client, "/moderation/bans", {"kind": "domain", "reason": "spam"}, follow_redirects=True
    )
    assert refused_with(response, "Enter whom to ban: an address, a domain or a hash.")
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/moderation/?cursor=12345",
            "This page link is invalid; start again from the first page.",
        ),
        (
            "/moderation/bans?cursor=not-a-page",
            "This page link is invalid; start again from the first page.",
        ),
        (
            "/moderation/?status=everything",
            "status must be one of pending, approved, rejected, spam, deleted, all.",
        ),
        ("/moderation/?q=" + "x" * 201, "Longer than maximum length 200."),
        ("/moderation/bans?state=sometimes", "state must be active or all."),
        ("/moderation/events?moderator=" + "m" * 81, "Longer than maximum length 80."),
    ],
)
def test_bad_page_links_are_flashed_and_the_page_shows_without_them(client, comment, path, message):
    response = client.get(path)
    assert response.status_code == 200
    assert flashes(response) == [("flash-error", message)]


def test_a_bad_status_filter_shows_the_pending_queue(client, comment):
    page = client.get("/moderation/?status=everything").get_data(as_text=True)
    assert f'id="c{comment}"' in page


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        (
            "/moderation/waves",
            {"action": "obliterate", "fingerprint": "abc"},
            "Choose what to do with the whole wave.",
        ),
        ("/moderation/articles/lock", {"locked": "1"}, "Choose an article first."),
        (
            "/moderation/articles/settings",
            {"article": "posts/hello", "closes_at": "next tuesday"},
            "Not a valid datetime.",
        ),
        (
            "/moderation/articles/settings",
            {"article": "posts/hello", "moderation": "anarchy"},
            "moderation must be one of pre, off, trusted.",
        ),
        ("/moderation/undo", {}, "There is nothing to undo (it may have been undone already)."),
        (
            "/moderation/admin/tokens",
            {"username": "mia", "label": "x" * 81},
            "Keep the label to 80 characters or fewer.",
        ),
        (
            "/moderation/admin/moderators",
            {"username": "lee", "password": "long enough password", "role": "god"},
            "Choose moderator or admin.",
        ),
        (
            "/moderation/admin/privacy/export",
            {"email": "  "},
            "Enter the commenter's email address.",
        ),
        (
            "/moderation/admin/privacy/erase",
            {"email": "ada@example.org", "mode": "shred"},
            "Choose whether to keep the comments' text or delete it.",
        ),
    ],
    ids=[
        "wave",
        "lock",
        "closes-at",
        "moderation",
        "undo",
        "token-label",
        "role",
        "export",
        "erase",
    ],
)
def test_other_forms_refuse_what_no_page_sends_with_the_schemas_message(
    app, client, comment, path, data, message
):
    before = snapshot(app)
    response = post(client, path, data, follow_redirects=True)
    assert refused_with(response, message)
    assert snapshot(app) == before


def test_a_use_case_refusal_is_flashed_on_the_page_the_form_came_from(app, client, comment):
    before = snapshot(app)
    response = post(client, "/moderation/admin/tokens", {"username": "ghost"})
    assert response.status_code == 302 and response.location == "/moderation/admin/tokens"
    assert flashes(client.get(response.location)) == [
        ("flash-error", "There is no moderator called 'ghost'.")
    ]
    assert snapshot(app) == before


# The queue's scripts: refusals in the API's shapes.


def test_xhr_bulk_refusal_has_the_apis_validation_shape(app, client, comment):
    before = snapshot(app)
    response = post(client, "/moderation/bulk", {"action": "approve"}, headers=XHR)
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {"ids": ["Select at least one comment, then choose an action."]}
    }
    bad = post(client, "/moderation/bulk", {"action": "approve", "ids": ["1", "x"]}, headers=XHR)
    assert bad.status_code == 422
    assert bad.get_json() == {
        "errors": {"ids": {"1": ["Select comments of the queue, by their box."]}}
    }
    assert snapshot(app) == before


def test_xhr_undo_refusal_has_the_apis_error_shape(app, client, comment):
    before = snapshot(app)
    response = post(client, "/moderation/undo", {"batch": "nosuchbatch"}, headers=XHR)
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "code": "nothing_to_undo",
            "message": "There is nothing to undo (it may have been undone already).",
        }
    }
    assert snapshot(app) == before


def test_xhr_decision_refusal_has_the_apis_validation_shape(app, client, comment):
    response = post(
        client, f"/moderation/comments/{comment}/reject", {"note": "x" * 2001}, headers=XHR
    )
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"note": ["Longer than maximum length 2000."]}}
    assert status_of(app, comment) == "pending"


def test_xhr_decision_still_answers_its_outcome(app, client, comment):
    response = post(
        client,
        f"/moderation/comments/{comment}/approve",
        {f"seen-{comment}": "pending"},
        headers=XHR,
    )
    assert response.status_code == 200
    assert response.get_json()["results"] == [{"id": comment, "status": "approved", "error": None}]


# A comment id as a form sends it, in the public API too.


@pytest.mark.parametrize("parent_id", ["\u00b2", "9" * 5000, "-1", "1.5"])
def test_a_reply_to_something_that_is_no_comment_id_is_a_422_not_a_500(client, parent_id):
    response = submit(client, parent_id=parent_id)
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {"parent_id": ["The comment you are replying to could not be found."]}
    }
