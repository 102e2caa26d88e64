"""Reader for commentdesk's own JSON export (`flask export --format json`): a restore, or a
move to another deployment. Addresses are re-encrypted and re-hashed under this deployment's
key by the importer; the file is streamed, one article or comment at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from service.models import BodyFormat, CommentStatus
from service.portability.exporter import FORMAT, VERSION
from service.portability.records import (
    ArticleKeyRule,
    ImportRefused,
    Skipped,
    SourceArticle,
    SourceComment,
    parse_time,
)
from service.privacy import vault

CHUNK = 1 << 16
_ARRAYS = ("articles", "comments")


class CommentdeskReader:
    source = "commentdesk"

    def __init__(self, path: Path, rule: ArticleKeyRule) -> None:
        # The export's keys are this service's own: no rule applies to them.
        self.path = path

    def validate(self) -> int:
        return sum(1 for name, _ in self._entries() if name == "comments")

    def records(self) -> Iterator[SourceArticle | SourceComment | Skipped]:
        for name, record in self._entries():
            yield _article(record) if name == "articles" else _comment(record)

    def _entries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        try:
            with self.path.open(encoding="utf-8") as file:
                yield from _ExportStream(file, self.path.name).entries()
        except UnicodeDecodeError:
            raise ImportRefused(f"{self.path.name} is not UTF-8 text.") from None


class _ExportStream:
    """Reads `{"format": …, "version": …, "articles": [ {…}, … ], "comments": [ … ]}` one
    value at a time, whatever its whitespace, so memory does not grow with the file."""

    def __init__(self, file: IO[str], name: str) -> None:
        self.file = file
        self.name = name
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def entries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        self._expect("{", "is not a commentdesk export (not a JSON object)")
        header: dict[str, Any] = {}
        first = True
        while self._peek() not in ("}", ""):
            if not first:
                self._expect(",", "is not valid JSON")
            first = False
            name = self._value()
            if not isinstance(name, str):
                self._refuse("is not valid JSON")
            self._expect(":", "is not valid JSON")
            if name in _ARRAYS:
                # Our export writes format and version first: a file that does not is
                # refused before any of its data is read.
                self._check(header)
                for record in self._array(name):
                    yield name, record
            else:
                header[name] = self._value()
        self._expect("}", "is not valid JSON")
        self._check(header)

    def _check(self, header: dict[str, Any]) -> None:
        if header.get("format") != FORMAT:
            self._refuse(f'is not a commentdesk export (no "format": "{FORMAT}" before the data)')
        if header.get("version") != VERSION:
            self._refuse(
                f"is a commentdesk export of version {header.get('version')!r}; "
                f"this version reads version {VERSION}"
            )

    def _array(self, name: str) -> Iterator[dict[str, Any]]:
        self._expect("[", f'has no list of {name} after "{name}"')
        first = True
        while self._peek() not in ("]", ""):
            if not first:
                self._expect(",", "is not valid JSON")
            record = self._value()
            if not isinstance(record, dict):
                self._refuse(f"has an entry of {name} that is not a JSON object")
            yield record
            first = False
        self._expect("]", "is not valid JSON")

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self.eof:
                    self._refuse(
                        f"is not valid JSON ({error.msg}, line {error.lineno}); it may be truncated"
                    )
                self._fill()
                continue
            # A number at the very end of the buffer may go on in the next chunk.
            if end == len(self.buffer) and not self.eof:
                self._fill()
                continue
            self.pos = end
            return value

    def _peek(self) -> str:
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if self.eof:
                return ""
            self._fill()

    def _expect(self, char: str, problem: str) -> None:
        found = self._peek()
        if found != char:
            self._refuse(problem if found else "ends too early; it may be truncated")
        self.pos += 1

    def _fill(self) -> None:
        chunk = self.file.read(CHUNK)
        self.eof = not chunk
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0

    def _refuse(self, problem: str) -> None:
        raise ImportRefused(f"{self.name} {problem}; nothing was imported.")


def _article(record: dict[str, Any]) -> SourceArticle | Skipped:
    key = record.get("key")
    if not isinstance(key, str) or not key:
        return Skipped("?", "an article without a key")
    return SourceArticle(
        key=key,
        title=_text(record.get("title")),
        url=_text(record.get("url")),
        locked=record.get("locked") is True,
        closes_at=_time(record.get("closes_at")),
        moderation=_text(record.get("moderation")),
        created_at=_time(record.get("created_at")),
        create=True,
    )


def _comment(record: dict[str, Any]) -> SourceComment | Skipped:
    comment_id = record.get("id")
    if not isinstance(comment_id, int) or isinstance(comment_id, bool):
        return Skipped("?", "a comment without a numeric id")
    source_id = str(comment_id)
    article = record.get("article")
    if not isinstance(article, str) or not article:
        return Skipped(source_id, "a comment without an article")
    status = _status(record.get("status"))
    if status is None:
        return Skipped(source_id, f"unknown status {record.get('status')!r}")
    created = _time(record.get("created_at"))
    if created is None:
        return Skipped(source_id, "no valid created_at")
    try:
        body_format = BodyFormat(str(record.get("body_format")))
    except ValueError:
        return Skipped(source_id, f"unknown body_format {record.get('body_format')!r}")
    parent = record.get("parent_id")
    reasons = record.get("reasons")
    ip_hash = _text(record.get("ip_hash"))
    return SourceComment(
        source_id=source_id,
        parent_source_id=str(parent) if isinstance(parent, int) and parent else None,
        article_key=article,
        name=_text(record.get("name")) or "",
        email=_text(record.get("email")) or "",
        website=_text(record.get("website")),
        ip=None,
        created_at=created,
        body=_text(record.get("body")) or "",
        body_format=body_format,
        status=status,
        status_before_delete=_status(record.get("status_before_delete")),
        user_agent=_text(record.get("user_agent")),
        # Kept as it is: the IP it was made from was never stored. Under another SECRET_KEY
        # it no longer matches new comments from that client, and harms nothing.
        ip_hash=ip_hash if ip_hash and vault.is_keyed_hash(ip_hash) else None,
        reasons=tuple(
            {"code": r["code"], "message": r["message"]}
            for r in reasons
            if isinstance(r, dict)
            and isinstance(r.get("code"), str)
            and isinstance(r.get("message"), str)
        )
        if isinstance(reasons, list)
        else (),
        updated_at=_time(record.get("updated_at")),
        same_id=comment_id,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) else None


def _status(value: Any) -> CommentStatus | None:
    try:
        return CommentStatus(value) if isinstance(value, str) else None
    except ValueError:
        return None
