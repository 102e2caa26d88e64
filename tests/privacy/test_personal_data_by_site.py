"""Privacy requests with two sites: an admin's export and erasure cover every site, a site
admin's only their sites (and the answer and the page say which), a plain moderator's none;
an erasure on one site leaves the other's comments, notes and bans as they were. API, web
and CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from service.extensions import db
from service.models import Ban, Comment, CommenterNote, ModerationEvent, Site, SiteRole, utcnow
from service.ops.database import write_transaction
from service.privacy import vault
from service.sites import registry
from tests.conftest import run_cli
from tests.http.web.helpers import csrf_token, flashes, sign_in
from tests.two_sites import B_ORIGIN, add_site_b, moderator, posted_on

API = "/api/v1/moderation"
ADA = "ada.lovelace@example.org"


@pytest.fixture
def world(app: Flask, client) -> dict[str, int]:
    """Ada commented on both sites; B's moderator noted and banned her there."""
    add_site_b(app)
    on_a = posted_on(client, None, "news/a", email=ADA, name="Ada", body="On A")
    on_b = posted_on(client, B_ORIGIN, "news/a", email=ADA, name="Ada", body="On B")
    b_mod = moderator(app, "bea", {"b": SiteRole.MODERATOR})
    target = {"email_hash": vault_hash(app)}
    noted = client.post(
        f"{API}/commenters/{target['email_hash']}/notes", json={"body": "B"}, headers=b_mod
    )
    banned = client.post(
        f"{API}/bans", headers=b_mod, json={"kind": "email", "comment_id": on_b, "reason": "B"}
    )
    assert noted.status_code == banned.status_code == 201
    return {"a": on_a, "b": on_b}


def vault_hash(app: Flask) -> str:
    with app.app_context():
        return vault.vault().email_hash(ADA)


def comment(app: Flask, comment_id: int) -> tuple[str, str, str]:
    with app.app_context():
        row = db.session.get(Comment, comment_id)
        return row.name, row.email_hash, row.body


def b_still_knows_ada(app: Flask, world: dict[str, int]) -> bool:
    with app.app_context():
        note = db.session.scalars(select(CommenterNote)).one_or_none()
        ban = db.session.scalars(select(Ban)).one()
        # The audit log's note and ban events about her on B keep whom they are about.
        about = db.session.scalars(
            select(ModerationEvent.commenter_hash).where(
                ModerationEvent.action.in_(["note", "spam_ban", "ban"])
            )
        ).all()
        return (
            comment(app, world["b"]) == ("Ada", vault_hash(app), "On B")
            and note is not None
            and ban.value == vault_hash(app)
            and about == [vault_hash(app)] * 2
        )


def test_a_site_admins_export_and_erasure_cover_only_their_sites(app, client, world):
    site_admin = moderator(app, "sam", {"default": SiteRole.SITE_ADMIN})

    exported = client.post(f"{API}/privacy/export", headers=site_admin, json={"email": ADA})
    erased = client.post(
        f"{API}/privacy/erase", headers=site_admin, json={"email": ADA, "mode": "delete"}
    )

    assert exported.status_code == 200
    assert exported.get_json()["sites"] == ["default"]
    assert [(c["id"], c["site"]) for c in exported.get_json()["comments"]] == [
        (world["a"], "default")
    ]
    assert "On B" not in exported.get_data(as_text=True)
    assert erased.get_json() == {"mode": "delete", "comments": 1, "sites": ["default"]}
    assert comment(app, world["a"]) == ("Deleted", "", "")
    assert b_still_knows_ada(app, world)


def test_an_admins_erasure_covers_every_site(app, client, world):
    admin = moderator(app, "root", admin=True)

    exported = client.post(f"{API}/privacy/export", headers=admin, json={"email": ADA})
    erased = client.post(
        f"{API}/privacy/erase", headers=admin, json={"email": ADA, "mode": "anonymise"}
    )

    assert {c["site"] for c in exported.get_json()["comments"]} == {"default", "b"}
    assert erased.get_json() == {"mode": "anonymise", "comments": 2, "sites": ["default", "b"]}
    assert comment(app, world["a"])[:2] == comment(app, world["b"])[:2] == ("Anonymous", "")
    with app.app_context():
        assert db.session.scalars(select(CommenterNote)).all() == []
        assert db.session.scalars(select(Ban.value)).one() == "erased"


def test_a_plain_moderator_answers_no_privacy_request(app, client, world):
    b_mod = moderator(app, "pat", {"b": SiteRole.MODERATOR})

    refused = client.post(f"{API}/privacy/export", headers=b_mod, json={"email": ADA})

    assert refused.status_code == 403
    sign_in(client, "pat")
    assert client.get("/moderation/admin/privacy").status_code == 403
    assert "Privacy requests" not in client.get("/moderation/").get_data(as_text=True)


def test_the_privacy_page_says_which_sites_a_site_admin_answers_for(app, client, world):
    moderator(app, "sam", {"b": SiteRole.SITE_ADMIN})
    sign_in(client, "sam")

    page = client.get("/moderation/admin/privacy").get_data(as_text=True)
    erased = client.post(
        "/moderation/admin/privacy/erase",
        data={"csrf_token": csrf_token(client), "email": ADA, "mode": "anonymise"},
        follow_redirects=True,
    )

    assert "These requests cover your sites only:\n  b." in page
    assert "Privacy requests" in client.get("/moderation/").get_data(as_text=True)
    assert (
        "flash-info",
        "Erased the commenter's data from 1 comments (anonymise) on your sites: b.",
    ) in flashes(erased)
    assert comment(app, world["a"]) == ("Ada", vault_hash(app), "On A")


def test_the_command_line_erases_on_one_site_when_told(app, client, world):
    on_b = run_cli(app, "privacy", "erase", ADA, "--anonymise", "--site", "b")
    unknown = run_cli(app, "privacy", "export", ADA, "--site", "nowhere")

    assert on_b.exit_code == 0, on_b.output
    assert "from 1 comments (anonymise) on b;" in on_b.output
    assert comment(app, world["a"]) == ("Ada", vault_hash(app), "On A")
    assert comment(app, world["b"])[:2] == ("Anonymous", "")
    assert unknown.exit_code == 1 and "There is no site 'nowhere'." in unknown.output


def test_purge_keeps_each_sites_own_retention(make_app):
    app = make_app(RETENTION_DAYS=30)
    client = app.test_client()
    add_site_b(app)
    with app.app_context(), write_transaction() as session:
        session.execute(update(Site).where(Site.slug == "b").values(retention_days=365))
        registry.changed(session)
    on_a = posted_on(client, None, "news/a", email=ADA)
    on_b = posted_on(client, B_ORIGIN, "news/a", email=ADA)
    with app.app_context(), write_transaction() as session:
        session.execute(update(Comment).values(created_at=utcnow() - timedelta(days=40)))

    result = run_cli(app, "purge")

    assert "from 1 comments" in result.output
    with app.app_context():
        ip_hashes = dict(db.session.execute(select(Comment.id, Comment.ip_hash)).all())
        purges = db.session.scalars(
            select(ModerationEvent.data).where(ModerationEvent.action == "purge")
        ).all()
    assert ip_hashes[on_a] is None and ip_hashes[on_b] is not None
    assert purges == [{"site": "default"}]
