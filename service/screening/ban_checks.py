"""Whether a ban or suspension refuses a submission: the commenter (keyed email hash), their
email domain (or a parent domain) or their client (keyed IP hash). Moderators set and lift
bans in service/moderation/bans.py; this is the check the submission makes first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from service.errors import CommenterBanned, CommenterSuspended
from service.extensions import db
from service.models import Ban, BanKind, utcnow

BANNED_MESSAGE = "Comments from this address are not accepted."


def active(now: datetime) -> ColumnElement[bool]:
    return and_(Ban.lifted_at.is_(None), or_(Ban.until.is_(None), Ban.until > now))


def _domain_and_parents(domain: str) -> list[str]:
    # A ban of example.org covers mail.example.org too.
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] if domain else []


def check_allowed(email_hash: str, domain: str, ip_hash: str | None) -> None:
    """Refuse a submission from a banned or suspended commenter, domain or client; the
    submission use case calls this before it stores anything."""
    now = utcnow()
    matches = [
        and_(Ban.kind == BanKind.EMAIL, Ban.value == email_hash),
        and_(Ban.kind == BanKind.DOMAIN, Ban.value.in_(_domain_and_parents(domain))),
    ]
    if ip_hash:
        matches.append(and_(Ban.kind == BanKind.IP, Ban.value == ip_hash))
    ends = db.session.scalars(select(Ban.until).where(active(now), or_(*matches))).all()
    if not ends:
        return
    if any(until is None for until in ends):
        raise CommenterBanned(BANNED_MESSAGE)
    until = max(end for end in ends if end is not None)
    raise CommenterSuspended(
        "You cannot comment for the time being. You may comment again after "
        f"{until.strftime('%d %B %Y, %H:%M')} UTC."
    )
