"""The audit trail as moderators read it, newest first: every decision, ban, note and setting
change (service/audit.py writes it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from service import cursors
from service.extensions import db
from service.models import (
    Article,
    Ban,
    Comment,
    ModerationEvent,
    Moderator,
    ModeratorRole,
    SiteGrant,
)
from service.sites import scope


def events_page(
    viewer_id: int | None,
    comment_id: int | None = None,
    moderator: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The audit trail as `viewer_id` may read it, newest first; each event names its
    article (a comment's, or the one a lock or surge switch was about)."""
    stmt = (
        select(ModerationEvent, Moderator.username, Article.key)
        .outerjoin(Moderator, Moderator.id == ModerationEvent.moderator_id)
        .outerjoin(Comment, Comment.id == ModerationEvent.comment_id)
        .outerjoin(
            Article, Article.id == func.coalesce(ModerationEvent.article_id, Comment.article_id)
        )
    )
    sites = scope.visible(viewer_id)
    if sites is not None:
        stmt = stmt.outerjoin(Ban, Ban.id == ModerationEvent.ban_id).where(
            _on_sites(sites, viewer_id)
        )
    if comment_id is not None:
        stmt = stmt.where(ModerationEvent.comment_id == comment_id)
    if moderator:
        stmt = stmt.where(Moderator.username == moderator)
    found = cursors.by_id_newest(
        stmt,
        ModerationEvent.id,
        cursor,
        limit,
        fetch=lambda page_stmt: db.session.execute(page_stmt).all(),
        key=lambda row: int(row[0].id),
    )
    events = [
        {
            "id": event.id,
            "comment_id": event.comment_id,
            "article": article,
            "moderator": username,
            "actor": event.actor,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.note,
            "ban_id": event.ban_id,
            "commenter_hash": event.commenter_hash,
            "data": event.data,
            "created_at": event.created_at,
        }
        for event, username, article in found.rows
    ]
    return {"events": events, "next_cursor": found.next_cursor}


def _on_sites(sites: frozenset[int], viewer_id: int | None) -> ColumnElement[bool]:
    """The events a moderator of these sites may read: those about their sites' articles
    and comments, about bans on their sites (or on every site, which holds on theirs too),
    and their own that concern no article nor ban (a note about a commenter)."""
    return or_(
        Article.site_id.in_(sites),
        and_(
            ModerationEvent.ban_id.is_not(None), or_(Ban.site_id.in_(sites), Ban.site_id.is_(None))
        ),
        and_(
            Article.id.is_(None),
            ModerationEvent.ban_id.is_(None),
            ModerationEvent.moderator_id == viewer_id,
        ),
    )


def moderator_names(viewer_id: int | None) -> list[str]:
    """The moderators whose actions the viewer may filter the log by: everyone for an admin,
    else the admins and those who share one of the viewer's sites."""
    stmt = select(Moderator.username).order_by(Moderator.username)
    sites = scope.visible(viewer_id)
    if sites is not None:
        sharing = select(SiteGrant.moderator_id).where(SiteGrant.site_id.in_(sites))
        stmt = stmt.where(or_(Moderator.role == ModeratorRole.ADMIN, Moderator.id.in_(sharing)))
    return list(db.session.scalars(stmt))
