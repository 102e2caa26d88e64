"""The commenter record: one person's comments across articles, first/last seen, and the
moderators' notes about them (audited); in the JSON API and the queue's pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from service.moderation import accounts
from service.privacy import vault
from tests.http.api.test_moderation import new_comment
from tests.http.web.helpers import flashes, sign_in
from tests.moderation.test_queue_scale import counting_queries

API = "/api/v1/moderation"


def email_hash(app: Flask, address: str) -> str:
    with app.app_context():
        return vault.vault().email_hash(address)


def test_commenter_shows_their_comments_across_articles_with_statuses(
    app, client, moderator_headers
):
    first = new_comment(client, "posts/one", email="Ada@example.org", name="Ada")
    second = new_comment(client, "posts/two", email="ada@example.org", name="Ada L.")
    new_comment(client, "posts/one", email="someone.else@example.org")
    client.post(f"{API}/comments/{first}/approve", headers=moderator_headers)

    response = client.get(
        f"{API}/commenters/{email_hash(app, 'ada@example.org')}", headers=moderator_headers
    )

    assert response.status_code == 200
    person = response.get_json()
    assert person["name"] == "Ada L."
    assert person["email"] == "ada@example.org"
    assert person["total"] == 2
    assert person["counts"] == {"approved": 1, "pending": 1}
    assert [(c["id"], c["article"], c["status"]) for c in person["comments"]] == [
        (second, "posts/two", "pending"),
        (first, "posts/one", "approved"),
    ]
    assert person["first_seen"] <= person["last_seen"]
    assert person["first_seen"] == person["comments"][-1]["created_at"]
    assert person["last_seen"] == person["comments"][0]["created_at"]


def test_a_note_is_kept_shown_and_audited(app, client, moderator_headers):
    new_comment(client, email="ada@example.org")
    target = email_hash(app, "ada@example.org")

    added = client.post(
        f"{API}/commenters/{target}/notes",
        json={"body": "Regular; argues in good faith.\nKeep an eye on links."},
        headers=moderator_headers,
    )

    assert added.status_code == 201
    assert added.get_json()["moderator"] == "mia"
    person = client.get(f"{API}/commenters/{target}", headers=moderator_headers).get_json()
    assert [n["body"] for n in person["notes"]] == [
        "Regular; argues in good faith.\nKeep an eye on links."
    ]
    events = client.get(f"{API}/events", headers=moderator_headers).get_json()["events"]
    assert [(e["action"], e["commenter_hash"], e["moderator"]) for e in events] == [
        ("note", target, "mia")
    ]
    assert "ada@example.org" not in str(events)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("0" * 64, {"body": "hello"}, 404),  # nobody has this hash
        ("not-a-hash", {"body": "hello"}, 404),
        ("%00", {"body": "hello"}, 404),
        ("ADA", {"body": ""}, 422),
        ("ADA", {"body": "bad \x00 byte"}, 422),
        ("ADA", {"body": "x" * 2001}, 422),
        ("ADA", {}, 422),
    ],
)
def test_bad_note_requests_get_a_clear_answer(app, client, moderator_headers, path, body, status):
    new_comment(client, email="ada@example.org")
    path = email_hash(app, "ada@example.org") if path == "ADA" else path
    response = client.post(f"{API}/commenters/{path}/notes", json=body, headers=moderator_headers)
    assert response.status_code == status, response.get_json()
    profile = client.get(f"{API}/commenters/{path}", headers=moderator_headers)
    assert profile.status_code == 404 or profile.get_json()["notes"] == []


def test_unknown_commenters_are_not_found(client, moderator_headers):
    for path in ("0" * 64, "zz", "%00"):
        assert client.get(f"{API}/commenters/{path}", headers=moderator_headers).status_code == 404


def test_the_queue_links_each_comment_to_its_commenter_panel(app, client):
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
    new_comment(client, "posts/one", email="grace@example.org", name="Grace")
    new_comment(client, "posts/two", email="grace@example.org", name="Grace")
    sign_in(client)
    target = email_hash(app, "grace@example.org")

    queue = client.get("/moderation/").get_data(as_text=True)
    assert f'href="/moderation/commenters/{target}"' in queue
    panel = client.get(f"/moderation/commenters/{target}")
    note = client.post(
        f"/moderation/commenters/{target}/notes",
        data={"body": "Prefers long replies.", "csrf_token": _csrf(panel)},
        follow_redirects=True,
    )

    text = panel.get_data(as_text=True)
    assert panel.status_code == 200
    assert "grace@example.org" in text and "posts/one" in text and "posts/two" in text
    assert flashes(note) == [("flash-info", "Note added.")]
    assert "Prefers long replies." in note.get_data(as_text=True)
    assert client.get("/moderation/commenters/" + "0" * 64).status_code == 404


def _csrf(page: Any) -> str:
    marker = 'name="csrf-token" content="'
    text = page.get_data(as_text=True)
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/commenters/" + "a" * 64), ("post", "/commenters/" + "a" * 64 + "/notes")],
)
def test_commenter_api_needs_a_token(client, method, path):
    assert getattr(client, method)(API + path).status_code == 401


def test_the_command_line_shows_a_commenter_and_adds_a_note(app, client, moderator_headers):
    new_comment(client, "posts/one", email="ada@example.org", name="Ada")
    target = email_hash(app, "ada@example.org")
    runner = app.test_cli_runner()

    noted = runner.invoke(args=["commenters", "note", target, "Friendly.", "--moderator", "mia"])
    shown = runner.invoke(args=["commenters", "show", target])

    assert noted.exit_code == 0, noted.output
    assert shown.exit_code == 0, shown.output
    assert "Ada: 1 comment(s) (1 pending)" in shown.output
    assert "posts/one" in shown.output and "Friendly." in shown.output
    assert runner.invoke(args=["commenters", "show", "0" * 64]).exit_code != 0


def test_a_commenter_profile_and_the_ban_list_cost_the_same_queries_for_1_or_5_rows(
    app, client, moderator_headers
):
    def queries(path: str) -> int:
        with counting_queries(app) as statements:
            assert client.get(path, headers=moderator_headers).status_code == 200
        return len(statements)

    def grow(numbers: range) -> None:
        # Each row on its own article, noted and banned by its own moderator.
        for i in numbers:
            address = f"person{i}@example.org"
            new_comment(client, f"posts/{i}", email=address)
            new_comment(client, f"posts/{i}-b", email="ada@example.org")
            with app.app_context():
                accounts.create_moderator(f"mod{i}", "correct horse battery staple")
                headers = {"Authorization": f"Bearer {accounts.create_api_token(f'mod{i}', 't')}"}
            ada = email_hash(app, "ada@example.org")
            client.post(f"{API}/commenters/{ada}/notes", json={"body": "hi"}, headers=headers)
            client.post(
                f"{API}/bans",
                json={"kind": "email", "email": address, "reason": "r"},
                headers=headers,
            )

    profile = f"{API}/commenters/{email_hash(app, 'ada@example.org')}"
    grow(range(1))
    few = (queries(profile), queries(f"{API}/bans"))
    grow(range(1, 5))
    assert (queries(profile), queries(f"{API}/bans")) == few
