"""Use cases about a commenter as a person: everything they wrote across articles, and the
moderators' notes about them. A commenter is their keyed email hash; there is no table of
people, so everything about an address is found by that hash: its comments, notes, the audit
events about it (`commenter_hash`) and an email ban (`bans.value`).

A moderator sees a commenter only on their sites: the comments there, the notes written
there, the bans that hold there. A commenter with no comment on them answers 404, like one
with no comment at all. None for the moderator is the operator at the command line."""

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
from service.sites import registry, scope

HISTORY_LIMIT = 200
_UNKNOWN = "There is no commenter with that hash (no comments)."


def _latest_site(email_hash: str, sites: frozenset[int] | None) -> int:
    """The site of the commenter's latest comment among `sites`; CommenterNotFound if they
    have none there (or the hash is not one)."""
    if not vault.is_keyed_hash(email_hash):
        raise CommenterNotFound(_UNKNOWN)
    site_id: int | None = db.session.scalar(
        select(Article.site_id)
        .join(Comment, Comment.article_id == Article.id)
        .where(Comment.email_hash == email_hash, scope.within(sites, Article.site_id))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(1)
    )
    if site_id is None:
        raise CommenterNotFound(_UNKNOWN)
    return site_id


def profile(
    email_hash: str, moderator: Moderator | None, limit: int = HISTORY_LIMIT
) -> dict[str, Any]:
    """What the moderator may know about one commenter: their comments on the moderator's
    sites (newest first) with statuses and articles, when they were first and last seen
    there, the notes written there, and the bans that hold there."""
    sites = scope.of(moderator)
    _latest_site(email_hash, sites)
    by_status = db.session.execute(
        select(
            Comment.status,
            func.count(),
            func.min(Comment.created_at),
            func.max(Comment.created_at),
        )
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.email_hash == email_hash, scope.within(sites, Article.site_id))
        .group_by(Comment.status)
    ).all()
    rows = db.session.execute(
        select(Comment, Article.key, Article.site_id)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.email_hash == email_hash, scope.within(sites, Article.site_id))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    ).all()
    latest = rows[0][0]
    slugs = {site.id: site.slug for site in registry.all_sites()}
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
                "site": slugs.get(site_id),
                "article": key,
                "status": comment.status.value,
                "name": comment.name,
                "body_html": comment.body_html,
                "created_at": comment.created_at,
            }
            for comment, key, site_id in rows
        ],
        "notes": _notes(email_hash, sites),
        "bans": bans.bans_page(moderator, email_hash=email_hash)["bans"],
    }


def _notes(email_hash: str, sites: frozenset[int] | None) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(CommenterNote, Moderator.username)
        .outerjoin(Moderator, Moderator.id == CommenterNote.moderator_id)
        .where(CommenterNote.email_hash == email_hash, scope.within(sites, CommenterNote.site_id))
        .order_by(CommenterNote.id.desc())
    ).all()
    return [_note_view(note, username) for note, username in rows]


def _note_view(note: CommenterNote, username: str | None) -> dict[str, Any]:
    return {
        "id": note.id,
        "site": registry.by_id(note.site_id).slug,
        "body": note.body,
        "moderator": username,
        "created_at": note.created_at,
    }


def add_note(
    email_hash: str, body: str, moderator: Moderator, site: str | None = None
) -> dict[str, Any]:
    """A moderator writes down something about a commenter, on the site named or else the
    site of the commenter's latest comment the moderator can see; the note is audited too."""
    body = body.strip()
    if not body:
        raise FieldError("body", "Write the note first.")
    if len(body) > NOTE_MAX:
        raise FieldError("body", f"Keep a note to {NOTE_MAX} characters or fewer.")
    sites = scope.of(moderator)
    if site is not None:
        sites = frozenset({scope.named(sites, site).id})
    site_id = _latest_site(email_hash, sites)
    moderator_id = moderator.id
    with write_transaction() as session:
        note = CommenterNote(
            email_hash=email_hash, body=body, moderator_id=moderator_id, site_id=site_id
        )
        session.add(note)
        audit.record(
            session,
            AuditAction.NOTE,
            AuditActor.MODERATOR,
            moderator_id=moderator_id,
            commenter_hash=email_hash,
            note=body,
            # Which site's note this is: the audit log and an erasure are scoped by site.
            data={"site": registry.by_id(site_id).slug},
        )
        session.flush()
        username = session.scalar(select(Moderator.username).where(Moderator.id == moderator_id))
        return _note_view(note, username)
