"""Use case: store the comments an import reader produces.

The file is read twice. The first pass parses all of it and stores nothing, so a hostile,
malformed or truncated file is refused before a single comment lands; it also counts the
comments for the progress bar. The second pass stores them in batches, each its own short
write transaction, so the live service keeps taking comments during a long import. Every
comment is recorded under its source id (ImportedComment): running the import again skips
what is already there, which also completes an import cut short (a crash, a full disk).
Replies are linked to their parents at the end, since a reply may come before its parent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Table, and_, case, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import articles, lifecycle
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
    ImportRefused,
    Skipped,
    SourceArticle,
    SourceComment,
)
from service.privacy import vault
from service.screening import similarity

BATCH_SIZE = 1000
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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Reader(Protocol):
    source: str

    def validate(self) -> int: ...

    def records(self) -> Iterator[SourceArticle | SourceComment | Skipped]: ...


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


def run_import(
    reader: Reader,
    source_name: str | None = None,
    progress: Callable[[int], object] | None = None,
    on_validated: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole source, then store it; ImportRefused (nothing stored) if invalid."""
    source = source_name or reader.source
    if not 0 < len(source) <= SOURCE_ID_MAX or _CONTROL.search(source):
        raise ImportRefused("A source name has 1 to 64 characters and no control characters.")
    found = reader.validate()
    if on_validated:
        on_validated(found)
    report = ImportReport(source=source, found=found)
    batcher = _Batcher(report)
    for batch in _batches(reader.records(), BATCH_SIZE):
        batcher.store(batch)
        if progress:
            progress(sum(not isinstance(record, SourceArticle) for record in batch))
    with write_transaction() as session:
        if session.get_bind().dialect.name != "sqlite":
            # Fresh statistics for the joins that link replies (see _Batcher.store).
            session.execute(text("ANALYZE comments, imported_comments"))
        report.orphans = _link_replies(session, report.source)
        _refresh_articles(session, report.article_ids, report.dated_ids)
        if report.imported:
            audit.record(
                session,
                AuditAction.IMPORT,
                AuditActor.SYSTEM,
                note=f"Imported {report.imported} comments from {report.source}.",
            )
    return report


def _batches(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


class _Batcher:
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.vault = vault.vault()
        self.article_ids: dict[str, int] = {}
        # What the source says of articles not created or met yet in this run, by key.
        self.described: dict[str, SourceArticle] = {}
        # Commenters come back: encrypt and hash each address (and IP) once, not per comment.
        self.emails: dict[str, tuple[str, str]] = {}
        self.ips: dict[str | None, str | None] = {}
        self.batches = 0

    def store(self, batch: list[SourceArticle | SourceComment | Skipped]) -> None:
        report = self.report
        self.batches += 1
        with write_transaction() as session:
            if self.batches % ANALYZE_EVERY == 2 and session.get_bind().dialect.name != "sqlite":
                # A table that grows from nothing has no statistics, and PostgreSQL's plan
                # for the source-id lookup below then degrades as it fills (quadratic time).
                session.execute(text("ANALYZE imported_comments"))
            wanted = [r.source_id for r in batch if isinstance(r, SourceComment)]
            known = set(
                session.scalars(
                    select(ImportedComment.source_id).where(
                        ImportedComment.source == report.source,
                        ImportedComment.source_id.in_(wanted),
                    )
                )
            )
            known_here = _already_here(session, batch)
            self._add_articles(session, batch)
            rows: list[dict[str, Any]] = []
            origins: list[SourceComment] = []
            for record in batch:
                if isinstance(record, SourceArticle):
                    continue
                if isinstance(record, Skipped):
                    report.skipped[record.reason] += 1
                    continue
                if record.source_id in known:
                    report.skipped[ALREADY_IMPORTED] += 1
                    continue
                if record.same_id is not None and record.same_id in known_here:
                    report.skipped[ALREADY_HERE] += 1
                    continue
                known.add(record.source_id)
                row = self._row(record)
                if isinstance(row, str):
                    report.skipped[row] += 1
                    continue
                rows.append(row)
                origins.append(record)
            if not rows:
                return
            report.held += sum(1 for origin in origins if origin.hold_reason)
            ids = _insert_comments(session, rows)
            _insert_source_ids(
                session,
                [
                    {
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

    def _row(self, record: SourceComment) -> dict[str, Any] | str:
        """The comment's columns, or why it cannot be imported."""
        for source_id in (record.source_id, record.parent_source_id or ""):
            if len(source_id) > SOURCE_ID_MAX or _CONTROL.search(source_id):
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

    def _add_articles(
        self, session: Session, batch: list[SourceArticle | SourceComment | Skipped]
    ) -> None:
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
        existing = set(session.scalars(select(Article.key).where(Article.key.in_(new))))
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


def _already_here(
    session: Session, batch: list[SourceArticle | SourceComment | Skipped]
) -> set[int]:
    """The ids of the batch's exported comments that are still in this database: same id,
    same creation time."""
    created = {
        r.same_id: r.created_at
        for r in batch
        if isinstance(r, SourceComment) and r.same_id is not None
    }
    if not created:
        return set()
    rows = session.execute(select(Comment.id, Comment.created_at).where(Comment.id.in_(created)))
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
    return _CONTROL.sub("", text)


def _reasons(record: SourceComment, source: str) -> list[dict[str, str]]:
    if record.reasons is not None:
        return list(record.reasons)
    if CommentStatus.PENDING not in (record.status, record.status_before_delete):
        return []
    if record.hold_reason:
        message = f"{record.hold_reason} Approve it only if it may be public."
        return [{"code": HOLD_CODE, "message": message}]
    return [{"code": "imported", "message": f"Was awaiting moderation in {source}."}]


def _link_replies(session: Session, source: str) -> int:
    """Point each imported reply at its imported parent; the number left without one.

    Only a parent on the same article that is older (or as old and stored first) counts,
    which also makes a cycle of parents in a hostile file impossible."""
    child, parent = aliased(ImportedComment), aliased(ImportedComment)
    parent_comment = aliased(Comment)
    parent_id = (
        select(parent.comment_id)
        .join(
            child, and_(child.source == parent.source, child.parent_source_id == parent.source_id)
        )
        .join(parent_comment, parent_comment.id == parent.comment_id)
        .where(
            child.comment_id == Comment.id,
            parent_comment.article_id == Comment.article_id,
            or_(
                parent_comment.created_at < Comment.created_at,
                and_(
                    parent_comment.created_at == Comment.created_at,
                    parent_comment.id < Comment.id,
                ),
            ),
        )
        .scalar_subquery()
    )
    replies = select(ImportedComment.comment_id).where(
        ImportedComment.source == source, ImportedComment.parent_source_id.is_not(None)
    )
    session.execute(
        update(Comment)
        .where(Comment.parent_id.is_(None), Comment.id.in_(replies))
        # updated_at as it was: linking is no change to the comment (onupdate would say so).
        .values(parent_id=parent_id, updated_at=Comment.updated_at)
        .execution_options(synchronize_session=False)
    )
    new_depth = (
        select(parent_comment.depth + 1)
        .where(parent_comment.id == Comment.parent_id)
        .scalar_subquery()
    )
    # One level of the threads per round; parents always come first, so this ends.
    # An UPDATE's result is a CursorResult, which SQLAlchemy's hints leave a plain Result.
    while cast(
        CursorResult[Any],
        session.execute(
            update(Comment)
            .where(
                Comment.id.in_(replies), Comment.parent_id.is_not(None), Comment.depth != new_depth
            )
            .values(depth=new_depth, updated_at=Comment.updated_at)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount:
        pass
    return (
        session.scalar(
            select(func.count())
            .select_from(ImportedComment)
            .join(Comment, Comment.id == ImportedComment.comment_id)
            .where(
                ImportedComment.source == source,
                ImportedComment.parent_source_id.is_not(None),
                Comment.parent_id.is_(None),
            )
        )
        or 0
    )


def _refresh_articles(session: Session, article_ids: set[int], dated_ids: set[int]) -> None:
    """Recount the public comments of the articles an import touched (the life-cycle core
    does), and invalidate their cached feeds; an article's start is its oldest comment
    (CLOSE_AFTER_DAYS counts from it) unless the source said when it started."""
    if not article_ids:
        return
    lifecycle.recount(session, article_ids)
    oldest = select(func.min(Comment.created_at)).where(Comment.article_id == Article.id)
    session.execute(
        update(Article)
        .where(Article.id.in_(article_ids))
        .values(
            created_at=case(
                (Article.id.in_(dated_ids), Article.created_at),
                else_=func.coalesce(oldest.scalar_subquery(), Article.created_at),
            )
            if dated_ids
            else func.coalesce(oldest.scalar_subquery(), Article.created_at),
        )
        .execution_options(synchronize_session=False)
    )
