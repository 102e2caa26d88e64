"""The stored data: articles, comments, moderators, API tokens, the moderation audit trail
and what moderators have been notified of."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model

# The largest id an INTEGER primary key holds on every backend (PostgreSQL's int4). Ids from
# clients are checked against it, so an absurd number is "not found", never a driver error.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The name a comment carries when its commenter gave none (an import) or has none any more
# (an erasure).
ANONYMOUS = "Anonymous"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    DELETED = "deleted"


class BodyFormat(enum.StrEnum):
    """What a comment's `body` is written in."""

    MARKDOWN = "markdown"  # typed here, or imported from Isso
    HTML = "html"  # imported from WordPress or Disqus, sanitized into body_html as it was


class _BodyFormatString(TypeDecorator[BodyFormat]):
    """A BodyFormat stored as the plain VARCHAR(16) the column always was (no CHECK
    constraint, so no migration), read back as the enum."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        # BodyFormat(...) refuses a word that is not a format before it reaches the table.
        return None if value is None else BodyFormat(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> BodyFormat | None:
        return None if value is None else BodyFormat(value)


class ModerationMode(enum.StrEnum):
    PRE = "pre"
    OFF = "off"
    TRUSTED = "trusted"


class BanKind(enum.StrEnum):
    EMAIL = "email"  # value: the keyed email hash
    DOMAIN = "domain"  # value: the email domain, lower-case
    IP = "ip"  # value: the keyed client-IP hash


class NotificationKind(enum.StrEnum):
    DIGEST = "digest"
    STALE_ALERT = "stale_alert"


class ModeratorRole(enum.StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"


class QueueView(enum.StrEnum):
    """How a moderator's queue shows comments: in full, or one line each until opened."""

    FULL = "full"
    COMPACT = "compact"


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as short strings with a CHECK constraint: portable, and readable in SQL.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# The site every installation has: the one today's API paths and the environment's settings
# describe (service/sites/registry.py). Its slug never changes.
DEFAULT_SITE_SLUG = "default"


class Site(Model):
    """One publication served by this deployment. A setting left empty (None) is the
    environment's (service/sites/registry.py says which ones, and why)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The site's pages: CORS and the no-JavaScript form's return_to.
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Its base URL: article keys appended give article pages.
    public_url: Mapped[str | None] = mapped_column(String(2048))
    moderation: Mapped[ModerationMode | None] = mapped_column(
        _enum(ModerationMode, "site_moderation")
    )
    link_limit: Mapped[int | None]
    close_after_days: Mapped[int | None]
    retention_days: Mapped[int | None]
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    webhook_secret: Mapped[str | None] = mapped_column(String(255))
    digest_to: Mapped[list[str] | None] = mapped_column(JSON)


def insert_default_site(connection: Any) -> None:
    """The default site's row, for a schema built without migrations (create_all; the
    migration makes it in a real database), so that every article has a site to belong to."""
    connection.execute(
        insert(Site).values(
            slug=DEFAULT_SITE_SLUG, name="Default site", origins=[], created_at=utcnow()
        )
    )


@event.listens_for(Site.__table__, "after_create")
def _create_default_site(_table: Any, connection: Any, **_: Any) -> None:
    insert_default_site(connection)


class SiteRole(enum.StrEnum):
    MODERATOR = "moderator"
    SITE_ADMIN = "site_admin"


class SiteGrant(Model):
    """A moderator's access to one site. Admins need none: they manage every site."""

    __tablename__ = "site_grants"

    moderator_id: Mapped[int] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[SiteRole] = mapped_column(_enum(SiteRole, "site_role"), default=SiteRole.MODERATOR)


class Article(Model):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept by the use cases that change the set of public comments, so the feed can
    # answer counts and ETags from one row.
    approved_count: Mapped[int] = mapped_column(default=0)
    feed_version: Mapped[int] = mapped_column(default=0)
    # Set by a moderator: no new comments.
    locked: Mapped[bool] = mapped_column(default=False, server_default=false())
    # While in the future, a surge of submissions has put the article under pre-moderation.
    surge_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the widget said the page is (only from the site's own origins; never fetched),
    # or what an admin typed.
    title: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2048))
    # Set by a moderator: no new comments after this moment.
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by a moderator: this article's moderation mode instead of the site's.
    moderation: Mapped[ModerationMode | None] = mapped_column(
        _enum(ModerationMode, "article_moderation")
    )


class Comment(Model):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_feed", "article_id", "status", "created_at", "id"),
        Index("ix_comments_queue", "status", "created_at", "id"),
        Index("ix_comments_commenter", "email_hash", "created_at"),
        Index("ix_comments_wave", "status", "fingerprint"),
        Index("ix_comments_client", "ip_hash", "created_at"),
        Index("ix_comments_article_recent", "article_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    depth: Mapped[int] = mapped_column(default=0)
    status: Mapped[CommentStatus] = mapped_column(_enum(CommentStatus, "comment_status"))
    # Where `restore` returns a deleted comment to.
    status_before_delete: Mapped[CommentStatus | None] = mapped_column(
        _enum(CommentStatus, "comment_status_before_delete")
    )
    name: Mapped[str] = mapped_column(String(80))
    email_encrypted: Mapped[str] = mapped_column(Text)
    email_hash: Mapped[str] = mapped_column(String(64))
    website: Mapped[str | None] = mapped_column(String(2048))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_format: Mapped[BodyFormat] = mapped_column(
        _BodyFormatString(), default=BodyFormat.MARKDOWN, server_default=BodyFormat.MARKDOWN.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the commenter last edited the text (readers see "edited"); moderation moves do not
    # count, which is why updated_at cannot say it.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    # The policy's named reasons: [{"code": ..., "message": ...}, ...]
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Hash of the normalised text: near-identical comments (spam waves) share it.
    fingerprint: Mapped[str | None] = mapped_column(String(16))
    # When a moderator last edited the text (the original is in that audit event).
    moderator_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a moderator pinned it: pinned comments lead the public thread, oldest pin first.
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    article: Mapped[Article] = relationship(lazy="raise")
    parent: Mapped[Comment | None] = relationship(remote_side=[id], lazy="raise")


class ImportedComment(Model):
    """Where an imported comment came from: re-running an import into a site finds it here
    instead of adding it twice, and replies found before their parent are linked at the end."""

    __tablename__ = "imported_comments"

    # The site imported into: the same file imported into two sites gives two sets.
    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    # "wordpress", "disqus", "isso" (or the name given with --source-name).
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), unique=True
    )
    parent_source_id: Mapped[str | None] = mapped_column(String(64))


class Moderator(UserMixin, Model):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[ModeratorRole] = mapped_column(
        _enum(ModeratorRole, "moderator_role"), default=ModeratorRole.MODERATOR
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The moderator's own choice, kept here so it follows them from browser to browser.
    queue_view: Mapped[QueueView] = mapped_column(
        _enum(QueueView, "queue_view"), default=QueueView.FULL, server_default=QueueView.FULL.value
    )
    # Part of every session's id: raising it ends all of the moderator's sessions at once
    # (sign-out, password reset, disabling, "sign out everywhere").
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_admin(self) -> bool:
        return self.role == ModeratorRole.ADMIN

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"


class SignInFailure(Model):
    """A failed (or still running) sign-in, kept for the throttling window: by the keyed
    hash of the account name tried and of the client address, never either in clear."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_hash: Mapped[str] = mapped_column(String(64), index=True)
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id"), index=True)
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    moderator: Mapped[Moderator] = relationship(lazy="joined")


class ModerationEvent(Model):
    """One entry of the audit trail: who moved which comment from which state to which."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    # For decisions about a whole article (lock, surge) rather than one comment.
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"), index=True)
    # An AuditActor and an AuditAction, kept as plain strings (no CHECK constraint), so an
    # older release's rows and a newer one's actions both read back.
    actor: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # Events written by one action share a batch, which is what "undo" reverts.
    batch: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # For decisions about a ban rather than a comment or an article.
    ban_id: Mapped[int | None] = mapped_column(ForeignKey("bans.id"), index=True)
    # For notes about a commenter: their keyed email hash (never the address).
    commenter_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # What the event needs to be understood later, e.g. a moderator edit's original text.
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    moderator: Mapped[Moderator | None] = relationship(lazy="raise")


class Ban(Model):
    """A commenter (keyed email hash), an email domain or a client (keyed IP hash) that may
    not comment: for good, or until a moment (a suspension). Lifted bans are kept."""

    __tablename__ = "bans"
    __table_args__ = (Index("ix_bans_lookup", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The site the ban holds on; None (set by an admin): every site.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[BanKind] = mapped_column(_enum(BanKind, "ban_kind"))
    value: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    # None: permanent.
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))


class StateVersion(Model):
    """A number bumped whenever a set that workers cache changes (the bans), so each worker
    knows, by reading one row, when its copy is stale."""

    __tablename__ = "state_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


# The longest note a moderator may write (a decision's note, a ban's reason, a note about a
# commenter): long enough for a paragraph, short enough for the audit log to stay readable.
NOTE_MAX = 2000


class CommenterNote(Model):
    """A moderator's free-text note about a commenter, keyed by their email hash (so erasing
    an address's data is one delete by hash)."""

    __tablename__ = "commenter_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The site it was written on: only that site's moderators read it.
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Model):
    """What the `notify` command told moderators: a held comment that went out in an email
    digest (so the next digest skips it), or a stale-queue alert (so it is not repeated at
    every run)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_kind_comment", "kind", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(_enum(NotificationKind, "notification_kind"))
    # The comment in the digest; for an alert, the oldest pending comment it was about.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkMail(Model):
    """When a "my comments" link was last emailed to an address (by its keyed hash), so that
    it goes at most once a day per address and a set number an hour for the whole site,
    across workers (service/privacy/my_comments.py). Rows older than a day are dropped."""

    __tablename__ = "link_mails"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RuleKind(enum.StrEnum):
    HOLD_WORD = "hold_word"
    DENY_WORD = "deny_word"
    DENY_DOMAIN = "deny_domain"


class PolicyRule(Model):
    """One entry of an admin-edited list: a word to hold or deny, or a domain to deny."""

    __tablename__ = "policy_rules"
    __table_args__ = (UniqueConstraint("site_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[RuleKind] = mapped_column(_enum(RuleKind, "rule_kind"))
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PolicySetting(Model):
    """An admin's override of a numeric policy setting (link limit, classifier thresholds)."""

    __tablename__ = "policy_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ClassifierModel(Model):
    """A spam classifier trained on moderators' decisions (service/classifier/): its weights
    as NumPy arrays (never a pickle), what it learned from, and how well it did on comments
    it was not trained on."""

    __tablename__ = "classifier_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    ham_count: Mapped[int]
    spam_count: Mapped[int]
    # Cross-validated precision, recall, F1 and counts: {"precision": 0.97, ...}
    metrics: Mapped[dict[str, float | int]] = mapped_column(JSON)
