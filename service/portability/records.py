"""What every import reader produces, and how a post's link becomes an article key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from service.models import BodyFormat, CommentStatus

# The reason a comment of a non-public post is held with (SourceComment.hold_reason).
HOLD_CODE = "private_post"


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
    # Why the comment is held although the source had it public (its post was private).
    hold_reason: str | None = None
    # Only a commentdesk export has these: the stored keyed hash of the IP (the IP itself
    # was never kept), the policy's reasons and the last change.
    ip_hash: str | None = None
    reasons: tuple[dict[str, str], ...] | None = None
    updated_at: datetime | None = None
    # The id it had where it was exported: in that same database, a comment with this id and
    # this creation time is this comment, and is not imported twice.
    same_id: int | None = None


@dataclass(frozen=True)
class SourceArticle:
    """What the source knows about an article beyond its comments (a post, a thread).

    It is applied when the import creates the article, so a re-run does not undo what a
    moderator changed since (a reopened article stays open); the title also fills in an
    article that has none yet. `create`: make the article even when no comment names it
    (a commentdesk export keeps articles without comments, such as a locked one)."""

    key: str
    title: str | None = None
    locked: bool = False
    url: str | None = None
    closes_at: datetime | None = None
    moderation: str | None = None
    created_at: datetime | None = None
    create: bool = False


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
            # An optional group that took no part in the match, or matched nothing.
            return (match.group(1) if match.groups() else match.group(0)) or None
        if self.mode == "url":
            return link or None
        try:
            parts = urlsplit(link)
        except ValueError:  # unbalanced brackets in the host ("http://[::1")
            return None
        path = unquote(parts.path).strip("/")
        # A site's front page ("https://example.org/") is an article too. Its key is "/",
        # which is also what the widget sends there by default (location.pathname). A link
        # with only a query ("/?p=12", WordPress's plain permalinks) is not the front page:
        # the slug names it.
        front = "/" if link and not path and not parts.query else None
        if self.mode == "slug":
            return slug or path.rsplit("/", 1)[-1] or front
        return path or front or slug or None

    def why_no_key(self, link: str) -> str:
        """Why key_for gave no key for this link, for the import's summary."""
        if not link.strip():
            return "no link to make an article key from"
        if self.pattern is not None:
            return "a link that --article-key-pattern does not match"
        return "a link that gives no article key"


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 time ("2024-05-01T10:00:00Z", or WordPress's "2024-05-01 10:00:00"), naive
    ones taken as UTC; None for anything else (WordPress writes "0000-00-00 00:00:00" for
    dates it never set)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
