"""Whether a ban or suspension refuses a submission: the commenter (keyed email hash), their
email domain (or a parent domain) or their client (keyed IP hash). Moderators set and lift
bans in service/moderation/bans.py; this is the check the submission makes first.

Each worker keeps the bans in force in memory (a newsroom collects thousands; a query for
each submission was an eighth of its time). The copy is trusted for FEED_STATE_SECONDS, then
checked against the bans' version number in the database, which every ban and lift bumps
(service/ops/state_versions.py): a ban placed on another worker applies here within that
moment, one placed here at once.

A ban holds on its site, or (Ban.site_id None, set by an admin) on every site: the copy keys
each ban by (site id or None, kind, value), so a submission looks up its own site's key and
the every-site key, still without a query.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_app_context
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service.errors import CommenterBanned, CommenterSuspended
from service.extensions import db
from service.models import Ban, BanKind, utcnow
from service.ops import state_versions

BANNED_MESSAGE = "Comments from this address are not accepted."
VERSION_NAME = "bans"
# A permanent ban in the cache: later than any suspension.
_FOREVER = datetime.max.replace(tzinfo=UTC)


def active(now: datetime) -> ColumnElement[bool]:
    return and_(Ban.lifted_at.is_(None), or_(Ban.until.is_(None), Ban.until > now))


def _domain_and_parents(domain: str) -> list[str]:
    # A ban of example.org covers mail.example.org too.
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] if domain else []


def check_allowed(email_hash: str, domain: str, ip_hash: str | None, site_id: int) -> None:
    """Refuse a submission to the site from a banned or suspended commenter, domain or
    client; the submission use case calls this before it stores anything."""
    bans = _cache().current()
    now = utcnow()
    keys = [(BanKind.EMAIL, email_hash)]
    keys += [(BanKind.DOMAIN, parent) for parent in _domain_and_parents(domain)]
    if ip_hash:
        keys.append((BanKind.IP, ip_hash))
    ends = [
        end
        for kind, value in keys
        for site in (site_id, None)
        if (end := bans.get((site, kind, value))) is not None
    ]
    if _FOREVER in ends:
        raise CommenterBanned(BANNED_MESSAGE)
    in_force = [end for end in ends if end > now]
    if not in_force:
        return
    raise CommenterSuspended(
        "You cannot comment for the time being. You may comment again after "
        f"{max(in_force).strftime('%d %B %Y, %H:%M')} UTC."
    )


@event.listens_for(Session, "after_flush")
def _bans_flushed(session: Session, _context: object) -> None:
    """Any ban written (placed, lifted, emptied by an erasure, lifted by an undo) bumps the
    bans' version in the same transaction, wherever it was written: no writer has to
    remember to, and none can forget."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if has_app_context() and any(isinstance(row, Ban) for row in touched):
        state_versions.bump(session, _cache())


def warm() -> None:
    """Load the bans now (a worker starting), not on its first submission."""
    _cache().current()


_IN_FORCE = select(Ban.site_id, Ban.kind, Ban.value, Ban.until).where(Ban.lifted_at.is_(None))
# (site id, or None for every site; kind; value)
_Key = tuple[int | None, BanKind, str]


def _load() -> dict[_Key, datetime]:
    ends: dict[_Key, datetime] = {}
    for site_id, kind, value, until in db.session.execute(_IN_FORCE):
        end = _FOREVER if until is None else until
        key = (site_id, kind, value)
        # Two bans of one target (a suspension, then a ban): the later end wins.
        ends[key] = max(end, ends.get(key, end))
    return ends


def _cache() -> state_versions.VersionedCopy[dict[_Key, datetime]]:
    # The bans not lifted, by (site, kind, value), each with when it ends (_FOREVER:
    # never); expired ones are told apart at check time.
    return state_versions.copy_of(VERSION_NAME, _load)
