"""Articles: the site's own keys, created on first comment."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.database import write_transaction
from service.errors import ArticleClosed, ArticleNotFound, FieldError, InvalidTransition
from service.extensions import db
from service.models import Article, ModerationEvent

KEY_MAX = 255
# Where create_app keeps the short-lived cache of articles' feed state (see service/caches.py).
STATE_CACHE = "commentdesk.article_states"


def check_key(key: str) -> str:
    if not key or len(key) > KEY_MAX:
        raise FieldError("article", f"An article key has 1 to {KEY_MAX} characters.")
    if any(unicodedata.category(ch) == "Cc" for ch in key):
        raise FieldError("article", "An article key cannot contain control characters.")
    return key


def find(key: str) -> Article | None:
    return db.session.scalars(select(Article).where(Article.key == key)).one_or_none()


def lock_or_create(session: Session, key: str) -> Article:
    """The article row, created if new and locked for this write transaction.

    The lock (row lock on PostgreSQL; SQLite's write transaction locks everything) serialises
    submissions to one article, so duplicate checks cannot race each other.
    """
    locked = select(Article).where(Article.key == key).with_for_update()
    if article := session.scalars(locked).one_or_none():
        return article
    _create_missing(session, [key])
    return session.scalars(locked).one()


def ids_creating_missing(session: Session, keys: Collection[str]) -> dict[str, int]:
    """Each key's article id, creating the articles that do not exist yet (bulk, unlocked:
    for imports, which check no duplicates)."""
    _create_missing(session, keys)
    found = session.execute(select(Article.key, Article.id).where(Article.key.in_(keys)))
    return dict(found.all())


def _create_missing(session: Session, keys: Collection[str]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two first comments may race to create the article; the loser just uses it.
    rows = [{"key": key, "approved_count": 0, "feed_version": 0} for key in keys]
    session.execute(insert(Article).values(rows).on_conflict_do_nothing())


def record_public_change(session: Session, article_id: int, approved_delta: int) -> None:
    """The set of public comments changed: adjust the count and invalidate cached feeds."""
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            approved_count=Article.approved_count + approved_delta,
            feed_version=Article.feed_version + 1,
        )
    )
    # This worker stops trusting what it cached; other workers catch up within seconds.
    current_app.extensions[STATE_CACHE].clear()


def check_open(article: Article, now: datetime) -> None:
    """Refuse new comments on a locked article, or one past the site's closing age."""
    if article.locked:
        raise ArticleClosed("Comments on this article have been closed by the moderators.")
    days = current_app.config["CLOSE_AFTER_DAYS"]
    if days and article.created_at + timedelta(days=days) < now:
        raise ArticleClosed(f"Comments on this article closed {days} days after the first one.")


def set_locked(key: str, locked: bool, moderator_id: int, note: str | None = None) -> Article:
    """A moderator closes (or reopens) an article to new comments; audited."""
    check_key(key)
    with write_transaction() as session:
        article = session.scalars(select(Article).where(Article.key == key)).one_or_none()
        if article is None:
            raise ArticleNotFound(f"There is no article {key!r} (it has no comments yet).")
        if article.locked == locked:
            state = "locked" if locked else "open"
            raise InvalidTransition(f"Article {key!r} is already {state}.")
        article.locked = locked
        session.add(
            ModerationEvent(
                article_id=article.id,
                moderator_id=moderator_id,
                actor="moderator",
                action="lock" if locked else "unlock",
                note=note or None,
            )
        )
    return article
