"""`flask export`: JSON with everything, WXR that imports back into the same comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from service import create_app
from service.extensions import db
from service.models import Article, Comment, ImportedComment
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
