"""'My comments' for commenters without accounts: on a first comment, an email with a signed,
expiring link; the link opens a page of that address's comments where the commenter can
withdraw one, download their data, or erase it, with no moderator involved.

Off unless SMTP_HOST, NOTIFY_EMAIL_FROM and PUBLIC_URL are set and MY_COMMENTS_LINK_HOURS is
above 0. The address travels sealed in the link (email_vault.seal_address: encrypted and
authenticated under a key of its own), so neither the link nor a log of it shows it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from service.comments import lifecycle
from service.errors import CommentNotFound, InvalidTransition, LinkExpired, LinkInvalid
from service.extensions import db
from service.models import Comment, CommentStatus, ModerationEvent
from service.notifications import mail, notifier
from service.ops.database import write_transaction
from service.privacy import personal_data, vault

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


def link_for(email: str, issued_at: int | None = None) -> str:
    token = vault.vault().seal_address(vault.normalise_email(email), issued_at)
    return f"{notifier().settings.public_url}{PATH}{token}"


def address_from(token: str) -> str:
    """The address a link was sent to; LinkInvalid (forged, damaged) or LinkExpired."""
    email_vault = vault.vault()
    max_age = current_app.config["MY_COMMENTS_LINK_HOURS"] * 3600
    if address := email_vault.open_address(token, max_age):
        return address
    if email_vault.open_address(token, None):
        raise LinkExpired(
            "This link has expired. Post a comment with the same address to get a new one, "
            "or ask the site's moderators."
        )
    raise LinkInvalid("This link is not valid. Use the link from the email exactly as sent.")


def after_submission(comment: Comment, email: str) -> None:
    """Email the link when this is the address's first comment (after the commit)."""
    if not enabled():
        return
    count = db.session.scalar(select(func.count()).where(Comment.email_hash == comment.email_hash))
    if count != 1:
        return
    settings = notifier().settings
    message = EmailMessage()
    message["Subject"] = "Your comment: see it, withdraw it or erase it"
    message["From"] = settings.email_from
    message["To"] = email
    message["Auto-Submitted"] = "auto-generated"
    hours = current_app.config["MY_COMMENTS_LINK_HOURS"]
    message.set_content(
        "Thank you for your comment. This link shows the comments you have posted with this\n"
        "address and whether they are published; there you can withdraw one, download your\n"
        f"data or erase it. It works for {hours} hours; do not share it.\n\n"
        f"{link_for(email)}\n\n"
        "If you did not post a comment, ignore this email.\n"
    )
    current_app.extensions[EXTENSION_KEY].submit(_send, settings, message)


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


def my_comments(email: str) -> list[MyComment]:
    rows = personal_data.comments_of(email)
    notes = _rejection_notes([c.id for c, _ in rows if c.status == CommentStatus.REJECTED])
    return [
        MyComment(
            id=comment.id,
            article=key,
            status=comment.status.value,
            body_html=comment.body_html,
            created_at=comment.created_at.isoformat(),
            reason=_reason(comment, notes),
        )
        for comment, key in rows
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


def withdraw(email: str, comment_id: int) -> None:
    """The commenter takes back one of their comments (it becomes `deleted`; audited)."""
    email_hash = vault.vault().email_hash(email)
    with write_transaction() as session:
        comment = session.scalars(
            select(Comment)
            .where(Comment.id == comment_id, Comment.email_hash == email_hash)
            .with_for_update()
        ).one_or_none()
        if comment is None:
            # Someone else's comment looks exactly like a missing one.
            raise CommentNotFound(f"You have no comment {comment_id}.")
        if comment.status == CommentStatus.DELETED:
            raise InvalidTransition("That comment is already withdrawn.")
        lifecycle.withdraw(session, comment)
