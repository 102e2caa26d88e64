"""Stores one batch of an import's records, and keeps the run's report.

Each batch is its own short write transaction. Every comment is recorded under its site and
source id (ImportedComment), so a second run into the same site skips what is already there;
replies are stored top-level and linked to their parents at the end of the run (replies.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import articles
from service.comments.rendering import render
from service.errors import FieldError
from service.models import (
    ANONYMOUS,
    Article,
    Comment,
    CommentStatus,
    ImportedComment,
    ModerationMode,
)
from service.ops.database import write_transaction
from service.portability.records import (
    HOLD_CODE,
    Skipped,
    SourceArticle,
    SourceComment,
)
from service.privacy import vault
from service.screening import similarity
from service.sites import registry

ANALYZE_EVERY = 20
# Addresses and IPs remembered per run (their ciphertexts and hashes), at most.
CACHE_MAX = 50_000
NAME_MAX = 80
WEBSITE_MAX = 2048
USER_AGENT_MAX = 512
ALREADY_IMPORTED = "already imported"
ALREADY_HERE = "already in this database (the export was made from it)"
SOURCE_ID_MAX = 64
# Unicode's control characters (category Cc) but tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Record = SourceArticle | SourceComment | Skipped


@dataclass
class ImportReport:
    source: str
    found: int
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    # Replies whose parent is not in the file (or not before them): kept as top-level.
    orphans: int = 0
    article_ids: set[int] = field(default_factory=set)
    # Comments held because their post was not public, and articles locked as the source had them.
    held: int = 0
    locked: int = 0
    # Articles whose start came from the source (a commentdesk export), not their oldest comment.
    dated_ids: set[int] = field(default_factory=set)


class Batcher:
    """Stores a run's batches one after the other, filling in the run's report."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        # The site imported into: the current one (the command's --site).
        self.site_id = registry.current().id
        self.vault = vault.vault()
        self.article_ids: dict[str, int] = {}
        # What the source says of articles not created or met yet in this run, by key.
        self.described: dict[str, SourceArticle] = {}
        # Commenters come back: encrypt and hash each address (and IP) once, not per comment.
        self.emails: dict[str, tuple[str, str]] = {}
        self.ips: dict[str | None, str | None] = {}
        self.batches = 0

    def store(self, batch: list[Record]) -> None:
        report = self.report
        self.batches += 1
        with write_transaction() as session:
            if self.batches % ANALYZE_EVERY == 2 and session.get_bind().dialect.name != "sqlite":
                # A table that grows from nothing has no statistics, and PostgreSQL's plan
                # for the source-id lookup below then degrades as it fills (quadratic time).
                session.execute(text("ANALYZE imported_comments"))
            known = _known_source_ids(session, self.site_id, report.source, batch)
            known_here = _already_here(session, self.site_id, batch)
            self._add_articles(session, batch)
            rows, origins = self._new_rows(batch, known, known_here)
            if not rows:
                return
            report.held += sum(1 for origin in origins if origin.hold_reason)
            ids = _insert_comments(session, rows)
            _insert_source_ids(
                session,
                [
                    {
                        "site_id": self.site_id,
                        "source": report.source,
                        "source_id": origin.source_id,
                        "comment_id": comment_id,
                        "parent_source_id": origin.parent_source_id,
                    }
                    for origin, comment_id in zip(origins, ids, strict=True)
                ],
            )
            report.imported += len(rows)
            report.article_ids.update(row["article_id"] for row in rows)

    def _new_rows(
        self, batch: list[Record], known: set[str], known_here: set[int]
    ) -> tuple[list[dict[str, Any]], list[SourceComment]]:
        """The rows of the batch's comments to insert, with the records they came from;
        every other record is counted in the report under why it was skipped."""
        skipped = self.report.skipped
        rows: list[dict[str, Any]] = []
        origins: list[SourceComment] = []
        for record in batch:
            if isinstance(record, SourceArticle):
                continue
            if isinstance(record, Skipped):
                skipped[record.reason] += 1
                continue
            if record.source_id in known:
                skipped[ALREADY_IMPORTED] += 1
                continue
            if record.same_id is not None and record.same_id in known_here:
                skipped[ALREADY_HERE] += 1
                continue
            known.add(record.source_id)
            row = self._row(record)
            if isinstance(row, str):
                skipped[row] += 1
                continue
            rows.append(row)
            origins.append(record)
        return rows, origins

    def _row(self, record: SourceComment) -> dict[str, Any] | str:
        """The comment's columns, or why it cannot be imported."""
        for source_id in (record.source_id, record.parent_source_id or ""):
            if len(source_id) > SOURCE_ID_MAX or CONTROL.search(source_id):
                return "a source id longer than 64 characters or with control characters"
        try:
            article_id = self._article_id(record.article_key)
        except FieldError as error:
            return f"unusable article key ({error.message})"
        body = _clean(record.body)
        if not body.strip() and record.status != CommentStatus.DELETED:
            return "an empty comment"
        email = _clean(record.email)
        email_encrypted, email_hash = self._email(email) if email else ("", "")
        website = _clean(record.website or "")
        states = (record.status, record.status_before_delete)
        body_html = render(body, record.body_format)
        return {
            "article_id": article_id,
            "parent_id": None,
            "depth": 0,
            "status": record.status,
            "status_before_delete": record.status_before_delete,
            "name": _clean(record.name)[:NAME_MAX].strip() or ANONYMOUS,
            "email_encrypted": email_encrypted,
            "email_hash": email_hash,
            "website": website
            if website.startswith(("http://", "https://")) and len(website) <= WEBSITE_MAX
            else None,
            "body": body,
            "body_html": body_html,
            "body_format": record.body_format.value,
            "created_at": record.created_at,
            "updated_at": record.updated_at or record.created_at,
            "ip_hash": record.ip_hash or self._ip_hash(record.ip),
            "user_agent": _clean(record.user_agent or "")[:USER_AGENT_MAX] or None,
            "reasons": _reasons(record, self.report.source),
            # Waves (moderation.waves) group held comments only: the rest need none.
            "fingerprint": similarity.fingerprint(body)
            if CommentStatus.PENDING in states
            else None,
        }

    def _add_articles(self, session: Session, batch: list[Record]) -> None:
        """Create the batch's new articles in one statement (article_id reports bad keys),
        then give them what the source says about them."""
        wanted = set()
        for record in batch:
            if isinstance(record, SourceArticle):
                if record.key not in self.article_ids:
                    self.described[record.key] = record
                if record.create:
                    wanted.add(record.key)
            elif isinstance(record, SourceComment):
                wanted.add(record.article_key)
        new = set()
        for key in wanted - self.article_ids.keys():
            try:
                new.add(articles.check_key(key))
            except FieldError:
                self.described.pop(key, None)
        if not new:
            return
        existing = set(
            session.scalars(
                select(Article.key).where(Article.site_id == self.site_id, Article.key.in_(new))
            )
        )
        self.article_ids.update(articles.ids_creating_missing(session, new))
        for key in new:
            if info := self.described.pop(key, None):
                self._describe(session, self.article_ids[key], info, created=key not in existing)

    def _describe(
        self, session: Session, article_id: int, info: SourceArticle, created: bool
    ) -> None:
        """The source's title fills in a missing one; the rest (lock, settings, start) only
        goes to an article this import created, so a re-run or an import over a live site
        does not undo a moderator's change."""
        if info.title and (title := articles.clean_title(info.title)):
            session.execute(
                update(Article)
                .where(Article.id == article_id, Article.title.is_(None))
                .values(title=title)
            )
        if not created:
            return
        values: dict[str, Any] = {"locked": info.locked, "closes_at": info.closes_at}
        if info.url and len(info.url) <= articles.URL_MAX:
            values["url"] = info.url
        if info.moderation in {mode.value for mode in ModerationMode}:
            values["moderation"] = ModerationMode(info.moderation)
        if info.created_at:
            values["created_at"] = info.created_at
            self.report.dated_ids.add(article_id)
        session.execute(update(Article).where(Article.id == article_id).values(**values))
        if info.locked:
            self.report.locked += 1
            audit.record(
                session,
                AuditAction.LOCK,
                AuditActor.SYSTEM,
                article_id=article_id,
                note=f"Closed to comments in {self.report.source}.",
            )

    def _article_id(self, key: str) -> int:
        if key not in self.article_ids:
            articles.check_key(key)
        return self.article_ids[key]

    def _ip_hash(self, ip: str | None) -> str | None:
        if ip not in self.ips:
            if len(self.ips) > CACHE_MAX:
                self.ips.clear()
            self.ips[ip] = self.vault.ip_hash(ip)
        return self.ips[ip]

    def _email(self, address: str) -> tuple[str, str]:
        if address not in self.emails:
            if len(self.emails) > CACHE_MAX:
                self.emails.clear()
            self.emails[address] = (self.vault.encrypt(address), self.vault.email_hash(address))
        return self.emails[address]


def _already_here(session: Session, site_id: int, batch: list[Record]) -> set[int]:
    """The ids of the batch's exported comments that are still in this database, on the site
    imported into: same id, same creation time (a site's export imported into another site
    is a copy, not a restore)."""
    created = {
        r.same_id: r.created_at
        for r in batch
        if isinstance(r, SourceComment) and r.same_id is not None
    }
    if not created:
        return set()
    rows = session.execute(
        select(Comment.id, Comment.created_at)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.id.in_(created), Article.site_id == site_id)
    )
    return {comment_id for comment_id, moment in rows if moment == created[comment_id]}


def _insert_comments(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows (Core, not ORM: no objects to build); their ids, in order."""
    # Declarative types __table__ as any FromClause; a model with a __tablename__ has a Table.
    comments = cast(Table, Comment.__table__)
    if session.get_bind().dialect.name != "sqlite":
        return list(
            session.scalars(
                insert(comments).returning(comments.c.id, sort_by_parameter_order=True), rows
            )
        )
    # SQLite cannot promise RETURNING order for a multi-row insert, so SQLAlchemy would send
    # one statement per row. The write transaction holds SQLite's only write lock, so the
    # next ids are simply the ones after the largest (what SQLite itself would pick).
    start = session.scalar(select(func.max(comments.c.id))) or 0
    ids = list(range(start + 1, start + 1 + len(rows)))
    session.execute(insert(comments), [row | {"id": i} for row, i in zip(rows, ids, strict=True)])
    return ids


def _insert_source_ids(session: Session, rows: list[dict[str, Any]]) -> None:
    table = cast(Table, ImportedComment.__table__)  # a Table, as above
    statement = insert(table)
    if session.get_bind().dialect.name != "sqlite":
        # With RETURNING, SQLAlchemy sends multi-row INSERTs ("insertmanyvalues"); without
        # it, psycopg would send one INSERT per row.
        statement = statement.returning(table.c.comment_id)
    session.execute(statement, rows)


def _clean(text: str) -> str:
    # PostgreSQL cannot store NUL; other control characters (but line breaks and tabs) are noise.
    return CONTROL.sub("", text)


def _reasons(record: SourceComment, source: str) -> list[dict[str, str]]:
    if record.reasons is not None:
        return list(record.reasons)
    if CommentStatus.PENDING not in (record.status, record.status_before_delete):
        return []
    if record.hold_reason:
        message = f"{record.hold_reason} Approve it only if it may be public."
        return [{"code": HOLD_CODE, "message": message}]
    return [{"code": "imported", "message": f"Was awaiting moderation in {source}."}]


def _known_source_ids(session: Session, site_id: int, source: str, batch: list[Record]) -> set[str]:
    """The batch's source ids already imported from this source into this site (by an
    earlier run)."""
    wanted = [r.source_id for r in batch if isinstance(r, SourceComment)]
    return set(
        session.scalars(
            select(ImportedComment.source_id).where(
                ImportedComment.site_id == site_id,
                ImportedComment.source == source,
                ImportedComment.source_id.in_(wanted),
            )
        )
    )
