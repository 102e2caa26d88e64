"""The life-cycle core: the one place a comment's state changes.

Every transition (the policy's verdict at submission, a moderator's decision or undo, the
commenter's edit and withdrawal, a spam-ban, an erasure, an import's recount) goes through a
`Change`: it checks the move against the state table of DESIGN.md ("Comment states"), writes
the audit event in the caller's transaction, and moves each article's public count and feed
version once per action, in `publish`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import articles
from service.errors import InvalidTransition
from service.models import (
    Article,
    Comment,
    CommentStatus,
)
from service.screening import policy

PENDING, APPROVED = CommentStatus.PENDING, CommentStatus.APPROVED
REJECTED, SPAM, DELETED = CommentStatus.REJECTED, CommentStatus.SPAM, CommentStatus.DELETED

# What the policy may make of a new comment (or of an edited one).
INITIAL = frozenset(policy.VERDICT_STATUS.values())
# The states a moderator moves comments between.
MODERATED = frozenset({PENDING, APPROVED, REJECTED, SPAM})
# A commenter may still edit (and so re-moderate) these.
EDITABLE = frozenset(policy.EDITABLE)

# A moderator's decisions, and where each moves a comment (restore: back to its state
# before the delete).
DECISION_TARGETS = {
    AuditAction.APPROVE: APPROVED,
    AuditAction.REJECT: REJECTED,
    AuditAction.SPAM: SPAM,
    AuditAction.DELETE: DELETED,
}
DECISIONS = (*DECISION_TARGETS, AuditAction.RESTORE)

# The state table: which action may move a comment from which states to which. `deleted` is
# left only for the state it had before (restore, or the undo of the delete).
_TABLE: dict[AuditAction, tuple[frozenset[CommentStatus], frozenset[CommentStatus]]] = {
    AuditAction.APPROVE: (MODERATED, frozenset({APPROVED})),
    AuditAction.REJECT: (MODERATED, frozenset({REJECTED})),
    AuditAction.SPAM: (MODERATED, frozenset({SPAM})),
    AuditAction.DELETE: (MODERATED, frozenset({DELETED})),
    AuditAction.RESTORE: (frozenset({DELETED}), MODERATED),
    AuditAction.UNDO: (MODERATED | {DELETED}, MODERATED | {DELETED}),
    AuditAction.WITHDRAW: (MODERATED, frozenset({DELETED})),
    AuditAction.EDIT: (EDITABLE, INITIAL),
}
# An edit is re-moderated: an approved comment may stay approved, with a new text.
_SAME_STATE_ALLOWED = frozenset({AuditAction.EDIT})


def new_batch() -> str:
    """A fresh batch id: what ties the events of one undoable action together."""
    return uuid.uuid4().hex


def as_decision(action: str) -> AuditAction:
    """The moderator's decision `action` names, or InvalidTransition."""
    if action not in DECISIONS:
        raise InvalidTransition(f"{action!r} is not a decision about a comment.")
    return AuditAction(action)


def decision_target(comment: Comment, action: AuditAction) -> CommentStatus:
    """Where a moderator's `action` moves the comment, or InvalidTransition."""
    action = as_decision(action)
    if action == AuditAction.RESTORE:
        if comment.status != DELETED or comment.status_before_delete is None:
            raise InvalidTransition(
                f"Comment {comment.id} is not deleted; there is nothing to restore."
            )
        return comment.status_before_delete
    return DECISION_TARGETS[action]


def check(comment: Comment, target: CommentStatus, action: AuditAction) -> None:
    """Refuse (InvalidTransition) a move the state table does not allow."""
    before = comment.status
    if before == DELETED and action not in (AuditAction.RESTORE, AuditAction.UNDO):
        raise InvalidTransition(f"Comment {comment.id} is deleted; restore it first.")
    if before == target and action not in _SAME_STATE_ALLOWED:
        raise InvalidTransition(f"Comment {comment.id} is already {target.value}.")
    sources, targets = _TABLE[action]
    back_from_delete = before != DELETED or target == comment.status_before_delete
    if before not in sources or target not in targets or not back_from_delete:
        raise InvalidTransition(
            f"Comment {comment.id} cannot go from {before.value} to {target.value} "
            f"({action.value})."
        )


@dataclass
class Change:
    """One action in progress, inside the caller's write transaction.

    Its comment moves are checked and audited as they happen; the public counts and feed
    versions of the articles it touched move once, in `publish`, before the commit."""

    session: Session
    actor: AuditActor
    moderator_id: int | None = None
    note: str | None = None
    # Set for actions that can be undone: their events share it.
    batch: str | None = None
    # Per article: how its approved count changes; an entry of 0 still changed the thread.
    deltas: dict[int, int] = field(default_factory=dict)

    def admit(self, comment: Comment, verdict: CommentStatus) -> None:
        """A new comment takes the policy's verdict (not audited: its reasons say why)."""
        if verdict not in INITIAL:
            raise InvalidTransition(f"A new comment cannot be {verdict.value}.")
        comment.status = verdict
        if verdict == APPROVED:
            self._count(comment.article_id, +1)

    def move(
        self,
        comment: Comment,
        target: CommentStatus,
        action: AuditAction,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Move one comment, audited; InvalidTransition if the state table refuses."""
        check(comment, target, action)
        before = comment.status
        comment.status_before_delete = before if target == DELETED else None
        comment.status = target
        audit.record(
            self.session,
            action,
            self.actor,
            moderator_id=self.moderator_id,
            comment_id=comment.id,
            from_status=before,
            to_status=target,
            note=self.note,
            batch=self.batch,
            data=data,
        )
        if APPROVED in (before, target):
            # Only moves into or out of the public thread (or an approved comment's new text)
            # touch the feed and its ETag.
            self._count(comment.article_id, (target == APPROVED) - (before == APPROVED))

    def erase(self, comment: Comment, remove: bool) -> None:
        """An erasure: with `remove` the comment goes for good (deleted, nothing to restore);
        otherwise it keeps its state, but a public one's text changed (audited once, by the
        erasure, not per comment)."""
        if remove:
            if comment.status == APPROVED:
                self._count(comment.article_id, -1)
            comment.status = DELETED
            comment.status_before_delete = None
        else:
            self.touch(comment)

    def touch(self, comment: Comment) -> None:
        """The comment's state stays, but if it is public, what readers see changed."""
        if comment.status == APPROVED:
            self._count(comment.article_id, 0)

    def _count(self, article_id: int, delta: int) -> None:
        self.deltas[article_id] = self.deltas.get(article_id, 0) + delta

    def publish(self) -> None:
        """Move each touched article's count once and invalidate its cached feeds."""
        for article_id, delta in self.deltas.items():
            self.session.execute(
                update(Article)
                .where(Article.id == article_id)
                .values(
                    approved_count=Article.approved_count + delta,
                    feed_version=Article.feed_version + 1,
                )
            )
        if self.deltas:
            articles.forget_states()
        self.deltas = {}


def withdraw(session: Session, comment: Comment) -> None:
    """The commenter takes their comment down: `deleted` (moderators can still see and
    restore it), audited as a "withdraw" by the "commenter"."""
    change = Change(session, AuditActor.COMMENTER)
    change.move(comment, DELETED, AuditAction.WITHDRAW)
    change.publish()


def remoderate(session: Session, comment: Comment, verdict: CommentStatus) -> None:
    """The commenter edited their comment (its new text already set): it takes the policy's
    new verdict, audited as an "edit" by the "commenter"."""
    change = Change(session, AuditActor.COMMENTER)
    change.move(comment, verdict, AuditAction.EDIT)
    change.publish()


def recount(session: Session, article_ids: Collection[int]) -> None:
    """Count the public comments of these articles again (after an import wrote comments in
    bulk) and invalidate their cached feeds."""
    if not article_ids:
        return
    approved = (
        select(func.count())
        .where(Comment.article_id == Article.id, Comment.status == APPROVED)
        .scalar_subquery()
    )
    session.execute(
        update(Article)
        .where(Article.id.in_(article_ids))
        .values(approved_count=approved, feed_version=Article.feed_version + 1)
        .execution_options(synchronize_session=False)
    )
    articles.forget_states()
