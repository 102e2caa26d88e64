"""Atom documents of approved comments (feedgen writes the XML). Commenters appear by name
only: never an address, nor anything derived from one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator

from service.comments.characters import xml_text

# When there is nothing to date a feed by (no comment yet): a fixed, honest "never changed".
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedInfo:
    title: str
    self_url: str
    # The page readers read the comments on (the article, or the site), if known.
    page_url: str | None
    # Where one comment can be linked to, from its article key and id.
    comment_url: Callable[[str, int], str]
    # The authority part of the entries' tag: URIs (RFC 4151), e.g. comments.example.com.
    tag_authority: str


def document(info: FeedInfo, comments: list[dict[str, Any]]) -> bytes:
    """An Atom feed of `comments` (newest first, as feed.recent gives them)."""
    generator = FeedGenerator()
    self_url = xml_text(info.self_url)
    generator.id(self_url)
    generator.title(xml_text(info.title))
    generator.link(href=self_url, rel="self", type="application/atom+xml")
    if info.page_url:
        generator.link(href=xml_text(info.page_url), rel="alternate", type="text/html")
    generator.generator("commentdesk")
    generator.updated(max((_updated(c) for c in comments), default=_EPOCH))
    for comment in comments:
        entry = generator.add_entry(order="append")
        entry.id(
            f"tag:{info.tag_authority},{comment['created_at']:%Y-%m-%d}:comment-{comment['id']}"
        )
        name = xml_text(comment["name"])
        entry.title(f"{name} on {xml_text(comment['key'])}")
        entry.author({"name": name})
        entry.link(href=xml_text(info.comment_url(comment["key"], comment["id"])), rel="alternate")
        entry.published(comment["created_at"])
        entry.updated(_updated(comment))
        entry.content(xml_text(comment["body_html"]), type="html")
    feed: bytes = generator.atom_str(pretty=False)  # feedgen has no hints
    return feed


def _updated(comment: dict[str, Any]) -> datetime:
    updated: datetime = comment["edited_at"] or comment["created_at"]
    return updated
