"""Telling moderators what waits for them: a signed webhook for each held comment, sent in the
background once the submission has committed, and the `notify` command's email digest and
stale-queue alert, run from cron."""

from __future__ import annotations

from datetime import datetime

from service.models import Comment
from service.notifications.digest import Report, check_stale_queue, send_digest
from service.notifications.messages import HeldComment, held_event, surge_event
from service.notifications.webhook import Notifier, init_app, notifier

__all__ = [
    "Notifier",
    "Report",
    "check_stale_queue",
    "comment_held",
    "init_app",
    "notifier",
    "send_digest",
    "surge_started",
]


def comment_held(comment: Comment, article_key: str) -> None:
    """Queue the webhook for a comment the policy just held; returns at once, never raises
    for a delivery problem. Call it after the comment's transaction committed."""
    sender = notifier()
    if sender.settings.webhook_enabled:
        sender.send(held_event(HeldComment.of(comment, article_key), sender.settings))


def surge_started(article_key: str, until: datetime, note: str) -> None:
    """Tell moderators an article switched itself to pre-moderation (after the commit)."""
    sender = notifier()
    if sender.settings.webhook_enabled:
        sender.send(surge_event(article_key, until, note, sender.settings))
