"""Use case: write out every article and comment of a site (the current one: the command's
--site), moderator-only data included, as JSON (a backup, or data for another tool) or as a
WordPress WXR file (to move to WordPress, Isso, Remark42 or back into commentdesk). Both are
streamed: memory does not grow with the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO
from xml.sax.saxutils import escape

from sqlalchemy import select

from service.comments import views
from service.comments.characters import xml_text
from service.extensions import db
from service.models import Article, Comment, CommentStatus, utcnow
from service.portability import wordpress
from service.sites import registry

FORMAT = "commentdesk-export"
VERSION = 1
_WXR_STATE = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.REJECTED: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.DELETED: "trash",
}


def _comments(site_id: int) -> Iterator[tuple[Comment, str]]:
    stmt = (
        select(Comment, Article.key)
        .join(Article, Article.id == Comment.article_id)
        .where(Article.site_id == site_id)
        .order_by(Comment.article_id, Comment.id)
        .execution_options(yield_per=1000)
    )
    for comment, key in db.session.execute(stmt):
        yield comment, key
        db.session.expunge(comment)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_json(out: TextIO) -> int:
    """The site's articles and comments as one JSON document (schema in README: "Export");
    the count of comments."""
    site = registry.current()
    out.write(f'{{"format": "{FORMAT}", "version": {VERSION}, "site": {json.dumps(site.slug)}, ')
    out.write(f'"exported_at": {json.dumps(utcnow().isoformat())},\n"articles": [')
    stmt = (
        select(Article)
        .where(Article.site_id == site.id)
        .order_by(Article.id)
        .execution_options(yield_per=1000)
    )
    for index, article in enumerate(db.session.scalars(stmt)):
        record = {
            "key": article.key,
            "title": article.title,
            "url": article.url,
            "created_at": _iso(article.created_at),
            "locked": article.locked,
            "closes_at": _iso(article.closes_at),
            "moderation": article.moderation.value if article.moderation else None,
            "approved_count": article.approved_count,
        }
        out.write(("," if index else "") + "\n  " + json.dumps(record, ensure_ascii=False))
    out.write('\n],\n"comments": [')
    written = 0
    for comment, key in _comments(site.id):
        record = views.export_view(comment, key)
        out.write(("," if written else "") + "\n  " + json.dumps(record, ensure_ascii=False))
        written += 1
    out.write("\n]}\n")
    return written


def export_wxr(out: TextIO) -> int:
    """A WordPress WXR 1.2 file: one <item> per article, its comments as <wp:comment>.

    WordPress has no word for "rejected" and no place for Markdown or a deleted comment's
    earlier state: commentmeta keeps them, and the commentdesk importer reads it back. The
    links are the site's public URL and the article keys."""
    current = registry.current()
    site = (current.public_url or "https://commentdesk.invalid").rstrip("/")
    out.write(_WXR_HEAD.format(site=_text(site), date=utcnow().strftime("%a, %d %b %Y %H:%M:%S")))
    written = 0
    article: str | None = None
    # Titles and locks by key: one small row per article, read once.
    articles = {
        key: (title, locked)
        for key, title, locked in db.session.execute(
            select(Article.key, Article.title, Article.locked).where(Article.site_id == current.id)
        )
    }
    for comment, key in _comments(current.id):
        if key != article:
            if article is not None:
                out.write("\t</item>\n")
            out.write(_item(site, key, *articles[key]))
            article = key
        out.write(_wxr_comment(comment))
        written += 1
    if article is not None:
        out.write("\t</item>\n")
    out.write("</channel>\n</rss>\n")
    return written


def _text(value: str | None) -> str:
    return escape(xml_text(value or "", replacement=""))


def _item(site: str, key: str, title: str | None, locked: bool) -> str:
    link = key if key.startswith(("http://", "https://")) else f"{site}/{key.lstrip('/')}"
    slug = key.rstrip("/").rsplit("/", 1)[-1]
    # An empty <title> when the article has none (WordPress shows "(no title)"): the key in
    # its place would come back from an import as the title.
    return (
        "\t<item>\n"
        f"\t\t<title>{_text(title)}</title>\n\t\t<link>{_text(link)}</link>\n"
        f"\t\t<wp:post_name>{_text(slug)}</wp:post_name>\n"
        f"\t\t<wp:comment_status>{'closed' if locked else 'open'}</wp:comment_status>\n"
        "\t\t<wp:post_type>post</wp:post_type>\n\t\t<wp:status>publish</wp:status>\n"
        f"{_meta('postmeta', wordpress.ARTICLE_META, key)}"
    )


def _meta(kind: str, key: str, value: str) -> str:
    return (
        f"\t\t<wp:{kind}><wp:meta_key>{_text(key)}</wp:meta_key>"
        f"<wp:meta_value>{_text(value)}</wp:meta_value></wp:{kind}>\n"
    )


def _wxr_comment(comment: Comment) -> str:
    stamp = comment.created_at.strftime("%Y-%m-%d %H:%M:%S")
    fields = {
        "comment_id": str(comment.id),
        "comment_author": comment.name,
        "comment_author_email": views.email(comment) or "",
        "comment_author_url": comment.website or "",
        # Only a keyed hash of the IP is kept; WordPress has no field for it.
        "comment_author_IP": "",
        "comment_date": stamp,
        "comment_date_gmt": stamp,
        "comment_content": comment.body,
        "comment_approved": _WXR_STATE[comment.status],
        "comment_type": "comment",
        "comment_parent": str(comment.parent_id or 0),
        "comment_user_id": "0",
    }
    lines = "".join(f"\t\t\t<wp:{k}>{_text(v)}</wp:{k}>\n" for k, v in fields.items())
    meta = _meta("commentmeta", wordpress.STATUS_META, comment.status.value)
    meta += _meta("commentmeta", wordpress.FORMAT_META, comment.body_format)
    meta += _meta("commentmeta", wordpress.CREATED_META, comment.created_at.isoformat())
    if comment.status_before_delete:
        meta += _meta(
            "commentmeta", wordpress.BEFORE_DELETE_META, comment.status_before_delete.value
        )
    return f"\t\t<wp:comment>\n{lines}{meta}\t\t</wp:comment>\n"


_WXR_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<!-- A WordPress eXtended RSS file written by commentdesk: its comments, for import. -->
<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
\t<title>commentdesk export</title>
\t<link>{site}</link>
\t<pubDate>{date} +0000</pubDate>
\t<wp:wxr_version>1.2</wp:wxr_version>
\t<wp:base_site_url>{site}</wp:base_site_url>
\t<wp:base_blog_url>{site}</wp:base_blog_url>
"""
