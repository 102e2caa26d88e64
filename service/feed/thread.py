"""Use cases for readers: the public thread of an article (as a page, or as a tree for the
server-rendered thread), recent comments for the Atom feeds, and comment counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from service import cursors
from service.comments import articles, views
from service.models import Article, Comment, CommentStatus
from service.ops import database
from service.sites import registry


@dataclass(frozen=True)
class ArticleState:
    """What the feed needs before it reads any comment: enough to answer a revalidation,
    and to tell whether the article still takes comments (articles.accepts_comments)."""

    site_id: int
    article_id: int | None
    count: int
    feed_version: int
    created_at: datetime | None
    locked: bool = False
    closes_at: datetime | None = None

    @property
    def etag(self) -> str:
        # Nothing was ever public (feed_version 0): the same empty feed as an unknown article,
        # so a first comment held for moderation does not invalidate readers' caches.
        if self.article_id is None or self.created_at is None or self.feed_version == 0:
            return "empty"
        return f"{self.article_id}.{int(self.created_at.timestamp())}.{self.feed_version}"


# Built once: the feed's hot path should not rebuild statements (or aliases) per request.
_STATE = select(
    Article.site_id,
    Article.id,
    Article.approved_count,
    Article.feed_version,
    Article.created_at,
    Article.locked,
    Article.closes_at,
).where(Article.site_id == bindparam("site_id"), Article.key == bindparam("key"))
_PARENT = aliased(Comment, name="parent")


def article_state(key: str) -> ArticleState:
    """The state of the article `key` on the current site (sites.registry.current)."""
    articles.check_key(key)
    site_id = registry.current().id
    cache = current_app.extensions[articles.STATE_CACHE]
    state: ArticleState = cache.get_or_make((site_id, key), lambda: _load_state(site_id, key))
    return state


def _load_state(site_id: int, key: str) -> ArticleState:
    # A plain connection, not the ORM session: this runs for every read of every feed.
    with database.reads_engine().connect() as connection:
        row = connection.execute(_STATE, {"site_id": site_id, "key": key}).first()
    if row is None:
        return ArticleState(site_id, None, 0, 0, None)
    return ArticleState(*row)


# What a reader may see of each comment, and whether its parent is still public: built once,
# since every feed read starts from it.
_PUBLIC_ROWS = select(
    Comment.id,
    Comment.parent_id,
    Comment.name,
    Comment.website,
    Comment.email_hash,
    Comment.body_html,
    Comment.created_at,
    Comment.moderator_edited_at,
    Comment.pinned_at,
    Comment.edited_at,
    _PARENT.status,
).outerjoin(_PARENT, _PARENT.id == Comment.parent_id)


def page(
    key: str, state: ArticleState, limit: int, cursor: str | None, order: str
) -> dict[str, Any]:
    """One page of approved comments, flat and in time order, each with its parent's id.

    In `oldest` order a parent always comes before its replies. A reply whose parent has
    since left the public thread keeps its place and says `parent_removed`. The first page
    starts with the pinned comments (oldest pin first, at most MAX_PINNED_COMMENTS, not
    counted in `limit`); the time-ordered pages that follow leave them out, so the cursor
    walks the same set whatever is pinned.
    """
    if state.article_id is None:
        if cursor:
            cursors.decode(cursor)  # a bad page link is refused for an unknown article too
        return {"article": key, "count": 0, "comments": [], "next_cursor": None}
    stmt = _PUBLIC_ROWS.where(
        Comment.article_id == state.article_id, Comment.status == CommentStatus.APPROVED
    )
    pinned_first = stmt.where(Comment.pinned_at.is_not(None)).order_by(
        Comment.pinned_at, Comment.id
    )
    with database.reads_engine().connect() as connection:
        pinned = [] if cursor else connection.execute(pinned_first).all()
        found = cursors.by_time(
            stmt.where(Comment.pinned_at.is_(None)),
            Comment.created_at,
            Comment.id,
            cursor,
            limit,
            fetch=lambda page_stmt: connection.execute(page_stmt).all(),
            key=lambda row: (row.created_at, row.id),
            newest=order == "newest",
        )
    comments = [
        views.public_view(
            row, parent_removed=row.parent_id is not None and row.status != CommentStatus.APPROVED
        )
        for row in [*pinned, *found.rows]
    ]
    return {
        "article": key,
        "count": state.count,
        "comments": comments,
        "next_cursor": found.next_cursor,
    }


def counts(keys: list[str]) -> dict[str, int]:
    """The approved-comment counts of the current site's articles `keys`."""
    site_id = registry.current().id
    with database.reads_engine().connect() as connection:
        found = dict(
            connection.execute(
                select(Article.key, Article.approved_count).where(
                    Article.site_id == site_id, Article.key.in_(keys)
                )
            ).all()
        )
    return {key: found.get(key, 0) for key in keys}


def threaded(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Public comments (oldest first, as `page` gives them) as a tree: each gets `replies`.

    Replies to a comment that is no longer public gather under one placeholder per removed
    parent (`{"removed": True, "id": ..., "replies": [...]}`), where its first reply stood.
    """
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for comment in comments:
        node = comment | {"replies": []}
        nodes[comment["id"]] = node
        parent_id = comment["parent_id"]
        if parent_id is None:
            roots.append(node)
        elif parent_id in nodes:
            nodes[parent_id]["replies"].append(node)
        else:
            placeholder = {"removed": True, "id": parent_id, "replies": []}
            nodes[parent_id] = placeholder
            roots.append(placeholder)
            placeholder["replies"].append(node)
    return roots


def recent(key: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest approved comments of one article of the current site (or of all its
    articles), for the Atom feeds."""
    stmt = (
        select(
            Comment.id,
            Comment.name,
            Comment.body_html,
            Comment.created_at,
            Comment.edited_at,
            Article.key,
        )
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.status == CommentStatus.APPROVED, Article.site_id == registry.current().id)
    )
    if key is not None:
        stmt = stmt.where(Article.key == key)
    stmt = stmt.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)
    with database.reads_engine().connect() as connection:
        return [row._asdict() for row in connection.execute(stmt)]
