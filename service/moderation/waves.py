"""Coordinated waves in the pending queue: near-identical comments that carry evidence of
coordination (is_coordinated is the rule), with their members listed so that a moderator sees
who is in a wave before deciding all of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, or_, select

from service.extensions import db
from service.models import Article, Comment, CommentStatus
from service.moderation.queue import matches
from service.sites import scope

# Fewer copies than this are a coincidence, not a wave.
WAVE_MIN_SIZE = 3
# Short text repeated by many readers ("Great reporting, thanks!") is agreement, not a
# campaign: without a link, a wave's every copy must be at least this long.
WAVE_MIN_CHARS = 80
# Copies that all arrive within this window came together.
WAVE_WINDOW = timedelta(minutes=30)
# A wave whose addresses are at least this share new (no approved comment yet) is fresh.
WAVE_FRESH_SHARE = 0.5
# A wave lists at most this many of its members (all of them are decided).
WAVE_MEMBERS_SHOWN = 100


@dataclass(frozen=True)
class Filters:
    """The queue's filters a wave is seen (and decided) under."""

    article: str | None = None
    q: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class Evidence:
    """What a group of pending comments with one fingerprint shows."""

    size: int
    has_links: bool
    shortest: int  # characters of the shortest copy
    span: timedelta  # from the first copy to the last
    commenters: int  # distinct addresses
    clients: int  # distinct clients (ip hashes) known
    fresh: int  # addresses without any approved comment


def is_coordinated(evidence: Evidence) -> bool:
    """The wave rule: enough copies, with substance (a link, or more than a short remark),
    and one sign of coordination (close together, a client shared by several addresses, or
    mostly fresh addresses)."""
    if evidence.size < WAVE_MIN_SIZE:
        return False
    substantive = evidence.has_links or evidence.shortest >= WAVE_MIN_CHARS
    return substantive and bool(signs(evidence))


def signs(evidence: Evidence) -> list[str]:
    """The signs of coordination a group shows, in the words the queue shows them."""
    found = []
    if evidence.span <= WAVE_WINDOW:
        minutes = max(1, round(evidence.span.total_seconds() / 60))
        found.append(f"within {minutes} minute{'s' if minutes != 1 else ''}")
    if 0 < evidence.clients < evidence.commenters:
        clients = "one client" if evidence.clients == 1 else f"{evidence.clients} clients"
        found.append(f"{evidence.commenters} addresses from {clients}")
    if evidence.commenters and evidence.fresh >= evidence.commenters * WAVE_FRESH_SHARE:
        found.append(f"{evidence.fresh} new address{'es' if evidence.fresh != 1 else ''}")
    return found


def _pending(filters: Filters, sites: scope.Sites, *columns: Any) -> Select[Any]:
    """Pending comments with a fingerprint (or `columns` of them) on these sites, under the
    queue's filters (article, search)."""
    stmt = (
        select(*(columns or (Comment,)))
        .join(Article, Article.id == Comment.article_id)
        .where(
            Comment.status == CommentStatus.PENDING,
            Comment.fingerprint.is_not(None),
            scope.within(sites, Article.site_id),
        )
    )
    if filters.article:
        stmt = stmt.where(Article.key == filters.article)
    if filters.q:
        stmt = stmt.where(matches(filters.q))
    return stmt


def waves(filters: Filters, moderator_id: int | None, limit: int = 10) -> list[dict[str, Any]]:
    """The coordinated waves among the pending comments the queue's filters show on the
    moderator's sites, biggest first, each with its members."""
    sites = scope.listing(moderator_id, filters.site)
    found = [
        (fingerprint, evidence, articles)
        for fingerprint, evidence, articles in _groups(filters, sites)
        if is_coordinated(evidence)
    ][:limit]
    members = _members([fingerprint for fingerprint, _, _ in found], filters, sites)
    return [
        {
            "fingerprint": fingerprint,
            "count": evidence.size,
            "commenters": evidence.commenters,
            "articles": articles,
            "signs": signs(evidence),
            "links": evidence.has_links,
            "sample_html": members[fingerprint][0]["body_html"],
            "members": members[fingerprint][:WAVE_MEMBERS_SHOWN],
        }
        for fingerprint, evidence, articles in found
    ]


def _groups(filters: Filters, sites: scope.Sites) -> list[tuple[str, Evidence, int]]:
    """Every fingerprint shared by enough pending comments, with its evidence: one query."""
    shown = _pending(filters, sites).subquery()
    # Fresh on these sites: what other sites know of an address is not theirs to see.
    approved = (
        select(Comment.email_hash)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.status == CommentStatus.APPROVED, scope.within(sites, Article.site_id))
        .distinct()
        .subquery()
    )
    linked = or_(shown.c.body.contains("://"), func.lower(shown.c.body).contains("www."))
    rows = db.session.execute(
        select(
            shown.c.fingerprint,
            func.count().label("size"),
            func.max(case((linked, 1), else_=0)).label("links"),
            func.min(func.length(shown.c.body)).label("shortest"),
            func.min(shown.c.created_at).label("first"),
            func.max(shown.c.created_at).label("last"),
            func.count(shown.c.email_hash.distinct()).label("commenters"),
            func.count(shown.c.ip_hash.distinct()).label("clients"),
            func.count(
                case((approved.c.email_hash.is_(None), shown.c.email_hash)).distinct()
            ).label("fresh"),
            func.count(shown.c.article_id.distinct()).label("articles"),
        )
        .outerjoin(approved, approved.c.email_hash == shown.c.email_hash)
        .group_by(shown.c.fingerprint)
        .having(func.count() >= WAVE_MIN_SIZE)
        .order_by(func.count().desc(), shown.c.fingerprint)
    ).all()
    return [
        (
            row.fingerprint,
            Evidence(
                size=row.size,
                has_links=bool(row.links),
                shortest=row.shortest or 0,
                span=_span(row.first, row.last),
                commenters=row.commenters,
                clients=row.clients,
                fresh=row.fresh,
            ),
            row.articles,
        )
        for row in rows
    ]


def _span(first: datetime | None, last: datetime | None) -> timedelta:
    return last - first if first and last else timedelta(0)


def _members(
    fingerprints: list[str], filters: Filters, sites: scope.Sites
) -> dict[str, list[dict[str, Any]]]:
    """Each wave's comments, oldest first, as the wave lists them: one query."""
    if not fingerprints:
        return {}
    rows = db.session.execute(
        _pending(filters, sites)
        .add_columns(Article.key, Article.title)
        .where(Comment.fingerprint.in_(fingerprints))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    members: dict[str, list[dict[str, Any]]] = {}
    for comment, key, title in rows:
        members.setdefault(comment.fingerprint or "", []).append(
            {
                "id": comment.id,
                "name": comment.name,
                "article": key,
                "article_title": title,
                "created_at": comment.created_at,
                "body_html": comment.body_html,
            }
        )
    return members


def wave_ids(fingerprint: str, filters: Filters, moderator_id: int | None) -> list[int]:
    """The pending comments of one wave on the moderator's sites, under the filters they saw
    it with."""
    sites = scope.listing(moderator_id, filters.site)
    stmt = _pending(filters, sites, Comment.id).where(Comment.fingerprint == fingerprint)
    return list(db.session.scalars(stmt).all())
