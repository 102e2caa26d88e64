"""Reader for an Isso SQLite database (its `threads` and `comments` tables)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from service.models import BodyFormat, CommentStatus
from service.portability.records import (
    ArticleKeyRule,
    ImportRefused,
    Skipped,
    SourceArticle,
    SourceComment,
)

# Isso's comment modes: 1 public, 2 waiting for moderation, 4 deleted but kept for replies.
_MODES = {1: CommentStatus.APPROVED, 2: CommentStatus.PENDING, 4: CommentStatus.DELETED}
_NEEDED = {
    "threads": {"id", "uri"},
    "comments": {"tid", "id", "parent", "created", "mode", "remote_addr", "text", "author"},
}
# Ordered by thread, so each thread's title is read once, before its comments.
_QUERY = """
    SELECT c.id, c.parent, t.uri, c.created, c.mode, c.remote_addr, c.text, c.author,
           c.email, c.website, {title}
    FROM comments c JOIN threads t ON t.id = c.tid
    ORDER BY t.id, c.id
"""


class IssoReader:
    source = "isso"

    def __init__(self, path: Path, rule: ArticleKeyRule) -> None:
        self.path = path
        self.rule = rule

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise ImportRefused(f"{self.path} does not exist.")
        # Read-only: importing must never change the source.
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)

    def validate(self) -> int:
        connection = self._connect()
        try:
            for table, columns in _NEEDED.items():
                found = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
                if not columns <= found:
                    raise ImportRefused(
                        f"{self.path.name} is not an Isso database (table {table!r} lacks "
                        f"{', '.join(sorted(columns - found))})."
                    )
            return int(connection.execute("SELECT count(*) FROM comments").fetchone()[0])
        except sqlite3.DatabaseError as error:
            raise ImportRefused(f"{self.path.name} is not a SQLite database ({error}).") from None
        finally:
            connection.close()

    def records(self) -> Iterator[SourceArticle | SourceComment | Skipped]:
        connection = self._connect()
        try:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(threads)")}
            # Isso fills threads.title from the page's <h1> or data-isso-title; very old
            # databases have no such column.
            query = _QUERY.format(title="t.title" if "title" in columns else "NULL")
            announced: set[str] = set()
            for *row, title in connection.execute(query):
                key = self.rule.key_for(row[2] or "")
                if key and key not in announced:
                    announced.add(key)
                    yield SourceArticle(key, title=str(title or "").strip() or None)
                yield self._comment(*row)
        finally:
            connection.close()

    def _comment(
        self,
        id_: int,
        parent: int | None,
        uri: str,
        created: float,
        mode: int,
        remote_addr: str | None,
        text: str | None,
        author: str | None,
        email: str | None,
        website: str | None,
    ) -> SourceComment | Skipped:
        status = _MODES.get(mode)
        if status is None:
            return Skipped(str(id_), f"unknown Isso mode {mode!r}")
        key = self.rule.key_for(uri or "")
        if not key:
            return Skipped(str(id_), f"its thread has {self.rule.why_no_key(uri or '')}")
        try:
            created_at = datetime.fromtimestamp(created, UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            return Skipped(str(id_), "no valid created time")
        return SourceComment(
            source_id=str(id_),
            parent_source_id=str(parent) if parent else None,
            article_key=key,
            name=(author or "").strip(),
            email=(email or "").strip(),
            website=(website or "").strip() or None,
            ip=remote_addr or None,
            created_at=created_at,
            body=text or "",
            body_format=BodyFormat.MARKDOWN,
            status=status,
            status_before_delete=CommentStatus.APPROVED
            if status == CommentStatus.DELETED
            else None,
        )
