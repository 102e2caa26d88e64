"""Use case: import a source, from validation to the run's report.

The file is read twice. The first pass parses all of it and stores nothing, so a hostile,
malformed or truncated file is refused before a single comment lands; it also counts the
comments for the progress bar. The second pass stores them in batches (batches.py), each its
own short write transaction, so the live service keeps taking comments during a long import.
The comments go to the current site (registry.current: the command's --site). Running the
import into that site again skips what is already there, which also completes an import cut
short (a crash, a full disk). Replies are linked to their parents at the end (replies.py),
since a reply may come before its parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import case, func, select, text, update
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import lifecycle
from service.models import Article, Comment
from service.ops.database import write_transaction
from service.portability.batches import CONTROL, SOURCE_ID_MAX, Batcher, ImportReport
from service.portability.records import ImportRefused, Skipped, SourceArticle, SourceComment
from service.portability.replies import link_replies

BATCH_SIZE = 1000


class Reader(Protocol):
    source: str

    def validate(self) -> int: ...

    def records(self) -> Iterator[SourceArticle | SourceComment | Skipped]: ...


def run_import(
    reader: Reader,
    source_name: str | None = None,
    progress: Callable[[int], object] | None = None,
    on_validated: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole source, then store it; ImportRefused (nothing stored) if invalid."""
    source = source_name or reader.source
    if not 0 < len(source) <= SOURCE_ID_MAX or CONTROL.search(source):
        raise ImportRefused("A source name has 1 to 64 characters and no control characters.")
    found = reader.validate()
    if on_validated:
        on_validated(found)
    report = ImportReport(source=source, found=found)
    batcher = Batcher(report)
    for batch in _batches(reader.records(), BATCH_SIZE):
        batcher.store(batch)
        if progress:
            progress(sum(not isinstance(record, SourceArticle) for record in batch))
    with write_transaction() as session:
        if session.get_bind().dialect.name != "sqlite":
            # Fresh statistics for the joins that link replies (see batches.Batcher.store).
            session.execute(text("ANALYZE comments, imported_comments"))
        report.orphans = link_replies(session, batcher.site_id, report.source)
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
