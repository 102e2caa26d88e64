"""A commenter taking back their own comment: the one step shared by both ways to do it
(the widget's edit token, and the signed link of "my comments")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.comments import articles
from service.models import Comment, CommentStatus, ModerationEvent


def take_down(session: Session, comment: Comment) -> None:
    """The comment becomes `deleted` (moderators can still see and restore it), audited as
    a "withdraw" by the "commenter", inside the caller's write transaction."""
    before = comment.status
    comment.status_before_delete = before
    comment.status = CommentStatus.DELETED
    session.add(
        ModerationEvent(
            comment_id=comment.id,
            actor="commenter",
            action="withdraw",
            from_status=before.value,
            to_status=CommentStatus.DELETED.value,
        )
    )
    if before == CommentStatus.APPROVED:
        articles.record_public_change(session, comment.article_id, -1)
