"""Surge mode: an article flooded with submissions (or spam) switches itself to
pre-moderation for a cool-down, and every switch is an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, literal, select, update
from sqlalchemy.orm import Session

from service import audit
from service.audit import AuditAction, AuditActor
from service.models import (
    Article,
    Comment,
    CommentStatus,
)


@dataclass(frozen=True)
class SurgeState:
    until: datetime | None
    # Set when this submission started the surge: what moderators are told.
    started_because: str | None = None


class SurgeSubject(Protocol):
    """An article as a submission reads it (a plain row) or as an ORM object."""

    @property
    def id(self) -> int: ...
    @property
    def surge_until(self) -> datetime | None: ...


def in_force(article: SurgeSubject, now: datetime) -> datetime | None:
    """Until when the article's surge holds comments, if one does now (read only)."""
    if article.surge_until is not None and article.surge_until > now:
        return article.surge_until
    return None


def refresh(
    session: Session, article: SurgeSubject, now: datetime, locked: bool = False
) -> SurgeState:
    """Called for each submission inside its write transaction. The article row is not
    locked (submissions to one story run side by side) until a switch is due: then it is,
    and judged again, so two submissions never both switch."""
    config = current_app.config
    if article.surge_until is not None:
        if article.surge_until > now:
            return SurgeState(article.surge_until)
        if not locked:
            return _judged_again_locked(session, article, now)
        _switch(
            session,
            article,
            None,
            AuditAction.SURGE_OFF,
            "Cool-down over: back to the site's mode.",
        )
    threshold, spam_threshold = config["SURGE_SUBMISSIONS"], config["SURGE_SPAM"]
    if not threshold and not spam_threshold:
        return SurgeState(None)
    since = now - timedelta(seconds=config["SURGE_WINDOW_SECONDS"])
    recent, recent_spam = recent_counts(
        session, article.id, since, most=threshold, most_spam=spam_threshold + 1
    )
    minutes = config["SURGE_WINDOW_SECONDS"] // 60
    if threshold and recent + 1 >= threshold:
        many = f"{recent + 1}" if recent < threshold else f"More than {threshold}"
        note = f"{many} submissions in {minutes} minutes (threshold {threshold})."
    elif spam_threshold and recent_spam >= spam_threshold:
        many = f"{recent_spam}" if recent_spam == spam_threshold else f"More than {spam_threshold}"
        note = f"{many} spam submissions in {minutes} minutes (threshold {spam_threshold})."
    else:
        return SurgeState(None)
    if not locked:
        return _judged_again_locked(session, article, now)
    until = now + timedelta(seconds=config["SURGE_COOLDOWN_SECONDS"])
    _switch(session, article, until, AuditAction.SURGE_ON, note)
    return SurgeState(until, started_because=note)


def _counted_up_to(*where: ColumnElement[bool], most: str) -> ScalarSelect[int]:
    """How many comments match, counted no further than the bound parameter `most`: a
    threshold needs no more, and a story with thousands of comments in the window would
    otherwise have them all counted for every submission."""
    matching = select(literal(1)).where(*where).limit(bindparam(most)).subquery()
    return select(func.count()).select_from(matching).scalar_subquery()


# Built once: every submission runs it.
_IN_WINDOW = (
    Comment.article_id == bindparam("article_id"),
    Comment.created_at >= bindparam("since"),
)
_RECENT = select(
    _counted_up_to(*_IN_WINDOW, most="most"),
    _counted_up_to(*_IN_WINDOW, Comment.status == CommentStatus.SPAM, most="most_spam"),
)


def recent_counts(
    session: Session, article_id: int, since: datetime, most: int, most_spam: int
) -> tuple[int, int]:
    """Submissions to the article since then, and how many of them were spam, each counted
    up to `most` (`most_spam`) at most."""
    total, spam = session.execute(
        _RECENT, {"article_id": article_id, "since": since, "most": most, "most_spam": most_spam}
    ).one()
    return total, spam


def _judged_again_locked(session: Session, article: SurgeSubject, now: datetime) -> SurgeState:
    # Flushed first: reading the row again would drop what this transaction changed on it.
    session.flush()
    current = session.get_one(Article, article.id, with_for_update=True, populate_existing=True)
    return refresh(session, current, now, locked=True)


def _switch(
    session: Session,
    article: SurgeSubject,
    until: datetime | None,
    action: AuditAction,
    note: str,
) -> None:
    session.execute(update(Article).where(Article.id == article.id).values(surge_until=until))
    audit.record(session, action, AuditActor.SYSTEM, article_id=article.id, note=note)
