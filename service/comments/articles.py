"""Articles: the site's own keys, created on first comment (or when a moderator prepares one
before it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import Result, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.comments import characters
from service.errors import ArticleClosed, ArticleNotFound, FieldError, InvalidTransition, NotAllowed
from service.extensions import db
from service.models import (
    Article,
    Comment,
    CommentStatus,
    ModerationMode,
    utcnow,
)
from service.ops.database import write_transaction
from service.sites import registry, scope

KEY_MAX = 255
# Where create_app keeps the short-lived cache of articles' feed state (see service/feed/caches.py).
STATE_CACHE = "commentdesk.article_states"


def check_key(key: str) -> str:
    if not key or len(key) > KEY_MAX:
        raise FieldError("article", f"An article key has 1 to {KEY_MAX} characters.")
    if characters.has_unstorable(key):
        raise FieldError(
            "article", "An article key cannot contain control characters (nor U+FFFE, U+FFFF)."
        )
    return key


def _of_site(key: str, site_id: int | None = None) -> Any:
    """The condition for the article `key` of the site (the current one, registry.current,
    unless named)."""
    site_id = registry.current().id if site_id is None else site_id
    return (Article.site_id == site_id) & (Article.key == key)


def title(key: str) -> str | None:
    """The article's title (from the widget or an import), if it has one."""
    return db.session.scalar(select(Article.title).where(_of_site(key)))


def _existing(session: Session, key: str, site_id: int) -> Article:
    article = session.scalars(select(Article).where(_of_site(key, site_id))).one_or_none()
    if article is None:
        raise ArticleNotFound(f"There is no article {key!r} (it has no comments yet).")
    return article


def _prepared(session: Session, key: str, site_id: int, moderator_id: int) -> Article:
    """The article a moderator configures, created (and audited) if nobody has commented on
    it yet: a sensitive story can be locked or pre-moderated before it is published."""
    locked = select(Article).where(_of_site(key, site_id)).with_for_update(key_share=True)
    if article := session.scalars(locked).one_or_none():
        return article
    article = lock_or_create(session, key, site_id)
    audit.record(
        session,
        AuditAction.PREPARE_ARTICLE,
        AuditActor.MODERATOR,
        moderator_id=moderator_id,
        article_id=article.id,
    )
    return article


def lock_or_create(session: Session, key: str, site_id: int | None = None) -> Article:
    """The article row (of the current site unless named), created if new and locked for
    this write transaction (a moderator's change to its settings). Not a key change:
    comments may still be added meanwhile."""
    site_id = registry.current().id if site_id is None else site_id
    where = {"site_id": site_id, "key": key}
    if article := session.scalars(_LOCKED_BY_KEY, where).one_or_none():
        if restarted := _restarted_at(session, article):
            article.created_at = restarted
        return article
    _create_missing(session, [key], site_id)
    return session.scalars(_LOCKED_BY_KEY, where).one()


_LOCKED_BY_KEY = (
    select(Article)
    .where(Article.site_id == bindparam("site_id"), Article.key == bindparam("key"))
    .with_for_update(key_share=True)
)


@dataclass(frozen=True)
class SubmittedTo:
    """The article a submission goes to, as read inside its write transaction: a plain row,
    not an ORM object, because loading one (and flushing it at the commit) cost a submission
    more than the read itself. What the submission changes on it is written by an UPDATE."""

    id: int
    site_id: int
    key: str
    created_at: datetime
    approved_count: int
    feed_version: int
    locked: bool
    surge_until: datetime | None
    title: str | None
    url: str | None
    closes_at: datetime | None
    moderation: ModerationMode | None


def for_submission(session: Session, key: str) -> SubmittedTo:
    """The article (of the current site) a submission goes to, created if new, not locked:
    submissions to one story must not queue on its row (its count is updated in place, see
    lifecycle)."""
    article = find(session, key)
    if article is None:
        _create_missing(session, [key])
        article = SubmittedTo(**_row_of(session, key).one()._mapping)
    if restarted := _restarted_at(session, article):
        session.execute(
            update(Article).where(Article.id == article.id).values(created_at=restarted)
        )
        article = dataclasses.replace(article, created_at=restarted)
    return article


def find(session: Session, key: str) -> SubmittedTo | None:
    """The article `key` of the current site as a submission reads it, if it exists."""
    row = _row_of(session, key).one_or_none()
    return SubmittedTo(**row._mapping) if row else None


_ROW_BY_KEY = select(*Article.__table__.columns).where(
    Article.site_id == bindparam("site_id"), Article.key == bindparam("key")
)


def _row_of(session: Session, key: str) -> Result[Any]:
    where = {"site_id": registry.current().id, "key": key}
    return session.connection().execute(_ROW_BY_KEY, where)


def _restarted_at(session: Session, article: Article | SubmittedTo) -> datetime | None:
    """CLOSE_AFTER_DAYS counts from an article's first comment: one a moderator prepared
    before anyone commented starts again (now) when its first comment comes. Looked at only
    when the age would close the article, so an ordinary submission pays nothing."""
    days = registry.by_id(article.site_id).close_after_days
    now = utcnow()
    if not days or article.created_at + timedelta(days=days) >= now:
        return None
    first = session.scalar(select(Comment.id).where(Comment.article_id == article.id).limit(1))
    return now if first is None else None


def ids_creating_missing(session: Session, keys: Collection[str]) -> dict[str, int]:
    """Each key's article id on the current site, creating the articles that do not exist yet
    (bulk, unlocked: for imports, which check no duplicates)."""
    _create_missing(session, keys)
    found = session.execute(
        select(Article.key, Article.id).where(
            Article.site_id == registry.current().id, Article.key.in_(keys)
        )
    )
    return dict(found.all())


def _create_missing(session: Session, keys: Collection[str], site_id: int | None = None) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two first comments may race to create the article; the loser just uses it.
    site_id = registry.current().id if site_id is None else site_id
    rows = [
        {"site_id": site_id, "key": key, "approved_count": 0, "feed_version": 0} for key in keys
    ]
    session.execute(insert(Article).values(rows).on_conflict_do_nothing())


def forget_states() -> None:
    """This worker stops trusting the article states it cached (counts, versions, lock and
    close date); other workers catch up within FEED_STATE_SECONDS."""
    current_app.extensions[STATE_CACHE].clear()


class Openable(Protocol):
    """An article row, or the feed's cached state of one (feed.ArticleState)."""

    # Read-only: the feed's cached state is a frozen dataclass.
    @property
    def site_id(self) -> int: ...
    @property
    def locked(self) -> bool: ...
    @property
    def closes_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> Any: ...


def check_open(article: Openable, now: datetime) -> None:
    """Refuse new comments on a locked article, one past its close date, or one past the
    site's closing age."""
    if article.locked:
        raise ArticleClosed("Comments on this article have been closed by the moderators.")
    if article.closes_at is not None and article.closes_at <= now:
        raise ArticleClosed(
            f"Comments on this article closed on {article.closes_at:%d %B %Y, %H:%M} UTC."
        )
    days = registry.by_id(article.site_id).close_after_days
    if days and article.created_at + timedelta(days=days) < now:
        raise ArticleClosed(f"Comments on this article closed {days} days after the first one.")


def accepts_comments(article: Openable, now: datetime) -> bool:
    """Whether a new comment on this article would be taken; one nobody has commented on
    yet (no `created_at`) would."""
    if article.created_at is None:
        return True
    try:
        check_open(article, now)
    except ArticleClosed:
        return False
    return True


def set_locked(
    key: str, locked: bool, moderator_id: int, note: str | None = None, site: str | None = None
) -> Article:
    """A moderator closes (or reopens) an article of one of their sites (`site`, else the
    request's) to new comments; audited."""
    check_key(key)
    site_id = scope.article_site(moderator_id, site).id
    with write_transaction() as session:
        article = _prepared(session, key, site_id, moderator_id)
        if article.locked == locked:
            state = "locked" if locked else "open"
            raise InvalidTransition(f"Article {key!r} is already {state}.")
        article.locked = locked
        audit.record(
            session,
            AuditAction.LOCK if locked else AuditAction.UNLOCK,
            AuditActor.MODERATOR,
            moderator_id=moderator_id,
            article_id=article.id,
            note=note or None,
        )
    forget_states()
    return article


TITLE_MAX = 300
URL_MAX = 2048
# Settings the site's admin may change; moderators may change the others (as they may lock).
ADMIN_SETTINGS = frozenset({"title", "url"})
SETTINGS = ADMIN_SETTINGS | {"closes_at", "moderation"}


def clean_title(title: str) -> str:
    """A page title as shown to moderators: one line, no control characters, bounded."""
    printable = "".join(" " if characters.has_unstorable(ch) else ch for ch in title)
    return " ".join(printable.split())[:TITLE_MAX]


def note_page(session: Session, article: SubmittedTo, title: str | None, url: str | None) -> None:
    """What the widget says the page is, kept the first time only: an admin's edit (or the
    first report) is not overwritten by every later comment. The caller has checked that
    both came from one of the site's own pages; nothing is ever fetched."""
    first_seen: dict[str, str | None] = {}
    if title and article.title is None and (cleaned := clean_title(title)):
        first_seen["title"] = cleaned
    if url and article.url is None and len(url) <= URL_MAX:
        first_seen["url"] = url
    if first_seen:
        session.execute(update(Article).where(Article.id == article.id).values(**first_seen))


def update_settings(
    key: str, changes: dict[str, Any], moderator_id: int, site: str | None = None
) -> dict[str, Any]:
    """Change the title, URL, close date or moderation mode of an article of one of the
    moderator's sites (`site`, else the request's); audited with the values before and
    after. Title and URL are for the site's admins."""
    check_key(key)
    unknown = set(changes) - SETTINGS
    if unknown:
        raise FieldError(sorted(unknown)[0], "This is not an article setting.")
    site_id = scope.article_site(moderator_id, site).id
    if ADMIN_SETTINGS & set(changes) and not scope.is_site_admin(moderator_id, site_id):
        raise NotAllowed(
            "Only admins (of every site or of this one) may change an article's title or URL."
        )
    if "title" in changes and changes["title"] is not None:
        changes["title"] = clean_title(changes["title"]) or None
    if changes.get("moderation") is not None:
        changes["moderation"] = ModerationMode(changes["moderation"])
    with write_transaction() as session:
        article = _prepared(session, key, site_id, moderator_id)
        before = {name: getattr(article, name) for name in changes}
        for name, value in changes.items():
            setattr(article, name, value)
        changed = {
            name: [_plain(before[name]), _plain(value)]
            for name, value in changes.items()
            if before[name] != value
        }
        if changed:
            audit.record(
                session,
                AuditAction.ARTICLE_SETTINGS,
                AuditActor.MODERATOR,
                moderator_id=moderator_id,
                article_id=article.id,
                data={"changes": changed},
            )
        session.flush()
        view = article_view(article, _pending_count(session, article.id))
    forget_states()
    return view


def _plain(value: Any) -> Any:
    """A setting's value as JSON can keep it in the audit log."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ModerationMode):
        return value.value
    return value


def _pending_count(session: Session, article_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Comment.article_id == article_id, Comment.status == CommentStatus.PENDING
            )
        )
        or 0
    )


def pending_by_key(keys: set[tuple[str, str]], moderator_id: int | None) -> dict[Any, int]:
    """Pending comments of each of these articles, named (site's slug, key), on the
    moderator's sites."""
    if not keys:
        return {}
    sites = scope.visible(moderator_id)
    rows = db.session.execute(
        select(Article.site_id, Article.key, func.count(Comment.id))
        .join(Comment, Comment.article_id == Article.id)
        .where(
            scope.within(sites, Article.site_id),
            Article.key.in_({key for _, key in keys}),
            Comment.status == CommentStatus.PENDING,
        )
        .group_by(Article.site_id, Article.key)
    ).all()
    counts = {(registry.by_id(site_id).slug, key): count for site_id, key, count in rows}
    return {pair: counts.get(pair, 0) for pair in keys}


def article_view(article: Article, pending: int) -> dict[str, Any]:
    return {
        "site": registry.by_id(article.site_id).slug,
        "article": article.key,
        "title": article.title,
        "url": article.url,
        "locked": article.locked,
        "closes_at": article.closes_at,
        "moderation": article.moderation.value if article.moderation else None,
        "approved_count": article.approved_count,
        "pending_count": pending,
        "created_at": article.created_at,
    }


def settings(key: str, moderator_id: int | None, site: str | None = None) -> dict[str, Any]:
    """The settings and counts of an article of one of the moderator's sites (`site`, else
    the request's)."""
    check_key(key)
    site_id = scope.article_site(moderator_id, site).id
    article = _existing(db.session(), key, site_id)
    return article_view(article, _pending_count(db.session(), article.id))


def settings_or_new(key: str, moderator_id: int, site: str | None = None) -> dict[str, Any] | None:
    """An article's settings, or the defaults of one nobody has commented on yet (`new`), which
    a moderator may prepare; `page_editable`: whether they may change its title and URL.
    None when the moderator names no site and none is implied (see scope.implied_site)."""
    found = scope.implied_site(moderator_id, site)
    if found is None:
        return None
    editable = {"page_editable": scope.is_site_admin(moderator_id, found.id)}
    try:
        return settings(key, moderator_id, found.slug) | {"new": False} | editable
    except ArticleNotFound:
        blank = Article(site_id=found.id, key=key, approved_count=0, locked=False)
        return article_view(blank, 0) | {"new": True} | editable


def page_editable(moderator_id: int, site: str | None = None) -> bool:
    """Whether the moderator may change the title and URL of the site's articles."""
    return scope.is_site_admin(moderator_id, scope.article_site(moderator_id, site).id)


def with_pending(
    q: str | None = None,
    limit: int = 100,
    moderator_id: int | None = None,
    site: str | None = None,
) -> list[dict[str, Any]]:
    """Articles of the moderator's sites (or the one named; every site for an operator's
    command), those with the most pending comments first (then the newest); `q` searches
    keys and titles."""
    pending = (
        select(Comment.article_id, func.count().label("pending"))
        .where(Comment.status == CommentStatus.PENDING)
        .group_by(Comment.article_id)
        .subquery()
    )
    count = func.coalesce(pending.c.pending, 0)
    stmt = (
        select(Article, count)
        .outerjoin(pending, pending.c.article_id == Article.id)
        .where(scope.within(scope.listing(moderator_id, site), Article.site_id))
    )
    if q and (needle := q.strip().lower()):
        stmt = stmt.where(
            or_(
                func.lower(Article.key).contains(needle, autoescape=True),
                func.lower(Article.title).contains(needle, autoescape=True),
            )
        )
    rows = db.session.execute(
        stmt.order_by(count.desc(), Article.created_at.desc(), Article.id.desc()).limit(limit)
    ).all()
    return [article_view(article, pending_count) for article, pending_count in rows]
