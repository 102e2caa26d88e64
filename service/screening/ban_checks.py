"""Whether a ban or suspension refuses a submission: the commenter (keyed email hash), their
email domain (or a parent domain) or their client (keyed IP hash). Moderators set and lift
bans in service/moderation/bans.py; this is the check the submission makes first.

Each worker keeps the bans in force in memory (a newsroom collects thousands; a query for
each submission was an eighth of its time). The copy is trusted for FEED_STATE_SECONDS, then
checked against the bans' version number in the database, which every ban and lift bumps:
a ban placed on another worker applies here within that moment, one placed here at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import and_, event, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service.errors import CommenterBanned, CommenterSuspended
from service.extensions import db
from service.models import Ban, BanKind, StateVersion, utcnow

BANNED_MESSAGE = "Comments from this address are not accepted."
VERSION_NAME = "bans"
_CACHE = "commentdesk.bans"
# A permanent ban in the cache: later than any suspension.
_FOREVER = datetime.max.replace(tzinfo=UTC)


def active(now: datetime) -> ColumnElement[bool]:
    return and_(Ban.lifted_at.is_(None), or_(Ban.until.is_(None), Ban.until > now))


def _domain_and_parents(domain: str) -> list[str]:
    # A ban of example.org covers mail.example.org too.
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] if domain else []


def check_allowed(email_hash: str, domain: str, ip_hash: str | None) -> None:
    """Refuse a submission from a banned or suspended commenter, domain or client; the
    submission use case calls this before it stores anything."""
    bans = _cache().current()
    now = utcnow()
    keys = [(BanKind.EMAIL, email_hash)]
    keys += [(BanKind.DOMAIN, parent) for parent in _domain_and_parents(domain)]
    if ip_hash:
        keys.append((BanKind.IP, ip_hash))
    ends = [end for key in keys if (end := bans.get(key)) is not None]
    if _FOREVER in ends:
        raise CommenterBanned(BANNED_MESSAGE)
    in_force = [end for end in ends if end > now]
    if not in_force:
        return
    raise CommenterSuspended(
        "You cannot comment for the time being. You may comment again after "
        f"{max(in_force).strftime('%d %B %Y, %H:%M')} UTC."
    )


def changed(session: Session) -> None:
    """Tell every worker the bans changed: call it in the transaction that changes them.
    This worker stops trusting its copy once that commits (before, it would reload the old
    bans under the old version and keep them)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(StateVersion).values(name=VERSION_NAME, version=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[StateVersion.name], set_={"version": StateVersion.version + 1}
        )
    )
    cache = _cache()
    event.listen(session, "after_commit", lambda _session: cache.forget(), once=True)


def warm() -> None:
    """Load the bans now (a worker starting), not on its first submission."""
    _cache().current()


_VERSION = select(StateVersion.version).where(StateVersion.name == VERSION_NAME)
_IN_FORCE = select(Ban.kind, Ban.value, Ban.until).where(Ban.lifted_at.is_(None))


@dataclass
class _Bans:
    """The bans not lifted, by (kind, value), each with when it ends (_FOREVER: never);
    expired ones are told apart at check time."""

    trust_seconds: float
    ends: dict[tuple[BanKind, str], datetime] = field(default_factory=dict)
    version: int | None = None
    checked_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forget(self) -> None:
        with self.lock:
            self.checked_at = float("-inf")
            self.version = None

    def current(self) -> dict[tuple[BanKind, str], datetime]:
        with self.lock:
            if time.monotonic() - self.checked_at < self.trust_seconds:
                return self.ends
            version = db.session.scalar(_VERSION) or 0
            if version != self.version:
                self.ends = _load()
                self.version = version
            self.checked_at = time.monotonic()
            return self.ends


def _load() -> dict[tuple[BanKind, str], datetime]:
    ends: dict[tuple[BanKind, str], datetime] = {}
    for kind, value, until in db.session.execute(_IN_FORCE):
        end = _FOREVER if until is None else until
        # Two bans of one target (a suspension, then a ban): the later end wins.
        ends[kind, value] = max(end, ends.get((kind, value), end))
    return ends


def _cache() -> _Bans:
    cache: _Bans | None = current_app.extensions.get(_CACHE)
    if cache is None:
        cache = current_app.extensions.setdefault(
            _CACHE, _Bans(current_app.config["FEED_STATE_SECONDS"])
        )
    return cache
