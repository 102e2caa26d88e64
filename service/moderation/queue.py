"""The moderation queue as moderators read it: a page of comments with the private fields
they need to decide, and the counts by status (its waves: service/moderation/waves.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from service import cursors, origins
from service.comments import views
from service.extensions import db
from service.models import Article, Comment, CommentStatus
from service.privacy import vault
from service.sites import registry, scope


@dataclass(frozen=True)
class QueueFilter:
    status: str = "pending"
    article: str | None = None
    q: str | None = None
    # A site's slug: that site's comments only.
    site: str | None = None
    cursor: str | None = None
    limit: int = 50


def queue_page(wanted: QueueFilter, moderator_id: int | None) -> dict[str, Any]:
    """Comments for moderators, oldest first, with the private fields they need to decide:
    those of the moderator's sites (or the one site the filter names)."""
    sites = scope.listing(moderator_id, wanted.site)
    stmt = (
        select(Comment, Article.key, Article.title, Article.url, Article.site_id)
        .join(Article, Article.id == Comment.article_id)
        .where(scope.within(sites, Article.site_id))
    )
    if wanted.status != "all":
        stmt = stmt.where(Comment.status == CommentStatus(wanted.status))
    if wanted.article:
        stmt = stmt.where(Article.key == wanted.article)
    if wanted.q:
        stmt = stmt.where(matches(wanted.q))
    page = cursors.by_time(
        stmt,
        Comment.created_at,
        Comment.id,
        wanted.cursor,
        wanted.limit,
        fetch=lambda query: db.session.execute(query).all(),
        key=lambda row: (row[0].created_at, row[0].id),
    )
    rows = page.rows
    page_comments = [row[0] for row in rows]
    parents = _parents(page_comments)
    histories = _histories({c.email_hash for c in page_comments}, sites)
    comments = []
    for comment, key, title, url, site_id in rows:
        site = registry.by_id(site_id)
        comments.append(
            views.moderator_view(comment, key)
            | {
                "site": site.slug,
                "article_title": title,
                "article_url": url or origins.article_page(site.public_url, key),
                "parent": parents.get(comment.parent_id or 0),
                "history": histories.get(comment.email_hash, _EMPTY_HISTORY),
            }
        )
    return {"comments": comments, "next_cursor": page.next_cursor}


def matches(q: str) -> ColumnElement[bool]:
    """The queue's search: the text in a name or body, or, for an address, that commenter's
    comments, found through the keyed hash (never a LIKE on addresses, which are encrypted)."""
    needle = q.strip().lower()
    text = or_(
        func.lower(Comment.name).contains(needle, autoescape=True),
        func.lower(Comment.body).contains(needle, autoescape=True),
    )
    if "@" not in needle:
        return text
    return or_(text, Comment.email_hash == vault.vault().email_hash(q))


_EMPTY_HISTORY = {"approved": 0, "rejected": 0, "spam": 0, "pending": 0}


def _parents(comments: list[Comment]) -> dict[int, dict[str, Any]]:
    """The comments these reply to, for context: one query for the whole page."""
    ids = {c.parent_id for c in comments if c.parent_id}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Comment.id, Comment.name, Comment.status, Comment.body_html).where(
            Comment.id.in_(ids)
        )
    )
    return {
        row.id: {
            "id": row.id,
            "name": row.name,
            "status": row.status.value,
            "body_html": row.body_html,
        }
        for row in rows
    }


def _histories(email_hashes: set[str], sites: scope.Sites) -> dict[str, dict[str, int]]:
    """How each commenter's comments on these sites have been decided so far: one query for
    the page."""
    if not email_hashes:
        return {}
    rows = db.session.execute(
        select(Comment.email_hash, Comment.status, func.count())
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.email_hash.in_(email_hashes), scope.within(sites, Article.site_id))
        .group_by(Comment.email_hash, Comment.status)
    )
    histories: dict[str, dict[str, int]] = {}
    for email_hash, status, count in rows:
        if status.value in _EMPTY_HISTORY:
            histories.setdefault(email_hash, dict(_EMPTY_HISTORY))[status.value] = count
    return histories


def status_counts(moderator_id: int | None, site: str | None = None) -> dict[str, int]:
    """The queue's comments by status, on the moderator's sites (or the one named)."""
    sites = scope.listing(moderator_id, site)
    stmt = select(Comment.status, func.count())
    if sites is not None:
        stmt = stmt.join(Article, Article.id == Comment.article_id).where(
            Article.site_id.in_(sites)
        )
    rows = db.session.execute(stmt.group_by(Comment.status))
    counts = {status.value: count for status, count in rows}
    counts["all"] = sum(counts.values())
    return counts
