"""Use cases about a commenter as a person: everything they wrote across articles, and the
moderators' notes about them. A commenter is their keyed email hash; there is no table of
people, so everything about an address is found by that hash: its comments, notes, the audit
events about it (`commenter_hash`) and an email ban (`bans.value`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service import audit
from service.audit import AuditAction, AuditActor
from service.errors import CommenterNotFound, FieldError
from service.extensions import db
from service.models import (
    NOTE_MAX,
    Article,
    Comment,
    CommenterNote,
    Moderator,
)
from service.moderation import bans
from service.ops.database import write_transaction
from service.privacy import vault

HISTORY_LIMIT = 200
_UNKNOWN = "There is no commenter with that hash (no comments)."


def _check_known(email_hash: str) -> None:
    known = vault.is_keyed_hash(email_hash) and db.session.scalar(
        select(Comment.id).where(Comment.email_hash == email_hash).limit(1)
    )
    if not known:
        raise CommenterNotFound(_UNKNOWN)


def profile(email_hash: str, limit: int = HISTORY_LIMIT) -> dict[str, Any]:
    """What moderators know about one commenter: their comments (newest first) with
    statuses and articles, when they were first and last seen, notes, and bans."""
    _check_known(email_hash)
    by_status = db.session.execute(
        select(
            Comment.status,
            func.count(),
            func.min(Comment.created_at),
            func.max(Comment.created_at),
        )
        .where(Comment.email_hash == email_hash)
        .group_by(Comment.status)
    ).all()
    rows = db.session.execute(
        select(Comment, Article.key)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.email_hash == email_hash)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    ).all()
    latest = rows[0][0]
    return {
        "email_hash": email_hash,
        "name": latest.name,
        # A moderator view, like the queue: the address as the commenter last gave it.
        "email": vault.vault().decrypt(latest.email_encrypted),
        "first_seen": min(first for _, _, first, _ in by_status),
        "last_seen": max(last for _, _, _, last in by_status),
        "total": sum(count for _, count, _, _ in by_status),
        "counts": {status.value: count for status, count, _, _ in by_status},
        "comments": [
            {
                "id": comment.id,
                "article": key,
                "status": comment.status.value,
                "name": comment.name,
                "body_html": comment.body_html,
                "created_at": comment.created_at,
            }
            for comment, key in rows
        ],
        "notes": notes(email_hash),
        "bans": bans.bans_page(email_hash=email_hash)["bans"],
    }


def notes(email_hash: str) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(CommenterNote, Moderator.username)
        .outerjoin(Moderator, Moderator.id == CommenterNote.moderator_id)
        .where(CommenterNote.email_hash == email_hash)
        .order_by(CommenterNote.id.desc())
    ).all()
    return [_note_view(note, username) for note, username in rows]


def _note_view(note: CommenterNote, username: str | None) -> dict[str, Any]:
    return {"id": note.id, "body": note.body, "moderator": username, "created_at": note.created_at}


def add_note(email_hash: str, body: str, moderator_id: int) -> dict[str, Any]:
    """A moderator writes down something about a commenter; the note is audited too."""
    body = body.strip()
    if not body:
        raise FieldError("body", "Write the note first.")
    if len(body) > NOTE_MAX:
        raise FieldError("body", f"Keep a note to {NOTE_MAX} characters or fewer.")
    _check_known(email_hash)
    with write_transaction() as session:
        note = CommenterNote(email_hash=email_hash, body=body, moderator_id=moderator_id)
        session.add(note)
        audit.record(
            session,
            AuditAction.NOTE,
            AuditActor.MODERATOR,
            moderator_id=moderator_id,
            commenter_hash=email_hash,
            note=body,
        )
        session.flush()
        username = session.scalar(select(Moderator.username).where(Moderator.id == moderator_id))
        return _note_view(note, username)
