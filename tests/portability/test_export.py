"""`flask export`: JSON with everything, WXR that imports back into the same comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service import create_app
from service.comments import articles
from service.extensions import db
from service.models import Article, Comment, ImportedComment, Moderator, SiteRole
from service.ops.database import write_transaction
from service.portability import commentdesk
from service.privacy import vault
from service.sites import grants, registry
from tests.conftest import approve, base_config, dispose, submit

WXR = Path(__file__).parents[1] / "data" / "imports" / "wordpress.xml"


def seed(app: Flask, client: Any, headers: dict[str, str]) -> dict[str, int]:
    """Typed comments in every state, a reply, and imported HTML comments."""
    ids = {}
    for name, body in [
        ("approved", "**Bold** and a [link](https://example.net/)"),
        ("rejected", "Rejected one"),
        ("deleted", "Deleted one"),
        ("pending", "Still *pending*"),
    ]:
        response = submit(client, "posts/round-trip", body=body, name=f"N {name}",
                          email=f"{name}@example.org", website="https://w.example/")  # fmt: skip
        ids[name] = response.get_json()["id"]
    approve(client, headers, ids["approved"])
    reply = submit(client, "posts/round-trip", body="A reply", parent_id=ids["approved"])
    ids["reply"] = reply.get_json()["id"]
    approve(client, headers, ids["reply"])
    moderation = "/api/v1/moderation/comments"
    assert client.post(f"{moderation}/{ids['rejected']}/reject", headers=headers).status_code == 200
    assert client.delete(f"{moderation}/{ids['deleted']}", headers=headers).status_code == 200
    result = app.test_cli_runner().invoke(args=["import", "wordpress", str(WXR), "--no-progress"])
    assert result.exit_code == 0, result.output
    return ids


def test_json_export_carries_every_comment_with_moderator_data(
    app, client, moderator_headers, tmp_path
):
    ids = seed(app, client, moderator_headers)
    out = tmp_path / "export.json"

    result = app.test_cli_runner().invoke(args=["export", "--format", "json", "-o", str(out)])

    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert (document["format"], document["version"]) == ("commentdesk-export", 1)
    assert {a["key"] for a in document["articles"]} == {
        "posts/round-trip",
        "2024/05/hello-world",
        "2024/05/uber-strassen",
    }
    by_id = {c["id"]: c for c in document["comments"]}
    assert len(by_id) == 5 + 6
    rejected = by_id[ids["rejected"]]
    assert set(rejected) == {
        "id", "article", "parent_id", "depth", "status", "status_before_delete", "name",
        "email", "email_hash", "website", "body", "body_format", "body_html", "created_at",
        "updated_at", "ip_hash", "user_agent", "reasons",
    }  # fmt: skip
    assert rejected["status"] == "rejected"
    assert rejected["email"] == "rejected@example.org"
    assert rejected["ip_hash"] and len(rejected["email_hash"]) == 64
    assert rejected["reasons"] and rejected["body"] == "Rejected one"
    deleted = by_id[ids["deleted"]]
    assert (deleted["status"], deleted["status_before_delete"]) == ("deleted", "pending")
    assert by_id[ids["reply"]]["parent_id"] == ids["approved"]
    assert by_id[ids["approved"]]["body_format"] == "markdown"
    assert "Exported 11 comments as json." in result.output


def snapshot(app: Flask) -> list[tuple[Any, ...]]:
    """Comments as comparable tuples, parents by the parent's body (ids change)."""
    with app.app_context():
        rows = db.session.execute(
            select(Comment, Article.key).join(Article, Article.id == Comment.article_id)
        ).all()
        bodies = {c.id: c.body for c, _ in rows}
        return sorted(
            (
                (
                    key,
                    bodies.get(c.parent_id),
                    c.depth,
                    c.status.value,
                    c.status_before_delete,
                    c.name,
                    c.email_hash,
                    c.website,
                    c.body,
                    c.body_format,
                    c.body_html,
                    c.created_at,
                )
                for c, key in rows
            ),
            key=repr,
        )


def approved_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Article.key, Article.approved_count)).all())


def test_wxr_export_imports_back_into_the_same_comments(
    app, client, moderator_headers, tmp_path, empty_database_url
):
    seed(app, client, moderator_headers)
    out = tmp_path / "export.xml"
    result = app.test_cli_runner().invoke(args=["export", "--format", "wxr", "-o", str(out)])
    assert result.exit_code == 0, result.output
    target = create_app(base_config(empty_database_url))
    try:
        with target.app_context():
            db.create_all(bind_key=None)

        imported = target.test_cli_runner().invoke(
            args=["import", "wordpress", str(out), "--no-progress"]
        )

        assert imported.exit_code == 0, imported.output
        assert "Imported 11 of 11 comments" in imported.output
        assert snapshot(target) == snapshot(app)
        assert approved_counts(target) == approved_counts(app)
        with target.app_context():
            assert db.session.query(ImportedComment).count() == 11
    finally:
        dispose([target])


def export_document(app: Flask, path: Path) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["export", "--format", "json", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def test_json_export_restores_field_by_field_under_another_key(
    app, client, moderator_headers, tmp_path, empty_database_url
):
    seed(app, client, moderator_headers)
    with app.app_context():
        mia = db.session.scalars(select(Moderator)).one()
        # Title and URL are for the site's admins.
        with write_transaction() as session:
            grants.grant(session, mia.id, registry.default().id, SiteRole.SITE_ADMIN)
        articles.update_settings(
            "posts/round-trip",
            {
                "title": "Round trip",
                "url": "https://blog.example.com/posts/round-trip",
                "closes_at": datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC),
                "moderation": "trusted",
            },
            mia.id,
        )
        articles.set_locked("2024/05/hello-world", True, mia.id)
        # Prepared before its first comment: an article the export has without comments.
        db.session.add(
            Article(
                site_id=registry.default().id,
                key="drafts/embargoed",
                title="Embargoed",
                locked=True,
            )
        )
        db.session.commit()
    before = export_document(app, tmp_path / "before.json")
    target = create_app(base_config(empty_database_url) | {"SECRET_KEY": "another-" * 6})
    try:
        # No schema yet: the import command applies the migrations itself.
        result = target.test_cli_runner().invoke(
            args=["import", "commentdesk", str(tmp_path / "before.json"), "--no-progress"]
        )

        assert result.exit_code == 0, result.output
        assert "Imported 11 of 11 comments from commentdesk into 3 articles." in result.output
        after = export_document(target, tmp_path / "after.json")
        with target.app_context():
            new_ids = {
                int(source_id): comment_id
                for source_id, comment_id in db.session.execute(
                    select(ImportedComment.source_id, ImportedComment.comment_id)
                )
            }
            email_vault = vault.vault()
            new_hashes = {
                c["id"]: email_vault.email_hash(c["email"] or "") for c in after["comments"]
            }
        # Titles, locks, settings, dates and counts; the order of ids may differ.
        by_key = {a["key"]: a for a in after["articles"]}
        assert by_key == {a["key"]: a for a in before["articles"]}
        restored = {c["id"]: c for c in after["comments"]}
        assert len(restored) == len(before["comments"]) == 11
        for old in before["comments"]:
            new = restored[new_ids[old["id"]]]
            # The address is encrypted and hashed again under this deployment's key.
            assert new["email_hash"] != old["email_hash"] or not old["email"]
            if old["email"]:
                assert new["email_hash"] == new_hashes[new["id"]]
            parent = new_ids[old["parent_id"]] if old["parent_id"] else None
            assert new == old | {
                "id": new["id"],
                "parent_id": parent,
                "email_hash": new["email_hash"],
            }
        statuses = sorted(c["status"] for c in after["comments"])
        assert statuses == sorted(c["status"] for c in before["comments"])
        # The privacy export by address finds the commenter's comments under the new key.
        person = target.test_cli_runner().invoke(args=["privacy", "export", "rejected@example.org"])
        assert person.exit_code == 0, person.output
        assert [c["body"] for c in json.loads(person.output)["comments"]] == ["Rejected one"]
        feed = target.test_client().get("/api/v1/articles/posts/round-trip/comments").get_json()
        assert [c["body_html"] for c in feed["comments"]][:1] == [
            "<p><strong>Bold</strong> and a "
            '<a href="https://example.net/" rel="nofollow ugc noopener noreferrer">link</a></p>'
        ]

        again = target.test_cli_runner().invoke(
            args=["import", "commentdesk", str(tmp_path / "before.json"), "--no-progress"]
        )
        assert "skipped 11: already imported" in again.output
    finally:
        dispose([target])


def test_a_json_export_imported_where_it_came_from_adds_nothing(
    app, client, moderator_headers, tmp_path
):
    seed(app, client, moderator_headers)
    export_document(app, tmp_path / "export.json")

    result = app.test_cli_runner().invoke(
        args=["import", "commentdesk", str(tmp_path / "export.json"), "--no-progress"]
    )

    assert result.exit_code == 0, result.output
    assert "skipped 11: already in this database (the export was made from it)" in result.output
    with app.app_context():
        assert db.session.query(Comment).count() == 11


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "is not a commentdesk export (not a JSON object)"),
        ('{"articles": []}', 'is not a commentdesk export (no "format": "commentdesk-export"'),
        ('{"format": "commentdesk-export", "version": 9, "articles": []}', "of version 9"),
        ('{"format": "commentdesk-export", "version": 1, "comments": [{"id": 1}', "truncated"),
        ('{"format": "commentdesk-export", "version": 1, "comments": [1]}', "not a JSON object"),
        ("\udcff", "not UTF-8"),
    ],
)
def test_a_broken_json_export_is_refused_in_one_line(app, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))

    result = app.test_cli_runner().invoke(args=["import", "commentdesk", str(path)])

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.query(Comment).count() == 0


def test_unusable_comment_records_are_skipped_with_reasons(app, tmp_path, monkeypatch):
    # Tiny reads: every value of the file is split across reads somewhere.
    monkeypatch.setattr(commentdesk, "CHUNK", 3)
    good = {"id": 7, "article": "a", "status": "approved", "name": "N", "body": "Fine",
            "created_at": "2024-01-01T00:00:00+00:00", "body_format": "markdown"}  # fmt: skip
    records = [
        good,
        good | {"id": "x"},
        good | {"id": 8, "status": "visible"},
        good | {"id": 9, "created_at": "yesterday"},
        good | {"id": 10, "body_format": "rtf"},
        good | {"id": 11, "article": ""},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"format": "commentdesk-export", "version": 1,
                                "articles": [], "comments": records}, indent=4))  # fmt: skip

    result = app.test_cli_runner().invoke(
        args=["import", "commentdesk", str(path), "--no-progress"]
    )

    assert result.exit_code == 0, result.output
    assert "Imported 1 of 6 comments" in result.output
    for reason in ("a comment without a numeric id", "unknown status 'visible'",
                   "no valid created_at", "unknown body_format 'rtf'",
                   "a comment without an article"):  # fmt: skip
        assert f"skipped 1: {reason}" in result.output
