"""Reader for Disqus XML exports: <thread> elements (one per page) and <post> elements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from service.models import BodyFormat, CommentStatus
from service.portability.records import (
    ArticleKeyRule,
    Skipped,
    SourceArticle,
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
        # Thread dsq:id -> what the posts need of it, learnt by validate(): threads are few
        # (one per page), and posts may name a thread that comes later in the file.
        self.threads: dict[str, _Thread] = {}
        self.announced: set[str] = set()

    def _elements(self) -> Iterator[Element]:
        """Each top-level <thread>, <post> or <category>, parsed, then dropped."""
        return elements_at(self.path, KIND, f"{DISQUS}disqus", depth=1)

    def validate(self) -> int:
        posts = 0
        for element in self._elements():
            name = local_name(element.tag)
            if name == "thread":
                link = text_of(element, f"{DISQUS}link")
                self.threads[element.get(DSQ_ID, "")] = _Thread(
                    key=self.rule.key_for(link),
                    no_key=self.rule.why_no_key(link),
                    title=text_of(element, f"{DISQUS}title") or None,
                    closed=_true(element, "isClosed"),
                    deleted=_true(element, "isDeleted"),
                )
            elif name == "post":
                posts += 1
        return posts

    def records(self) -> Iterator[SourceArticle | SourceComment | Skipped]:
        for element in self._elements():
            if local_name(element.tag) == "post":
                thread = self._thread_of(element)
                if thread and thread.key and thread.key not in self.announced:
                    self.announced.add(thread.key)
                    yield SourceArticle(thread.key, title=thread.title, locked=thread.closed)
                yield self._post(element, thread)

    def _thread_of(self, post: Element) -> _Thread | None:
        thread = post.find(f"{DISQUS}thread")
        return self.threads.get(thread.get(DSQ_ID, "")) if thread is not None else None

    def _post(self, post: Element, thread: _Thread | None) -> SourceComment | Skipped:
        source_id = post.get(DSQ_ID, "")
        if not source_id:
            return Skipped("?", "a post without dsq:id")
        if thread is None:
            return Skipped(source_id, "its thread is not in the file")
        key = thread.key
        if not key:
            return Skipped(source_id, f"its thread has {thread.no_key}")
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
        hold = "Its Disqus thread was deleted." if thread.deleted else None
        if hold and status == CommentStatus.APPROVED:
            status = CommentStatus.PENDING
        if hold and before == CommentStatus.APPROVED:
            before = CommentStatus.PENDING
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
            hold_reason=hold,
        )


@dataclass(frozen=True)
class _Thread:
    key: str | None
    no_key: str
    title: str | None
    closed: bool
    deleted: bool


def _true(post: Element, name: str) -> bool:
    return text_of(post, f"{DISQUS}{name}").lower() == "true"
