"""Use cases of the `notify` command (run from cron), one site at a time: the email digest of
the site's newly held comments to its recipients, and the alert to its receivers when its
oldest pending comment has waited too long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, func, select

from service.extensions import db
from service.models import Article, Comment, CommentStatus, Notification, NotificationKind, utcnow
from service.notifications import mail, messages
from service.notifications.messages import HeldComment, StaleQueue
from service.notifications.settings import NotifySettings
from service.notifications.webhook import deliver, notifier
from service.ops.config import ConfigError
from service.ops.database import write_transaction
from service.sites.registry import SiteSettings

# The digest lists this many comments in full, and counts the rest.
DIGEST_LISTED = 50


@dataclass(frozen=True)
class Report:
    """What one step of `notify` did, in a line for the operator; ok is False on a failure."""

    message: str
    ok: bool = True


def site_settings(site: SiteSettings) -> NotifySettings | Report:
    """The site's notification settings, or the failed Report saying what is wrong with them
    (an admin's edit may have left, say, a webhook without its secret)."""
    try:
        return notifier().settings.for_site(site)
    except ConfigError as error:
        return Report(f"Not sent: {error}", ok=False)


def send_digest(site: SiteSettings) -> Report:
    """Email the site's recipients its pending comments that no digest has listed yet.

    Each comment is marked only after the SMTP server took the message, so a failed run is
    retried in full by the next one (a comment may then be listed twice, never skipped)."""
    settings = site_settings(site)
    if isinstance(settings, Report):
        return settings
    if not settings.email_enabled:
        if settings.smtp_host and not site.is_default:
            return Report("Digest: the site has no digest recipients; skipped.")
        return Report("Digest: email is not configured (SMTP_HOST, NOTIFY_EMAIL_TO); skipped.")
    digested = (
        select(Notification.id)
        .where(Notification.kind == NotificationKind.DIGEST, Notification.comment_id == Comment.id)
        .exists()
    )
    ids = list(
        db.session.scalars(
            select(Comment.id)
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.status == CommentStatus.PENDING, Article.site_id == site.id, ~digested)
            .order_by(Comment.created_at, Comment.id)
        )
    )
    if not ids:
        return Report("Digest: no newly held comments.")
    rows = db.session.execute(
        select(Comment, Article.key)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.id.in_(ids[:DIGEST_LISTED]))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    listed = [HeldComment.of(comment, key) for comment, key in rows]
    # Nothing stays locked or open while the SMTP server takes its time.
    db.session.rollback()
    subject, text = messages.digest_email(listed, len(ids), settings)
    if not mail.send(settings, mail.message(settings, subject, text)):
        return Report("Digest: sending failed (see the log); the next run tries again.", ok=False)
    with write_transaction() as session:
        session.add_all(Notification(kind=NotificationKind.DIGEST, comment_id=i) for i in ids)
    recipients = len(settings.email_to)
    return Report(
        f"Digest: {len(ids)} held comment{'s' if len(ids) != 1 else ''} sent to "
        f"{recipients} recipient{'s' if recipients != 1 else ''}."
    )


def check_stale_queue(site: SiteSettings, now: datetime | None = None) -> Report:
    """Alert the site's receivers (webhook and/or email) when its oldest pending comment has
    waited longer than PENDING_ALERT_MINUTES; while its queue stays stale, again at most once
    per that time."""
    settings = site_settings(site)
    if isinstance(settings, Report):
        return settings
    threshold = settings.pending_alert_minutes
    if not threshold:
        return Report("Queue alert: off (PENDING_ALERT_MINUTES is 0).")
    if not (settings.webhook_enabled or settings.email_enabled):
        return Report("Queue alert: no webhook or email configured; skipped.")
    now = now or utcnow()
    pending = (Comment.status == CommentStatus.PENDING) & (Article.site_id == site.id)
    oldest = _oldest_pending(site.id)
    if oldest is None:
        return Report("Queue alert: nothing is pending.")
    waited = int((now - oldest.created_at).total_seconds() // 60)
    if waited < threshold:
        return Report(
            f"Queue alert: the oldest pending comment has waited {waited} min "
            f"(threshold {threshold}); no alert."
        )
    last_alert = _last_stale_alert(site.id)
    if last_alert is not None and now - last_alert < timedelta(minutes=threshold):
        return Report(
            f"Queue alert: already sent at {last_alert:%H:%M} UTC; not repeated before "
            f"{last_alert + timedelta(minutes=threshold):%H:%M} UTC."
        )
    stale = StaleQueue(
        pending=db.session.scalar(
            select(func.count())
            .select_from(Comment)
            .join(Article, Article.id == Comment.article_id)
            .where(pending)
        )
        or 0,
        oldest_id=oldest.id,
        oldest_article=oldest.key,
        oldest_created_at=oldest.created_at,
        waited_minutes=waited,
        threshold_minutes=threshold,
    )
    db.session.rollback()
    outcomes = _send_stale_alert(settings, stale)
    if not any(outcomes):
        return Report("Queue alert: sending failed (see the log).", ok=False)
    with write_transaction() as session:
        session.add(
            Notification(kind=NotificationKind.STALE_ALERT, comment_id=oldest.id, sent_at=now)
        )
    if not all(outcomes):
        return Report(f"Queue alert: {stale.summary} Sent on one channel only.", ok=False)
    return Report(f"Queue alert sent: {stale.summary}")


def _oldest_pending(site_id: int) -> Row[int, datetime, str] | None:
    return db.session.execute(
        select(Comment.id, Comment.created_at, Article.key)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.status == CommentStatus.PENDING, Article.site_id == site_id)
        .order_by(Comment.created_at, Comment.id)
        .limit(1)
    ).first()


def _last_stale_alert(site_id: int) -> datetime | None:
    # An alert is about its oldest comment, whose article says which site's it was.
    return db.session.scalar(
        select(Notification.sent_at)
        .join(Comment, Comment.id == Notification.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .where(Notification.kind == NotificationKind.STALE_ALERT, Article.site_id == site_id)
        .order_by(Notification.sent_at.desc())
        .limit(1)
    )


def _send_stale_alert(settings: NotifySettings, stale: StaleQueue) -> list[bool]:
    """Whether each configured channel (webhook, email) took the alert."""
    outcomes = []
    if settings.webhook_enabled:
        outcomes.append(deliver(settings, messages.stale_event(stale, settings)))
    if settings.email_enabled:
        subject, text = messages.stale_email(stale, settings)
        outcomes.append(mail.send(settings, mail.message(settings, subject, text)))
    return outcomes
