"""Reader for Disqus XML exports: <thread> elements (one per page) and <post> elements."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from service.models import CommentStatus
from service.portability.records import (
    ArticleKeyRule,
    BodyFormat,
    Skipped,
    SourceComment,
    parse_time,
)
from service.portability.xmlstream import elements_at, local_name, text_of

KIND = "Disqus"
DISQUS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


class DisqusReader:
    source = "disqus"

    def __init__(self, path: Path, rule: ArticleKeyRule) -> None:
        self.path = path
        self.rule = rule
        # Thread dsq:id -> article key, learnt by validate(): threads are few (one per
        # page), and posts may name a thread that comes later in the file.
        self.threads: dict[str, str | None] = {}

    def _elements(self) -> Iterator[Element]:
        """Each top-level <thread>, <post> or <category>, parsed, then dropped."""
        return elements_at(self.path, KIND, f"{DISQUS}disqus", depth=1)

    def validate(self) -> int:
        posts = 0
        for element in self._elements():
            name = local_name(element.tag)
            if name == "thread":
                link = text_of(element, f"{DISQUS}link")
                self.threads[element.get(DSQ_ID, "")] = self.rule.key_for(link)
            elif name == "post":
                posts += 1
        return posts

    def records(self) -> Iterator[SourceComment | Skipped]:
        for element in self._elements():
            if local_name(element.tag) == "post":
                yield self._post(element)

    def _post(self, post: Element) -> SourceComment | Skipped:
        source_id = post.get(DSQ_ID, "")
        if not source_id:
            return Skipped("?", "a post without dsq:id")
        thread = post.find(f"{DISQUS}thread")
        key = self.threads.get(thread.get(DSQ_ID, "")) if thread is not None else None
        if not key:
            return Skipped(source_id, "its thread is missing or has no link")
        created = parse_time(text_of(post, f"{DISQUS}createdAt"))
        if created is None:
            return Skipped(source_id, "no valid createdAt")
        spam = _true(post, "isSpam")
        status = CommentStatus.SPAM if spam else CommentStatus.APPROVED
        if post.find(f"{DISQUS}isApproved") is not None and not _true(post, "isApproved"):
            status = CommentStatus.PENDING
        before = None
        if _true(post, "isDeleted"):
            status, before = CommentStatus.DELETED, status
        parent = post.find(f"{DISQUS}parent")
        author = post.find(f"{DISQUS}author")
        return SourceComment(
            source_id=source_id,
            parent_source_id=parent.get(DSQ_ID) if parent is not None else None,
            article_key=key,
            name=text_of(author, f"{DISQUS}name") if author is not None else "",
            email=text_of(author, f"{DISQUS}email") if author is not None else "",
            website=None,
            ip=text_of(post, f"{DISQUS}ipAddress") or None,
            created_at=created,
            body=post.findtext(f"{DISQUS}message") or "",
            body_format=BodyFormat.HTML,
            status=status,
            status_before_delete=before,
        )


def _true(post: Element, name: str) -> bool:
    return text_of(post, f"{DISQUS}{name}").lower() == "true"
