"""The public feed of an article (GET /api/v1/articles/{article}/comments) and the counts."""

from __future__ import annotations

import base64
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.comments import articles, lifecycle
from service.comments.rendering import render_body
from service.models import Comment, CommentStatus
from service.ops.database import write_transaction
from service.privacy import vault
from tests.conftest import VALID, approve, submit

ARTICLE = "posts/hello"
PUBLIC_KEYS = {
    "id",
    "parent_id",
    "parent_removed",
    "name",
    "website",
    "avatar",
    "body_html",
    "created_at",
    "moderator_edited",
    "pinned",
    "edited",
}
FEED_KEYS = {"article", "count", "comments", "next_cursor"}
BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def feed_url(article: str = ARTICLE) -> str:
    return f"/api/v1/articles/{quote(article, safe='/')}/comments"


def get_feed(client: FlaskClient, article: str = ARTICLE, **params: Any) -> Any:
    response = client.get(feed_url(article), query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def feed_ids(client: FlaskClient, article: str = ARTICLE, **params: Any) -> list[int]:
    return [c["id"] for c in get_feed(client, article, **params)["comments"]]


def published(
    client: FlaskClient, headers: dict[str, str], article: str = ARTICLE, **fields: Any
) -> int:
    """Submit a comment and approve it; returns its id."""
    created = client.post(feed_url(article), json=VALID | fields)
    assert created.status_code == 201, created.get_json()
    comment_id = created.get_json()["id"]
    approve(client, headers, comment_id)
    return comment_id


def moderate(client: FlaskClient, headers: dict[str, str], comment_id: int, action: str) -> None:
    if action == "delete":
        response = client.delete(f"/api/v1/moderation/comments/{comment_id}", headers=headers)
    else:
        response = client.post(
            f"/api/v1/moderation/comments/{comment_id}/{action}", headers=headers
        )
    assert response.status_code == 200, response.get_json()


def encoded(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def seed(app: Flask, article: str, rows: list[dict[str, Any]]) -> list[Comment]:
    """Insert comments straight into the database (fast, and with chosen timestamps).

    Each row gives `created_at` and optionally `status` and `parent` (an index into `rows`
    of an earlier row). The article's public count and feed version are kept as the use
    cases keep them.
    """
    with app.app_context():
        email_vault = vault.vault()
        email = "seeded.reader@example.org"
        encrypted, email_hash = email_vault.encrypt(email), email_vault.email_hash(email)
        with write_transaction() as session:
            article_row = articles.lock_or_create(session, article)
            comments: list[Comment] = []
            for n, row in enumerate(rows):
                body = f"Seeded comment {n} on {article}"
                parent = comments[row["parent"]] if "parent" in row else None
                comment = Comment(
                    article_id=article_row.id,
                    parent=parent,
                    depth=1 if parent is not None else 0,
                    status=row.get("status", CommentStatus.APPROVED),
                    name=f"Reader {n}",
                    email_encrypted=encrypted,
                    email_hash=email_hash,
                    body=body,
                    body_html=render_body(body),
                    created_at=row["created_at"],
                    updated_at=row["created_at"],
                    reasons=[],
                )
                comments.append(comment)
            session.add_all(comments)
            session.flush()
            # Written in bulk, like an import: the life-cycle core counts them.
            lifecycle.recount(session, [article_row.id])
    return comments


def time_order(comments: list[Comment]) -> list[int]:
    public = [c for c in comments if c.status == CommentStatus.APPROVED]
    return [c.id for c in sorted(public, key=lambda c: (c.created_at, c.id))]


def walk(client: FlaskClient, article: str, order: str, limit: int) -> tuple[list[int], int]:
    """Follow next_cursor from the first page to the last; returns ids and pages read."""
    ids: list[int] = []
    params: dict[str, Any] = {"order": order, "limit": limit}
    pages = 0
    while True:
        page = get_feed(client, article, **params)
        pages += 1
        assert len(page["comments"]) <= limit
        ids += [c["id"] for c in page["comments"]]
        if page["next_cursor"] is None:
            return ids, pages
        assert len(page["comments"]) == limit
        params["cursor"] = page["next_cursor"]
        assert pages < 1000, "the cursor never reached the end"


# --- what the feed shows --------------------------------------------------------------


def test_feed_shows_only_approved_comments_with_exactly_the_public_fields(
    client, moderator_headers
):
    approved = published(
        client,
        moderator_headers,
        name="Grace Hopper",
        email="Grace@Example.org",
        website="https://grace.example.org",
        body="Nice *post*",
    )
    pending = submit(client, body="Waiting").get_json()["id"]
    rejected = submit(client, body="Rude").get_json()["id"]
    spam = submit(client, body="Buy now").get_json()["id"]
    deleted = submit(client, body="Withdrawn").get_json()["id"]
    moderate(client, moderator_headers, rejected, "reject")
    moderate(client, moderator_headers, spam, "spam")
    moderate(client, moderator_headers, deleted, "delete")

    response = client.get(feed_url())
    data = response.get_json()

    assert response.status_code == 200
    assert set(data) == FEED_KEYS
    assert data["article"] == ARTICLE
    assert data["count"] == 1
    assert data["next_cursor"] is None
    assert [c["id"] for c in data["comments"]] == [approved]
    assert pending not in [c["id"] for c in data["comments"]]
    (comment,) = data["comments"]
    assert set(comment) == PUBLIC_KEYS
    assert comment["parent_id"] is None
    assert comment["parent_removed"] is False
    assert comment["name"] == "Grace Hopper"
    assert comment["website"] == "https://grace.example.org"
    assert comment["body_html"] == "<p>Nice <em>post</em></p>"
    assert re.fullmatch(r"/api/v1/avatars/[0-9a-f]{20}\.svg", comment["avatar"])
    assert datetime.fromisoformat(comment["created_at"]).tzinfo is not None


def test_feed_never_contains_an_email_ip_or_moderation_data(app, client, moderator_headers):
    published(client, moderator_headers, email="secret.person@example.org", body="Hello")
    with app.app_context():
        email_hash = vault.vault().email_hash("secret.person@example.org")
        ip_hash = vault.vault().ip_hash("127.0.0.1")

    text = client.get(feed_url()).get_data(as_text=True).lower()

    for private in ("secret.person", "example.org", email_hash, ip_hash, "pre_moderation"):
        assert private not in text
    for field in ("email", "email_hash", "ip_hash", "status", "reasons", "user_agent", "body"):
        assert f'"{field}"' not in text


@pytest.mark.parametrize(
    "article", ["posts/never-commented", "a", "x" * 255], ids=["path", "one-char", "max-length"]
)
def test_article_without_comments_answers_200_with_an_empty_list(client, article):
    response = client.get(feed_url(article))

    assert response.status_code == 200
    assert response.get_json() == {
        "article": article,
        "count": 0,
        "comments": [],
        "next_cursor": None,
    }
    assert response.headers["ETag"]


def test_article_with_only_held_comments_answers_an_empty_list(client):
    assert submit(client, body="Held for moderation").status_code == 201

    data = get_feed(client)

    assert data["comments"] == []
    assert data["count"] == 0


def test_feed_is_a_flat_list_in_time_order_with_replies_after_their_parent(
    client, moderator_headers
):
    first = published(client, moderator_headers, body="First")
    second = published(client, moderator_headers, body="Second")
    reply = published(client, moderator_headers, body="Reply to first", parent_id=first)
    nested = published(client, moderator_headers, body="Reply to reply", parent_id=reply)

    oldest = get_feed(client)["comments"]
    newest = get_feed(client, order="newest")["comments"]

    assert [c["id"] for c in oldest] == [first, second, reply, nested]
    assert [c["id"] for c in newest] == [nested, reply, second, first]
    parents = {c["id"]: c["parent_id"] for c in oldest}
    assert parents == {first: None, second: None, reply: first, nested: reply}
    assert not any(c["parent_removed"] for c in oldest)


@pytest.mark.parametrize("action", ["reject", "spam", "delete"])
def test_reply_keeps_its_place_when_its_parent_leaves_the_thread(client, moderator_headers, action):
    parent = published(client, moderator_headers, body="Parent")
    reply = published(client, moderator_headers, body="Reply", parent_id=parent)
    later = published(client, moderator_headers, body="Later")

    moderate(client, moderator_headers, parent, action)
    comments = get_feed(client)["comments"]

    assert [c["id"] for c in comments] == [reply, later]
    assert comments[0]["parent_id"] == parent
    assert comments[0]["parent_removed"] is True
    assert comments[1]["parent_removed"] is False


def test_restoring_a_removed_parent_puts_it_back_before_its_reply(client, moderator_headers):
    parent = published(client, moderator_headers, body="Parent")
    reply = published(client, moderator_headers, body="Reply", parent_id=parent)
    moderate(client, moderator_headers, parent, "delete")

    moderate(client, moderator_headers, parent, "restore")
    comments = get_feed(client)["comments"]

    assert [c["id"] for c in comments] == [parent, reply]
    assert comments[1]["parent_removed"] is False


def test_comments_of_other_articles_stay_out_of_the_feed(client, moderator_headers):
    mine = published(client, moderator_headers, "posts/2024/05/hello", body="Mine")
    published(client, moderator_headers, "posts/2024/05", body="Shorter key")
    published(client, moderator_headers, "posts/2024/05/hello/more", body="Longer key")

    assert feed_ids(client, "posts/2024/05/hello") == [mine]


@pytest.mark.parametrize(
    "article",
    [
        "posts/2024/05/hello-world",
        "a",
        "trailing/slash/",
        "double//slash",
        "blog/café au lait",
        "k" * 255,
        "with?question&and#hash",
    ],
    ids=[
        "nested-path",
        "one-char",
        "trailing-slash",
        "double-slash",
        "unicode",
        "max-length",
        "url-syntax",
    ],
)
def test_article_keys_may_hold_slashes_and_any_printable_text(client, moderator_headers, article):
    comment_id = published(client, moderator_headers, article, body="Keyed")

    data = get_feed(client, article)

    assert data["article"] == article
    assert [c["id"] for c in data["comments"]] == [comment_id]
    counts = client.get("/api/v1/counts", query_string={"article": article}).get_json()
    assert counts == {"counts": {article: 1}}


@pytest.mark.parametrize(
    "article",
    ["k" * 256, "bad%00key", "bad%09key", "bad%7Fkey"],
    ids=["256-chars", "nul", "tab", "del"],
)
def test_article_key_too_long_or_with_control_characters_is_422(client, article):
    response = client.get(f"/api/v1/articles/{article}/comments")

    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["article"]
    assert "article key" in message


# --- pagination -----------------------------------------------------------------------


def test_limit_defaults_to_50(app, client):
    comments = seed(app, ARTICLE, [{"created_at": BASE + timedelta(seconds=n)} for n in range(51)])

    first = get_feed(client)
    second = get_feed(client, cursor=first["next_cursor"])

    assert len(first["comments"]) == 50
    assert first["next_cursor"] is not None
    assert [c["id"] for c in second["comments"]] == [comments[-1].id]
    assert second["next_cursor"] is None
    assert first["count"] == second["count"] == 51


def test_exactly_one_full_page_has_no_next_cursor(app, client):
    seed(app, ARTICLE, [{"created_at": BASE + timedelta(seconds=n)} for n in range(3)])

    page = get_feed(client, limit=3)

    assert len(page["comments"]) == 3
    assert page["next_cursor"] is None


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_pages_split_comments_with_identical_timestamps_by_id(app, client, order):
    # Nine comments share one instant, and the earliest comment has a higher id than all of
    # them; pages of 4 cut through the tie, so only a (created_at, id) key pages correctly.
    stamps = [BASE] * 9 + [BASE - timedelta(seconds=1), BASE + timedelta(seconds=1)]
    comments = seed(app, ARTICLE, [{"created_at": stamp} for stamp in stamps])
    expected = time_order(comments)

    ids, pages = walk(client, ARTICLE, order, limit=4)

    assert ids == (expected if order == "oldest" else expected[::-1])
    assert pages == 3


@pytest.mark.slow
def test_walking_thousands_of_comments_returns_each_once_in_order(app, client):
    rng = random.Random(2500)
    # 2,500 public comments in groups of 7 that share a timestamp (page size 200 is not a
    # multiple of 7, so pages end inside a group), inserted in shuffled time order so that
    # ids do not follow time; every tenth is a reply to an earlier comment; and comments
    # that must not show: held, rejected, spam, deleted, and another article's.
    stamps = [BASE + timedelta(seconds=n // 7) for n in range(2500)]
    rng.shuffle(stamps)
    rows: list[dict[str, Any]] = []
    for n, stamp in enumerate(stamps):
        row: dict[str, Any] = {"created_at": stamp}
        if n % 10 == 9:
            earlier = [i for i in range(max(0, n - 40), n) if rows[i]["created_at"] < stamp]
            if earlier:
                row["parent"] = earlier[0]
        rows.append(row)
    hidden = [CommentStatus.PENDING, CommentStatus.REJECTED, CommentStatus.SPAM]
    hidden += [CommentStatus.DELETED]
    rows += [{"created_at": rng.choice(stamps), "status": rng.choice(hidden)} for _ in range(60)]
    comments = seed(app, ARTICLE, rows)
    seed(app, "posts/other", [{"created_at": BASE + timedelta(seconds=n)} for n in range(30)])
    expected = time_order(comments)
    parent_of = {c.id: c.parent.id for c in comments if c.parent is not None}
    assert len(expected) == 2500
    assert len(parent_of) > 200

    oldest, oldest_pages = walk(client, ARTICLE, "oldest", limit=200)
    newest, newest_pages = walk(client, ARTICLE, "newest", limit=200)

    assert oldest == expected
    assert newest == expected[::-1]
    assert oldest_pages == newest_pages == 13
    position = {comment_id: n for n, comment_id in enumerate(oldest)}
    assert all(position[parent] < position[reply] for reply, parent in parent_of.items())
    assert get_feed(client, limit=1)["count"] == 2500


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"order": "NEWEST"}, "order"),
        ({"order": ""}, "order"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "é"}, "cursor"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": encoded("no separator")}, "cursor"),
        ({"cursor": encoded("2024-03-01T12:00:00|1")}, "cursor"),  # no time zone
        ({"cursor": encoded("2024-03-01T12:00:00+00:00|x")}, "cursor"),
        ({"cursor": encoded("2024-03-01T12:00:00+00:00|1|2")}, "cursor"),
        ({"cursor": encoded("2024-03-01T12:00:00+00:00|0")}, "cursor"),
        ({"cursor": encoded("2024-03-01T12:00:00+00:00|-5")}, "cursor"),
        ({"cursor": encoded("2024-03-01T12:00:00+00:00|" + "9" * 30)}, "cursor"),
        ({"cursor": encoded("2024-03-01T12:00:00+00:00|2147483648")}, "cursor"),
        ({"cursor": encoded("0001-01-01T00:00:00+05:00|1")}, "cursor"),
        ({"cursor": encoded("9999-12-31T23:59:59-05:00|1")}, "cursor"),
    ],
    ids=[
        "limit-zero",
        "limit-201",
        "limit-negative",
        "limit-text",
        "limit-fraction",
        "limit-empty",
        "order-unknown",
        "order-uppercase",
        "order-empty",
        "cursor-garbage",
        "cursor-non-ascii",
        "cursor-not-base64",
        "cursor-no-separator",
        "cursor-naive-time",
        "cursor-id-text",
        "cursor-extra-part",
        "cursor-id-zero",
        "cursor-id-negative",
        "cursor-id-huge",
        "cursor-id-past-int4",
        "cursor-time-before-year-1-utc",
        "cursor-time-after-year-9999-utc",
    ],
)
def test_bad_feed_parameters_are_422_with_a_readable_message(
    client, moderator_headers, params, field
):
    published(client, moderator_headers)

    response = client.get(feed_url(), query_string=params)

    assert response.status_code == 422
    messages = response.get_json()["errors"][field]
    assert messages
    assert all(isinstance(m, str) and len(m) > 10 for m in messages)


def test_limit_of_200_is_allowed(app, client):
    seed(app, ARTICLE, [{"created_at": BASE + timedelta(seconds=n)} for n in range(201)])

    page = get_feed(client, limit=200)

    assert len(page["comments"]) == 200
    assert page["next_cursor"] is not None


# --- caching ----------------------------------------------------------------------------


def test_feed_is_publicly_cacheable_for_the_configured_max_age(make_app):
    client = make_app(FEED_MAX_AGE=30).test_client()

    response = client.get(feed_url())

    assert response.headers["Cache-Control"] == "public, max-age=30"


def test_default_max_age_is_short(client):
    assert client.get(feed_url()).headers["Cache-Control"] == "public, max-age=10"


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", "W/{etag}", '"stale", {etag}', "*"],
    ids=["exact", "weak", "list", "star"],
)
def test_unchanged_feed_answers_304_to_if_none_match(client, moderator_headers, if_none_match):
    published(client, moderator_headers)
    first = client.get(feed_url())
    etag = first.headers["ETag"]

    again = client.get(feed_url(), headers={"If-None-Match": if_none_match.format(etag=etag)})

    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_stale_etag_gets_the_full_feed(client, moderator_headers):
    published(client, moderator_headers)

    response = client.get(feed_url(), headers={"If-None-Match": '"not-the-current-tag"'})

    assert response.status_code == 200
    assert len(response.get_json()["comments"]) == 1


def etag_of(client: FlaskClient, article: str = ARTICLE) -> str:
    return client.get(feed_url(article)).headers["ETag"]


def test_etag_changes_when_a_comment_is_approved(client, moderator_headers):
    published(client, moderator_headers, body="Old news")
    pending = submit(client, body="New").get_json()["id"]
    before = etag_of(client)

    approve(client, moderator_headers, pending)
    revalidated = client.get(feed_url(), headers={"If-None-Match": before})

    assert revalidated.status_code == 200
    assert revalidated.headers["ETag"] != before
    assert len(revalidated.get_json()["comments"]) == 2


@pytest.mark.parametrize("action", ["reject", "spam", "delete"])
def test_etag_changes_when_an_approved_comment_leaves_the_thread(client, moderator_headers, action):
    comment_id = published(client, moderator_headers)
    before = etag_of(client)

    moderate(client, moderator_headers, comment_id, action)
    revalidated = client.get(feed_url(), headers={"If-None-Match": before})

    assert revalidated.status_code == 200
    assert revalidated.get_json()["comments"] == []


def test_etag_stays_when_a_comment_is_only_submitted(client, moderator_headers):
    published(client, moderator_headers, body="Public")
    before = etag_of(client)

    assert submit(client, body="Held for moderation").status_code == 201

    assert etag_of(client) == before
    assert client.get(feed_url(), headers={"If-None-Match": before}).status_code == 304


def test_etag_stays_when_the_first_comment_of_an_article_is_held(client):
    before = etag_of(client, "posts/brand-new")

    assert submit(client, "posts/brand-new", body="Held").status_code == 201

    assert etag_of(client, "posts/brand-new") == before


def test_etag_of_one_article_ignores_changes_to_another(client, moderator_headers):
    published(client, moderator_headers, "posts/one", body="One")
    before = etag_of(client, "posts/one")

    published(client, moderator_headers, "posts/two", body="Two")

    assert etag_of(client, "posts/one") == before
    assert etag_of(client, "posts/two") != before


# --- counts -----------------------------------------------------------------------------


def test_counts_report_approved_comments_and_zero_for_unknown_articles(client, moderator_headers):
    published(client, moderator_headers, "posts/a", body="A1")
    published(client, moderator_headers, "posts/a", body="A2")
    submit(client, "posts/a", body="A pending")
    published(client, moderator_headers, "posts/b", body="B1")
    submit(client, "posts/held-only", body="Held")

    response = client.get(
        "/api/v1/counts?article=posts/a&article=posts/b&article=posts/held-only&article=nope"
    )

    assert response.status_code == 200
    assert response.get_json() == {
        "counts": {"posts/a": 2, "posts/b": 1, "posts/held-only": 0, "nope": 0}
    }


def test_counts_follow_moderation_decisions(client, moderator_headers):
    first = published(client, moderator_headers, body="One")
    published(client, moderator_headers, body="Two")

    moderate(client, moderator_headers, first, "delete")
    after_delete = client.get("/api/v1/counts", query_string={"article": ARTICLE}).get_json()
    moderate(client, moderator_headers, first, "restore")
    after_restore = client.get("/api/v1/counts", query_string={"article": ARTICLE}).get_json()

    assert after_delete == {"counts": {ARTICLE: 1}}
    assert after_restore == {"counts": {ARTICLE: 2}}
    assert get_feed(client)["count"] == 2


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?article=",
        "?other=posts/a",
        "?article=" + "k" * 256,
        "?" + "&".join(["article=a"] * 101),
    ],
    ids=["no-article", "empty-article", "wrong-parameter", "key-too-long", "too-many"],
)
def test_counts_without_a_valid_article_is_422(client, query):
    response = client.get("/api/v1/counts" + query)

    assert response.status_code == 422
    assert response.get_json()["errors"]["article"]


def test_counts_message_says_to_name_an_article(client):
    response = client.get("/api/v1/counts")

    assert response.get_json() == {
        "errors": {"article": ["Name at least one article: ?article=key."]}
    }


def test_feed_body_html_is_sanitized(client, moderator_headers):
    published(client, moderator_headers, body="<script>alert(1)</script>")

    (comment,) = get_feed(client)["comments"]

    assert "<script>" not in comment["body_html"]
    assert comment["name"] == VALID["name"]


def test_feeds_of_different_empty_articles_each_name_their_own_article(client):
    for key in ("posts/one", "posts/two"):
        submit(client, article=key, body=f"pending on {key}")
    for key in ("posts/one", "posts/two", "posts/never-commented"):
        feed = client.get(f"/api/v1/articles/{key}/comments").get_json()
        assert feed == {"article": key, "count": 0, "comments": [], "next_cursor": None}


@pytest.mark.parametrize("key", ["/2024/05/hello/", "/index.html", "a//b"])
def test_page_paths_are_article_keys_as_they_are_slashes_included(client, moderator_headers, key):
    created = submit(client, article=key, body=f"on {key}")
    assert created.status_code == 201
    approve(client, moderator_headers, created.get_json()["id"])
    feed = client.get(f"/api/v1/articles/{key}/comments")
    assert feed.status_code == 200
    assert feed.get_json()["article"] == key
    assert [c["id"] for c in feed.get_json()["comments"]] == [created.get_json()["id"]]
    other = key.strip("/") if key.startswith("/") else "/" + key
    assert client.get(f"/api/v1/articles/{other}/comments").get_json()["count"] == 0
