"""Use cases for a moderator's editorial hand on single comments: editing the text (a typo,
a doxxing removal) with the original kept in the audit log, and pinning comments to the top
of their article's thread."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import lifecycle, views
from service.comments.rendering import render_body
from service.errors import CommentNotFound, FieldError, InvalidTransition
from service.models import (
    MAX_ID,
    Article,
    BodyFormat,
    Comment,
    CommentStatus,
    utcnow,
)
from service.ops.database import write_transaction
from service.screening import similarity
from service.sites import registry, scope


def _comment(session: Session, comment_id: int, moderator_id: int | None) -> Comment:
    """The comment, locked; CommentNotFound also for one on a site not the moderator's."""
    comment = (
        session.scalars(select(Comment).where(Comment.id == comment_id).with_for_update()).first()
        if 0 < comment_id <= MAX_ID
        else None
    )
    if comment is not None:
        site_id = session.scalar(select(Article.site_id).where(Article.id == comment.article_id))
        if site_id is None or not scope.sees(scope.visible(moderator_id), site_id):
            comment = None
    if comment is None:
        raise CommentNotFound(f"There is no comment {comment_id}.")
    return comment


def _view(session: Session, comment: Comment) -> dict[str, Any]:
    key, site_id = session.execute(
        select(Article.key, Article.site_id).where(Article.id == comment.article_id)
    ).one()
    return views.moderator_view(comment, key) | {"site": registry.by_id(site_id).slug}


def _public_change(session: Session, comment: Comment) -> None:
    # Only a public comment's change is one readers' cached feeds must see.
    change = lifecycle.Change(session, AuditActor.MODERATOR)
    change.touch(comment)
    change.publish()


def edit(comment_id: int, body: str, moderator_id: int, note: str | None = None) -> dict[str, Any]:
    """Replace a comment's text; the audit event keeps the original, the new text is rendered
    and sanitized like any other, and readers see that a moderator edited it."""
    body_html = render_body(body)
    with write_transaction() as session:
        comment = _comment(session, comment_id, moderator_id)
        if comment.body == body:
            raise InvalidTransition(f"Comment {comment_id} already says exactly that.")
        audit.record(
            session,
            AuditAction.MODERATOR_EDIT,
            AuditActor.MODERATOR,
            moderator_id=moderator_id,
            comment_id=comment.id,
            from_status=comment.status,
            to_status=comment.status,
            note=note or None,
            data={"original_body": comment.body},
        )
        comment.body = body
        comment.body_html, comment.body_format = body_html, BodyFormat.MARKDOWN
        comment.fingerprint = similarity.fingerprint(body)
        comment.moderator_edited_at = utcnow()
        _public_change(session, comment)
        session.flush()
        return _view(session, comment)


def set_pinned(comment_id: int, pinned: bool, moderator_id: int) -> dict[str, Any]:
    """Pin an approved top-level comment to the top of its thread (up to
    MAX_PINNED_COMMENTS per article), or unpin it; audited."""
    limit = current_app.config["MAX_PINNED_COMMENTS"]
    with write_transaction() as session:
        comment = _comment(session, comment_id, moderator_id)
        if pinned == (comment.pinned_at is not None):
            state = "pinned" if pinned else "not pinned"
            raise InvalidTransition(f"Comment {comment_id} is already {state}.")
        if pinned:
            if comment.status != CommentStatus.APPROVED:
                raise FieldError("comment", "Only an approved comment can be pinned.")
            if comment.parent_id is not None:
                raise FieldError("comment", "Only a top-level comment can be pinned, not a reply.")
            already = session.scalar(
                select(func.count()).where(
                    Comment.article_id == comment.article_id,
                    Comment.pinned_at.is_not(None),
                    Comment.status == CommentStatus.APPROVED,
                )
            )
            if already >= limit:
                raise InvalidTransition(
                    f"This article already has {already} pinned comments (the most allowed is "
                    f"{limit}); unpin one first."
                )
        comment.pinned_at = utcnow() if pinned else None
        audit.record(
            session,
            AuditAction.PIN if pinned else AuditAction.UNPIN,
            AuditActor.MODERATOR,
            moderator_id=moderator_id,
            comment_id=comment.id,
            from_status=comment.status,
            to_status=comment.status,
        )
        _public_change(session, comment)
        session.flush()
        return _view(session, comment)
