"""Reader for WordPress eXtended RSS (WXR) exports: the `wp:comment` elements of each item."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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

KIND = "WordPress (WXR)"
_STATES = {
    "1": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}
# Post states whose comments a reader of the site can see; any other (private, draft,
# pending, future, trash, or one WordPress adds later) keeps its comments held.
_PUBLIC_POSTS = {"publish", "inherit"}
_NOT_PUBLIC = {
    "private": "private",
    "draft": "a draft",
    "auto-draft": "a draft",
    "pending": "awaiting review, not published",
    "future": "scheduled, not yet published",
    "trash": "in the trash",
}
# Our own exports (exporter.py) say what WordPress has no word for.
STATUS_META = "commentdesk_status"
BEFORE_DELETE_META = "commentdesk_status_before_delete"
FORMAT_META = "commentdesk_format"
ARTICLE_META = "commentdesk_article"
CREATED_META = "commentdesk_created_at"


class WordPressReader:
    source = "wordpress"

    def __init__(self, path: Path, rule: ArticleKeyRule) -> None:
        self.path = path
        self.rule = rule

    def _items(self) -> Iterator[Element]:
        """Each <item> of the <channel>, parsed, then dropped."""
        for element in elements_at(self.path, KIND, "rss", depth=2):
            if element.tag == "item":
                yield element

    def validate(self) -> int:
        """Parse the whole file without storing anything; the number of comments in it."""
        return sum(len(item.findall("{*}comment")) for item in self._items())

    def records(self) -> Iterator[SourceArticle | SourceComment | Skipped]:
        for item in self._items():
            comments = item.findall("{*}comment")
            if not comments:
                continue
            link = text_of(item, "link")
            key = _post_meta(item, ARTICLE_META) or self.rule.key_for(
                link, text_of(item, "{*}post_name") or None
            )
            if key:
                yield SourceArticle(
                    key=key,
                    title=text_of(item, "title") or None,
                    locked=text_of(item, "{*}comment_status") == "closed",
                )
            no_key = self.rule.why_no_key(link)
            hold = _hold_reason(item)
            for comment in comments:
                yield _comment(comment, key, no_key, hold)


def _hold_reason(item: Element) -> str | None:
    """Why this post's comments must not be public here, or None for a published post.

    A post without wp:status (some converters write none) claims no privacy: public."""
    if text_of(item, "{*}post_password"):
        return "Its WordPress post is password-protected."
    state = text_of(item, "{*}status")
    if not state or state in _PUBLIC_POSTS:
        return None
    return f"Its WordPress post is {_NOT_PUBLIC.get(state, f'not published ({state})')}."


def _post_meta(item: Element, name: str) -> str | None:
    for meta in item.iterfind("{*}postmeta"):
        if text_of(meta, "{*}meta_key") == name:
            return text_of(meta, "{*}meta_value")
    return None


def _comment(
    comment: Element, article_key: str | None, no_key: str, hold: str | None
) -> SourceComment | Skipped:
    fields = {local_name(child.tag): child.text or "" for child in comment}
    meta = {
        text_of(m, "{*}meta_key"): text_of(m, "{*}meta_value")
        for m in comment.iterfind("{*}commentmeta")
    }
    source_id = fields.get("comment_id", "").strip()
    if not source_id:
        return Skipped("?", "no wp:comment_id")
    kind = fields.get("comment_type", "").strip()
    if kind not in ("", "comment"):
        return Skipped(source_id, f"a {kind}, not a comment")
    if not article_key:
        return Skipped(source_id, f"its post has {no_key}")
    approved = fields.get("comment_approved", "").strip()
    states = _states(approved, meta, hold)
    if states is None:
        return Skipped(source_id, f"unknown comment_approved {approved!r}")
    status, before = states
    created = (
        parse_time(meta.get(CREATED_META, ""))
        or parse_time(fields.get("comment_date_gmt", ""))
        or parse_time(fields.get("comment_date", ""))
    )
    if created is None:
        return Skipped(source_id, "no valid comment_date_gmt")
    parent = fields.get("comment_parent", "").strip()
    return SourceComment(
        source_id=source_id,
        parent_source_id=parent if parent not in ("", "0") else None,
        article_key=article_key,
        name=fields.get("comment_author", "").strip(),
        email=fields.get("comment_author_email", "").strip(),
        website=fields.get("comment_author_url", "").strip() or None,
        ip=fields.get("comment_author_IP", "").strip() or None,
        created_at=created,
        body=fields.get("comment_content", ""),
        body_format=(
            BodyFormat.MARKDOWN if meta.get(FORMAT_META) == "markdown" else BodyFormat.HTML
        ),
        status=status,
        status_before_delete=before,
        user_agent=fields.get("comment_agent", "").strip() or None,
        hold_reason=hold,
    )


def _states(
    approved: str, meta: Mapping[str, str | None], hold: str | None
) -> tuple[CommentStatus, CommentStatus | None] | None:
    """The comment's state and, if it is deleted, the state a restore returns it to; None if
    WordPress's state is one we do not know."""
    status = _our_status(meta.get(STATUS_META)) or _STATES.get(approved)
    if status is None:
        return None
    before = None
    if status == CommentStatus.DELETED:
        before = _our_status(meta.get(BEFORE_DELETE_META)) or _STATES.get(
            meta.get("_wp_trash_meta_status") or "", CommentStatus.PENDING
        )
    if hold and status == CommentStatus.APPROVED:
        status = CommentStatus.PENDING
    if hold and before == CommentStatus.APPROVED:
        # A restore must not make it public either.
        before = CommentStatus.PENDING
    return status, before


def _our_status(value: str | None) -> CommentStatus | None:
    try:
        return CommentStatus(value) if value else None
    except ValueError:
        return None
