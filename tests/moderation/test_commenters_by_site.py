"""The commenter panel with two sites: a moderator sees a commenter's comments, history,
notes and bans only on their sites, and a commenter with nothing there answers 404 (API,
web and the notes), on SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select, text

from service import create_app
from service.extensions import db
from service.models import CommenterNote, SiteRole
from service.sites import registry
from tests.conftest import base_config
from tests.http.web.helpers import csrf_token, sign_in
from tests.moderation.test_commenters import email_hash
from tests.two_sites import B_ORIGIN, add_site_b, moderator, posted_on

API = "/api/v1/moderation"
ADA = "ada@example.org"


@pytest.fixture
def two(app: Flask) -> Flask:
    add_site_b(app)
    return app


def test_a_moderator_sees_a_commenter_only_on_their_sites(two, client):
    on_a = posted_on(client, None, "news/a", email=ADA, name="Ada on A", body="Hello A")
    on_b = posted_on(client, B_ORIGIN, "news/a", email=ADA, name="Ada on B", body="Secret of B")
    admin = moderator(two, "ada-admin", admin=True)
    a_mod = moderator(two, "mia", {"default": SiteRole.MODERATOR})
    b_mod = moderator(two, "bea", {"b": SiteRole.MODERATOR})
    target = email_hash(two, ADA)
    for headers, body in ((a_mod, "Note on A"), (b_mod, "Note on B")):
        added = client.post(
            f"{API}/commenters/{target}/notes", json={"body": body}, headers=headers
        )
        assert added.status_code == 201, added.get_json()
    ban_on_b = {"kind": "email", "comment_id": on_b, "reason": "B's ban"}
    assert client.post(f"{API}/bans", json=ban_on_b, headers=b_mod).status_code == 201

    seen_by_a = client.get(f"{API}/commenters/{target}", headers=a_mod).get_json()
    seen_by_admin = client.get(f"{API}/commenters/{target}", headers=admin).get_json()

    assert seen_by_a["name"] == "Ada on A"
    assert seen_by_a["total"] == 1 and seen_by_a["counts"] == {"pending": 1}
    assert [(c["id"], c["site"]) for c in seen_by_a["comments"]] == [(on_a, "default")]
    assert [(n["body"], n["site"]) for n in seen_by_a["notes"]] == [("Note on A", "default")]
    assert seen_by_a["bans"] == []
    assert "Secret of B" not in str(seen_by_a)
    assert seen_by_admin["total"] == 2
    assert {n["body"] for n in seen_by_admin["notes"]} == {"Note on A", "Note on B"}
    assert [b["site"] for b in seen_by_admin["bans"]] == ["b"]


def test_a_commenter_only_on_another_site_is_not_found(two, client):
    posted_on(client, B_ORIGIN, "news/a", email=ADA, body="Only on B")
    moderator(two, "mia", {"default": SiteRole.SITE_ADMIN})
    a_mod = moderator(two, "mia2", {"default": SiteRole.MODERATOR})
    target = email_hash(two, ADA)
    unknown = email_hash(two, "nobody@example.org")

    shown = client.get(f"{API}/commenters/{target}", headers=a_mod)
    noted = client.post(f"{API}/commenters/{target}/notes", json={"body": "x"}, headers=a_mod)
    never = client.get(f"{API}/commenters/{unknown}", headers=a_mod)
    sign_in(client, "mia")
    page = client.get(f"/moderation/commenters/{target}")
    web_note = client.post(
        f"/moderation/commenters/{target}/notes",
        data={"csrf_token": csrf_token(client), "body": "x"},
    )

    assert shown.status_code == noted.status_code == never.status_code == 404
    # Exactly the answer for an address that never commented: nothing tells B exists.
    assert shown.get_json() == never.get_json()
    assert page.status_code == 404 and "Only on B" not in page.get_data(as_text=True)
    assert web_note.status_code == 404


def test_a_note_names_its_site_and_cannot_be_put_on_another(two, client):
    posted_on(client, None, "news/a", email=ADA)
    posted_on(client, B_ORIGIN, "news/a", email=ADA)
    a_mod = moderator(two, "mia", {"default": SiteRole.MODERATOR})
    target = email_hash(two, ADA)

    on_b = client.post(
        f"{API}/commenters/{target}/notes", json={"body": "x", "site": "b"}, headers=a_mod
    )
    on_a = client.post(
        f"{API}/commenters/{target}/notes", json={"body": "y", "site": "default"}, headers=a_mod
    )

    assert on_b.status_code == 404
    assert on_a.status_code == 201 and on_a.get_json()["site"] == "default"


def test_the_upgrade_puts_every_existing_note_on_the_default_site(empty_database_url):
    app = create_app(base_config(empty_database_url))
    with app.app_context():
        flask_migrate.upgrade(revision="85ce3ef35f6b")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO commenter_notes (email_hash, body, created_at) "
                    "VALUES (:hash, 'Noted before sites', CURRENT_TIMESTAMP)"
                ),
                {"hash": "a" * 64},
            )

        flask_migrate.upgrade()

        try:
            notes = db.session.execute(select(CommenterNote.body, CommenterNote.site_id)).all()
            assert notes == [("Noted before sites", registry.default().id)]
        finally:
            db.session.remove()
            db.engine.dispose()
