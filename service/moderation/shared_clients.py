"""Client addresses that many commenters share: a proxy, an office or a mobile network. The
ban form warns before an IP ban on one of them, which would refuse every one of those people.

The rule, as moderators read it: an address is shared when SHARED_CLIENT_COMMENTERS or more
different commenters (email addresses) wrote from it in the last SHARED_CLIENT_DAYS days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from service.extensions import db
from service.models import Comment

SHARED_CLIENT_COMMENTERS = 3
SHARED_CLIENT_DAYS = 30


def commenters_sharing_client(comment_ids: Iterable[int]) -> dict[int, int]:
    """For each of these comments whose client address is shared (the rule above), how many
    different commenters wrote from it; comments from an unshared address are left out."""
    ids = list(comment_ids)
    if not ids:
        return {}
    other = aliased(Comment)
    since = datetime.now(UTC) - timedelta(days=SHARED_CLIENT_DAYS)
    commenters = func.count(other.email_hash.distinct())
    rows = db.session.execute(
        select(Comment.id, commenters)
        .join(other, other.ip_hash == Comment.ip_hash)
        .where(Comment.id.in_(ids), other.created_at >= since)
        .group_by(Comment.id)
        .having(commenters >= SHARED_CLIENT_COMMENTERS)
    ).all()
    return {comment_id: count for comment_id, count in rows}
