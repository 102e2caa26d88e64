"""Use cases for moderators: the queue, decisions (one or many) and the audit trail.

The JSON API, the web queue and the CLI all call these, so they behave the same.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service import cursors
from service.comments import articles
from service.errors import CommentNotFound, InvalidTransition, NothingToUndo
from service.extensions import db
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
from service.ops import telemetry
from service.ops.database import write_transaction
from service.privacy import vault
from service.screening import classifier

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


@dataclass(frozen=True)
class BatchResult:
    """What one action did; `batch` names its audit events, which is what undo reverts."""

    batch: str
    outcomes: list[Outcome]


@dataclass(frozen=True)
class Decided:
    batch: str
    comment: dict[str, Any]


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


@dataclass
class Batch:
    """One action in progress: its audit events share an id; public counts move once.
    Other use cases (a spam-ban) open one to move comments as part of their own action."""

    session: Session
    moderator_id: int
    note: str | None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    deltas: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def move(self, comment: Comment, target: CommentStatus, action: str) -> None:
        before = comment.status
        comment.status_before_delete = before if target == CommentStatus.DELETED else None
        comment.status = target
        self.session.add(
            ModerationEvent(
                comment_id=comment.id,
                moderator_id=self.moderator_id,
                actor="moderator",
                action=action,
                from_status=before.value,
                to_status=target.value,
                note=self.note,
                batch=self.id,
            )
        )
        change = (target == CommentStatus.APPROVED) - (before == CommentStatus.APPROVED)
        if change:
            # Only moves into or out of the public thread touch the feed (and its ETag).
            self.deltas[comment.article_id] += change

    def publish(self) -> None:
        # A net change of 0 (one approved, another withdrawn) still changed the thread.
        for article_id, delta in self.deltas.items():
            articles.record_public_change(self.session, article_id, delta)


def _check_seen(comment: Comment, expected: str | None) -> None:
    """Refuse to overwrite a decision the moderator did not see (another tab, a colleague)."""
    if expected is not None and comment.status.value != expected:
        raise InvalidTransition(
            f"Comment {comment.id} is now {comment.status.value} (it was {expected} when you "
            "looked); nothing was changed."
        )


def _locked_comments(session: Session, ids: Iterable[int]) -> dict[int, Comment]:
    wanted = {i for i in ids if 0 < i <= MAX_ID}
    if not wanted:
        return {}
    stmt = select(Comment).where(Comment.id.in_(wanted)).with_for_update()
    return {comment.id: comment for comment in session.scalars(stmt)}


def _not_found(comment_id: int) -> dict[str, str]:
    return {"code": "comment_not_found", "message": f"There is no comment {comment_id}."}


def decide(
    comment_id: int,
    action: str,
    moderator_id: int,
    note: str | None = None,
    expected_status: str | None = None,
) -> Decided:
    """One decision on one comment; InvalidTransition or CommentNotFound if it cannot move."""
    with write_transaction() as session:
        comment = _locked_comments(session, [comment_id]).get(comment_id)
        if comment is None:
            raise CommentNotFound(_not_found(comment_id)["message"])
        _check_seen(comment, expected_status)
        batch = Batch(session, moderator_id, note or None)
        batch.move(comment, _target_status(comment, action), action)
        batch.publish()
        article_key = session.scalar(select(Article.key).where(Article.id == comment.article_id))
    classifier.note_decisions([comment.status])
    telemetry.audit(action, 1, moderator_id, batch.id)
    return Decided(batch.id, moderation_view(comment, article_key or ""))


def decide_many(
    ids: list[int],
    action: str,
    moderator_id: int,
    note: str | None = None,
    expected: dict[int, str] | None = None,
) -> BatchResult:
    """Apply one action to many comments at once; each id gets its own outcome, and the
    comments that can move do, even when others cannot."""
    with write_transaction() as session:
        batch = Batch(session, moderator_id, note or None)
        outcomes = move_many(batch, ids, action, expected)
        batch.publish()
    after_commit(action, moderator_id, batch.id, outcomes)
    return BatchResult(batch.id, outcomes)


def move_many(
    batch: Batch, ids: list[int], action: str, expected: dict[int, str] | None = None
) -> list[Outcome]:
    """Lock and move the comments within the batch's transaction; each id gets an outcome."""
    expected = expected or {}
    outcomes: list[Outcome] = []
    found = _locked_comments(batch.session, ids)
    for comment_id in dict.fromkeys(ids):
        comment = found.get(comment_id)
        if comment is None:
            outcomes.append(Outcome(comment_id, error=_not_found(comment_id)))
            continue
        try:
            _check_seen(comment, expected.get(comment_id))
            batch.move(comment, _target_status(comment, action), action)
        except InvalidTransition as refused:
            error = {"code": refused.code, "message": refused.message}
            outcomes.append(Outcome(comment_id, comment.status.value, error))
            continue
        outcomes.append(Outcome(comment_id, comment.status.value))
    return outcomes


def after_commit(action: str, moderator_id: int, batch_id: str, outcomes: list[Outcome]) -> None:
    """What follows a committed action: the classifier learns, the audit log line is written."""
    classifier.note_decisions(o.status for o in outcomes if o.error is None and o.status)
    telemetry.audit(action, sum(o.error is None for o in outcomes), moderator_id, batch_id)


def undo(batch_id: str, moderator_id: int) -> BatchResult:
    """Put back the comments one of this moderator's actions moved, unless someone has moved
    them again since; the undo is itself audited."""
    with write_transaction() as session:
        events = session.scalars(
            select(ModerationEvent).where(
                ModerationEvent.batch == batch_id, ModerationEvent.moderator_id == moderator_id
            )
        ).all()
        if not events:
            raise NothingToUndo("There is nothing to undo (it may have been undone already).")
        if any(event.action == "undo" for event in events):
            raise NothingToUndo("That was an undo; make the decision again instead.")
        found = _locked_comments(session, [e.comment_id for e in events if e.comment_id])
        undo_batch = Batch(session, moderator_id, None)
        outcomes = []
        for event in events:
            if event.action == "spam_ban" and event.ban_id is not None:
                _lift_with_undo(session, event.ban_id, moderator_id, undo_batch.id)
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
            undo_batch.move(comment, CommentStatus(event.from_status), "undo")
            outcomes.append(Outcome(comment.id, comment.status.value))
        undo_batch.publish()
    after_commit("undo", moderator_id, undo_batch.id, outcomes)
    return BatchResult(undo_batch.id, outcomes)


def _lift_with_undo(session: Session, ban_id: int, moderator_id: int, batch_id: str) -> None:
    """Undoing a spam-ban lifts its ban too (unless it has been lifted since)."""
    ban = session.get(Ban, ban_id)
    if ban is None or ban.lifted_at is not None:
        return
    ban.lifted_at = utcnow()
    ban.lifted_by = moderator_id
    session.add(
        ModerationEvent(
            ban_id=ban.id,
            commenter_hash=ban.value if ban.kind == BanKind.EMAIL else None,
            moderator_id=moderator_id,
            actor="moderator",
            action="lift_ban",
            note="undo of the spam-ban",
            batch=batch_id,
        )
    )


def moderation_view(comment: Comment, article_key: str) -> dict[str, Any]:
    """A comment as moderators see it: private fields included."""
    return {
        "id": comment.id,
        "article": article_key,
        "parent_id": comment.parent_id,
        "status": comment.status,
        "name": comment.name,
        "email": vault.vault().decrypt(comment.email_encrypted),
        "email_hash": comment.email_hash,
        "website": comment.website,
        "body": comment.body,
        "body_html": comment.body_html,
        "reasons": comment.reasons,
        "ip_hash": comment.ip_hash,
        "user_agent": comment.user_agent,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "moderator_edited_at": comment.moderator_edited_at,
        "pinned": comment.pinned_at is not None,
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
    page_comments = [comment for comment, _ in rows]
    parents = _parents(page_comments)
    histories = _histories({c.email_hash for c in page_comments})
    comments = [
        moderation_view(comment, key)
        | {
            "parent": parents.get(comment.parent_id or 0),
            "history": histories.get(comment.email_hash, _EMPTY_HISTORY),
        }
        for comment, key in rows
    ]
    last = rows[-1][0] if rows else None
    next_cursor = cursors.encode(last.created_at, last.id) if more and last else None
    return {"comments": comments, "next_cursor": next_cursor}


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


def decide_wave(
    fingerprint: str, action: str, moderator_id: int, note: str | None = None
) -> BatchResult:
    """One decision for every pending comment of a wave."""
    ids = db.session.scalars(
        select(Comment.id).where(
            Comment.status == CommentStatus.PENDING, Comment.fingerprint == fingerprint
        )
    ).all()
    expected = dict.fromkeys(ids, CommentStatus.PENDING.value)
    return decide_many(list(ids), action, moderator_id, note, expected)
