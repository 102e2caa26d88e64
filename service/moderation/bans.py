"""Use cases for bans and suspensions: a commenter (keyed email hash), an email domain or a
client (keyed IP hash) that may not comment, for good or until a moment; and the spam-ban,
which also moves everything that commenter wrote to spam in the same action.

No address is stored or shown here: a ban keeps the keyed hash (or, for a domain, the
domain), and lists show a prefix of the hash.

A ban holds on one site: the one named, else the site of the comment it was placed from, else
the default site. Only an admin may ban on every site (Ban.site_id None). A moderator lists,
lifts and is refused by only their sites' bans (another site's answer as if they did not
exist), and sees the every-site bans too, read-only: they refuse commenters on the
moderator's sites, so the moderator must be able to tell why; only an admin lifts them.
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
    NotAllowed,
)
from service.extensions import db
from service.models import (
    MAX_ID,
    Article,
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
from service.sites import grants, registry, scope

_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
LABEL_PREFIX = 10
EVERY_SITE = "every site"


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


def _comment_in(
    session: Session, comment_id: int, sites: frozenset[int] | None
) -> tuple[Comment, int]:
    """The comment a ban is placed from and its site, if the moderator may see that."""
    found = (
        session.execute(
            select(Comment, Article.site_id)
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.id == comment_id)
        ).one_or_none()
        if comment_id <= MAX_ID
        else None
    )
    if found is None or (sites is not None and found[1] not in sites):
        raise CommentNotFound(f"There is no comment {comment_id}.")
    return found[0], found[1]


def _ban_site(
    session: Session,
    moderator: Moderator,
    sites: frozenset[int] | None,
    target: Target,
    site: str | None,
    all_sites: bool,
) -> int | None:
    """The site the ban holds on (None: every site), as the module's docstring says."""
    if all_sites:
        if not moderator.is_admin:
            raise NotAllowed("Only an admin can ban on every site.")
        if site is not None:
            raise FieldError("site", "Name one site or every site, not both.")
        return None
    if site is not None:
        return scope.named(sites, site).id
    if target.comment_id is not None:
        return _comment_in(session, target.comment_id, sites)[1]
    default = registry.default().id
    if sites is None or default in sites:
        return default
    if len(sites) == 1:
        return next(iter(sites))
    raise FieldError("site", "Say which of your sites the ban is for.")


def _resolve(session: Session, target: Target, sites: frozenset[int] | None) -> str:
    """The value the ban stores: a keyed hash, or a domain."""
    given = [x for x in (target.value, target.email, target.comment_id) if x is not None]
    if len(given) != 1:
        raise FieldError("value", "Name whom to ban: a value, an address or a comment.")
    if target.comment_id is not None:
        comment, _ = _comment_in(session, target.comment_id, sites)
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


def _spam_ids(session: Session, kind: BanKind, value: str, site_id: int | None) -> list[int]:
    """The comments a spam-ban moves to spam: all of the commenter's (or client's) on the
    ban's site (every site's, for an every-site ban) that are not spam or deleted already."""
    column = Comment.email_hash if kind == BanKind.EMAIL else Comment.ip_hash
    stmt = select(Comment.id).where(
        column == value, Comment.status.not_in([CommentStatus.SPAM, CommentStatus.DELETED])
    )
    if site_id is not None:
        stmt = stmt.where(
            Comment.article_id.in_(select(Article.id).where(Article.site_id == site_id))
        )
    return list(session.scalars(stmt.order_by(Comment.id)))


def _domain(domain: str) -> str:
    if not _DOMAIN.fullmatch(domain):
        raise FieldError("value", "Enter an email domain such as example.org.")
    return domain


def ban(
    target: Target,
    reason: str,
    moderator: Moderator,
    until: datetime | None = None,
    spam: bool = False,
    site: str | None = None,
    all_sites: bool = False,
) -> BanResult:
    """Ban (or, with `until`, suspend) someone on a site (see the module's docstring for
    which); with `spam`, also move every comment of theirs there to spam in the same
    action: one audit event per comment plus one for the ban."""
    reason = reason.strip()
    now = utcnow()
    moderator_id = moderator.id
    _check_request(target, reason, now, until, spam)
    with write_transaction() as session:
        sites = grants.site_ids(moderator)
        site_id = _ban_site(session, moderator, sites, target, site, all_sites)
        value = _resolve(session, target, sites)
        # A ban on every site already covers this one; one on this site, this one.
        holds_here = (
            Ban.site_id.is_(None)
            if site_id is None
            else or_(Ban.site_id == site_id, Ban.site_id.is_(None))
        )
        existing = session.scalars(
            select(Ban).where(
                Ban.kind == target.kind, Ban.value == value, holds_here, ban_checks.active(now)
            )
        ).first()
        if existing is not None:
            raise InvalidTransition(
                f"{_label(existing)} is already {_state(existing, now)} (ban {existing.id}); "
                "lift that ban first to change it."
            )
        record = Ban(
            site_id=site_id,
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
            ids = _spam_ids(session, target.kind, value, site_id)
            outcomes = decisions.move_many(change, ids, AuditAction.SPAM)
            change.publish()
        view = _view(session, record, now)
    batch = change.batch or ""
    decisions.after_commit(action, moderator_id, batch, outcomes)
    return BanResult(view, batch if spam else None, outcomes)


def lift(ban_id: int, moderator: Moderator, note: str | None = None) -> dict[str, Any]:
    """End a ban or suspension early; the ban stays listed as lifted."""
    now = utcnow()
    moderator_id = moderator.id
    with write_transaction() as session:
        record = session.get(Ban, ban_id) if 0 < ban_id <= MAX_ID else None
        sites = grants.site_ids(moderator)
        if record is None or not _visible(record, sites):
            raise BanNotFound(f"There is no ban {ban_id}.")
        if record.site_id is None and sites is not None:
            raise NotAllowed("Only an admin can lift a ban on every site.")
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
            "site": _site_slug(record.site_id),
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


def _visible(record: Ban, sites: frozenset[int] | None) -> bool:
    return sites is None or record.site_id is None or record.site_id in sites


def _site_slug(site_id: int | None) -> str | None:
    """The slug of the ban's site, None for every site (or a site removed since)."""
    if site_id is None:
        return None
    return next((s.slug for s in registry.all_sites() if s.id == site_id), None)


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
        "site": _site_slug(record.site_id),
        "every_site": record.site_id is None,
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
    moderator: Moderator | None,
    state: str = "active",
    q: str | None = None,
    email_hash: str | None = None,
    site: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Bans the moderator may see (None: the operator at the command line, every ban),
    newest first: only those in force (`active`) or all; `q` searches the reason, the
    domain and the start of a hash; `email_hash` gives those about one commenter; `site`
    those that hold on one site (its own and the every-site ones)."""
    now = utcnow()
    sites = scope.of(moderator)
    stmt = select(Ban)
    if sites is not None:
        stmt = stmt.where(or_(Ban.site_id.in_(sites), Ban.site_id.is_(None)))
    if site is not None:
        stmt = stmt.where(or_(Ban.site_id == scope.named(sites, site).id, Ban.site_id.is_(None)))
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
