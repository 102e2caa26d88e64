"""How a comment is shown to each audience, in one place: readers (`public_view`), the
commenter who wrote it (`commenter_view`), moderators (`moderator_view`) and exports
(`export_view`). Only the moderator and export shapes carry the address."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from service.models import Comment, CommentStatus
from service.privacy import vault


def avatar_path(email_hash: str) -> str:
    return f"/api/v1/avatars/{vault.vault().avatar_seed(email_hash)}.svg"


def public_view(
    comment: Comment | Row[*tuple[Any, ...]], parent_removed: bool = False
) -> dict[str, Any]:
    """What readers see of a comment (an ORM object or a feed query row): never an address,
    an IP or moderation data."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "parent_removed": parent_removed,
        "name": comment.name,
        "website": comment.website,
        "avatar": avatar_path(comment.email_hash),
        "body_html": comment.body_html,
        "created_at": comment.created_at,
        "moderator_edited": comment.moderator_edited_at is not None,
        "pinned": comment.pinned_at is not None,
        "edited": comment.edited_at is not None,
    }


def commenter_view(comment: Comment) -> dict[str, Any]:
    """What the commenter is answered after submitting or editing: the public view and
    whether it is visible yet."""
    # Held, spam or rejected all read "pending" to the commenter: a spammer learns nothing.
    status = "approved" if comment.status == CommentStatus.APPROVED else "pending"
    return public_view(comment) | {"status": status}


def moderator_view(comment: Comment, article_key: str) -> dict[str, Any]:
    """A comment as moderators see it: private fields included."""
    return {
        "id": comment.id,
        "article": article_key,
        "parent_id": comment.parent_id,
        "status": comment.status,
        "name": comment.name,
        "email": vault.vault().decrypt(comment.email_encrypted),
        "email_hash": comment.email_hash,
        "website": comment.website,
        "body": comment.body,
        "body_html": comment.body_html,
        "reasons": comment.reasons,
        "ip_hash": comment.ip_hash,
        "user_agent": comment.user_agent,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "moderator_edited_at": comment.moderator_edited_at,
        "pinned": comment.pinned_at is not None,
    }


def export_view(comment: Comment, article_key: str) -> dict[str, Any]:
    """One comment as the JSON export (and the privacy export) describe it: plain JSON
    values only, so that an importer reads it back."""
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
        "email": email(comment),
        "email_hash": comment.email_hash or None,
        "website": comment.website,
        "body": comment.body,
        "body_format": comment.body_format.value,
        "body_html": comment.body_html,
        "created_at": _iso(comment.created_at),
        "updated_at": _iso(comment.updated_at),
        "ip_hash": comment.ip_hash,
        "user_agent": comment.user_agent,
        "reasons": comment.reasons,
    }


def email(comment: Comment) -> str | None:
    """The comment's address for a private export, None where it was erased or never given."""
    return vault.vault().decrypt(comment.email_encrypted) if comment.email_encrypted else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
