"""Use cases for bans and suspensions: a commenter (keyed email hash), an email domain or a
client (keyed IP hash) that may not comment, for good or until a moment; and the spam-ban,
which also moves everything that commenter wrote to spam in the same action.

No address is stored or shown here: a ban keeps the keyed hash (or, for a domain, the
domain), and lists show a prefix of the hash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from service import audit, cursors
from service.audit import AuditAction, AuditActor
from service.comments import lifecycle
from service.errors import (
    BanNotFound,
    CommentNotFound,
    FieldError,
    InvalidTransition,
)
from service.extensions import db
from service.models import (
    MAX_ID,
    Ban,
    BanKind,
    Comment,
    CommentStatus,
    Moderator,
    utcnow,
)
from service.moderation import decisions
from service.ops.database import write_transaction
from service.privacy import vault
from service.screening import ban_checks

_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
LABEL_PREFIX = 10


@dataclass(frozen=True)
class Target:
    """Who a ban is about, as the moderator named them: exactly one of a stored value (hash
    or domain), an address they typed (hashed at once, never kept) or a comment's author."""

    kind: BanKind
    value: str | None = None
    email: str | None = None
    comment_id: int | None = None


@dataclass(frozen=True)
class BanResult:
    ban: dict[str, Any]
    # Set for a spam-ban: the batch of its audit events, and what happened to each comment.
    batch: str | None
    outcomes: list[decisions.Outcome]


def until_after(days: int | None, now: datetime | None = None) -> datetime | None:
    """The end of a suspension of so many days; None (a permanent ban) for no days."""
    return (now or utcnow()) + timedelta(days=days) if days else None


def _resolve(session: Session, target: Target) -> str:
    """The value the ban stores: a keyed hash, or a domain."""
    given = [x for x in (target.value, target.email, target.comment_id) if x is not None]
    if len(given) != 1:
        raise FieldError("value", "Name whom to ban: a value, an address or a comment.")
    if target.comment_id is not None:
        comment = session.get(Comment, target.comment_id) if target.comment_id <= MAX_ID else None
        if comment is None:
            raise CommentNotFound(f"There is no comment {target.comment_id}.")
        if target.kind == BanKind.EMAIL:
            return comment.email_hash
        if target.kind == BanKind.IP:
            if not comment.ip_hash:
                raise FieldError("kind", "This comment has no client address to ban.")
            return comment.ip_hash
        address = vault.vault().decrypt(comment.email_encrypted)
        if address is None:
            raise FieldError("kind", "This comment's address cannot be read any more.")
        return vault.email_domain(address)
    if target.email is not None:
        if target.kind == BanKind.DOMAIN:
            return _domain(vault.email_domain(target.email))
        if target.kind != BanKind.EMAIL or "@" not in target.email:
            raise FieldError("email", "Enter the email address of the commenter to ban.")
        return vault.vault().email_hash(target.email)
    value = (target.value or "").strip()
    if target.kind == BanKind.DOMAIN:
        return _domain(vault.normalise_domain(value))
    value = value.lower()
    if not vault.is_keyed_hash(value):
        raise FieldError("value", "Enter the 64-character hash shown to moderators.")
    return value


def _check_request(
    target: Target, reason: str, now: datetime, until: datetime | None, spam: bool
) -> None:
    if not reason:
        raise FieldError("reason", "Say why, for the other moderators and the audit log.")
    if until is not None and until <= now:
        raise FieldError("until", "A suspension must end in the future.")
    if spam and target.kind == BanKind.DOMAIN:
        raise FieldError("spam", "Only a commenter or client ban can move their comments.")


_NOT_MOVED_BY_SPAM_BAN = (CommentStatus.SPAM, CommentStatus.DELETED)


def _spam_ids(session: Session, kind: BanKind, value: str) -> list[int]:
    """The comments a spam-ban moves to spam: all of the commenter's (or client's) that are
    not spam or deleted already."""
    column = Comment.email_hash if kind == BanKind.EMAIL else Comment.ip_hash
    return list(
        session.scalars(
            select(Comment.id)
            .where(
                column == value, Comment.status.not_in([CommentStatus.SPAM, CommentStatus.DELETED])
            )
            .order_by(Comment.id)
        )
    )


def _domain(domain: str) -> str:
    if not _DOMAIN.fullmatch(domain):
        raise FieldError("value", "Enter an email domain such as example.org.")
    return domain


def ban(
    target: Target,
    reason: str,
    moderator_id: int,
    until: datetime | None = None,
    spam: bool = False,
) -> BanResult:
    """Ban (or, with `until`, suspend) someone; with `spam`, also move every comment of
    theirs to spam in the same action: one audit event per comment plus one for the ban."""
    reason = reason.strip()
    now = utcnow()
    _check_request(target, reason, now, until, spam)
    with write_transaction() as session:
        value = _resolve(session, target)
        existing = session.scalars(
            select(Ban).where(Ban.kind == target.kind, Ban.value == value, ban_checks.active(now))
        ).first()
        if existing is not None:
            raise InvalidTransition(
                f"{_label(existing)} is already {_state(existing, now)} (ban {existing.id}); "
                "lift that ban first to change it."
            )
        record = Ban(
            kind=target.kind,
            value=value,
            reason=reason,
            until=until,
            moderator_id=moderator_id,
            created_at=now,
        )
        session.add(record)
        session.flush()
        change = lifecycle.Change(
            session, AuditActor.MODERATOR, moderator_id, reason, lifecycle.new_batch()
        )
        action = AuditAction.SPAM_BAN if spam else AuditAction.BAN
        _record(session, record, moderator_id, action, reason, change.batch if spam else None)
        outcomes: list[decisions.Outcome] = []
        if spam:
            ids = _spam_ids(session, target.kind, value)
            outcomes = decisions.move_many(change, ids, AuditAction.SPAM)
            change.publish()
        view = _view(session, record, now)
    batch = change.batch or ""
    decisions.after_commit(action, moderator_id, batch, outcomes)
    return BanResult(view, batch if spam else None, outcomes)


def lift(ban_id: int, moderator_id: int, note: str | None = None) -> dict[str, Any]:
    """End a ban or suspension early; the ban stays listed as lifted."""
    now = utcnow()
    with write_transaction() as session:
        record = session.get(Ban, ban_id) if 0 < ban_id <= MAX_ID else None
        if record is None:
            raise BanNotFound(f"There is no ban {ban_id}.")
        state = _state(record, now)
        if state in ("lifted", "expired"):
            raise InvalidTransition(f"Ban {ban_id} has {state} already.")
        record.lifted_at = now
        record.lifted_by = moderator_id
        _record(session, record, moderator_id, AuditAction.LIFT_BAN, note or None, None)
        session.flush()
        return _view(session, record, now)


def _record(
    session: Session,
    record: Ban,
    moderator_id: int,
    action: AuditAction,
    note: str | None,
    batch: str | None,
) -> None:
    audit.record(
        session,
        action,
        AuditActor.MODERATOR,
        moderator_id=moderator_id,
        ban_id=record.id,
        commenter_hash=record.value if record.kind == BanKind.EMAIL else None,
        note=note,
        batch=batch,
        data={
            "kind": record.kind.value,
            "target": _label(record),
            "until": record.until.isoformat() if record.until else None,
        },
    )


def _label(record: Ban) -> str:
    """How lists show whom a ban is about, without any address."""
    if record.kind == BanKind.DOMAIN:
        return f"@{record.value}"
    noun = "commenter" if record.kind == BanKind.EMAIL else "client"
    return f"{noun} {record.value[:LABEL_PREFIX]}…"


def _state(record: Ban, now: datetime) -> str:
    if record.lifted_at is not None:
        return "lifted"
    if record.until is None:
        return "banned"
    return "suspended" if record.until > now else "expired"


def _usernames(session: Session, records: Sequence[Ban]) -> dict[int, str]:
    """The names of the moderators who placed or lifted these bans, in one query."""
    ids = {i for record in records for i in (record.moderator_id, record.lifted_by) if i}
    if not ids:
        return {}
    rows = session.execute(select(Moderator.id, Moderator.username).where(Moderator.id.in_(ids)))
    return dict(rows.all())


def _view(session: Session, record: Ban, now: datetime) -> dict[str, Any]:
    return _as_dict(record, now, _usernames(session, [record]))


def _as_dict(record: Ban, now: datetime, usernames: dict[int, str]) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind.value,
        "value": record.value,
        "label": _label(record),
        "reason": record.reason,
        "until": record.until,
        "state": _state(record, now),
        "created_at": record.created_at,
        "moderator": usernames.get(record.moderator_id or 0),
        "lifted_at": record.lifted_at,
        "lifted_by": usernames.get(record.lifted_by or 0),
    }


def bans_page(
    state: str = "active",
    q: str | None = None,
    email_hash: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Bans, newest first: only those in force (`active`) or all; `q` searches the reason,
    the domain and the start of a hash; `email_hash` gives those about one commenter."""
    now = utcnow()
    stmt = select(Ban)
    if state == "active":
        stmt = stmt.where(ban_checks.active(now))
    if q and (needle := q.strip().lower()):
        stmt = stmt.where(
            or_(
                func.lower(Ban.reason).contains(needle, autoescape=True),
                Ban.value.startswith(needle.lstrip("@"), autoescape=True),
            )
        )
    if email_hash:
        stmt = stmt.where(Ban.kind == BanKind.EMAIL, Ban.value == email_hash)
    found = cursors.by_id_newest(
        stmt,
        Ban.id,
        cursor,
        limit,
        fetch=lambda page_stmt: db.session.scalars(page_stmt).all(),
        key=lambda record: record.id,
    )
    usernames = _usernames(db.session(), found.rows)
    return {
        "bans": [_as_dict(record, now, usernames) for record in found.rows],
        "next_cursor": found.next_cursor,
    }
