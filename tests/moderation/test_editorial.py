"""A moderator's editorial hand: editing a comment's text (original kept in the audit log,
new text sanitized, readers told) and pinning comments to the top of the thread."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from service.moderation import accounts
from tests.conftest import approve, run_cli
from tests.http.api.test_moderation import new_comment
from tests.http.web.helpers import csrf_token, flashes, sign_in

API = "/api/v1/moderation"
FEED = "/api/v1/articles/posts/a/comments"


def approved(client: FlaskClient, headers: dict[str, str], **fields: Any) -> int:
    comment_id = new_comment(client, "posts/a", **fields)
    approve(client, headers, comment_id)
    return comment_id


def edit(client: FlaskClient, headers: dict[str, str], comment_id: int, **fields: Any) -> Any:
    return client.patch(f"{API}/comments/{comment_id}", json=fields, headers=headers)


def pin(client: FlaskClient, headers: dict[str, str], comment_id: int, action: str = "pin"):
    return client.post(f"{API}/comments/{comment_id}/{action}", headers=headers)


def feed_ids(client: FlaskClient, **query: Any) -> list[tuple[int, bool]]:
    response = client.get(FEED, query_string=query)
    return [(c["id"], c["pinned"]) for c in response.get_json()["comments"]]


def test_a_moderator_edit_keeps_the_original_in_the_audit_log_and_tells_readers(
    client, moderator_headers
):
    comment_id = approved(client, moderator_headers, body="Call me on 555-0100, *friends*")
    before = client.get(FEED)

    edited = edit(
        client,
        moderator_headers,
        comment_id,
        body="Call me [phone removed], *friends* <script>alert(1)</script>",
        note="doxxing",
    )

    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["moderator_edited_at"] is not None
    refreshed = client.get(FEED, headers={"If-None-Match": before.headers["ETag"]})
    assert refreshed.status_code == 200
    shown = refreshed.get_json()["comments"][0]
    assert shown["moderator_edited"] is True
    assert "[phone removed]" in shown["body_html"] and "<em>friends</em>" in shown["body_html"]
    assert "<script" not in shown["body_html"] and "555-0100" not in shown["body_html"]
    events = client.get(f"{API}/events?comment_id={comment_id}", headers=moderator_headers)
    latest = events.get_json()["events"][0]
    assert (latest["action"], latest["note"], latest["moderator"]) == (
        "moderator_edit",
        "doxxing",
        "mia",
    )
    assert latest["data"] == {"original_body": "Call me on 555-0100, *friends*"}
    assert "555-0100" not in client.get(FEED).get_data(as_text=True)


def test_an_unedited_comment_is_not_marked(client, moderator_headers):
    approved(client, moderator_headers)
    assert client.get(FEED).get_json()["comments"][0]["moderator_edited"] is False


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"body": ""}, 422),
        ({"body": "   "}, 422),
        ({"body": "x" * 10_001}, 422),
        ({"body": "nul \x00 byte"}, 422),
        ({}, 422),
        ({"body": "SAME"}, 409),
    ],
)
def test_bad_edits_get_a_clear_answer(client, moderator_headers, fields, status):
    comment_id = new_comment(client, "posts/a", body="SAME")
    response = edit(client, moderator_headers, comment_id, **fields)
    assert response.status_code == status, response.get_json()


def test_editing_needs_a_token_and_an_existing_comment(client, moderator_headers):
    assert client.patch(f"{API}/comments/1", json={"body": "x"}).status_code == 401
    assert edit(client, moderator_headers, 424242, body="x").status_code == 404
    assert edit(client, moderator_headers, 2**40, body="x").status_code == 404


def test_pinned_comments_come_first_flagged_and_pagination_still_walks_the_rest(
    client, moderator_headers
):
    c1, c2, c3, c4 = (approved(client, moderator_headers) for _ in range(4))
    before = client.get(FEED)

    assert pin(client, moderator_headers, c3).status_code == 200
    assert pin(client, moderator_headers, c1).status_code == 200

    assert client.get(FEED, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    expected = [(c3, True), (c1, True), (c2, False), (c4, False)]
    assert feed_ids(client) == expected
    assert feed_ids(client, order="newest") == [(c3, True), (c1, True), (c4, False), (c2, False)]
    first = client.get(FEED, query_string={"limit": 1}).get_json()
    assert [c["id"] for c in first["comments"]] == [c3, c1, c2]
    assert first["count"] == 4
    rest = client.get(FEED, query_string={"limit": 1, "cursor": first["next_cursor"]})
    assert [c["id"] for c in rest.get_json()["comments"]] == [c4]
    assert rest.get_json()["next_cursor"] is None

    assert pin(client, moderator_headers, c3, "unpin").status_code == 200
    assert feed_ids(client) == [(c1, True), (c2, False), (c3, False), (c4, False)]


def test_pins_are_limited_per_article_and_audited(make_app):
    app = make_app(MAX_PINNED_COMMENTS=2)
    client = app.test_client()
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        headers = {"Authorization": f"Bearer {accounts.create_api_token('mia')}"}
    ids = [approved(client, headers) for _ in range(3)]
    assert [pin(client, headers, i).status_code for i in ids[:2]] == [200, 200]

    third = pin(client, headers, ids[2])

    assert third.status_code == 409
    assert "the most allowed is 2" in third.get_json()["error"]["message"]
    events = client.get(f"{API}/events", headers=headers).get_json()["events"]
    assert [e["action"] for e in events][:2] == ["pin", "pin"]


def test_only_approved_top_level_comments_can_be_pinned(client, moderator_headers):
    pending = new_comment(client, "posts/a")
    parent = approved(client, moderator_headers)
    reply = approved(client, moderator_headers, parent_id=parent)

    assert pin(client, moderator_headers, pending).status_code == 422
    assert pin(client, moderator_headers, reply).status_code == 422
    assert pin(client, moderator_headers, parent, "unpin").status_code == 409
    assert pin(client, moderator_headers, parent).status_code == 200
    assert pin(client, moderator_headers, parent).status_code == 409
    assert pin(client, moderator_headers, 424242).status_code == 404
    # The reply still follows its (pinned) parent.
    assert feed_ids(client) == [(parent, True), (reply, False)]


def test_the_queue_edits_and_pins_with_plain_forms(app, client, moderator_headers):
    comment_id = approved(client, moderator_headers, body="Teh original")
    sign_in(client)
    token = csrf_token(client)

    edited = client.post(
        f"/moderation/comments/{comment_id}/edit",
        data={
            "csrf_token": token,
            "body": "The original",
            "why": "typo",
            "next": "/moderation/?status=all",
        },
        follow_redirects=True,
    )
    pinned = client.post(
        f"/moderation/comments/{comment_id}/pin",
        data={"csrf_token": token, "next": "/moderation/?status=all"},
        follow_redirects=True,
    )
    empty = client.post(
        f"/moderation/comments/{comment_id}/edit",
        data={"csrf_token": token, "body": " "},
        follow_redirects=True,
    )

    assert flashes(edited) == [
        ("flash-info", f"Comment {comment_id} edited; the original is in its history.")
    ]
    assert flashes(pinned) == [("flash-info", f"Comment {comment_id} pinned.")]
    page = pinned.get_data(as_text=True)
    assert "edited by a moderator" in page and 'class="badge pinned"' in page and ">Unpin<" in page
    assert flashes(empty) == [("flash-error", "Please write a comment.")]
    assert client.get(FEED).get_json()["comments"][0]["pinned"] is True
    events = client.get(f"{API}/events?comment_id={comment_id}", headers=moderator_headers)
    assert [(e["action"], e["note"]) for e in events.get_json()["events"]][:2] == [
        ("pin", None),
        ("moderator_edit", "typo"),
    ]


def test_the_command_line_edits_and_pins(app, client, moderator_headers, tmp_path):
    comment_id = approved(client, moderator_headers, body="Teh text")
    body = tmp_path / "body.md"
    body.write_text("The text", encoding="utf-8")
    as_mia = ("--moderator", "mia")

    edited = run_cli(app, "comments", "edit", str(comment_id), str(body), *as_mia)
    pinned = run_cli(app, "comments", "pin", str(comment_id), *as_mia)
    again = run_cli(app, "comments", "pin", str(comment_id), *as_mia)
    empty = run_cli(app, "comments", "edit", str(comment_id), "-", *as_mia, input="  ")

    assert edited.exit_code == 0, edited.output
    assert pinned.exit_code == 0, pinned.output
    assert again.exit_code != 0 and "already pinned" in again.output
    assert empty.exit_code != 0 and "Please write a comment." in empty.output
    shown = client.get(FEED).get_json()["comments"][0]
    assert (shown["body_html"], shown["moderator_edited"], shown["pinned"]) == (
        "<p>The text</p>",
        True,
        True,
    )


def test_the_audit_log_page_shows_the_original_text_of_an_edit(client, moderator_headers):
    comment_id = approved(client, moderator_headers, body="Secret <b>original</b>")
    edit(client, moderator_headers, comment_id, body="Cleaned up")
    sign_in(client)

    page = client.get("/moderation/events").get_data(as_text=True)

    assert "moderator_edit" in page
    assert "<pre>Secret &lt;b&gt;original&lt;/b&gt;</pre>" in page
