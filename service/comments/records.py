"""A comment as a complete record, moderator-only data included: what the JSON export and a
commenter's own data export both write. And the name a comment carries when its commenter
has none (an import) or none any more (an erasure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.models import Comment
from service.privacy import vault

# The name of a commenter with none (an import), or with none any more (an erasure).
ANONYMOUS = "Anonymous"


def comment_record(comment: Comment, article_key: str) -> dict[str, Any]:
    """One comment as the JSON export (and the privacy export) describe it."""
    return {
        "id": comment.id,
        "article": article_key,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "status": comment.status.value,
        "status_before_delete": (
            comment.status_before_delete.value if comment.status_before_delete else None
        ),
        "name": comment.name,
        "email": email_of(comment),
        "email_hash": comment.email_hash or None,
        "website": comment.website,
        "body": comment.body,
        "body_format": comment.body_format,
        "body_html": comment.body_html,
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "ip_hash": comment.ip_hash,
        "user_agent": comment.user_agent,
        "reasons": comment.reasons,
    }


def email_of(comment: Comment) -> str | None:
    return vault.vault().decrypt(comment.email_encrypted) if comment.email_encrypted else None


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
