"""Telling moderators what waits for them: a signed webhook for each held comment, sent in the
background once the submission has committed, and the `notify` command's email digest and
stale-queue alert, run from cron. Each site's go to its own receivers (its webhook, its
digest recipients; the default site's are the environment's)."""

from __future__ import annotations

import logging
from datetime import datetime

from service.models import Comment
from service.notifications.digest import Report, check_stale_queue, send_digest
from service.notifications.messages import HeldComment, held_event, surge_event
from service.notifications.settings import NotifySettings
from service.notifications.webhook import Notifier, init_app, notifier
from service.ops.config import ConfigError
from service.sites import registry

logger = logging.getLogger(__name__)

__all__ = [
    "Notifier",
    "NotifySettings",
    "Report",
    "check_stale_queue",
    "comment_held",
    "init_app",
    "notifier",
    "send_digest",
    "surge_started",
]


def comment_held(comment: Comment, article_key: str, site_id: int) -> None:
    """Queue the webhook to the site's receiver for a comment the policy just held; returns
    at once, never raises for a delivery problem. Call it after the comment's transaction
    committed."""
    if settings := _webhook_of(site_id):
        notifier().send(held_event(HeldComment.of(comment, article_key), settings), settings)


def surge_started(article_key: str, until: datetime, note: str, site_id: int) -> None:
    """Tell the site's moderators an article switched itself to pre-moderation (after the
    commit)."""
    if settings := _webhook_of(site_id):
        notifier().send(surge_event(article_key, until, note, settings), settings)


def _webhook_of(site_id: int) -> NotifySettings | None:
    """The site's settings when it has a webhook that can be sent; None otherwise. A site's
    mistake (a webhook without its secret) is logged, never the submission's failure."""
    site = registry.by_id(site_id)
    try:
        settings = notifier().settings.for_site(site)
    except ConfigError as error:
        logger.error("Webhook not sent for site %s: %s", site.slug, error)
        return None
    return settings if settings.webhook_enabled else None
