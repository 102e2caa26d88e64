"""Use cases: a reader submits a comment, then (for a while, with its edit token) edits or
withdraws it."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.orm import Session

from service import notifications
from service.audit import AuditActor
from service.comments import articles, lifecycle
from service.comments.rendering import render_body
from service.errors import (
    CommentNotFound,
    EditWindowClosed,
    FieldError,
    InvalidEditToken,
    InvalidTransition,
    TooSoon,
)
from service.extensions import db
from service.models import (
    MAX_ID,
    Article,
    BodyFormat,
    Comment,
    CommentStatus,
    utcnow,
)
from service.ops import telemetry
from service.ops.database import write_transaction
from service.privacy import my_comments, vault
from service.screening import (
    akismet_check,
    ban_checks,
    classifier,
    policy,
    rules,
    similarity,
    surges,
    traps,
)
from service.sites import registry

_PARENT_GONE = "The comment you are replying to does not exist or is no longer public."


@dataclass(frozen=True)
class NewComment:
    article_key: str
    name: str
    email: str
    body: str
    website: str | None = None
    parent_id: int | None = None
    # The form's bot traps (see service/screening/traps.py); absent for plain API clients.
    honeypot: str | None = None
    form_token: str | None = None
    # What the page says it is, when it came from one of the site's own pages (the caller
    # checks); kept on the article the first time.
    page_title: str | None = None
    page_url: str | None = None
    # The commenter ticked "Email me a link to manage my comments".
    wants_link: bool = False


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class SubmissionResult:
    comment: Comment
    # None when a resubmission came from elsewhere: only the original client may edit.
    edit_token: str | None
    created: bool


def submit(new: NewComment, client: ClientInfo) -> SubmissionResult:
    # Long because it is one write transaction read top to bottom. Duplicates and floods are
    # judged under a lock on the sender (SQLite's one writer; on PostgreSQL an advisory lock
    # on their address), never on the article: a hot story takes submissions in parallel.
    articles.check_key(new.article_key)
    email_vault = vault.vault()
    email_hash = email_vault.email_hash(new.email)
    ip_hash = email_vault.ip_hash(client.ip)
    ban_checks.check_allowed(
        email_hash, vault.email_domain(new.email), ip_hash, registry.current().id
    )
    # Everything that needs no lock (and may take a while) happens before the write
    # transaction: SQLite has one writer, so time inside it is every submission's wait.
    site = registry.current()
    early = _screen_unlocked(new.name, new.body, new.website, client, site)
    candidate = policy.Candidate(
        name=new.name,
        body=new.body,
        website=new.website,
        trap=traps.inspect(new.honeypot, new.form_token),
        spam_probability=early.spam_probability,
        akismet_spam=early.akismet_spam,
    )
    found_in_text = policy.findings(candidate, early.rules, policy.SUBMISSION_CHECKS)
    email_encrypted = email_vault.encrypt(new.email)
    fingerprint = similarity.fingerprint(new.body)
    with write_transaction() as session:
        article = articles.for_submission(session, new.article_key)
        _one_at_a_time_per_sender(session, email_hash, ip_hash)
        history, duplicate_id = _earlier_comments(
            session, article.id, article.site_id, email_hash, new.body
        )
        if duplicate_id is not None:
            earlier = session.get_one(Comment, duplicate_id)
            token = edit_token(earlier.id) if earlier.ip_hash == ip_hash else None
            return SubmissionResult(earlier, token, created=False)
        now = utcnow()
        articles.check_open(article, now)
        articles.note_page(session, article, new.page_title, new.page_url)
        _check_flood(session, email_hash, ip_hash, now)
        parent = _reply_target(session, article.id, new.parent_id)
        surge = surges.refresh(session, article, now)
        in_context = dataclasses.replace(candidate, history=history, surge_until=surge.until)
        decision = policy.decide(
            [
                *policy.findings(
                    in_context, _on_article(early.rules, article), policy.CONTEXT_CHECKS
                ),
                *found_in_text,
            ]
        )
        comment = Comment(
            article_id=article.id,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 0,
            name=new.name,
            email_encrypted=email_encrypted,
            email_hash=email_hash,
            website=new.website,
            body=new.body,
            body_html=early.body_html,
            body_format=BodyFormat.MARKDOWN,
            created_at=now,
            updated_at=now,
            ip_hash=ip_hash,
            user_agent=(client.user_agent or "")[:512] or None,
            reasons=[reason.as_dict() for reason in decision.reasons],
            fingerprint=fingerprint,
        )
        admission = lifecycle.Change(session, AuditActor.COMMENTER)
        admission.admit(comment, decision.status)
        _insert(session, comment)
        admission.publish()
    _after_commit(new, comment, surge)
    return SubmissionResult(comment, edit_token(comment.id), created=True)


def warm_up() -> None:
    """Load, and run once, what a submission needs (the classifier model, the bans, the
    rules, the renderer, the policy's checks), so that a new worker's first submission costs
    what its hundredth does. The gunicorn worker start calls it (service/http/warmup.py)."""
    body = "Warming up: some *Markdown*, a link to https://example.org and a few words."
    ban_checks.warm()
    probability = classifier.spam_score(body)
    candidate = policy.Candidate(
        name="Warm", body=body, website="https://example.org", spam_probability=probability
    )
    policy.evaluate(candidate, rules.current_rules())
    render_body(body)
    similarity.fingerprint(body)
    # Run (read-only) the statements of the write path, so SQLAlchemy has compiled them.
    session = db.session()
    _earlier_comments(session, 0, 0, "", body)
    articles.find(session, "")
    surges.recent_counts(session, 0, utcnow(), most=1, most_spam=1)
    session.rollback()


@dataclass(frozen=True)
class _EarlyScreening:
    """What screening can work out before the write transaction (none of it needs a lock)."""

    rules: policy.Rules
    spam_probability: float | None
    akismet_spam: bool | None
    body_html: str


def _screen_unlocked(
    name: str, body: str, website: str | None, client: ClientInfo, site: registry.SiteSettings
) -> _EarlyScreening:
    return _EarlyScreening(
        rules=rules.current_rules(site),
        spam_probability=classifier.spam_score(body, name, website),
        akismet_spam=akismet_check.is_spam(
            body=body, name=name, website=website, ip=client.ip, user_agent=client.user_agent
        ),
        body_html=render_body(body),
    )


def _after_commit(new: NewComment, comment: Comment, surge: surges.SurgeState) -> None:
    """What follows a stored submission: the metric, moderators told, the commenter's link."""
    telemetry.count_submission(comment.status.value)
    if surge.until and surge.started_because:
        notifications.surge_started(
            new.article_key, surge.until, surge.started_because, registry.current().id
        )
    if comment.status == CommentStatus.PENDING:
        notifications.comment_held(comment, new.article_key, registry.current().id)
    my_comments.after_submission(comment, new.email, new.wants_link)


# A column the ORM would fill from its default must be given: _insert writes what is set.
_COMMENT_COLUMNS = tuple(column for column in Comment.__table__.columns if not column.primary_key)
_INSERT_COMMENT = insert(Comment).returning(Comment.id)


def _insert(session: Session, comment: Comment) -> None:
    """The new comment stored by one prebuilt INSERT, and given its id: the ORM's unit of
    work cost twice the CPU, inside SQLite's one write turn. The object stays out of the
    session too, which would only check it at the commit and let it go at the request's end:
    nothing loads through it (its relationships raise), and it holds every value stored."""
    values = {column.key: getattr(comment, column.key) for column in _COMMENT_COLUMNS}
    unset = [
        column.key for column in _COMMENT_COLUMNS if column.default and values[column.key] is None
    ]
    if unset:
        raise ValueError(f"a new comment needs {', '.join(unset)}")
    comment.id = session.connection().execute(_INSERT_COMMENT, values).scalar_one()


def _on_article(site_rules: policy.Rules, article: Article | articles.SubmittedTo) -> policy.Rules:
    """The rules for a comment on this article: its site's, with the article's own moderation
    mode where moderators set one (one heated article may be held while its site runs
    `trusted`)."""
    if article.moderation is None:
        return site_rules
    return dataclasses.replace(site_rules, moderation=article.moderation.value)


# What earns a commenter trust is an approval on this site: another site's moderators vouch
# only for their own pages. Spam anywhere counts against them everywhere.
_APPROVED_HERE = (Comment.status == CommentStatus.APPROVED) & (
    Article.site_id == bindparam("site_id")
)


def _history(session: Session, email_hash: str, site_id: int) -> policy.History:
    approved, spam = session.execute(
        select(
            func.count().filter(_APPROVED_HERE),
            func.count().filter(Comment.status == CommentStatus.SPAM),
        )
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.email_hash == email_hash),
        {"site_id": site_id},
    ).one()
    return policy.History(approved=approved, spam=spam)


def _check_flood(session: Session, email_hash: str, ip_hash: str | None, now: datetime) -> None:
    """The same person (by address or by client IP) may not post again within seconds."""
    interval = current_app.config["FLOOD_SECONDS"]
    if not interval or not current_app.config["RATELIMIT_ENABLED"]:
        return
    since = now - timedelta(seconds=interval)
    same_person = Comment.email_hash == email_hash
    if ip_hash:
        same_person = or_(same_person, Comment.ip_hash == ip_hash)
    last = session.scalar(
        select(func.max(Comment.created_at)).where(same_person, Comment.created_at >= since)
    )
    if last is not None:
        wait = max(1, math.ceil(interval - (now - last).total_seconds()))
        raise TooSoon(
            f"You posted a comment a moment ago. Please wait {wait} seconds before posting "
            "another.",
            retry_after=wait,
        )


# Built once: the submission runs it every time, and building it cost more than running it.
_EARLIER = (
    select(
        func.count().filter(_APPROVED_HERE),
        func.count().filter(Comment.status == CommentStatus.SPAM),
        # The same text from the same address on the same article a moment ago: a double click,
        # a retry after a timeout, or a reload that re-posted the form.
        func.min(Comment.id).filter(
            Comment.article_id == bindparam("article_id"),
            Comment.created_at >= bindparam("since"),
            Comment.body == bindparam("body"),
            Comment.status != CommentStatus.DELETED,
        ),
    )
    .join(Article, Article.id == Comment.article_id)
    .where(Comment.email_hash == bindparam("email_hash"))
)


def _earlier_comments(
    session: Session, article_id: int, site_id: int, email_hash: str, body: str
) -> tuple[policy.History, int | None]:
    """What this address wrote before, in one statement: how its comments were decided,
    and the comment this one repeats, if any."""
    since = utcnow() - timedelta(seconds=current_app.config["DUPLICATE_WINDOW_SECONDS"])
    # On the connection: the session's ORM layer cost more than the statement, for a plain row.
    approved, spam, duplicate_id = (
        session.connection()
        .execute(
            _EARLIER,
            {
                "article_id": article_id,
                "site_id": site_id,
                "since": since,
                "body": body,
                "email_hash": email_hash,
            },
        )
        .one()
    )
    return policy.History(approved=approved, spam=spam), duplicate_id


def _one_at_a_time_per_sender(session: Session, email_hash: str, ip_hash: str | None) -> None:
    """Submissions from one address (and, with flood control on, one client) take turns, so
    two copies of one comment, or two comments within the flood interval, cannot both pass
    their checks. SQLite's write transaction already admits one writer at a time; on
    PostgreSQL a transaction-scoped advisory lock on the sender does it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    senders = [email_hash]
    if ip_hash and current_app.config["FLOOD_SECONDS"] and current_app.config["RATELIMIT_ENABLED"]:
        senders.append(ip_hash)
    # Always in the same order, so two submissions never wait on each other's second lock.
    keys = sorted(_advisory_key(sender) for sender in senders)
    session.execute(select(*(func.pg_advisory_xact_lock(key) for key in keys)))


def _advisory_key(sender: str) -> int:
    digest = hashlib.blake2b(sender.encode(), digest_size=8, person=b"cd-submit").digest()
    return int.from_bytes(digest, "big", signed=True)


def _reply_target(session: Session, article_id: int, parent_id: int | None) -> Comment | None:
    """The comment a reply attaches to; past the depth limit, the deepest allowed ancestor."""
    if parent_id is None:
        return None
    parent = session.get(Comment, parent_id)
    if parent is None or parent.article_id != article_id or parent.status != CommentStatus.APPROVED:
        raise FieldError("parent_id", _PARENT_GONE)
    max_depth = current_app.config["MAX_REPLY_DEPTH"]
    while parent is not None and parent.depth >= max_depth:
        parent = session.get(Comment, parent.parent_id) if parent.parent_id else None
    return parent


def _edit_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="commentdesk.edit-token")


def edit_token(comment_id: int) -> str:
    return str(_edit_serializer().dumps(comment_id))


def _comment_id_in(token: str) -> int | None:
    try:
        value = _edit_serializer().loads(token)
    except BadData:
        return None
    return value if isinstance(value, int) else None


def edit_comment(
    comment_id: int, token: str | None, changes: Mapping[str, str | None], client: ClientInfo
) -> Comment:
    """The commenter changes the text (and/or name, website) of their own comment (one write
    transaction, read top to bottom, hence its length).

    The edited comment is re-rendered and goes through the policy again (see
    policy.evaluate_edit): it may go back to the moderators, and never becomes public by
    editing alone. Audited as an "edit" by the "commenter".
    """
    # The slow parts (classifier, Akismet, rendering) happen before the write lock, on the
    # comment as read now; the transaction checks again that it may still be edited.
    seen = _own_comment(db.session(), comment_id, token)
    # The comment's site's rules judge the edit, whichever page (Origin) it came from.
    registry.set_current(registry.by_id(db.session.get_one(Article, seen.article_id).site_id))
    name = changes.get("name") or seen.name
    body = changes.get("body") or seen.body
    # A website sent as null or "" removes it; one not sent stays.
    website = changes.get("website", seen.website)
    # The rules of the site the comment is on, whatever page the edit came from.
    site = registry.by_id(db.session.get_one(Article, seen.article_id).site_id)
    early = _screen_unlocked(name, body, website, client, site)
    with write_transaction() as session:
        comment = _own_comment(session, comment_id, token, lock=True)
        now = utcnow()
        article = session.get_one(Article, comment.article_id)
        # Moderators close an article to stop the conversation: edits stop too (a
        # withdrawal does not).
        articles.check_open(article, now)
        before = comment.status
        decision = policy.evaluate_edit(
            policy.Candidate(
                name=name,
                body=body,
                website=website,
                history=_history(session, comment.email_hash, article.site_id),
                # A surge in force holds edits too; an edit does not count towards one.
                surge_until=surges.in_force(article, now),
                spam_probability=early.spam_probability,
                akismet_spam=early.akismet_spam,
            ),
            _on_article(early.rules, article),
            before,
        )
        comment.name, comment.body, comment.website = name, body, website
        # Whatever it was imported as, the text is now what the commenter typed here.
        comment.body_html, comment.body_format = early.body_html, BodyFormat.MARKDOWN
        comment.fingerprint = similarity.fingerprint(body)
        comment.reasons = [reason.as_dict() for reason in decision.reasons]
        comment.edited_at = now
        # Even an approved comment that stays approved changed what readers see.
        lifecycle.remoderate(session, comment, decision.status)
        article_key, site_id = article.key, article.site_id
    if comment.status == CommentStatus.PENDING and before != CommentStatus.PENDING:
        notifications.comment_held(comment, article_key, site_id)
    return comment


def withdraw_comment(comment_id: int, token: str | None) -> Comment:
    """The commenter takes their comment down. It becomes `deleted` (moderators can still
    see and restore it); audited as a "withdraw" by the "commenter"."""
    with write_transaction() as session:
        comment = _own_comment(session, comment_id, token, lock=True)
        lifecycle.withdraw(session, comment)
    return comment


def _own_comment(
    session: Session, comment_id: int, token: str | None, lock: bool = False
) -> Comment:
    """The comment, if this token is its edit token and it may still be changed."""
    stmt = select(Comment).where(Comment.id == comment_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    comment = session.scalars(stmt).one_or_none() if 0 < comment_id <= MAX_ID else None
    if comment is None:
        raise CommentNotFound(f"There is no comment {comment_id}.")
    if not token or _comment_id_in(token) != comment.id:
        raise InvalidEditToken(
            "This comment can only be changed from the browser that posted it "
            "(its edit token is missing or not valid for this comment)."
        )
    if comment.status == CommentStatus.DELETED:
        raise InvalidTransition("This comment has been removed; it can no longer be changed.")
    if comment.status not in policy.EDITABLE:
        raise InvalidTransition("This comment can no longer be changed.")
    minutes = current_app.config["EDIT_WINDOW_MINUTES"]
    if utcnow() >= comment.created_at + timedelta(minutes=minutes):
        window = f"{minutes} minute{'' if minutes == 1 else 's'}"
        raise EditWindowClosed(
            f"Comments can be edited or withdrawn only within {window} of posting; "
            "that time has passed."
        )
    return comment
