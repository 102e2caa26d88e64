"""The upgrade to sites (migration 85ce3ef35f6b) on a single-site database full of ordinary
data, on SQLite and PostgreSQL: every row of every table is kept exactly, everything lands in
the default site, the app serves the same thread and queue, and the downgrade gives the
single-site database back (refusing when another site has anything a single site cannot hold).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import alembic.command
import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import Connection, MetaData, select, text

from service import create_app
from service.extensions import db
from service.models import Site
from service.moderation.accounts import hash_token
from service.privacy.vault import EmailVault
from service.screening import rules
from tests.conftest import base_config, submit

BEFORE_SITES = "c7ccebfe557a"
SITES = "85ce3ef35f6b"
AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
FUTURE = datetime(2031, 1, 1, tzinfo=UTC)
MIA_TOKEN = "cd_mia-token-from-before-sites"
ED_TOKEN = "cd_ed-token-from-before-sites"


def at(minutes: int) -> datetime:
    return AT + timedelta(minutes=minutes)


def _comment(vault: EmailVault, id: int, article_id: int, status: str, **extra: Any) -> dict:
    email = f"reader{id}@example.org"
    body = extra.pop("body", f"Comment {id} before sites")
    return {
        "id": id,
        "article_id": article_id,
        "parent_id": None,
        "depth": 0,
        "status": status,
        "status_before_delete": None,
        "name": f"Reader {id}",
        "email_encrypted": vault.encrypt(email),
        "email_hash": vault.email_hash(email),
        "website": None,
        "body": body,
        "body_html": f"<p>{body}</p>",
        "created_at": at(id),
        "updated_at": at(id + 30),
        "ip_hash": vault.ip_hash(f"203.0.113.{id}"),
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        "reasons": [{"code": "pre_moderation", "message": "Held for review."}],
        "fingerprint": f"{id:016x}",
        "moderator_edited_at": None,
        "pinned_at": None,
        "edited_at": None,
        "body_format": "markdown",
    } | extra


def _single_site_rows(vault: EmailVault) -> dict[str, list[dict[str, Any]]]:
    """A newsroom's single-site database as it stood before sites, table by table (in the
    order the foreign keys need)."""
    return {
        "moderators": [
            {"id": 1, "username": "ed", "password_hash": "pbkdf2:sha256:1000$a$b", "role": "admin",
             "is_active": True, "created_at": at(0), "queue_view": "full",
             "session_generation": 2},
            {"id": 2, "username": "mia", "password_hash": "pbkdf2:sha256:1000$c$d",
             "role": "moderator", "is_active": True, "created_at": at(1), "queue_view": "compact",
             "session_generation": 0},
            {"id": 3, "username": "gone", "password_hash": "pbkdf2:sha256:1000$e$f",
             "role": "moderator", "is_active": False, "created_at": at(2), "queue_view": "full",
             "session_generation": 5},
        ],
        "api_tokens": [
            {"id": 1, "moderator_id": 1, "token_hash": hash_token(ED_TOKEN), "label": "scripts",
             "created_at": at(3), "revoked_at": None},
            {"id": 2, "moderator_id": 2, "token_hash": hash_token(MIA_TOKEN), "label": "phone",
             "created_at": at(4), "revoked_at": None},
            {"id": 3, "moderator_id": 2, "token_hash": hash_token("cd_old"), "label": "laptop",
             "created_at": at(5), "revoked_at": at(6)},
        ],
        "articles": [
            {"id": 1, "key": "news/budget", "created_at": at(1), "approved_count": 3,
             "feed_version": 9, "locked": False, "surge_until": None, "title": "Budget day",
             "url": "https://blog.example.com/news/budget", "closes_at": FUTURE,
             "moderation": "trusted"},
            {"id": 2, "key": "news/closed", "created_at": at(2), "approved_count": 1,
             "feed_version": 2, "locked": True, "surge_until": at(40), "title": None,
             "url": None, "closes_at": at(100), "moderation": "pre"},
            {"id": 3, "key": "blog/imported", "created_at": at(3), "approved_count": 1,
             "feed_version": 1, "locked": False, "surge_until": None, "title": "From WordPress",
             "url": "https://blog.example.com/2019/imported/", "closes_at": None,
             "moderation": None},
        ],
        "comments": [
            _comment(vault, 1, 1, "approved", pinned_at=at(50)),
            _comment(vault, 2, 1, "approved", parent_id=1, depth=1, edited_at=at(33),
                     website="https://reader2.example.net/"),
            _comment(vault, 3, 1, "pending", reasons=[
                {"code": "hold_word", "message": "Contains a word held for review: refinance"}
            ]),
            _comment(vault, 4, 1, "rejected", moderator_edited_at=at(45)),
            _comment(vault, 5, 1, "spam", ip_hash=None, user_agent=None),
            _comment(vault, 6, 1, "deleted", status_before_delete="approved"),
            _comment(vault, 7, 1, "approved", parent_id=4, depth=1),
            _comment(vault, 8, 2, "approved"),
            _comment(vault, 9, 3, "approved", body_format="html", reasons=[],
                     body_html="<p>Imported <em>HTML</em></p>"),
            _comment(vault, 10, 3, "pending", parent_id=9, depth=1, reasons=[
                {"code": "imported_private", "message": "The post was password-protected."}
            ]),
        ],
        "imported_comments": [
            {"source": "wordpress", "source_id": "101", "comment_id": 9,
             "parent_source_id": None},
            {"source": "wordpress", "source_id": "102", "comment_id": 10,
             "parent_source_id": "101"},
        ],
        "policy_rules": [
            {"id": 1, "kind": "hold_word", "value": "refinance", "created_at": at(7)},
            {"id": 2, "kind": "deny_word", "value": "casino", "created_at": at(8)},
            {"id": 3, "kind": "deny_domain", "value": "spam.example", "created_at": at(9)},
            {"id": 4, "kind": "hold_word", "value": "crypto", "created_at": at(10)},
        ],
        "policy_settings": [
            {"name": "link_limit", "value": 3.0, "updated_at": at(11)},
            {"name": "classifier_hold", "value": 0.6, "updated_at": at(12)},
            {"name": "classifier_spam", "value": 0.95, "updated_at": at(13)},
        ],
        "bans": [
            {"id": 1, "kind": "email", "value": vault.email_hash("reader5@example.org"),
             "reason": "Spam run", "until": None, "created_at": at(20), "moderator_id": 2,
             "lifted_at": None, "lifted_by": None},
            {"id": 2, "kind": "domain", "value": "mailinator.example", "reason": "Throwaways",
             "until": None, "created_at": at(21), "moderator_id": 1, "lifted_at": at(60),
             "lifted_by": 1},
            {"id": 3, "kind": "ip", "value": vault.ip_hash("198.51.100.7"),
             "reason": "Cooling off", "until": FUTURE, "created_at": at(22), "moderator_id": 2,
             "lifted_at": None, "lifted_by": None},
            {"id": 4, "kind": "email", "value": vault.email_hash("reader4@example.org"),
             "reason": "A week off", "until": at(23 + 7 * 24 * 60), "created_at": at(23),
             "moderator_id": 3, "lifted_at": None, "lifted_by": None},
        ],
        "moderation_events": [
            {"id": 1, "comment_id": 1, "moderator_id": 2, "actor": "moderator",
             "action": "approve", "from_status": "pending", "to_status": "approved",
             "note": None, "created_at": at(24), "batch": None, "article_id": 1, "ban_id": None,
             "commenter_hash": None, "data": None},
            {"id": 2, "comment_id": 4, "moderator_id": 2, "actor": "moderator",
             "action": "reject", "from_status": "pending", "to_status": "rejected",
             "note": "Off topic", "created_at": at(25), "batch": "b-1", "article_id": 1,
             "ban_id": None, "commenter_hash": None, "data": None},
            {"id": 3, "comment_id": 5, "moderator_id": 2, "actor": "moderator",
             "action": "spam_ban", "from_status": "pending", "to_status": "spam", "note": None,
             "created_at": at(26), "batch": None, "article_id": 1, "ban_id": 1,
             "commenter_hash": vault.email_hash("reader5@example.org"), "data": None},
            {"id": 4, "comment_id": None, "moderator_id": 1, "actor": "moderator",
             "action": "lock", "from_status": None, "to_status": None, "note": "Enough",
             "created_at": at(27), "batch": None, "article_id": 2, "ban_id": None,
             "commenter_hash": None, "data": None},
            {"id": 5, "comment_id": 6, "moderator_id": None, "actor": "commenter",
             "action": "withdraw", "from_status": "approved", "to_status": "deleted",
             "note": None, "created_at": at(28), "batch": None, "article_id": 1,
             "ban_id": None, "commenter_hash": None, "data": None},
            {"id": 6, "comment_id": None, "moderator_id": 1, "actor": "moderator",
             "action": "article_settings", "from_status": None, "to_status": None,
             "note": None, "created_at": at(29), "batch": None, "article_id": 1,
             "ban_id": None, "commenter_hash": None,
             "data": {"moderation": {"from": None, "to": "trusted"}}},
        ],
        "commenter_notes": [
            {"id": 1, "email_hash": vault.email_hash("reader5@example.org"),
             "body": "Posts casino links every Monday.", "moderator_id": 2,
             "created_at": at(30)},
        ],
        "notifications": [
            {"id": 1, "kind": "digest", "comment_id": 3, "sent_at": at(31)},
            {"id": 2, "kind": "stale_alert", "comment_id": None, "sent_at": at(32)},
        ],
        "link_mails": [
            {"email_hash": vault.email_hash("reader2@example.org"), "sent_at": at(34)},
        ],
        "sign_in_failures": [
            {"id": 1, "account_hash": "a" * 64, "address_hash": None, "created_at": at(35)},
        ],
    }  # fmt: skip


def _fill(connection: Connection, old: MetaData, rows: dict[str, list[dict[str, Any]]]) -> None:
    for table, values in rows.items():
        connection.execute(old.tables[table].insert(), values)
    # The workers' copies had been refreshed a few times.
    connection.execute(text("UPDATE state_versions SET version = version + 3"))
    if connection.dialect.name == "postgresql":
        # Explicit ids leave the sequences behind; the real database got its ids from them.
        for table, values in rows.items():
            if "id" in values[0]:
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )


def _snapshot(connection: Connection, old: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the single-site schema had, in its columns of then."""
    return {
        name: sorted(connection.execute(select(*table.c)).all(), key=repr)
        for name, table in old.tables.items()
        if name != "alembic_version"
    }


def _without_link_limit(snapshot: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[Any]]:
    return snapshot | {
        "policy_settings": [row for row in snapshot["policy_settings"] if row[0] != "link_limit"]
    }


@pytest.fixture
def single_site_app(empty_database_url: str) -> Iterator[Flask]:
    app = create_app(base_config(empty_database_url))
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _at_revision_before_sites(app: Flask) -> tuple[MetaData, dict[str, list[tuple[Any, ...]]]]:
    """Migrate to the revision before sites, fill it, and return its tables and rows."""
    flask_migrate.upgrade(revision=BEFORE_SITES)
    old = MetaData()
    with db.engine.begin() as connection:
        old.reflect(bind=connection)
        _fill(connection, old, _single_site_rows(EmailVault.from_secret(app.config["SECRET_KEY"])))
    with db.engine.connect() as connection:
        return old, _snapshot(connection, old)


def test_the_upgrade_keeps_every_row_and_moves_it_into_the_default_site(single_site_app):
    app = single_site_app
    with app.app_context():
        old, before = _at_revision_before_sites(app)

        flask_migrate.upgrade()

        with db.engine.connect() as connection:
            after = _snapshot(connection, old)
            sites = connection.execute(
                select(Site.slug, Site.id, Site.link_limit, Site.origins)
            ).all()
            site_ids = {
                table: set(connection.execute(text(f"SELECT site_id FROM {table}")).scalars())
                for table in ("articles", "policy_rules", "bans")
            }
            grants = connection.execute(
                text("SELECT moderator_id, site_id, role FROM site_grants ORDER BY moderator_id")
            ).all()

    # Every row of every table, column by column; only the link limit moved (below).
    assert after == _without_link_limit(before)
    assert ("link_limit", 3.0) in [row[:2] for row in before["policy_settings"]]
    # One site, the default, with the admin's link limit and no origins of its own (the
    # environment's ALLOWED_ORIGINS keep serving it).
    [(slug, default_id, link_limit, origins)] = sites
    assert (slug, link_limit, origins) == ("default", 3, [])
    assert site_ids == {
        "articles": {default_id},
        "policy_rules": {default_id},
        "bans": {default_id},
    }
    # Both moderators (the inactive one too) keep the one site they moderated; the admin
    # needs no grant.
    assert [tuple(grant) for grant in grants] == [
        (2, default_id, "moderator"),
        (3, default_id, "moderator"),
    ]


def test_a_link_limit_stored_as_a_fraction_becomes_the_whole_links_it_allowed(single_site_app):
    # The page took a number; the policy applied int(value): 2.7 allowed two links.
    with single_site_app.app_context():
        _at_revision_before_sites(single_site_app)
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE policy_settings SET value = 2.7 WHERE name = 'link_limit'")
            )

        flask_migrate.upgrade()

        assert rules.current_rules().link_limit == 2


def test_after_the_upgrade_the_app_serves_the_same_thread_queue_and_rules(single_site_app):
    app = single_site_app
    client = app.test_client()
    with app.app_context():
        _at_revision_before_sites(app)
        flask_migrate.upgrade()

    thread = client.get("/api/v1/articles/news/budget/comments")
    assert thread.status_code == 200, thread.get_json()
    feed = thread.get_json()
    assert feed["count"] == 3
    assert [
        (c["id"], c["parent_id"], c["parent_removed"], c["pinned"], c["edited"], c["body_html"])
        for c in feed["comments"]
    ] == [
        (1, None, False, True, False, "<p>Comment 1 before sites</p>"),
        (2, 1, False, False, True, "<p>Comment 2 before sites</p>"),
        # A reply to a comment a moderator rejected stays, under its placeholder.
        (7, 4, True, False, False, "<p>Comment 7 before sites</p>"),
    ]
    assert "@example.org" not in thread.get_data(as_text=True)
    counts = client.get(
        "/api/v1/counts?article=news/budget&article=news/closed&article=blog/imported"
    ).get_json()
    assert counts == {"counts": {"news/budget": 3, "news/closed": 1, "blog/imported": 1}}

    # The old tokens still sign in; the moderator's queue holds the same pending comments.
    for token in (MIA_TOKEN, ED_TOKEN):
        queue = client.get(
            "/api/v1/moderation/comments?status=pending",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert queue.status_code == 200, queue.get_json()
        pending = {(c["id"], c["email"]) for c in queue.get_json()["comments"]}
        assert pending == {(3, "reader3@example.org"), (10, "reader10@example.org")}

    # The rules and the ban still apply, on the default site's articles.
    with app.app_context():
        current = rules.current_rules()
    assert "refinance" in current.hold_words and "casino" in current.deny_words
    assert current.link_limit == 3
    # The classifier's thresholds stay the deployment's settings.
    assert (current.classifier_hold, current.classifier_spam) == (0.6, 0.95)
    banned = submit(client, article="news/budget", email="reader5@example.org", body="Again")
    assert banned.get_json()["error"]["code"] == "commenter_banned"
    closed = submit(client, article="news/closed", email="new@example.org", body="Hello")
    assert closed.get_json()["error"]["code"] == "comments_closed"
    # The article that ran `trusted` still does: a returning approved commenter goes public.
    trusted = submit(client, article="news/budget", email="reader1@example.org", body="Back")
    assert trusted.get_json()["status"] == "approved"


def test_the_downgrade_gives_the_single_site_database_back(single_site_app):
    app = single_site_app
    with app.app_context():
        old, before = _at_revision_before_sites(app)
        flask_migrate.upgrade()

        flask_migrate.downgrade(revision=BEFORE_SITES)

        with db.engine.connect() as connection:
            after = _snapshot(connection, old)
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            tables = set(db.inspect(connection).get_table_names())
        # And up again: the same database as the first upgrade made.
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            upgraded_again = _snapshot(connection, old)
    assert version == [(BEFORE_SITES,)]
    assert not {"sites", "site_grants"} & tables
    # The link limit comes back as a setting with its value (stamped with the downgrade's
    # time: the site kept no record of when it was last set).
    assert _without_link_limit(after) == _without_link_limit(before)
    assert [row[:2] for row in after["policy_settings"] if row[0] == "link_limit"] == [
        ("link_limit", 3.0)
    ]
    assert upgraded_again == _without_link_limit(before)


@pytest.mark.parametrize("what", ["articles", "policy_rules", "bans"])
def test_the_downgrade_refuses_while_another_site_has_articles_rules_or_bans(single_site_app, what):
    app = single_site_app
    with app.app_context():
        _at_revision_before_sites(app)
        flask_migrate.upgrade()
        inserts = {
            "articles": "INSERT INTO articles (site_id, key, created_at, approved_count, "
            "feed_version, locked) VALUES (:site, 'news/budget', :at, 0, 0, :no)",
            "policy_rules": "INSERT INTO policy_rules (site_id, kind, value, created_at) "
            "VALUES (:site, 'hold_word', 'refinance', :at)",
            "bans": "INSERT INTO bans (site_id, kind, value, reason, created_at) "
            "VALUES (:site, 'domain', 'other.example', 'Site B only', :at)",
        }
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sites (slug, name, created_at, origins) "
                    "VALUES ('sport', 'Sport desk', :at, '[]')"
                ),
                {"at": AT},
            )
            site = connection.execute(text("SELECT id FROM sites WHERE slug = 'sport'")).scalar()
            connection.execute(text(inserts[what]), {"site": site, "at": AT, "no": False})

        # Alembic's own command: `flask db downgrade` prints this message and exits with 1.
        config = app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match="flask sites remove SLUG --delete-comments"):
            alembic.command.downgrade(config, BEFORE_SITES)

        with db.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            kept = connection.execute(
                text(f"SELECT count(*) FROM {what} WHERE site_id = :site"), {"site": site}
            ).scalar_one()
    # PostgreSQL rolls the whole downgrade back; SQLite keeps the later migrations' steps
    # down to this one. Either way the sites are still there.
    assert version != [(BEFORE_SITES,)]
    assert kept == 1
