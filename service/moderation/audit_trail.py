"""The audit trail as moderators read it, newest first: every decision, ban, note and setting
change (service/audit.py writes it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service import cursors
from service.extensions import db
from service.models import (
    Article,
    Comment,
    ModerationEvent,
    Moderator,
)


def events_page(
    comment_id: int | None = None,
    moderator: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The audit trail, newest first; each event names its article (a comment's, or the one a
    lock or surge switch was about)."""
    stmt = (
        select(ModerationEvent, Moderator.username, Article.key)
        .outerjoin(Moderator, Moderator.id == ModerationEvent.moderator_id)
        .outerjoin(Comment, Comment.id == ModerationEvent.comment_id)
        .outerjoin(
            Article, Article.id == func.coalesce(ModerationEvent.article_id, Comment.article_id)
        )
    )
    if comment_id is not None:
        stmt = stmt.where(ModerationEvent.comment_id == comment_id)
    if moderator:
        stmt = stmt.where(Moderator.username == moderator)
    found = cursors.by_id_newest(
        stmt,
        ModerationEvent.id,
        cursor,
        limit,
        fetch=lambda page_stmt: db.session.execute(page_stmt).all(),
        key=lambda row: int(row[0].id),
    )
    events = [
        {
            "id": event.id,
            "comment_id": event.comment_id,
            "article": article,
            "moderator": username,
            "actor": event.actor,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.note,
            "ban_id": event.ban_id,
            "commenter_hash": event.commenter_hash,
            "data": event.data,
            "created_at": event.created_at,
        }
        for event, username, article in found.rows
    ]
    return {"events": events, "next_cursor": found.next_cursor}
