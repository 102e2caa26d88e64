"""The audit trail's words (who acted, what they did) and its one writer.

Every use case that changes something a moderator must be able to account for (a decision, a
ban, a note, an article setting, an erasure, an import) records it here, in the
caller's transaction; comment state changes come here only through the life-cycle core
(comments/lifecycle.py). It sits low in the house, beside the models, so any domain may
write to it without depending on the moderation pages that read it.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.orm import Session

from service.models import CommentStatus, ModerationEvent


class AuditActor(enum.StrEnum):
    """Who did what an audit event records; moderator_id is set only for a moderator."""

    MODERATOR = "moderator"
    COMMENTER = "commenter"
    SYSTEM = "system"


class AuditAction(enum.StrEnum):
    """What an audit event records (stored as these strings)."""

    # A moderator's decisions on comments, and the undo of one.
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    RESTORE = "restore"
    UNDO = "undo"
    # The commenter's own changes.
    EDIT = "edit"
    WITHDRAW = "withdraw"
    # A moderator's editorial hand on single comments.
    MODERATOR_EDIT = "moderator_edit"
    PIN = "pin"
    UNPIN = "unpin"
    # People: bans, suspensions and notes.
    BAN = "ban"
    SPAM_BAN = "spam_ban"
    LIFT_BAN = "lift_ban"
    NOTE = "note"
    # Articles.
    LOCK = "lock"
    UNLOCK = "unlock"
    ARTICLE_SETTINGS = "article_settings"
    # A moderator configures an article before its first comment, which creates it.
    PREPARE_ARTICLE = "prepare_article"
    SURGE_ON = "surge_on"
    SURGE_OFF = "surge_off"
    # Data: erasure, retention, imports.
    ERASE = "erase"
    PURGE = "purge"
    IMPORT = "import"
    # An admin's sites, and the moderators granted each.
    SITE_ADD = "site_add"
    SITE_CHANGE = "site_change"
    SITE_REMOVE = "site_remove"
    SITE_GRANT = "site_grant"
    SITE_REVOKE = "site_revoke"


# What a moderator's decision (or its undo) did to a comment, in the words the queue's
# messages and the CLI's summaries use.
PAST_TENSE: dict[AuditAction, str] = {
    AuditAction.APPROVE: "approved",
    AuditAction.REJECT: "rejected",
    AuditAction.SPAM: "marked as spam",
    AuditAction.DELETE: "deleted",
    AuditAction.RESTORE: "restored",
    AuditAction.UNDO: "put back",
}


def record(
    session: Session,
    action: AuditAction,
    actor: AuditActor,
    *,
    moderator_id: int | None = None,
    comment_id: int | None = None,
    article_id: int | None = None,
    ban_id: int | None = None,
    commenter_hash: str | None = None,
    from_status: CommentStatus | None = None,
    to_status: CommentStatus | None = None,
    note: str | None = None,
    batch: str | None = None,
    data: dict[str, Any] | None = None,
) -> ModerationEvent:
    """Add one audit event to the caller's transaction, so it commits with what it records.
    Comment state changes come here only through the life-cycle core (comments/lifecycle.py)."""
    event = ModerationEvent(
        action=action.value,
        actor=actor.value,
        moderator_id=moderator_id,
        comment_id=comment_id,
        article_id=article_id,
        ban_id=ban_id,
        commenter_hash=commenter_hash,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note,
        batch=batch,
        data=data,
    )
    session.add(event)
    return event
