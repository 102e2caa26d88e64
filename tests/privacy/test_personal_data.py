"""Commenters' rights: `privacy export`, `privacy erase` (CLI, moderation API, admin page),
and `purge` of client data past the retention period; on SQLite and PostgreSQL, with the
erased bytes checked in the SQLite files themselves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from service.extensions import db
from service.models import Article, Comment, ModerationEvent
from service.moderation import accounts
from service.ops.database import write_transaction
from service.privacy import vault
from tests.conftest import VALID, approve
from tests.http.web.helpers import PASSWORD, csrf_token, flashes, sign_in

API = "/api/v1/moderation"
ADA = "ada.lovelace@example.org"


def post(
    client: Any, article: str = "posts/erase", headers: dict[str, str] | None = None, **fields: Any
) -> int:
    response = client.post(
        f"/api/v1/articles/{article}/comments", json=VALID | fields, headers=headers or {}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def everything(app: Flask) -> str:
    """Every row of every table, as text: what a person's data could hide in."""
    with app.app_context():
        return repr(
            [db.session.execute(select(table)).all() for table in db.metadata.sorted_tables]
        )


def database_files(app: Flask) -> bytes:
    """The raw bytes of the SQLite database and whatever files sit beside it (-wal, -shm)."""
    with app.app_context():
        path = Path(db.engine.url.database)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def ada_hash(app: Flask) -> str:
    with app.app_context():
        return vault.vault().email_hash(ADA)


@pytest.fixture
def thread(app: Flask, client: Any, moderator_headers: dict[str, str]) -> dict[str, int]:
    """Ada's approved comment with Grace's approved reply, Ada's pending one (edited by a
    moderator), a moderator's note with Ada's address in it, a note about her and her
    suspension, and someone else's comment elsewhere."""
    ids = {
        "parent": post(
            client,
            name="Ada",
            email=ADA,
            body=f"Write to me: {ADA}",
            website="https://ada.example.net/",
        ),
        "pending": post(client, name="Ada", email=ADA.upper(), body=f"Second thought, {ADA}"),
        "other": post(client, "posts/other", name="Bob", email="bob@example.org", body="Hi"),
    }
    approve(client, moderator_headers, ids["parent"])
    ids["reply"] = post(
        client,
        name="Grace",
        email="grace@example.org",
        body="Reply to Ada",
        parent_id=ids["parent"],
    )
    approve(client, moderator_headers, ids["reply"])
    response = client.post(
        f"{API}/comments/{ids['other']}/reject",
        headers=moderator_headers,
        json={"note": f"Same person as {ADA}?"},
    )
    assert response.status_code == 200
    # What moderators keep about a person: a note, a suspension, an edit's original text.
    digest = ada_hash(app)
    for path, payload in (
        (f"{API}/commenters/{digest}/notes", {"body": "Asked twice to be left alone."}),
        (f"{API}/bans", {"kind": "email", "email": ADA, "reason": "cooling off", "days": 1}),
    ):
        response = client.post(path, headers=moderator_headers, json=payload)
        assert response.status_code == 201, response.get_json()
    response = client.patch(
        f"{API}/comments/{ids['pending']}", headers=moderator_headers, json={"body": "Edited."}
    )
    assert response.status_code == 200, response.get_json()
    return ids


def test_privacy_export_lists_every_comment_by_the_address_with_its_state(app, thread):
    result = app.test_cli_runner().invoke(args=["privacy", "export", "Ada.Lovelace@Example.org"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    by_id = {c["id"]: c for c in document["comments"]}
    assert set(by_id) == {thread["parent"], thread["pending"]}
    assert by_id[thread["parent"]]["status"] == "approved"
    assert by_id[thread["pending"]]["status"] == "pending"
    assert by_id[thread["pending"]]["reasons"]
    assert by_id[thread["parent"]]["email"] == ADA
    assert by_id[thread["parent"]]["article"] == "posts/erase"


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_erase_leaves_no_trace_of_the_address_and_keeps_the_thread(app, client, thread, mode):
    digest = ada_hash(app)
    assert digest in everything(app) and ADA in everything(app)  # the checks below can fail
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if sqlite:
        assert digest.encode() in database_files(app)

    result = app.test_cli_runner().invoke(args=["privacy", "erase", ADA, f"--{mode}"])

    assert result.exit_code == 0, result.output
    assert "from 2 comments" in result.output and ADA not in result.output
    rows = everything(app)
    assert digest not in rows
    assert ADA.lower() not in rows.lower()
    assert "ada.example.net" not in rows
    if sqlite:
        raw = database_files(app).lower()
        assert digest.encode() not in raw
        assert ADA.encode() not in raw
        assert b"ada.example.net" not in raw
    # The thread still reads: Grace's reply is there, under her name.
    feed = client.get("/api/v1/articles/posts/erase/comments").get_json()
    shown = {c["id"]: c for c in feed["comments"]}
    assert shown[thread["reply"]]["name"] == "Grace"
    if mode == "delete":
        assert set(shown) == {thread["reply"]}
        assert shown[thread["reply"]]["parent_removed"] is True
        assert feed["count"] == 1
    else:
        assert shown[thread["parent"]]["name"] == "Anonymous"
        assert shown[thread["parent"]]["body_html"] == "<p>Write to me: [address removed]</p>"
        assert shown[thread["parent"]]["website"] is None
        assert feed["count"] == 2
    with app.app_context():
        event = db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.action == "erase")
        ).one()
        assert event.actor == "system"
        assert f"({mode}): 2 comments" in event.note
        bob = db.session.get(Comment, thread["other"])
        assert bob.email_hash and bob.name == "Bob"  # someone else's data is untouched


def test_erase_needs_a_choice_between_anonymise_and_delete(app, thread):
    result = app.test_cli_runner().invoke(args=["privacy", "erase", ADA])

    assert result.exit_code == 2
    assert "--anonymise or --delete" in result.output
    assert ada_hash(app) in everything(app)


def test_erasing_an_unknown_address_erases_nothing_but_is_audited(app, thread):
    before = everything(app)

    result = app.test_cli_runner().invoke(
        args=["privacy", "erase", "nobody@example.org", "--delete"]
    )

    assert result.exit_code == 0
    assert "from 0 comments" in result.output
    with app.app_context():
        assert (
            db.session.scalars(
                select(ModerationEvent.note).where(ModerationEvent.action == "erase")
            )
            .one()
            .endswith("0 comments.")
        )
    assert ada_hash(app) in before and ada_hash(app) in everything(app)


@pytest.fixture
def admin_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator("root", PASSWORD, admin=True)
        return {"Authorization": f"Bearer {accounts.create_api_token('root', 'privacy')}"}


def test_admins_export_and_erase_through_the_api(app, client, thread, admin_headers):
    exported = client.post(f"{API}/privacy/export", headers=admin_headers, json={"email": ADA})

    assert exported.status_code == 200
    assert {c["id"] for c in exported.get_json()["comments"]} == {
        thread["parent"],
        thread["pending"],
    }

    erased = client.post(
        f"{API}/privacy/erase", headers=admin_headers, json={"email": ADA, "mode": "delete"}
    )

    assert erased.status_code == 200
    assert erased.get_json() == {"mode": "delete", "comments": 2, "sites": ["default"]}
    assert ada_hash(app) not in everything(app)
    events = client.get(f"{API}/events", headers=admin_headers).get_json()
    erase = next(e for e in events["events"] if e["action"] == "erase")
    assert erase["actor"] == "moderator"
    assert ADA not in json.dumps(events)


@pytest.mark.parametrize(
    ("path", "body"),
    [("/privacy/export", {"email": ADA}), ("/privacy/erase", {"email": ADA, "mode": "delete"})],
)
def test_privacy_api_is_for_admins_and_site_admins_only(
    app, client, thread, moderator_headers, path, body
):
    before = everything(app)

    refused = client.post(f"{API}{path}", headers=moderator_headers, json=body)
    anonymous = client.post(f"{API}{path}", json=body)

    assert refused.status_code == 403
    assert refused.get_json()["error"] == {
        "code": "not_allowed",
        "message": "Only admins and site admins can export or erase a commenter's data.",
    }
    assert anonymous.status_code == 401
    assert everything(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": ""}, "email"),
        ({"email": ADA}, "mode"),
        ({"email": ADA, "mode": "shred"}, "mode"),
        ({"email": ["x"], "mode": "delete"}, "email"),
    ],
)
def test_bad_erasure_requests_are_422(app, client, thread, admin_headers, body, field):
    response = client.post(f"{API}/privacy/erase", headers=admin_headers, json=body)

    assert response.status_code == 422
    assert response.get_json()["errors"][field]
    assert ada_hash(app) in everything(app)


def test_admins_export_and_erase_from_the_moderation_pages(app, client, thread):
    with app.app_context():
        accounts.create_moderator("root", PASSWORD, admin=True)
    assert sign_in(client, "root").status_code == 302
    page = client.get("/moderation/admin/privacy")
    assert page.status_code == 200 and "Erase a commenter" in page.get_data(as_text=True)
    token = csrf_token(client)

    download = client.post(
        "/moderation/admin/privacy/export", data={"csrf_token": token, "email": ADA}
    )

    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="commenter-data.json"'
    assert len(json.loads(download.get_data())["comments"]) == 2

    erased = client.post(
        "/moderation/admin/privacy/erase",
        data={"csrf_token": token, "email": ADA, "mode": "anonymise"},
        follow_redirects=True,
    )

    erased_everywhere = "Erased the commenter's data from 2 comments (anonymise) on every site."
    assert ("flash-info", erased_everywhere) in flashes(erased)
    assert ADA not in erased.get_data(as_text=True)
    assert ada_hash(app) not in everything(app)


def age(app: Flask, comment_id: int, days: int) -> None:
    with app.app_context(), write_transaction() as session:
        session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )


def client_data(app: Flask, comment_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.ip_hash, comment.user_agent


def test_purge_forgets_client_data_older_than_the_retention_period(make_app):
    app = make_app(RETENTION_DAYS=30)
    client = app.test_client()
    old = post(client, headers={"User-Agent": "Old Browser"})
    new = post(client, email="new@example.org", body="New", headers={"User-Agent": "New"})
    age(app, old, 31)
    assert all(client_data(app, old)) and all(client_data(app, new))

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "from 1 comments" in result.output
    assert client_data(app, old) == (None, None)
    assert client_data(app, new)[1] == "New" and client_data(app, new)[0]
    with app.app_context():
        assert db.session.scalar(select(Article.approved_count)) == 0
        assert db.session.scalars(select(ModerationEvent.action)).all() == ["purge"]


def test_purge_does_nothing_without_a_retention_period_unless_told_the_days(app, client):
    old = post(client)
    age(app, old, 400)

    assert "from 0 comments" in app.test_cli_runner().invoke(args=["purge"]).output
    assert all(client_data(app, old))
    assert "from 1 comments" in app.test_cli_runner().invoke(args=["purge", "--days", "365"]).output
    assert client_data(app, old) == (None, None)
