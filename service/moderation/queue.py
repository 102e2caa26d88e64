"""The moderation queue as moderators read it: a page of comments with the private fields
they need to decide, the counts by status, and the waves of look-alike pending comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from service import cursors
from service.comments import views
from service.extensions import db
from service.models import Article, Comment, CommentStatus


@dataclass(frozen=True)
class QueueFilter:
    status: str = "pending"
    article: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


def queue_page(wanted: QueueFilter) -> dict[str, Any]:
    """Comments for moderators, oldest first, with the private fields they need to decide."""
    stmt = select(Comment, Article.key).join(Article, Article.id == Comment.article_id)
    if wanted.status != "all":
        stmt = stmt.where(Comment.status == CommentStatus(wanted.status))
    if wanted.article:
        stmt = stmt.where(Article.key == wanted.article)
    if wanted.q:
        needle = wanted.q.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(Comment.name).contains(needle, autoescape=True),
                func.lower(Comment.body).contains(needle, autoescape=True),
            )
        )
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
    page_comments = [comment for comment, _ in rows]
    parents = _parents(page_comments)
    histories = _histories({c.email_hash for c in page_comments})
    comments = [
        views.moderator_view(comment, key)
        | {
            "parent": parents.get(comment.parent_id or 0),
            "history": histories.get(comment.email_hash, _EMPTY_HISTORY),
        }
        for comment, key in rows
    ]
    return {"comments": comments, "next_cursor": page.next_cursor}


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


def _histories(email_hashes: set[str]) -> dict[str, dict[str, int]]:
    """How each commenter's comments have been decided so far: one query for the page."""
    if not email_hashes:
        return {}
    rows = db.session.execute(
        select(Comment.email_hash, Comment.status, func.count())
        .where(Comment.email_hash.in_(email_hashes))
        .group_by(Comment.email_hash, Comment.status)
    )
    histories: dict[str, dict[str, int]] = {}
    for email_hash, status, count in rows:
        if status.value in _EMPTY_HISTORY:
            histories.setdefault(email_hash, dict(_EMPTY_HISTORY))[status.value] = count
    return histories


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(Comment.status, func.count()).group_by(Comment.status))
    counts = {status.value: count for status, count in rows}
    counts["all"] = sum(counts.values())
    return counts


WAVE_MIN_SIZE = 3


def waves(limit: int = 10) -> list[dict[str, Any]]:
    """Pending comments with the same normalised text, biggest wave first."""
    pending = Comment.status == CommentStatus.PENDING
    sizes = db.session.execute(
        select(Comment.fingerprint, func.count().label("size"))
        .where(pending, Comment.fingerprint.is_not(None))
        .group_by(Comment.fingerprint)
        .having(func.count() >= WAVE_MIN_SIZE)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    if not sizes:
        return []
    details = {
        row.fingerprint: row
        for row in db.session.execute(
            select(
                Comment.fingerprint,
                func.count(Comment.email_hash.distinct()).label("commenters"),
                func.count(Comment.article_id.distinct()).label("articles"),
                func.min(Comment.id).label("sample_id"),
            )
            .where(pending, Comment.fingerprint.in_([row.fingerprint for row in sizes]))
            .group_by(Comment.fingerprint)
        )
    }
    samples = dict(
        db.session.execute(
            select(Comment.id, Comment.body_html).where(
                Comment.id.in_([d.sample_id for d in details.values()])
            )
        ).all()
    )
    return [
        {
            "fingerprint": row.fingerprint,
            "count": row.size,
            "commenters": details[row.fingerprint].commenters,
            "articles": details[row.fingerprint].articles,
            "sample_html": samples[details[row.fingerprint].sample_id],
        }
        for row in sizes
    ]


def wave_ids(fingerprint: str) -> list[int]:
    """The pending comments of one wave."""
    return list(
        db.session.scalars(
            select(Comment.id).where(
                Comment.status == CommentStatus.PENDING, Comment.fingerprint == fingerprint
            )
        ).all()
    )
