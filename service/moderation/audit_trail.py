"""The audit trail: the one builder of its events (`record`), and reading them back, newest
first: every decision, ban, note and setting change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import cursors
from service.extensions import db
from service.models import (
    Article,
    AuditAction,
    AuditActor,
    Comment,
    CommentStatus,
    ModerationEvent,
    Moderator,
)


def record(
    session: Session,
    action: AuditAction,
    actor: AuditActor,
    *,
    moderator_id: int | None = None,
    comment_id: int | None = None,
    article_id: int | None = None,
    ban_id: int | None = None,
    commenter_hash: str | None = None,
    from_status: CommentStatus | None = None,
    to_status: CommentStatus | None = None,
    note: str | None = None,
    batch: str | None = None,
    data: dict[str, Any] | None = None,
) -> ModerationEvent:
    """Add one audit event to the caller's transaction, so it commits with what it records.
    Comment state changes come here only through the life-cycle core (comments/lifecycle.py)."""
    event = ModerationEvent(
        action=action.value,
        actor=actor.value,
        moderator_id=moderator_id,
        comment_id=comment_id,
        article_id=article_id,
        ban_id=ban_id,
        commenter_hash=commenter_hash,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note,
        batch=batch,
        data=data,
    )
    session.add(event)
    return event


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
