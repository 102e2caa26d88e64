"""Use cases for moderators: the queue, decisions (one or many) and the audit trail.

The JSON API, the web queue and the CLI all call these, so they behave the same.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service import articles, cursors, privacy
from service.database import write_transaction
from service.errors import CommentNotFound, InvalidTransition
from service.extensions import db
from service.models import Article, Comment, CommentStatus, ModerationEvent, Moderator

ACTION_TARGETS = {
    "approve": CommentStatus.APPROVED,
    "reject": CommentStatus.REJECTED,
    "spam": CommentStatus.SPAM,
    "delete": CommentStatus.DELETED,
}
ACTIONS = (*ACTION_TARGETS, "restore")


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str | None = None
    error: dict[str, str] | None = None


def _target_status(comment: Comment, action: str) -> CommentStatus:
    """Where `action` moves the comment, or InvalidTransition (the rules in DESIGN.md)."""
    if action == "restore":
        if comment.status != CommentStatus.DELETED or comment.status_before_delete is None:
            raise InvalidTransition(
                f"Comment {comment.id} is not deleted; there is nothing to restore."
            )
        return comment.status_before_delete
    if comment.status == CommentStatus.DELETED:
        raise InvalidTransition(f"Comment {comment.id} is deleted; restore it first.")
    target = ACTION_TARGETS[action]
    if comment.status == target:
        raise InvalidTransition(f"Comment {comment.id} is already {target.value}.")
    return target


def _apply(
    session: Session, comment: Comment, action: str, moderator_id: int, note: str | None
) -> int:
    """Move one comment and write its audit event; returns the change in public comments."""
    target = _target_status(comment, action)
    before = comment.status
    comment.status_before_delete = before if target == CommentStatus.DELETED else None
    comment.status = target
    session.add(
        ModerationEvent(
            comment_id=comment.id,
            moderator_id=moderator_id,
            actor="moderator",
            action=action,
            from_status=before.value,
            to_status=target.value,
            note=note or None,
        )
    )
    return (target == CommentStatus.APPROVED) - (before == CommentStatus.APPROVED)


def _publish_changes(session: Session, deltas: dict[int, int]) -> None:
    for article_id, delta in deltas.items():
        articles.record_public_change(session, article_id, delta)


def decide(
    comment_id: int, action: str, moderator_id: int, note: str | None = None
) -> dict[str, Any]:
    """One decision on one comment; returns the comment's moderation view."""
    with write_transaction() as session:
        comment = session.scalars(
            select(Comment).where(Comment.id == comment_id).with_for_update()
        ).one_or_none()
        if comment is None:
            raise CommentNotFound(f"There is no comment {comment_id}.")
        delta = _apply(session, comment, action, moderator_id, note)
        _publish_changes(session, {comment.article_id: delta})
        article_key = session.scalar(select(Article.key).where(Article.id == comment.article_id))
    return moderation_view(comment, article_key or "")


def decide_many(
    ids: list[int], action: str, moderator_id: int, note: str | None = None
) -> list[Outcome]:
    """Apply one action to many comments at once; each id gets its own outcome, and the
    comments that can move do, even when others cannot."""
    outcomes: list[Outcome] = []
    deltas: dict[int, int] = defaultdict(int)
    with write_transaction() as session:
        found = {
            c.id: c
            for c in session.scalars(
                select(Comment).where(Comment.id.in_(set(ids))).with_for_update()
            )
        }
        for comment_id in dict.fromkeys(ids):
            comment = found.get(comment_id)
            if comment is None:
                error = {
                    "code": "comment_not_found",
                    "message": f"There is no comment {comment_id}.",
                }
                outcomes.append(Outcome(comment_id, error=error))
                continue
            try:
                deltas[comment.article_id] += _apply(session, comment, action, moderator_id, note)
            except InvalidTransition as refused:
                error = {"code": refused.code, "message": refused.message}
                outcomes.append(Outcome(comment_id, comment.status.value, error))
                continue
            outcomes.append(Outcome(comment_id, comment.status.value))
        _publish_changes(session, deltas)
    return outcomes


def moderation_view(comment: Comment, article_key: str) -> dict[str, Any]:
    """A comment as moderators see it: private fields included."""
    return {
        "id": comment.id,
        "article": article_key,
        "parent_id": comment.parent_id,
        "status": comment.status,
        "name": comment.name,
        "email": privacy.vault().decrypt(comment.email_encrypted),
        "email_hash": comment.email_hash,
        "website": comment.website,
        "body": comment.body,
        "body_html": comment.body_html,
        "reasons": comment.reasons,
        "ip_hash": comment.ip_hash,
        "user_agent": comment.user_agent,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
    }


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
    if wanted.cursor:
        stamp, last_id = cursors.decode(wanted.cursor)
        stmt = stmt.where(
            or_(
                Comment.created_at > stamp,
                and_(Comment.created_at == stamp, Comment.id > last_id),
            )
        )
    rows = db.session.execute(
        stmt.order_by(Comment.created_at, Comment.id).limit(wanted.limit + 1)
    ).all()
    more = len(rows) > wanted.limit
    rows = rows[: wanted.limit]
    comments = [moderation_view(comment, key) for comment, key in rows]
    last = rows[-1][0] if rows else None
    next_cursor = cursors.encode(last.created_at, last.id) if more and last else None
    return {"comments": comments, "next_cursor": next_cursor}


def events_page(
    comment_id: int | None = None,
    moderator: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The audit trail, newest first."""
    stmt = select(ModerationEvent, Moderator.username).outerjoin(
        Moderator, Moderator.id == ModerationEvent.moderator_id
    )
    if comment_id is not None:
        stmt = stmt.where(ModerationEvent.comment_id == comment_id)
    if moderator:
        stmt = stmt.where(Moderator.username == moderator)
    if cursor:
        stmt = stmt.where(ModerationEvent.id < cursors.decode_id(cursor))
    rows = db.session.execute(stmt.order_by(ModerationEvent.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    events = [
        {
            "id": event.id,
            "comment_id": event.comment_id,
            "moderator": username,
            "actor": event.actor,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.note,
            "created_at": event.created_at,
        }
        for event, username in rows
    ]
    next_cursor = cursors.encode_id(rows[-1][0].id) if more else None
    return {"events": events, "next_cursor": next_cursor}
