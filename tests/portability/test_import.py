"""Imports from WordPress (WXR), Disqus (XML) and Isso (SQLite): every field in place,
threads kept, re-runs without duplicates, hostile files refused with nothing stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.extensions import db
from service.models import Article, Comment, CommentStatus, ImportedComment, ModerationEvent
from service.portability.records import ArticleKeyRule
from service.privacy import vault
from service.sites import registry

DATA = Path(__file__).parents[1] / "data" / "imports"
WXR = DATA / "wordpress.xml"
DISQUS = DATA / "disqus.xml"

# Isso's own schema (isso/db/__init__.py, threads.py, comments.py; database version 3).
ISSO_SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
CREATE TRIGGER remove_stale_threads AFTER DELETE ON comments BEGIN
    DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments);
END;
"""
ISSO_THREADS = [(1, "/2024/05/hello-world/", "Hello world"), (2, "/2024/05/uber-strassen/", "Ü")]
# tid, id, parent, created, modified, mode, remote_addr, text, author, email, website
ISSO_COMMENTS = [
    (1, 1, None, 1714557600.25, None, 1, "198.51.100.0",
     "**Markdown** in Isso, with a [link](https://example.net/).",
     "Ada Lovelace", "ada@example.org", "https://ada.example.org"),
    (1, 2, 1, 1714561200.0, 1714561300.0, 1, "192.0.2.0", "Réponse en *français* — ✓",
     "Zoë", "zoe@example.org", None),
    (1, 3, None, 1714564800.0, None, 2, "192.0.2.0", "Waiting for moderation", None, None, None),
    (2, 4, None, 1714568400.0, None, 4, "198.51.100.0", "", None, None, None),
    (2, 5, 4, 1714572000.0, None, 1, "198.51.100.0", "A reply to a deleted comment",
     "Grace Hopper", "grace@example.org", ""),
]  # fmt: skip


@pytest.fixture
def isso_db(tmp_path: Path) -> Path:
    path = tmp_path / "comments.db"
    connection = sqlite3.connect(path)
    connection.executescript(ISSO_SCHEMA)
    connection.execute("INSERT INTO preferences VALUES ('db-version', '3')")
    connection.executemany("INSERT INTO threads VALUES (?, ?, ?)", ISSO_THREADS)
    connection.executemany(
        "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text,"
        " author, email, website, voters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, x'00')",
        ISSO_COMMENTS,
    )
    connection.commit()
    connection.close()
    return path


def run_import(app: Flask, kind: str, path: Path, *options: str) -> Any:
    result = app.test_cli_runner().invoke(
        args=["import", kind, str(path), "--no-progress", *options]
    )
    return result


def imported(app: Flask, source: str) -> dict[str, dict[str, Any]]:
    """Every comment of a source by its source id, with its parent's source id."""
    with app.app_context():
        email_vault = vault.vault()
        by_comment = dict(
            db.session.execute(select(ImportedComment.comment_id, ImportedComment.source_id)).all()
        )
        rows = db.session.execute(
            select(Comment, Article.key)
            .join(Article, Article.id == Comment.article_id)
            .join(ImportedComment, ImportedComment.comment_id == Comment.id)
            .where(ImportedComment.source == source)
        ).all()
        return {
            by_comment[c.id]: {
                "id": c.id,
                "article": key,
                "parent": by_comment.get(c.parent_id) if c.parent_id else None,
                "depth": c.depth,
                "status": c.status,
                "before": c.status_before_delete,
                "name": c.name,
                "email": email_vault.decrypt(c.email_encrypted) if c.email_encrypted else "",
                "email_hash": c.email_hash,
                "website": c.website,
                "ip_hash": c.ip_hash,
                "body": c.body,
                "body_html": c.body_html,
                "created_at": c.created_at,
            }
            for c, key in rows
        }


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def hashes(app: Flask, email: str, ip: str) -> tuple[str, str | None]:
    with app.app_context():
        return vault.vault().email_hash(email), vault.vault().ip_hash(ip)


def test_wordpress_import_puts_every_field_in_place(app, client):
    result = run_import(app, "wordpress", WXR)

    assert result.exit_code == 0, result.output
    assert "Imported 6 of 7 comments from wordpress into 2 articles." in result.output
    assert "skipped 1: a pingback, not a comment" in result.output
    comments = imported(app, "wordpress")
    assert set(comments) == {"10", "12", "13", "14", "15", "20"}
    ada = comments["10"]
    ada_hash, ada_ip = hashes(app, "ada@example.org", "198.51.100.23")
    assert ada | {"id": None, "body_html": None} == {
        "id": None,
        "article": "2024/05/hello-world",
        "parent": None,
        "depth": 0,
        "status": CommentStatus.APPROVED,
        "before": None,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "email_hash": ada_hash,
        "website": "https://ada.example.org",
        "ip_hash": ada_ip,
        "body": 'Great post! See <a href="https://example.net/more" rel="nofollow">more here</a>'
        " and <strong>this</strong>.\n<script>alert(1)</script>",
        "body_html": None,
        "created_at": datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    }
    # The HTML WordPress stored, through the same sanitizer as typed comments.
    assert ada["body_html"] == (
        '<p>Great post! See <a href="https://example.net/more" '
        'rel="nofollow ugc noopener noreferrer">'
        "more here</a> and <strong>this</strong>.<br></p>"
    )
    zoe = comments["12"]
    assert zoe["parent"] == "10"  # the reply came first in the file
    assert zoe["depth"] == 1
    assert zoe["name"] == "Zoë Müller"
    assert zoe["email"] == "Zoe.Mueller@Example.org"
    assert zoe["email_hash"] == hashes(app, "zoe.mueller@example.org", "")[0]
    assert "Ça marche — 日本語も大丈夫。" in zoe["body"]
    assert zoe["body_html"].startswith("<p>A reply that came <em>before</em> its parent")
    assert zoe["created_at"] == datetime(2024, 5, 2, 9, 15, 30, tzinfo=UTC)
    assert comments["13"]["status"] == CommentStatus.PENDING
    assert comments["13"]["parent"] == "12"
    assert comments["13"]["depth"] == 2
    assert comments["13"]["website"] is None
    assert comments["14"]["status"] == CommentStatus.SPAM
    assert comments["15"]["status"] == CommentStatus.DELETED
    assert comments["15"]["before"] == CommentStatus.APPROVED  # _wp_trash_meta_status 1
    strassen = comments["20"]
    assert strassen["article"] == "2024/05/uber-strassen"
    assert strassen["body_html"] == (
        "<p>Two lines<br>in one paragraph.</p>"
        "<p>And a second paragraph with &lt;angle brackets&gt; &amp; ampersands.</p>"
    )
    with app.app_context():
        counts = dict(db.session.execute(select(Article.key, Article.approved_count)).all())
        event = db.session.scalars(select(ModerationEvent)).one()
    assert counts == {"2024/05/hello-world": 2, "2024/05/uber-strassen": 1}
    assert (event.actor, event.action) == ("system", "import")
    # The public feed serves the imported thread, with no email anywhere.
    feed = client.get("/api/v1/articles/2024/05/hello-world/comments").get_json()
    assert [c["id"] for c in feed["comments"]] == [ada["id"], zoe["id"]]
    assert feed["comments"][1]["parent_id"] == ada["id"]
    assert "ada@example.org" not in str(feed) and "mueller@" not in str(feed).lower()


def test_disqus_import_puts_every_field_in_place(app, client):
    result = run_import(app, "disqus", DISQUS)

    assert result.exit_code == 0, result.output
    assert "Imported 4 of 5 comments from disqus into 2 articles." in result.output
    assert "skipped 1: its thread is not in the file" in result.output
    comments = imported(app, "disqus")
    first, reply = comments["3001"], comments["3002"]
    ada_hash, ada_ip = hashes(app, "ada@example.org", "198.51.100.23")
    assert first["article"] == "2024/05/hello-world"
    assert (first["name"], first["email"], first["email_hash"]) == (
        "Ada Lovelace",
        "ada@example.org",
        ada_hash,
    )
    assert first["ip_hash"] == ada_ip
    assert first["status"] == CommentStatus.APPROVED
    assert first["created_at"] == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert first["body"].startswith('<p>First comment with a <a href="https://example.net/"')
    assert "onerror" not in first["body_html"] and "<img" not in first["body_html"]
    assert "<p>Second paragraph.</p>" in first["body_html"]
    assert reply["parent"] == "3001" and reply["depth"] == 1
    assert reply["name"] == "Grace Hopper"
    assert "Ünïcödé ✓ and bold<br>on two lines" in reply["body_html"]
    assert comments["3003"]["status"] == CommentStatus.SPAM
    deleted = comments["3004"]
    assert (deleted["status"], deleted["before"]) == (CommentStatus.DELETED, CommentStatus.APPROVED)
    assert deleted["article"] == "2024/05/uber-strassen"  # its thread came later in the file
    feed = client.get("/api/v1/articles/2024/05/hello-world/comments").get_json()
    assert feed["count"] == 2


def test_isso_import_puts_every_field_in_place(app, isso_db):
    result = run_import(app, "isso", isso_db)

    assert result.exit_code == 0, result.output
    assert "Imported 5 of 5 comments from isso into 2 articles." in result.output
    comments = imported(app, "isso")
    first = comments["1"]
    assert first["article"] == "2024/05/hello-world"
    assert first["body"] == "**Markdown** in Isso, with a [link](https://example.net/)."
    assert first["body_html"].startswith("<p><strong>Markdown</strong> in Isso, with a <a ")
    assert first["created_at"] == datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert first["ip_hash"] == hashes(app, "x@y", "198.51.100.0")[1]
    assert first["website"] == "https://ada.example.org"
    assert comments["2"]["parent"] == "1"
    assert comments["2"]["body_html"] == "<p>Réponse en <em>français</em> — ✓</p>"
    waiting = comments["3"]
    assert waiting["status"] == CommentStatus.PENDING
    assert (waiting["name"], waiting["email"], waiting["email_hash"]) == ("Anonymous", "", "")
    assert comments["4"]["status"] == CommentStatus.DELETED
    assert comments["5"]["parent"] == "4"


@pytest.mark.parametrize(
    ("kind", "source", "needs_isso"),
    [("wordpress", WXR, False), ("disqus", DISQUS, False), ("isso", None, True)],
)
def test_running_an_import_again_adds_nothing(app, isso_db, kind, source, needs_isso):
    path = isso_db if needs_isso else source
    assert run_import(app, kind, path).exit_code == 0
    before = imported(app, kind)
    with app.app_context():
        versions = dict(db.session.execute(select(Article.key, Article.approved_count)).all())

    again = run_import(app, kind, path)

    assert again.exit_code == 0, again.output
    assert f"skipped {len(before)}: already imported" in again.output
    assert imported(app, kind) == before
    assert count(app, Comment) == len(before)
    with app.app_context():
        assert (
            dict(db.session.execute(select(Article.key, Article.approved_count)).all()) == versions
        )


def test_article_keys_can_be_slugs_or_a_pattern(app, make_app):
    assert run_import(app, "wordpress", WXR, "--article-key", "slug").exit_code == 0
    other = make_app()
    result = run_import(other, "disqus", DISQUS, "--article-key-pattern", r"/\d{4}/\d\d/([^/]+)/$")
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = set(db.session.scalars(select(Article.key)))
    assert keys == {"hello-world", "uber-strassen"}


def test_a_bad_article_key_pattern_is_a_usage_error(app):
    result = run_import(app, "wordpress", WXR, "--article-key-pattern", "([")

    assert result.exit_code == 2
    assert "--article-key-pattern" in result.output
    assert count(app, Comment) == 0


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss><channel><item><link>https://b.example/x/</link>
<wp:comment xmlns:wp="http://wordpress.org/export/1.2/"><wp:comment_id>1</wp:comment_id>
<wp:comment_content>&lol4;</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_date_gmt>2024-01-01 00:00:00</wp:comment_date_gmt></wp:comment></item></channel></rss>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE disqus [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<disqus xmlns="http://disqus.com"><post><message>&secret;</message></post></disqus>
"""


def _truncated_wxr() -> str:
    # The first comments are complete; the file stops in the middle of the last item.
    text = WXR.read_text()
    return text[: text.index("<wp:comment_id>20</wp:comment_id>")]


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("wordpress", BILLION_LAUGHS, "declares a DTD or entities"),
        ("disqus", EXTERNAL_ENTITY, "declares a DTD or entities"),
        ("wordpress", _truncated_wxr(), "is not well-formed XML"),
        ("wordpress", DISQUS.read_text(), "is not a WordPress (WXR) export"),
        ("disqus", WXR.read_text(), "is not a Disqus export"),
        ("wordpress", "", "is not well-formed XML"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "truncated",
        "disqus-as-wxr",
        "wxr-as-disqus",
        "empty",
    ],
)
def test_hostile_or_broken_xml_is_refused_and_nothing_is_imported(
    app, tmp_path, kind, content, message
):
    path = tmp_path / "export.xml"
    path.write_text(content)

    result = run_import(app, kind, path)

    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and message in error_lines[0], result.output
    assert "nothing was imported" in error_lines[0].lower() or "not a" in error_lines[0]
    assert "Traceback" not in result.output
    assert (count(app, Comment), count(app, Article), count(app, ImportedComment)) == (0, 0, 0)


def test_a_file_that_is_not_an_isso_database_is_refused(app, tmp_path):
    path = tmp_path / "not-isso.db"
    sqlite3.connect(path).executescript("CREATE TABLE threads (id INTEGER PRIMARY KEY);")

    result = run_import(app, "isso", path)

    assert result.exit_code == 1
    assert "is not an Isso database" in result.output
    assert count(app, Comment) == 0


def test_an_isso_comment_with_an_impossible_time_is_skipped(app, isso_db):
    connection = sqlite3.connect(isso_db)
    connection.execute("UPDATE comments SET created = 1e20 WHERE id = 3")
    connection.commit()
    connection.close()

    result = run_import(app, "isso", isso_db)

    assert result.exit_code == 0, result.output
    assert "Imported 4 of 5 comments" in result.output
    assert "skipped 1: no valid created time" in result.output


def test_a_reply_cycle_in_a_hostile_file_does_not_loop(app, tmp_path):
    text = WXR.read_text().replace(
        "<wp:comment_parent>0</wp:comment_parent>\n\t\t\t<wp:comment_user_id>0</wp:comment_user_id>"
        "\n\t\t\t<wp:commentmeta>\n\t\t\t\t<wp:meta_key><![CDATA[akismet_result]]>",
        "<wp:comment_parent>12</wp:comment_parent>\n\t\t\t<wp:comment_user_id>0</wp:comment_user_id>"
        "\n\t\t\t<wp:commentmeta>\n\t\t\t\t<wp:meta_key><![CDATA[akismet_result]]>",
    )
    assert text != WXR.read_text()
    path = tmp_path / "cycle.xml"
    path.write_text(text)

    result = run_import(app, "wordpress", path)

    assert result.exit_code == 0, result.output
    assert "1 replies whose parent is not in the file" in result.output
    comments = imported(app, "wordpress")
    assert comments["10"]["parent"] is None  # 10 -> 12 -> 10 broken at the older comment
    assert comments["12"]["parent"] == "10"


def test_a_source_name_keeps_two_sites_apart(app):
    assert run_import(app, "wordpress", WXR).exit_code == 0

    other = run_import(app, "wordpress", WXR, "--source-name", "wordpress:second-site")

    assert "Imported 6 of 7 comments from wordpress:second-site" in other.output
    assert count(app, Comment) == 12
    assert len(imported(app, "wordpress:second-site")) == 6


def test_a_source_name_that_cannot_be_stored_is_refused(app):
    result = run_import(app, "wordpress", WXR, "--source-name", "x" * 65)

    assert result.exit_code == 1
    assert "A source name has 1 to 64 characters" in result.output
    assert count(app, Comment) == 0


HIDDEN_WXR = DATA / "wordpress-hidden.xml"
HOMEPAGE_DISQUS = DATA / "disqus-homepage.xml"


def reasons_of(app: Flask, comment_id: int) -> list[str]:
    with app.app_context():
        return [r["code"] for r in db.session.get(Comment, comment_id).reasons]


def articles_by_key(app: Flask) -> dict[str, Article]:
    with app.app_context():
        found = {a.key: a for a in db.session.scalars(select(Article))}
        db.session.expunge_all()
        return found


def test_comments_of_posts_that_are_not_public_stay_held_with_a_reason(app, client):
    result = run_import(app, "wordpress", HIDDEN_WXR)

    assert result.exit_code == 0, result.output
    assert "Imported 7 of 10 comments from wordpress into 5 articles." in result.output
    assert "held 4 comments of posts that are not public" in result.output
    assert "skipped 1: a pingback, not a comment" in result.output
    assert "skipped 1: a trackback, not a comment" in result.output
    # A draft's link is "?p=103" and it has no slug yet: no key to file it under.
    assert "skipped 1: its post has a link that gives no article key" in result.output
    comments = imported(app, "wordpress")
    for source_id in ("501", "502", "504"):  # password-protected, pending there, private
        assert comments[source_id]["status"] == CommentStatus.PENDING
        assert reasons_of(app, comments[source_id]["id"]) == ["private_post"]
    # A trashed post's comments: a restore brings them back held, never public.
    trashed = comments["506"]
    assert (trashed["status"], trashed["before"]) == (CommentStatus.DELETED, CommentStatus.PENDING)
    with app.app_context():
        messages = [r["message"] for r in db.session.get(Comment, comments["501"]["id"]).reasons]
    assert messages == [
        "Its WordPress post is password-protected. Approve it only if it may be public."
    ]
    for key in ("2024/06/council-minutes", "staff-notice", "2024/06/withdrawn-story"):
        feed = client.get(f"/api/v1/articles/{key}/comments").get_json()
        assert feed["count"] == 0 and feed["comments"] == [], key
    assert comments["507"]["status"] == CommentStatus.APPROVED  # a published post's


def test_post_and_thread_titles_become_article_titles(app, client, make_app, isso_db):
    assert run_import(app, "wordpress", HIDDEN_WXR).exit_code == 0
    assert run_import(app, "disqus", HOMEPAGE_DISQUS, "--article-key", "url").exit_code == 0
    assert run_import(app, "isso", isso_db, "--article-key", "slug").exit_code == 0

    titles = {key: article.title for key, article in articles_by_key(app).items()}
    assert titles["2024/06/ferry-strike"] == "Ferry strike: talks collapse"
    assert titles["2024/06/council-minutes"] == "Council minutes (members only)"
    assert titles["/"] == "Home"
    assert titles["http://example.org/"] == "The Harbour Gazette"
    assert titles["hello-world"] == "Hello world"
    assert titles["uber-strassen"] == "Ü"
    atom = client.get("/articles/2024/06/ferry-strike/comments.atom").get_data(as_text=True)
    assert "<title>Comments on Ferry strike: talks collapse</title>" in atom


def test_an_import_does_not_replace_a_title_the_article_has(app):
    with app.app_context():
        db.session.add(
            Article(
                site_id=registry.default().id,
                key="2024/06/ferry-strike",
                title="Ferry strike (live)",
            )
        )
        db.session.commit()

    assert run_import(app, "wordpress", HIDDEN_WXR).exit_code == 0

    assert articles_by_key(app)["2024/06/ferry-strike"].title == "Ferry strike (live)"


def test_a_closed_post_becomes_a_locked_article_once(app, client, moderator_headers):
    result = run_import(app, "wordpress", HIDDEN_WXR)

    assert "locked 1 articles closed to comments in wordpress." in result.output
    found = articles_by_key(app)
    assert found["2024/06/ferry-strike"].locked
    assert not found["/"].locked and not found["2024/06/council-minutes"].locked
    with app.app_context():
        event = db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.action == "lock")
        ).one()
        assert (event.actor, event.article_id) == ("system", found["2024/06/ferry-strike"].id)
    refused = client.post("/api/v1/articles/2024/06/ferry-strike/comments", json={
        "name": "Ada", "email": "ada@example.org", "body": "Too late?"})  # fmt: skip
    assert refused.status_code == 403, refused.get_json()
    # A moderator reopens it; importing the file again does not close it behind their back.
    unlock = "/api/v1/moderation/articles/2024/06/ferry-strike/unlock"
    assert client.post(unlock, headers=moderator_headers, json={}).status_code == 200

    assert run_import(app, "wordpress", HIDDEN_WXR).exit_code == 0

    assert not articles_by_key(app)["2024/06/ferry-strike"].locked


def test_disqus_homepage_thread_is_the_front_page_article(app, client):
    result = run_import(app, "disqus", HOMEPAGE_DISQUS)

    assert result.exit_code == 0, result.output
    assert "Imported 4 of 5 comments from disqus into 3 articles." in result.output
    assert "skipped 1: its thread is not in the file" in result.output
    assert "locked 1 articles" in result.output
    comments = imported(app, "disqus")
    assert comments["9001"]["article"] == "/"
    assert (comments["9002"]["parent"], comments["9002"]["name"]) == ("9001", "Guest")
    assert comments["9004"]["status"] == CommentStatus.PENDING  # its thread was deleted
    assert reasons_of(app, comments["9004"]["id"]) == ["private_post"]
    feed = client.get("/api/v1/articles/%2F/comments").get_json()
    assert feed["count"] == 2
    assert articles_by_key(app)["2024/06/ferry-strike"].locked


def test_a_pattern_that_misses_says_so(app):
    result = run_import(
        app, "disqus", HOMEPAGE_DISQUS, "--article-key-pattern", r"/\d{4}/\d\d/([^/]+)/$"
    )

    assert result.exit_code == 0, result.output
    assert "skipped 2: its thread has a link that --article-key-pattern does not match" in (
        result.output
    )
    assert set(articles_by_key(app)) == {"ferry-strike", "retracted"}


def test_an_isso_front_page_thread_is_imported(app, isso_db):
    connection = sqlite3.connect(isso_db)
    connection.execute("INSERT INTO threads VALUES (3, '/', 'Start')")
    connection.execute(
        "INSERT INTO comments (tid, id, created, mode, text, voters) "
        "VALUES (3, 6, 1714575600.0, 1, 'On the front page', x'00')"
    )
    connection.commit()
    connection.close()

    result = run_import(app, "isso", isso_db)

    assert "Imported 6 of 6 comments from isso into 3 articles." in result.output
    assert imported(app, "isso")["6"]["article"] == "/"
    assert articles_by_key(app)["/"].title == "Start"


@pytest.mark.parametrize(
    ("mode", "pattern", "link", "slug", "key"),
    [
        ("path", None, "https://example.org/2024/05/hello/", "hello", "2024/05/hello"),
        ("path", None, "http://example.org/", None, "/"),
        ("path", None, "http://example.org", None, "/"),
        ("path", None, "https://example.org/", "home", "/"),  # a static front page
        ("path", None, "/", None, "/"),  # Isso's uri of the front page
        ("path", None, "https://example.org/?p=12", "plain-permalink", "plain-permalink"),
        ("path", None, "https://example.org/?p=12", None, None),
        ("path", None, "", "no-link", "no-link"),
        ("path", None, "", None, None),
        ("path", None, "http://[::1/broken", None, None),
        ("path", None, "https://example.org/caf%C3%A9/", None, "café"),
        ("slug", None, "https://example.org/2024/05/hello/", None, "hello"),
        ("slug", None, "https://example.org/2024/05/hello/", "wp-slug", "wp-slug"),
        ("slug", None, "https://example.org/", None, "/"),
        ("slug", None, "https://example.org/?p=3", None, None),
        ("url", None, "https://example.org/", None, "https://example.org/"),
        ("url", None, "  ", None, None),
        ("path", r"/(\d+)/", "https://example.org/2024/x", None, "2024"),
        ("path", r"example\.org/\S*", "https://example.org/a", None, "example.org/a"),
        ("path", r"/(\d+)/", "https://example.org/x", None, None),
        ("path", r"/post/(\d*)", "https://example.org/post/", None, None),  # empty group
        ("path", r"/post(/\d+)?", "https://example.org/post", None, None),  # unused group
    ],
)
def test_every_path_of_the_article_key_rule(mode, pattern, link, slug, key):
    assert ArticleKeyRule(mode, pattern).key_for(link, slug) == key
