"""Imports and exports per site: `flask import … --site` and `flask export --site`. The same
file imported into two sites gives each its own threads; a re-run into a site skips what it
has; an export holds one site, its links on that site's public URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from service.extensions import db
from service.models import Article, Comment, ImportedComment, Site
from tests.conftest import submit
from tests.two_sites import add_site, submit_on

WXR = Path(__file__).parents[1] / "data" / "imports" / "wordpress.xml"
B_ORIGIN = "https://b.example.net"
FEED = "/api/v1/articles/2024/05/hello-world/comments"


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def comments_by_site(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Site.slug, func.count(Comment.id))
            .join(Article, Article.site_id == Site.id)
            .join(Comment, Comment.article_id == Article.id)
            .group_by(Site.slug)
        )
        return dict(rows.all())


def test_the_same_file_imported_into_two_sites_gives_each_its_own_threads(app, client):
    add_site(app, "b", origins=[B_ORIGIN])

    into_default = run(app, "import", "wordpress", str(WXR), "--no-progress")
    into_b = run(app, "import", "wordpress", str(WXR), "--no-progress", "--site", "b")

    assert into_default.exit_code == 0, into_default.output
    assert into_b.exit_code == 0, into_b.output
    assert "Imported 6 of 7 comments from wordpress into 2 articles." in into_default.output
    assert "Imported 6 of 7 comments from wordpress into 2 articles of site b." in into_b.output
    assert comments_by_site(app) == {"default": 6, "b": 6}
    default_feed = client.get(FEED).get_json()
    b_feed = client.get(FEED, headers={"Origin": B_ORIGIN}).get_json()
    assert default_feed["count"] == b_feed["count"] > 0
    default_ids = {c["id"] for c in default_feed["comments"]}
    assert default_ids.isdisjoint(c["id"] for c in b_feed["comments"])
    with app.app_context():
        # Every reply hangs under a parent on its own site.
        parent, parent_article = aliased(Comment), aliased(Article)
        pairs = db.session.execute(
            select(Article.site_id, parent_article.site_id)
            .join(Comment, Comment.article_id == Article.id)
            .join(parent, parent.id == Comment.parent_id)
            .join(parent_article, parent_article.id == parent.article_id)
        ).all()
        assert pairs and all(mine == theirs for mine, theirs in pairs)
        assert db.session.scalar(select(func.count()).select_from(ImportedComment)) == 12

    again = run(app, "import", "wordpress", str(WXR), "--no-progress", "--site", "b")

    assert again.exit_code == 0, again.output
    assert "Imported 0 of 7 comments" in again.output
    assert "skipped 6: already imported" in again.output
    assert comments_by_site(app) == {"default": 6, "b": 6}


def test_export_writes_the_chosen_site_only_with_its_public_url(app, tmp_path):
    add_site(app, "b", origins=[B_ORIGIN], public_url="https://b.example.net/news")
    client = app.test_client()
    submit(client, "posts/default-story", body="On the default site.")
    submit_on(client, B_ORIGIN, "posts/b-story", body="On site B.")

    b_json, b_wxr, default_json = (tmp_path / n for n in ("b.json", "b.xml", "default.json"))
    exported = run(app, "export", "--site", "b", "-o", str(b_json))
    assert exported.exit_code == 0, exported.output
    assert "Exported 1 comments of site b as json." in exported.output
    assert run(app, "export", "--site", "b", "--format", "wxr", "-o", str(b_wxr)).exit_code == 0
    assert run(app, "export", "-o", str(default_json)).exit_code == 0

    b_document = json.loads(b_json.read_text())
    assert b_document["site"] == "b"
    assert [a["key"] for a in b_document["articles"]] == ["posts/b-story"]
    assert [c["body"] for c in b_document["comments"]] == ["On site B."]
    default_document = json.loads(default_json.read_text())
    assert default_document["site"] == "default"
    assert [c["body"] for c in default_document["comments"]] == ["On the default site."]
    wxr = b_wxr.read_text()
    assert "<link>https://b.example.net/news/posts/b-story</link>" in wxr
    assert "<wp:base_site_url>https://b.example.net/news</wp:base_site_url>" in wxr
    assert "default-story" not in wxr and "On the default site." not in wxr


def test_a_site_export_restores_into_its_site_and_copies_into_another(app, tmp_path):
    add_site(app, "b", origins=[B_ORIGIN])
    add_site(app, "c")
    submit_on(app.test_client(), B_ORIGIN, "posts/b-story", body="Worth a copy.")
    export = tmp_path / "b.json"
    assert run(app, "export", "--site", "b", "-o", str(export)).exit_code == 0

    restored = run(app, "import", "commentdesk", str(export), "--no-progress", "--site", "b")
    copied = run(app, "import", "commentdesk", str(export), "--no-progress", "--site", "c")

    assert "Imported 0 of 1 comments" in restored.output
    assert "already in this database" in restored.output
    assert copied.exit_code == 0, copied.output
    assert "Imported 1 of 1 comments from commentdesk into 1 articles of site c." in copied.output
    assert comments_by_site(app) == {"b": 1, "c": 1}


def test_an_unknown_site_is_refused_naming_the_sites(app, tmp_path):
    add_site(app, "b")

    for args in (
        ["export", "--site", "nope", "-o", str(tmp_path / "x.json")],
        ["import", "wordpress", str(WXR), "--no-progress", "--site", "nope"],
    ):
        result = run(app, *args)
        assert result.exit_code == 2
        assert "There is no site 'nope'. Sites: default, b." in result.output
    assert comments_by_site(app) == {}
