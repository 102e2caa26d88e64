"""Commenters' rights: what we hold about an address (export), forgetting it (erase), and
the retention limit on client data (purge).

An address is only ever looked up through its keyed hash (vault.py). Erasure walks every
table that holds data about a person (`_ERASERS`); a table added later that does must add
its eraser there.

A request covers some sites: an admin's (and the operator's at the command line) every site,
a site admin's the sites they are site admin of (`sites_for`), a commenter's from their
emailed link the site they commented on. What it finds and changes is on those sites only,
and the answer names them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, text, true, update
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import lifecycle, views
from service.comments.rendering import render
from service.errors import NotAllowed
from service.extensions import db
from service.models import (
    ANONYMOUS,
    DEFAULT_SITE_SLUG,
    Article,
    Ban,
    BanKind,
    Comment,
    CommenterNote,
    LinkMail,
    ModerationEvent,
    Moderator,
    SiteRole,
    utcnow,
)
from service.ops.database import write_transaction
from service.privacy import vault
from service.sites import grants, registry, scope

REMOVED_NAME = "Deleted"
ADDRESS_PLACEHOLDER = "[address removed]"
NOTE_ERASED = "[note removed with the commenter's data]"
ERASED_BAN = "erased"


class ErasureMode(enum.StrEnum):
    # Keep the comments' text under "Anonymous"; only the person's data goes.
    ANONYMISE = "anonymise"
    # Also remove their text: the thread shows a placeholder where they wrote.
    DELETE = "delete"


def sites_for(moderator: Moderator) -> frozenset[int] | None:
    """The sites a moderator may answer a commenter's request for: every site (None) for an
    admin, the sites they are site admin of; NotAllowed for anyone else."""
    sites = grants.site_ids(moderator, SiteRole.SITE_ADMIN)
    if sites is not None and not sites:
        raise NotAllowed("Only admins and site admins can export or erase a commenter's data.")
    return sites


def site_slugs(sites: frozenset[int] | None) -> list[str]:
    """The slugs of the sites a request covers, for the page or answer that says so."""
    return [site.slug for site in registry.all_sites() if sites is None or site.id in sites]


def _on_sites(sites: frozenset[int] | None) -> ColumnElement[bool]:
    """A comment is on one of `sites` (None: every site)."""
    if sites is None:
        return true()
    return Comment.article_id.in_(select(Article.id).where(Article.site_id.in_(sites)))


@dataclass(frozen=True)
class Person:
    """Whom an erasure is about: the address, its keyed hash, a pattern that finds the
    address where someone typed it (a name, a comment body), and the sites it covers."""

    email: str
    email_hash: str
    pattern: re.Pattern[str]
    sites: frozenset[int] | None

    @classmethod
    def of(cls, email: str, sites: frozenset[int] | None) -> Person:
        email = vault.normalise_email(email)
        pattern = re.compile(re.escape(email), re.I)
        return cls(email, vault.vault().email_hash(email), pattern, sites)


@dataclass(frozen=True)
class Erasure:
    mode: ErasureMode
    # Records changed, by table.
    records: dict[str, int]
    # The slugs of the sites it covered.
    sites: list[str]

    @property
    def comments(self) -> int:
        return self.records.get("comments", 0)


def comments_of(email: str, sites: frozenset[int] | None) -> list[tuple[Comment, str, int]]:
    """Every comment stored under this address on `sites` (None: every site), with its
    article's key and site id, oldest first."""
    rows = db.session.execute(
        select(Comment, Article.key, Article.site_id)
        .join(Article, Article.id == Comment.article_id)
        .where(
            Comment.email_hash == vault.vault().email_hash(email),
            scope.within(sites, Article.site_id),
        )
        .order_by(Comment.created_at, Comment.id)
    )
    return [(comment, key, site_id) for comment, key, site_id in rows]


def export_person(email: str, sites: frozenset[int] | None) -> dict[str, Any]:
    """Every comment stored under this address on `sites` (None: every site), with its
    state and why it was held; `sites` in the document names the sites searched."""
    slugs = {site.id: site.slug for site in registry.all_sites()}
    return {
        "exported_at": utcnow().isoformat(),
        "sites": site_slugs(sites),
        "comments": [
            views.export_view(comment, key) | {"site": slugs.get(site_id)}
            for comment, key, site_id in comments_of(email, sites)
        ],
    }


def erase_person(
    email: str,
    mode: ErasureMode,
    sites: frozenset[int] | None,
    moderator_id: int | None = None,
    actor: AuditActor | None = None,
) -> Erasure:
    """Remove everything that identifies the person behind `email` on `sites` (None: every
    site), keep the threads readable, and audit that an erasure happened (the event names
    neither the address nor its hash)."""
    person = Person.of(email, sites)
    covered = site_slugs(sites)
    with write_transaction() as session:
        records = {table: eraser(session, person, mode) for table, eraser in _ERASERS}
        audit.record(
            session,
            AuditAction.ERASE,
            actor or (AuditActor.MODERATOR if moderator_id else AuditActor.SYSTEM),
            moderator_id=moderator_id,
            note=f"Erased one commenter's personal data on "
            f"{'every site' if sites is None else ', '.join(covered)} ({mode.value}): "
            f"{records['comments']} comments.",
            data={"sites": covered},
            # Not a `batch`: an erasure cannot be undone.
        )
    _scrub_sqlite_files()
    return Erasure(mode, records, covered)


def _erase_comments(session: Session, person: Person, mode: ErasureMode) -> int:
    comments = session.scalars(
        select(Comment)
        .where(Comment.email_hash == person.email_hash, _on_sites(person.sites))
        .with_for_update()
    ).all()
    # The actor does not matter: an erasure writes one event of its own, not one per comment.
    change = lifecycle.Change(session, AuditActor.SYSTEM)
    for comment in comments:
        comment.email_encrypted = ""
        comment.email_hash = ""
        comment.ip_hash = None
        comment.user_agent = None
        comment.website = None
        if mode == ErasureMode.DELETE:
            # Deleted with nothing left to restore.
            change.erase(comment, remove=True)
            comment.name = REMOVED_NAME
            comment.body = comment.body_html = ""
            comment.fingerprint = None
            comment.reasons = []
            continue
        # A name identifies a person as much as an address does.
        comment.name = ANONYMOUS
        if person.pattern.search(comment.body):
            comment.body = person.pattern.sub(ADDRESS_PLACEHOLDER, comment.body)
            comment.body_html = render(comment.body, comment.body_format)
        # Same state, but the public thread changed: cached feeds must not keep the name.
        change.erase(comment, remove=False)
    change.publish()
    return len(comments)


def _events_on_sites(
    session: Session, condition: ColumnElement[bool], sites: frozenset[int] | None
) -> list[ModerationEvent]:
    """The events matching `condition` that are about `sites`: through their comment, their
    article or their ban, or (a note about a commenter) the site their data names."""
    if sites is None:
        return list(session.scalars(select(ModerationEvent).where(condition)).all())
    articles = select(Article.id).where(Article.site_id.in_(sites))
    in_sites = or_(
        ModerationEvent.comment_id.in_(select(Comment.id).where(Comment.article_id.in_(articles))),
        ModerationEvent.article_id.in_(articles),
        ModerationEvent.ban_id.in_(select(Ban.id).where(Ban.site_id.in_(sites))),
    )
    notes = (ModerationEvent.action == AuditAction.NOTE.value) & ModerationEvent.comment_id.is_(
        None
    )
    events = session.scalars(select(ModerationEvent).where(condition, or_(in_sites, notes)))
    slugs = set(site_slugs(sites))
    return [
        event
        for event in events
        if event.action != AuditAction.NOTE.value
        or event.comment_id is not None
        # Notes from before sites were the default site's.
        or (event.data or {}).get("site", DEFAULT_SITE_SLUG) in slugs
    ]


def _erase_event_notes(session: Session, person: Person, _mode: ErasureMode) -> int:
    """A moderator may have written the address into a decision's note."""
    events = _events_on_sites(
        session,
        func.lower(ModerationEvent.note).contains(person.email, autoescape=True),
        person.sites,
    )
    for event in events:
        event.note = person.pattern.sub(ADDRESS_PLACEHOLDER, event.note or "")
    return len(events)


def _erase_commenter_notes(session: Session, person: Person, _mode: ErasureMode) -> int:
    """Moderators' notes about the person are about them, whatever the mode."""
    notes = session.scalars(
        select(CommenterNote).where(
            CommenterNote.email_hash == person.email_hash,
            scope.within(person.sites, CommenterNote.site_id),
        )
    ).all()
    for note in notes:
        session.delete(note)
    return len(notes)


def _erase_link_mails(session: Session, person: Person, _mode: ErasureMode) -> int:
    """When their last "my comments" link went out is keyed by their hash: it goes, whatever
    the sites (it is the deployment's limit on mails, no site's record)."""
    mails = session.scalars(select(LinkMail).where(LinkMail.email_hash == person.email_hash)).all()
    for mail in mails:
        session.delete(mail)
    return len(mails)


def _erase_bans(session: Session, person: Person, _mode: ErasureMode) -> int:
    """A ban of the person's address ends with the erasure: keeping it would keep their
    hash. The ban's row stays, emptied and lifted, so the audit trail still reads. A ban on
    every site goes only with an erasure on every site."""
    bans = session.scalars(
        select(Ban).where(
            Ban.kind == BanKind.EMAIL,
            Ban.value == person.email_hash,
            scope.within(person.sites, Ban.site_id),
        )
    ).all()
    now = utcnow()
    for ban in bans:
        ban.value = ERASED_BAN
        ban.lifted_at = ban.lifted_at or now
    return len(bans)


def _erase_commenter_events(session: Session, person: Person, mode: ErasureMode) -> int:
    """Audit events about the person (notes, bans) carry their hash and a note's text, and a
    moderator's edit of their comment keeps the original text they typed."""
    events = _events_on_sites(
        session,
        or_(
            ModerationEvent.commenter_hash == person.email_hash,
            ModerationEvent.comment_id.in_(
                select(Comment.id).where(Comment.email_hash == person.email_hash)
            ),
        ),
        person.sites,
    )
    changed = 0
    for event in events:
        data = dict(event.data or {})
        if event.commenter_hash == person.email_hash:
            event.commenter_hash = None
            if event.action == AuditAction.NOTE:
                event.note = NOTE_ERASED
            changed += 1
        if "original_body" in data:
            data["original_body"] = (
                ""
                if mode == ErasureMode.DELETE
                else person.pattern.sub(ADDRESS_PLACEHOLDER, data["original_body"])
            )
            event.data = data
            changed += 1
    return changed


# Every table with data about a person: (table, eraser(session, person, mode) -> how many of
# its records changed). The events come before the comments: they are found through the
# comments' hash, which the comments' eraser removes.
_ERASERS: list[tuple[str, Callable[[Session, Person, ErasureMode], int]]] = [
    ("moderation_events", _erase_event_notes),
    ("commenter_events", _erase_commenter_events),
    ("commenter_notes", _erase_commenter_notes),
    ("link_mails", _erase_link_mails),
    ("bans", _erase_bans),
    ("comments", _erase_comments),
]


def _scrub_sqlite_files() -> None:
    """On SQLite, make the erased bytes leave the files too: secure_delete (set on every
    connection) zeroes freed cells; the checkpoint moves the new pages from the write-ahead
    log into the database and truncates the log, which still held the old ones."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@dataclass(frozen=True)
class Purged:
    """What the purge did on one site: its retention period (0: it keeps client data) and
    the number of comments whose client data it forgot."""

    site: str
    days: int
    comments: int


def purge_client_data(days: int | None = None) -> list[Purged]:
    """Forget IP hashes and user agents of each site's comments older than its retention
    period (its own, else RETENTION_DAYS; 0 keeps them), or than `days` on every site; an
    audit event for each site that had some."""
    now, purged = utcnow(), []
    with write_transaction() as session:
        for site in registry.all_sites():
            keep = site.retention_days if days is None else days
            count = _purge_site(session, site.id, now - timedelta(days=keep)) if keep > 0 else 0
            purged.append(Purged(site.slug, max(keep, 0), count))
            if count:
                audit.record(
                    session,
                    AuditAction.PURGE,
                    AuditActor.SYSTEM,
                    note=f"Removed IP hashes and user agents of {count} comments older than "
                    f"{keep} days on site {site.slug}.",
                    data={"site": site.slug},
                )
    if any(site.comments for site in purged):
        _scrub_sqlite_files()
    return purged


def _purge_site(session: Session, site_id: int, cutoff: datetime) -> int:
    result = session.execute(
        update(Comment)
        .where(
            Comment.created_at < cutoff,
            Comment.article_id.in_(select(Article.id).where(Article.site_id == site_id)),
            or_(Comment.ip_hash.is_not(None), Comment.user_agent.is_not(None)),
        )
        .values(ip_hash=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE's result is a CursorResult, which SQLAlchemy's hints leave a plain Result.
    return cast(CursorResult[Any], result).rowcount
