"""Moderators' decisions on comments: one use case for the JSON API, the web queue and the
CLI (`decide_many`; `decide` is its one-comment form), and the undo of any of them.

Every decision returns its batch, the id its audit events share, which is what `undo` takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import lifecycle, views
from service.errors import CommentNotFound, DomainError, InvalidTransition, NothingToUndo
from service.models import (
    MAX_ID,
    Article,
    Ban,
    BanKind,
    Comment,
    CommentStatus,
    ModerationEvent,
    utcnow,
)
from service.moderation import waves
from service.ops import telemetry
from service.ops.database import write_transaction
from service.screening import classifier
from service.sites import registry, scope

ACTIONS = lifecycle.DECISIONS


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str | None = None
    error: dict[str, str] | None = None


@dataclass(frozen=True)
class BatchResult:
    """What one action did; `batch` names its audit events, which is what undo reverts."""

    batch: str
    outcomes: list[Outcome]
    # Moderators' views of the comments that moved (for a strict, one-comment decision).
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decided:
    batch: str
    comment: dict[str, Any]


def _check_seen(comment: Comment, expected: str | None) -> None:
    """Refuse to overwrite a decision the moderator did not see (another tab, a colleague)."""
    if expected is not None and comment.status.value != expected:
        raise InvalidTransition(
            f"Comment {comment.id} is now {comment.status.value} (it was {expected} when you "
            "looked); nothing was changed."
        )


def _locked_comments(
    session: Session, ids: Iterable[int], moderator_id: int | None
) -> dict[int, Comment]:
    """The comments of these ids on the moderator's sites, locked; one on another site is
    left out, exactly as one that does not exist."""
    wanted = {i for i in ids if 0 < i <= MAX_ID}
    if not wanted:
        return {}
    stmt = select(Comment).where(Comment.id.in_(wanted)).with_for_update()
    found = {comment.id: comment for comment in session.scalars(stmt)}
    sites = scope.visible(moderator_id)
    if sites is None or not found:
        return found
    article_ids = {comment.article_id for comment in found.values()}
    theirs = set(
        session.scalars(
            select(Article.id).where(Article.id.in_(article_ids), Article.site_id.in_(sites))
        )
    )
    return {i: comment for i, comment in found.items() if comment.article_id in theirs}


def _not_found(comment_id: int) -> str:
    return f"There is no comment {comment_id}."


def decide_many(
    ids: list[int],
    action: str,
    moderator_id: int,
    note: str | None = None,
    expected: dict[int, str] | None = None,
    *,
    strict: bool = False,
) -> BatchResult:
    """Apply one decision to comments: each id gets its own outcome, and the comments that
    can move do, even when others cannot. With `strict`, a comment that cannot move raises
    (CommentNotFound, InvalidTransition) and nothing changes; the result then carries the
    moved comments' moderator views."""
    decision = lifecycle.as_decision(action)
    batch = lifecycle.new_batch()
    with write_transaction() as session:
        change = lifecycle.Change(session, AuditActor.MODERATOR, moderator_id, note or None, batch)
        outcomes = move_many(change, ids, decision, expected, strict=strict)
        change.publish()
        shown = _views(session, [o.id for o in outcomes if o.error is None]) if strict else {}
    after_commit(decision, moderator_id, batch, outcomes)
    return BatchResult(batch, outcomes, shown)


def decide(
    comment_id: int,
    action: str,
    moderator_id: int,
    note: str | None = None,
    expected_status: str | None = None,
) -> Decided:
    """One decision on one comment (the same path as many); InvalidTransition or
    CommentNotFound if it cannot move."""
    expected = {comment_id: expected_status} if expected_status else None
    result = decide_many([comment_id], action, moderator_id, note, expected, strict=True)
    return Decided(result.batch, result.comments[comment_id])


def move_many(
    change: lifecycle.Change,
    ids: list[int],
    action: AuditAction,
    expected: dict[int, str] | None = None,
    *,
    strict: bool = False,
) -> list[Outcome]:
    """Lock and move the comments within the change's transaction; each id gets an outcome
    (with `strict`, the first refusal raises instead)."""
    expected = expected or {}
    outcomes: list[Outcome] = []
    found = _locked_comments(change.session, ids, change.moderator_id)
    for comment_id in dict.fromkeys(ids):
        comment = found.get(comment_id)
        try:
            if comment is None:
                raise CommentNotFound(_not_found(comment_id))
            _check_seen(comment, expected.get(comment_id))
            change.move(comment, lifecycle.decision_target(comment, action), action)
        except (CommentNotFound, InvalidTransition) as refused:
            if strict:
                raise
            status = comment.status.value if comment is not None else None
            outcomes.append(Outcome(comment_id, status, _error(refused)))
            continue
        outcomes.append(Outcome(comment_id, comment.status.value))
    return outcomes


def _error(refused: DomainError) -> dict[str, str]:
    return {"code": refused.code, "message": refused.message}


def _views(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Comment, Article.key, Article.site_id)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.id.in_(ids))
    )
    return {
        comment.id: views.moderator_view(comment, key) | {"site": registry.by_id(site_id).slug}
        for comment, key, site_id in rows
    }


def after_commit(
    action: AuditAction, moderator_id: int, batch_id: str, outcomes: list[Outcome]
) -> None:
    """What follows every committed moderator action (a decision, an undo, a ban): the
    classifier learns from the decisions, and the audit log line is written."""
    classifier.note_decisions(o.status for o in outcomes if o.error is None and o.status)
    moved = [o.id for o in outcomes if o.error is None]
    telemetry.audit(action, len(moved), moderator_id, batch_id, moved)


def decide_wave(
    fingerprint: str,
    action: str,
    moderator_id: int,
    note: str | None = None,
    filters: waves.Filters | None = None,
) -> BatchResult:
    """One decision for every pending comment of a wave, under the queue's filters the
    moderator saw it with (an article's wave is not also decided on other articles)."""
    ids = waves.wave_ids(fingerprint, filters or waves.Filters(), moderator_id)
    expected = dict.fromkeys(ids, CommentStatus.PENDING.value)
    return decide_many(ids, action, moderator_id, note, expected)


def undo(batch_id: str, moderator_id: int) -> BatchResult:
    """Put back the comments one of this moderator's actions moved, unless someone has moved
    them again since; the undo is itself audited (and is not undone in turn)."""
    batch = lifecycle.new_batch()
    with write_transaction() as session:
        events = session.scalars(
            select(ModerationEvent).where(
                ModerationEvent.batch == batch_id, ModerationEvent.moderator_id == moderator_id
            )
        ).all()
        if not events:
            raise NothingToUndo("There is nothing to undo (it may have been undone already).")
        if any(event.action == AuditAction.UNDO for event in events):
            raise NothingToUndo("That was an undo; make the decision again instead.")
        # A comment on a site the moderator has since lost is left as it is.
        found = _locked_comments(
            session, [e.comment_id for e in events if e.comment_id], moderator_id
        )
        change = lifecycle.Change(session, AuditActor.MODERATOR, moderator_id, None, batch)
        outcomes = []
        for event in events:
            if event.action == AuditAction.SPAM_BAN and event.ban_id is not None:
                _lift_with_undo(change, event.ban_id)
                continue
            comment = found.get(event.comment_id or 0)
            if comment is None or event.from_status is None:
                continue
            if comment.status.value != event.to_status:
                error = {
                    "code": "invalid_transition",
                    "message": f"Comment {comment.id} has been changed since; left as it is.",
                }
                outcomes.append(Outcome(comment.id, comment.status.value, error))
                continue
            change.move(comment, CommentStatus(event.from_status), AuditAction.UNDO)
            outcomes.append(Outcome(comment.id, comment.status.value))
        change.publish()
    after_commit(AuditAction.UNDO, moderator_id, batch, outcomes)
    return BatchResult(batch, outcomes)


def _lift_with_undo(change: lifecycle.Change, ban_id: int) -> None:
    """Undoing a spam-ban lifts its ban too (unless it has been lifted since)."""
    ban = change.session.get(Ban, ban_id)
    if ban is None or ban.lifted_at is not None:
        return
    ban.lifted_at = utcnow()
    ban.lifted_by = change.moderator_id
    audit.record(
        change.session,
        AuditAction.LIFT_BAN,
        AuditActor.MODERATOR,
        moderator_id=change.moderator_id,
        ban_id=ban.id,
        commenter_hash=ban.value if ban.kind == BanKind.EMAIL else None,
        note="undo of the spam-ban",
        batch=change.batch,
    )
