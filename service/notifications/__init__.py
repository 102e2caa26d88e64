"""Telling moderators what waits for them: a signed webhook for each held comment, sent in the
background once the submission has committed, and the `notify` command's email digest and
stale-queue alert, run from cron."""

from __future__ import annotations

from service.models import Comment
from service.notifications.digest import Report, check_stale_queue, send_digest
from service.notifications.messages import HeldComment, held_event
from service.notifications.webhook import Notifier, init_app, notifier

__all__ = [
    "Notifier",
    "Report",
    "check_stale_queue",
    "comment_held",
    "init_app",
    "notifier",
    "send_digest",
]


def comment_held(comment: Comment, article_key: str) -> None:
    """Queue the webhook for a comment the policy just held; returns at once, never raises
    for a delivery problem. Call it after the comment's transaction committed."""
    sender = notifier()
    if sender.settings.webhook_enabled:
        sender.send(held_event(HeldComment.of(comment, article_key), sender.settings))
