"""What moderators are told, as data and as text: a held comment, a digest, a stale queue.

These leave for third parties (a webhook receiver, Slack, an SMTP relay), so they carry the
commenter's name, the article, a short excerpt and the reasons, never the address; and an
address-shaped string typed into the name or the body is masked as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from service.models import DEFAULT_SITE_SLUG, Comment
from service.notifications.settings import NotifySettings

EXCERPT_CHARS = 200
MASK = "[email hidden]"
_EMAIL_SHAPED = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class HeldComment:
    """A comment the policy held, copied out of the session so it can cross threads."""

    id: int
    article_key: str
    name: str
    body: str
    reasons: tuple[dict[str, str], ...]
    created_at: datetime

    @classmethod
    def of(cls, comment: Comment, article_key: str) -> HeldComment:
        return cls(
            id=comment.id,
            article_key=article_key,
            name=comment.name,
            body=comment.body,
            reasons=tuple(
                {"code": r.get("code", ""), "message": masked(r.get("message", ""))}
                for r in comment.reasons or ()
            ),
            created_at=comment.created_at,
        )

    @property
    def reason_text(self) -> str:
        messages = (r.get("message") or r.get("code") or "" for r in self.reasons)
        return "; ".join(m.rstrip(".") for m in messages if m) or "held"


@dataclass(frozen=True)
class Event:
    """One webhook event: `data` for the JSON format, `text` for Slack."""

    name: str
    data: dict[str, Any]
    text: str


def masked(text: str) -> str:
    return _EMAIL_SHAPED.sub(MASK, text)


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    flat = masked(_WHITESPACE.sub(" ", body).strip())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" .,;:") + "…"


def queue_url(settings: NotifySettings, held: HeldComment | None = None) -> str:
    """The moderation queue, filtered to the comment's article and scrolled to it."""
    url = f"{settings.public_url}/moderation/"
    if held is None:
        return url
    query = urlencode({"status": "pending", "article": held.article_key})
    return f"{url}?{query}#c{held.id}"


def slack_escaped(text: str) -> str:
    # Slack reads <…> as links and mentions (<!channel>): a commenter must not ping anyone.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def held_event(held: HeldComment, settings: NotifySettings) -> Event:
    name, quote, link = masked(held.name), excerpt(held.body), queue_url(settings, held)
    data = {
        "site": settings.site,
        "comment": {
            "id": held.id,
            "article": held.article_key,
            "name": name,
            "excerpt": quote,
            "reasons": list(held.reasons),
            "created_at": held.created_at.isoformat(),
        },
        "queue_url": link,
    }
    text = (
        f"Comment held on *{slack_escaped(held.article_key)}* by "
        f"*{slack_escaped(name)}*: “{slack_escaped(quote)}”\n"
        f"Why: {slack_escaped(held.reason_text)} <{link}|Open the queue>"
    )
    return Event("comment.held", data, text)


def surge_event(article_key: str, until: datetime, note: str, settings: NotifySettings) -> Event:
    link = queue_url(settings)
    data = {
        "site": settings.site,
        "article": article_key,
        "until": until.isoformat(),
        "why": note,
        "queue_url": link,
    }
    text = (
        f"Surge on *{slack_escaped(article_key)}*: pre-moderated until "
        f"{until:%H:%M} UTC. {slack_escaped(note)} <{link}|Open the queue>"
    )
    return Event("article.surge", data, text)


@dataclass(frozen=True)
class StaleQueue:
    pending: int
    oldest_id: int
    oldest_article: str
    oldest_created_at: datetime
    waited_minutes: int
    threshold_minutes: int

    @property
    def summary(self) -> str:
        comments = "comment waits" if self.pending == 1 else "comments wait"
        return (
            f"{self.pending} {comments} for moderation; the oldest has waited "
            f"{_duration(self.waited_minutes)} (alert threshold {self.threshold_minutes} min)."
        )


def stale_event(stale: StaleQueue, settings: NotifySettings) -> Event:
    link = queue_url(settings)
    data = {
        "site": settings.site,
        "pending": stale.pending,
        "oldest": {
            "id": stale.oldest_id,
            "article": stale.oldest_article,
            "created_at": stale.oldest_created_at.isoformat(),
            "waited_minutes": stale.waited_minutes,
        },
        "threshold_minutes": stale.threshold_minutes,
        "queue_url": link,
    }
    return Event("queue.stale", data, f"{stale.summary} <{link}|Open the queue>")


def stale_email(stale: StaleQueue, settings: NotifySettings) -> tuple[str, str]:
    waited = _duration(stale.waited_minutes)
    subject = f"commentdesk{_on(settings)}: the oldest pending comment has waited {waited}"
    return subject, f"{stale.summary}\n\nOpen the queue: {queue_url(settings)}\n"


def digest_email(
    listed: list[HeldComment], total: int, settings: NotifySettings
) -> tuple[str, str]:
    """Subject and plain-text body of the digest of `total` newly held comments."""
    noun = "comment" if total == 1 else "comments"
    subject = f"commentdesk{_on(settings)}: {total} {noun} held for moderation"
    lines = [
        f"{total} {noun} held for moderation since the last digest.",
        f"Open the queue: {queue_url(settings)}",
        "",
    ]
    for held in listed:
        stamp = held.created_at.strftime("%Y-%m-%d %H:%M UTC")
        lines += [
            f"#{held.id} on {held.article_key}, by {masked(held.name)}, {stamp}",
            f"  {excerpt(held.body)}",
            f"  Why: {held.reason_text}",
            f"  {queue_url(settings, held)}",
            "",
        ]
    if total > len(listed):
        lines.append(f"… and {total - len(listed)} more in the queue.")
    return subject, "\n".join(lines).rstrip() + "\n"


def _on(settings: NotifySettings) -> str:
    """Which site a mail is about, for a moderator of several; nothing for the default site,
    so a single-site installation's mails read as before."""
    return "" if settings.site == DEFAULT_SITE_SLUG else f" ({settings.site_name})"


def _duration(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours < 48 else f"{hours // 24} days"
