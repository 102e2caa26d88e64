"""'My comments' for commenters without accounts: when they ask for it with a comment, an
email with a signed, expiring link; the link opens a page of that address's comments where
the commenter can withdraw one, download their data, or erase it, with no moderator involved.

Off unless SMTP_HOST, NOTIFY_EMAIL_FROM and PUBLIC_URL are set and MY_COMMENTS_LINK_HOURS is
above 0. The address travels sealed in the link (email_vault.seal_address: encrypted and
authenticated under a key of its own), so neither the link nor a log of it shows it.

A link is for the site the commenter commented on: the site travels sealed with the address,
and the page lists, withdraws, exports and erases only that site's comments (a commenter of
one site learns nothing of another's).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, func, select, text

from service.comments import lifecycle
from service.errors import CommentNotFound, InvalidTransition, LinkExpired, LinkInvalid
from service.extensions import db
from service.models import Article, Comment, CommentStatus, LinkMail, ModerationEvent, utcnow
from service.notifications import mail, notifier
from service.ops.database import write_transaction
from service.privacy import personal_data, vault
from service.sites import registry
from service.sites.registry import SiteSettings

logger = logging.getLogger(__name__)
EXTENSION_KEY = "commentdesk.my_comments"
PATH = "/my-comments/"


def init_app(app: Flask) -> None:
    # One background thread: a first comment's 201 does not wait for the SMTP server.
    app.extensions[EXTENSION_KEY] = ThreadPoolExecutor(1, thread_name_prefix="my-comments")


def enabled() -> bool:
    settings = notifier().settings
    return bool(
        settings.smtp_host
        and settings.public_url
        and "@" in settings.email_from
        and current_app.config["MY_COMMENTS_LINK_HOURS"] > 0
    )


# Between the site's id and the address in a sealed link (no address holds a line break).
_SEPARATOR = "\n"


@dataclass(frozen=True)
class LinkHolder:
    """Whom a link was sent to, and for which site's comments."""

    email: str
    site: SiteSettings

    @property
    def sites(self) -> frozenset[int]:
        return frozenset({self.site.id})


def link_for(email: str, site_id: int, issued_at: int | None = None) -> str:
    sealed = f"{site_id}{_SEPARATOR}{vault.normalise_email(email)}"
    token = vault.vault().seal_address(sealed, issued_at)
    return f"{notifier().settings.public_url}{PATH}{token}"


def holder_of(token: str) -> LinkHolder:
    """Whom a link was sent to; LinkInvalid (forged, damaged, or its site removed since) or
    LinkExpired."""
    email_vault = vault.vault()
    max_age = current_app.config["MY_COMMENTS_LINK_HOURS"] * 3600
    if sealed := email_vault.open_address(token, max_age):
        return _holder(sealed)
    if email_vault.open_address(token, None):
        raise LinkExpired(
            "This link has expired. To get a new one, post a comment with the same address "
            'and tick "Email me a link to manage my comments", or ask the site\'s moderators.'
        )
    raise LinkInvalid(_NOT_VALID)


_NOT_VALID = "This link is not valid. Use the link from the email exactly as sent."


def _holder(sealed: str) -> LinkHolder:
    site_id, separator, email = sealed.partition(_SEPARATOR)
    if not separator:
        # A link sent before sites: the one site there was.
        return LinkHolder(sealed, registry.default())
    site = next((site for site in registry.all_sites() if str(site.id) == site_id), None)
    if site is None:
        raise LinkInvalid(_NOT_VALID)
    return LinkHolder(email, site)


# Reasons that mark a submission as a bot's or a campaign's, not a person's: it gets no link,
# whatever it asked for (spam and rejected submissions get none either).
_TRAPPED = frozenset(
    {"honeypot", "form_token", "too_fast", "no_form_token", "surge", "spam_history"}
)
# The same text (by fingerprint) from another address this recently: a spam wave.
_WAVE_WINDOW = timedelta(hours=1)
_DAY, _HOUR = timedelta(days=1), timedelta(hours=1)


def after_submission(comment: Comment, email: str, requested: bool) -> None:
    """Email the link when the commenter asked for it and nothing about the submission says
    bot or campaign, at most once a day per address and MY_COMMENTS_MAIL_PER_HOUR an hour for
    the site (after the commit; the sending happens in the background)."""
    if not (requested and enabled() and _from_a_person(comment)):
        return
    if not _claim(comment.email_hash, utcnow()):
        return
    # The submission was to the request's site (its article was looked up there).
    site = registry.current()
    settings = notifier().settings
    message = EmailMessage()
    message["Subject"] = f"Your comment on {site.name}: see it, withdraw it or erase it"
    message["From"] = settings.email_from
    message["To"] = email
    message["Auto-Submitted"] = "auto-generated"
    hours = current_app.config["MY_COMMENTS_LINK_HOURS"]
    message.set_content(
        f"You asked for this link with your comment on {site.name}. It shows the comments\n"
        f"you have posted there with this address and whether they are published; there\n"
        "you can withdraw one, download your data or erase it. It works for "
        f"{hours} hours;\ndo not share it.\n\n"
        f"{link_for(email, site.id)}\n\n"
        "If you did not post a comment, ignore this email.\n"
    )
    current_app.extensions[EXTENSION_KEY].submit(_send, settings, message)


def _from_a_person(comment: Comment) -> bool:
    if comment.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        return False
    if any(reason["code"] in _TRAPPED for reason in comment.reasons):
        return False
    if comment.fingerprint is None:
        return True
    copies = select(Comment.id).where(
        # Any status (ix_comments_wave leads with it): a wave's copies may be decided already.
        Comment.status.in_(list(CommentStatus)),
        Comment.fingerprint == comment.fingerprint,
        Comment.email_hash != comment.email_hash,
        Comment.created_at >= comment.created_at - _WAVE_WINDOW,
    )
    return db.session.scalar(copies.limit(1)) is None


def _claim(email_hash: str, now: datetime) -> bool:
    """Note a link mail to this address unless one went in the last day or the site's hourly
    cap is reached; True when it may go. One transaction at a time (the table is locked), so
    the limits hold across workers and replicas."""
    per_hour = current_app.config["MY_COMMENTS_MAIL_PER_HOUR"]
    with write_transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("LOCK TABLE link_mails IN SHARE ROW EXCLUSIVE MODE"))
        session.execute(delete(LinkMail).where(LinkMail.sent_at < now - _DAY))
        if session.get(LinkMail, email_hash) is not None:
            return False
        sent = select(func.count()).where(LinkMail.sent_at >= now - _HOUR)
        if (session.scalar(sent) or 0) >= per_hour:
            logger.warning(
                "MY_COMMENTS_MAIL_PER_HOUR (%d) reached: a requested 'my comments' link was "
                "not sent.",
                per_hour,
            )
            return False
        session.add(LinkMail(email_hash=email_hash, sent_at=now))
    return True


def _send(settings: Any, message: EmailMessage) -> None:
    if not mail.send(settings, message):
        logger.warning("The 'my comments' link email was not delivered.")


@dataclass(frozen=True)
class MyComment:
    id: int
    article: str
    status: str
    body_html: str
    created_at: str
    # For a rejected comment: the moderator's note, or the policy's reasons.
    reason: str | None


def my_comments(holder: LinkHolder) -> list[MyComment]:
    rows = personal_data.comments_of(holder.email, holder.sites)
    notes = _rejection_notes([c.id for c, _, _ in rows if c.status == CommentStatus.REJECTED])
    return [
        MyComment(
            id=comment.id,
            article=key,
            status=comment.status.value,
            body_html=comment.body_html,
            created_at=comment.created_at.isoformat(),
            reason=_reason(comment, notes),
        )
        for comment, key, _ in rows
    ]


def _reason(comment: Comment, notes: dict[int, str]) -> str | None:
    if comment.status != CommentStatus.REJECTED:
        return None
    policy_reasons = "; ".join(reason["message"] for reason in comment.reasons)
    return notes.get(comment.id) or policy_reasons or None


def _rejection_notes(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    events = db.session.execute(
        select(ModerationEvent.comment_id, ModerationEvent.note)
        .where(
            ModerationEvent.comment_id.in_(ids),
            ModerationEvent.to_status == CommentStatus.REJECTED.value,
            ModerationEvent.note.is_not(None),
        )
        .order_by(ModerationEvent.id)
    ).all()
    # The query already leaves out events with no comment or no note; this says so to mypy.
    return {
        comment_id: note
        for comment_id, note in events
        if comment_id is not None and note is not None
    }


def withdraw(holder: LinkHolder, comment_id: int) -> None:
    """The commenter takes back one of their comments on the link's site (it becomes
    `deleted`; audited)."""
    email_hash = vault.vault().email_hash(holder.email)
    on_site = select(Article.id).where(Article.site_id == holder.site.id)
    with write_transaction() as session:
        comment = session.scalars(
            select(Comment)
            .where(
                Comment.id == comment_id,
                Comment.email_hash == email_hash,
                Comment.article_id.in_(on_site),
            )
            .with_for_update()
        ).one_or_none()
        if comment is None:
            # Someone else's comment looks exactly like a missing one.
            raise CommentNotFound(f"You have no comment {comment_id}.")
        if comment.status == CommentStatus.DELETED:
            raise InvalidTransition("That comment is already withdrawn.")
        lifecycle.withdraw(session, comment)
