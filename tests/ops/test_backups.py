"""Backups (`flask backup`) and upgrades: a copy of a live SQLite database that opens with
every comment in it, PostgreSQL pointed at pg_dump, and a database from the first migration
upgraded to the newest without losing anything."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import flask_migrate
import pytest
from sqlalchemy import JSON, bindparam, text

from service import create_app
from service.extensions import db
from service.models import UTCDateTime
from service.moderation import accounts
from service.privacy.vault import EmailVault
from tests.conftest import base_config, submit

FIRST_REVISION = "af147f689aa0"


def comment_rows(path: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT id, body, status FROM comments ORDER BY id").fetchall()


def test_backup_writes_a_copy_that_opens_with_every_comment(app, client, runner, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the SQLite backup; PostgreSQL is refused (see the next test)")
    for number in range(3):
        assert (
            submit(client, body=f"Comment {number}", email=f"c{number}@example.org").status_code
            == 201
        )
    destination = tmp_path / "backups" / "commentdesk-copy.db"
    destination.parent.mkdir()

    result = runner.invoke(args=["backup", str(destination)])

    assert result.exit_code == 0, result.output
    assert f"Backed up the database to {destination}" in result.output
    # One self-contained file: no scratch file, no WAL beside it.
    assert [p.name for p in destination.parent.iterdir()] == [destination.name]
    assert destination.stat().st_mode & 0o077 == 0
    live = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    copied = comment_rows(destination)
    assert [body for _, body, _ in copied] == ["Comment 0", "Comment 1", "Comment 2"]
    assert copied == comment_rows(live)
    with closing(sqlite3.connect(destination)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_backup_refuses_to_overwrite_a_file_or_the_database_itself(app, runner, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the SQLite backup")
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    live = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")

    over_file = runner.invoke(args=["backup", str(existing)])
    over_itself = runner.invoke(args=["backup", live])
    no_folder = runner.invoke(args=["backup", str(tmp_path / "missing" / "copy.db")])

    assert over_file.exit_code == 1
    assert "already exists" in over_file.output
    assert existing.read_bytes() == b"keep me"
    assert over_itself.exit_code == 1
    assert "the database itself" in over_itself.output
    assert no_folder.exit_code == 1
    assert "does not exist" in no_folder.output


def test_backup_of_postgresql_points_to_pg_dump(app, runner, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the PostgreSQL refusal")
    destination = tmp_path / "copy.db"

    result = runner.invoke(args=["backup", str(destination)])

    assert result.exit_code == 1
    assert "pg_dump" in result.output
    assert "postgresql" in result.output
    assert not destination.exists()


def _insert_first_revision_data(vault: EmailVault) -> None:
    """An article, a moderator, three comments and an audit event, as the first schema had
    them, written with plain SQL (the models describe the newest schema, not this one)."""
    at = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    timestamps = bindparam("at", type_=UTCDateTime)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO articles (id, key, created_at, approved_count, feed_version) "
                "VALUES (1, 'blog/old-post', :at, 2, 3)"
            ).bindparams(timestamps),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO moderators (id, username, password_hash, role, is_active, "
                "created_at) VALUES (1, 'old-mia', 'pbkdf2:sha256:1000$x$y', 'admin', "
                ":active, :at)"
            ).bindparams(timestamps),
            {"at": at, "active": True},
        )
        connection.execute(
            text(
                "INSERT INTO comments (id, article_id, parent_id, depth, status, name, "
                "email_encrypted, email_hash, body, body_html, created_at, updated_at, reasons) "
                "VALUES (:id, 1, :parent_id, :depth, :status, :name, :email_encrypted, "
                ":email_hash, :body, :body_html, :at, :at, :reasons)"
            ).bindparams(timestamps, bindparam("reasons", type_=JSON)),
            [
                {
                    "id": number,
                    "parent_id": parent,
                    "depth": 0 if parent is None else 1,
                    "status": status,
                    "name": f"Reader {number}",
                    "email_encrypted": vault.encrypt(f"reader{number}@example.org"),
                    "email_hash": vault.email_hash(f"reader{number}@example.org"),
                    "body": f"Old comment {number}",
                    "body_html": f"<p>Old comment {number}</p>",
                    "at": at.replace(minute=number),
                    "reasons": [{"code": "pre_moderation", "message": "held for review"}],
                }
                for number, parent, status in (
                    (1, None, "approved"),
                    (2, 1, "approved"),
                    (3, None, "pending"),
                )
            ],
        )
        connection.execute(
            text(
                "INSERT INTO moderation_events (comment_id, moderator_id, actor, action, "
                "from_status, to_status, note, created_at) "
                "VALUES (1, 1, 'moderator', 'approve', 'pending', 'approved', 'ok', :at)"
            ).bindparams(timestamps),
            {"at": at},
        )
        if connection.dialect.name == "postgresql":
            # Explicit ids leave PostgreSQL's sequences behind; a real first-revision database
            # got its ids from them.
            for table in ("articles", "moderators", "comments"):
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )


def test_upgrading_a_first_revision_database_keeps_every_comment(empty_database_url):
    app = create_app(base_config(empty_database_url))
    client = app.test_client()
    with app.app_context():
        flask_migrate.upgrade(revision=FIRST_REVISION)
        _insert_first_revision_data(EmailVault.from_secret(app.config["SECRET_KEY"]))

        flask_migrate.upgrade()

        with db.engine.connect() as connection:
            heads = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            assert heads and heads[0][0] != FIRST_REVISION
            counts = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("articles", "moderators", "comments", "moderation_events")
            }
        assert counts == {"articles": 1, "moderators": 1, "comments": 3, "moderation_events": 1}
        token = accounts.create_api_token("old-mia", "after the upgrade")

    try:
        feed = client.get("/api/v1/articles/blog/old-post/comments").get_json()
        assert feed["count"] == 2
        assert [(c["id"], c["parent_id"]) for c in feed["comments"]] == [(1, None), (2, 1)]
        assert feed["comments"][0]["body_html"] == "<p>Old comment 1</p>"

        headers = {"Authorization": f"Bearer {token}"}
        queue = client.get("/api/v1/moderation/comments?status=pending", headers=headers)
        assert queue.status_code == 200, queue.get_json()
        (pending,) = queue.get_json()["comments"]
        assert pending["email"] == "reader3@example.org"  # still decrypts after the upgrade
        approved = client.post("/api/v1/moderation/comments/3/approve", headers=headers)
        assert approved.status_code == 200, approved.get_json()
        assert client.get("/api/v1/articles/blog/old-post/comments").get_json()["count"] == 3
        # New rows get fresh ids after the old ones.
        assert submit(client, article="blog/old-post").get_json()["id"] == 4
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
