"""What every import reader produces, and how a post's link becomes an article key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from service.models import CommentStatus


class BodyFormat(StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class SourceComment:
    """One comment as the source system had it, before anything is hashed or encrypted."""

    source_id: str
    parent_source_id: str | None
    article_key: str
    name: str
    email: str
    website: str | None
    ip: str | None
    created_at: datetime
    body: str
    body_format: BodyFormat
    status: CommentStatus
    status_before_delete: CommentStatus | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A record of the source that is not a comment to import, and why."""

    source_id: str
    reason: str


class ImportRefused(Exception):
    """The file cannot be imported at all (hostile, malformed, not the expected format)."""


class ArticleKeyRule:
    """How the link of a post becomes the site's article key.

    `path` (default): the URL path without surrounding slashes, "2024/05/hello-world";
    `slug`: its last segment; `url`: the whole link; or a regular expression whose first
    group (or whole match) is the key.
    """

    MODES = ("path", "slug", "url")

    def __init__(self, mode: str = "path", pattern: str | None = None) -> None:
        if mode not in self.MODES:
            raise ValueError(f"article key rule must be one of {', '.join(self.MODES)}")
        self.mode = mode
        self.pattern = re.compile(pattern) if pattern else None

    def key_for(self, link: str, slug: str | None = None) -> str | None:
        link = link.strip()
        if self.pattern is not None:
            match = self.pattern.search(link)
            if match is None:
                return None
            return match.group(1) if match.groups() else match.group(0)
        if self.mode == "url":
            return link or None
        path = unquote(urlsplit(link).path).strip("/")
        if self.mode == "slug":
            return slug or path.rsplit("/", 1)[-1] or None
        return path or slug or None


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 time ("2024-05-01T10:00:00Z", or WordPress's "2024-05-01 10:00:00"), naive
    ones taken as UTC; None for anything else (WordPress writes "0000-00-00 00:00:00" for
    dates it never set)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
