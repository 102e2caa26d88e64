"""Sites as admins manage them (web page, API and `flask sites` alike): add, change and remove
a site, and grant moderators the sites they work on. Every change is checked here, bumps the
sites' version so every worker reloads them, and is written to the audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service import audit
from service import origins as site_origins
from service.audit import AuditAction, AuditActor
from service.comments import articles
from service.errors import (
    DomainError,
    FieldError,
    ModeratorNotFound,
    NotAllowed,
    SiteExists,
    SiteHasComments,
    SiteNotFound,
)
from service.extensions import db
from service.models import (
    DEFAULT_SITE_SLUG,
    Article,
    Ban,
    Comment,
    ImportedComment,
    ModerationEvent,
    ModerationMode,
    Moderator,
    Notification,
    PolicyRule,
    Site,
    SiteGrant,
    SiteRole,
)
from service.notifications import notifier
from service.ops.config import ConfigError
from service.ops.database import write_transaction
from service.screening import rules
from service.sites import grants, registry

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
NAME_MAX = 120
URL_MAX = 2048
SECRET_MIN, SECRET_MAX = 16, 255
LINK_LIMIT_MAX = 100
# Days beyond this would overflow a date when subtracted from today.
DAYS_MAX = 36_500
RECIPIENTS_MAX = 20

# The settings an admin may change; every one but the name may be reset (None) to the
# environment's (service/sites/registry.py says for which sites that holds).
SETTINGS = (
    "name",
    "origins",
    "public_url",
    "moderation",
    "link_limit",
    "close_after_days",
    "retention_days",
    "webhook_url",
    "webhook_secret",
    "digest_to",
)
# Kept out of the audit trail, which moderators read: that they changed is recorded, not how.
_UNRECORDED = {"webhook_url", "webhook_secret", "digest_to"}


# Reading


def list_sites() -> list[dict[str, Any]]:
    """Every site, the default first, with its own settings, the ones that apply, and how
    much it holds."""
    rows = db.session.scalars(select(Site).order_by(Site.slug != DEFAULT_SITE_SLUG, Site.slug))
    counts = _counts()
    return [_view(site, *counts.get(site.id, (0, 0))) for site in rows]


def get(slug: str) -> dict[str, Any]:
    site = _site(db.session(), slug)
    return _view(site, *_counts(site.id).get(site.id, (0, 0)))


def _counts(site_id: int | None = None) -> dict[int, tuple[int, int]]:
    """site id -> (articles, comments)."""
    stmt = (
        select(Article.site_id, func.count(func.distinct(Article.id)), func.count(Comment.id))
        .outerjoin(Comment, Comment.article_id == Article.id)
        .group_by(Article.site_id)
    )
    if site_id is not None:
        stmt = stmt.where(Article.site_id == site_id)
    return {row[0]: (row[1], row[2]) for row in db.session.execute(stmt)}


def _view(site: Site, article_count: int, comment_count: int) -> dict[str, Any]:
    """A site as admins see it. The webhook secret is never shown, only whether one is set."""
    applied = registry.resolve(site, current_app.config)
    own = {name: getattr(site, name) for name in SETTINGS}
    shown = {name: getattr(applied, name) for name in SETTINGS}
    return {
        "slug": site.slug,
        "name": site.name,
        "is_default": site.slug == DEFAULT_SITE_SLUG,
        "created_at": site.created_at,
        "origins": list(site.origins or []),
        "public_url": site.public_url,
        "moderation": site.moderation.value if site.moderation else None,
        "link_limit": site.link_limit,
        "close_after_days": site.close_after_days,
        "retention_days": site.retention_days,
        "webhook_url": site.webhook_url,
        "webhook_secret_set": bool(site.webhook_secret),
        "digest_to": list(site.digest_to) if site.digest_to else None,
        "applied": {
            "origins": list(applied.origins),
            "public_url": applied.public_url,
            "moderation": applied.moderation,
            "link_limit": applied.link_limit,
            "close_after_days": applied.close_after_days,
            "retention_days": applied.retention_days,
            "webhook_url": applied.webhook_url,
            "webhook_secret_set": bool(applied.webhook_secret),
            "digest_to": list(applied.digest_to),
        },
        # The settings the environment fills in (registry.resolve says where it may).
        "from_environment": [
            name
            for name in SETTINGS
            if registry.is_unset(own[name]) and shown[name] not in (None, (), "")
        ],
        "articles": article_count,
        "comments": comment_count,
    }


def _site(session: Session, slug: str) -> Site:
    # A slug no site can have is not looked up (a NUL character is not even comparable in
    # PostgreSQL).
    site = (
        session.scalars(select(Site).where(Site.slug == slug)).one_or_none()
        if SLUG.fullmatch(slug)
        else None
    )
    if site is None:
        raise SiteNotFound(f"There is no site {slug!r}.")
    return site


# Changing


def add(slug: str, settings: Mapping[str, Any], admin_id: int | None) -> dict[str, Any]:
    """A new site; a setting not given is the environment's."""
    slug = slug.strip() if isinstance(slug, str) else ""
    if not SLUG.fullmatch(slug):
        raise FieldError(
            "slug",
            "A site's slug has 1 to 64 lower-case letters, digits and hyphens, and starts "
            "with a letter or digit (e.g. news or city-paper).",
        )
    if "name" not in settings or settings["name"] is None:
        raise FieldError("name", "Give the site a name (1 to 120 characters).")
    with write_transaction() as session:
        if session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
            raise SiteExists(f"A site called {slug!r} already exists; change it instead.")
        site = Site(slug=slug, name="", origins=[])
        session.add(site)
        changes = _apply(session, site, settings)
        session.flush()
        _record(session, AuditAction.SITE_ADD, admin_id, site.slug, changes)
        registry.changed(session)
    return get(slug)


def change(slug: str, changes: Mapping[str, Any], admin_id: int | None) -> dict[str, Any]:
    """Change some settings of a site; a setting given as None goes back to the
    environment's. The slug never changes (addresses and embeds carry it)."""
    if not changes:
        raise FieldError("_schema", f"Send at least one of {', '.join(SETTINGS)}.")
    with write_transaction() as session:
        site = _site(session, slug)
        if applied := _apply(session, site, changes):
            _record(session, AuditAction.SITE_CHANGE, admin_id, site.slug, applied)
            registry.changed(session)
    return get(slug)


def remove(slug: str, delete_comments: bool, admin_id: int | None) -> dict[str, int]:
    """Remove a site. One with articles is removed only with delete_comments, which deletes
    its comments, articles, rules, bans and grants with it. The default site stays."""
    with write_transaction() as session:
        site = _site(session, slug)
        if site.slug == DEFAULT_SITE_SLUG:
            raise NotAllowed(
                "The default site cannot be removed: today's API paths and the environment's "
                "settings describe it."
            )
        article_count, comment_count = _counts(site.id).get(site.id, (0, 0))
        if article_count and not delete_comments:
            raise SiteHasComments(
                f"Site {slug!r} has {comment_count} comment(s) on {article_count} article(s). "
                "Removing it deletes them for good: confirm with delete comments "
                f"(flask sites remove {slug} --delete-comments, or ?delete_comments=true)."
            )
        _delete_contents(session, site.id)
        session.delete(site)
        _record(
            session,
            AuditAction.SITE_REMOVE,
            admin_id,
            slug,
            {"articles": article_count, "comments": comment_count},
        )
        registry.changed(session)
        rules.changed(session)
    # This worker's article states of the site go now; other workers' age out within
    # FEED_STATE_SECONDS, and their site no longer resolves.
    articles.forget_states()
    return {"articles": article_count, "comments": comment_count}


def _delete_contents(session: Session, site_id: int) -> None:
    """Everything that belongs to the site, children before parents (foreign keys)."""
    article_ids = select(Article.id).where(Article.site_id == site_id).scalar_subquery()
    comment_ids = select(Comment.id).where(Comment.article_id.in_(article_ids)).scalar_subquery()
    ban_ids = select(Ban.id).where(Ban.site_id == site_id).scalar_subquery()
    session.execute(
        delete(ModerationEvent).where(
            ModerationEvent.comment_id.in_(comment_ids)
            | ModerationEvent.article_id.in_(article_ids)
            | ModerationEvent.ban_id.in_(ban_ids)
        )
    )
    session.execute(delete(Notification).where(Notification.comment_id.in_(comment_ids)))
    session.execute(delete(ImportedComment).where(ImportedComment.comment_id.in_(comment_ids)))
    # Replies point at their parents: unlinked first, so no row is deleted before its reply.
    session.execute(
        update(Comment).where(Comment.id.in_(comment_ids)).values(parent_id=None),
        execution_options={"synchronize_session": False},
    )
    session.execute(delete(Comment).where(Comment.id.in_(comment_ids)))
    session.execute(delete(Article).where(Article.site_id == site_id))
    session.execute(delete(PolicyRule).where(PolicyRule.site_id == site_id))
    session.execute(delete(SiteGrant).where(SiteGrant.site_id == site_id))
    grants.forget()
    # Through the ORM: a ban written tells every worker's ban checks (screening/ban_checks).
    for ban in session.scalars(select(Ban).where(Ban.site_id == site_id)):
        session.delete(ban)


def _apply(session: Session, site: Site, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check each change and set it on the site; what was changed, fit for the audit trail."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise FieldError(unknown[0], f"Not a site setting; the settings are {', '.join(SETTINGS)}.")
    checked = {name: _CHECKS[name](value) for name, value in changes.items()}
    if "origins" in checked:
        _check_unclaimed(session, site, checked["origins"])
        # An empty list, not None: the column holds a list (empty: the environment's).
        checked["origins"] = checked["origins"] or []
    # A form sends every setting: only those that differ are changes (and audited).
    changed = {name: value for name, value in checked.items() if getattr(site, name) != value}
    for name, value in changed.items():
        setattr(site, name, value)
    _check_receivers(site)
    return {
        name: (("set" if value else "reset") if name in _UNRECORDED else _plain(value))
        for name, value in changed.items()
    }


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, ModerationMode) else value


def _check_unclaimed(session: Session, site: Site, wanted: list[str] | None) -> None:
    """An origin belongs to one site (CORS and redirects must know whose page it is); the
    environment's ALLOWED_ORIGINS, the default site's when it sets none, yield to a site."""
    if not wanted:
        return
    others = session.execute(select(Site.slug, Site.origins).where(Site.id != site.id))
    for slug, stored in others:
        taken = set(wanted) & set(stored or [])
        if taken:
            raise FieldError(
                "origins",
                f"{sorted(taken)[0]} already belongs to site {slug!r}; remove it there first.",
            )


def _check_receivers(site: Site) -> None:
    """The site's webhook and digest recipients must be sendable: the notifications' own
    check (a webhook needs its secret, recipients need SMTP), as `flask notify` applies it."""
    try:
        notifier().settings.for_site(registry.resolve(site, current_app.config))
    except ConfigError as error:
        raise FieldError(error.setting or "webhook_url", str(error)) from None


def _record(
    session: Session,
    action: AuditAction,
    admin_id: int | None,
    slug: str,
    data: Mapping[str, Any],
) -> None:
    # From the command line there is no signed-in admin: the operator acts as the system.
    audit.record(
        session,
        action,
        AuditActor.MODERATOR if admin_id is not None else AuditActor.SYSTEM,
        moderator_id=admin_id,
        data={"site": slug, **data},
    )


# The checks, one a setting: each returns the value to store (None: the environment's).


def _name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise FieldError("name", f"A site's name has 1 to {NAME_MAX} printable characters.")
    return name


def _origins(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise FieldError("origins", "Send the site's origins as a list.")
    checked: list[str] = []
    for entry in value:
        if not isinstance(entry, str):
            raise FieldError("origins", "Each origin is text, like https://blog.example.com.")
        try:
            origin = site_origins.checked_origin(entry)
        except ValueError as error:
            raise FieldError("origins", f"Each origin {error}") from None
        if origin not in checked:
            checked.append(origin)
    if len(checked) > 50:
        raise FieldError("origins", "A site has at most 50 origins.")
    return checked or None


def _url(field: str) -> Any:
    def check(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        url = value.strip() if isinstance(value, str) else ""
        shaped = len(url) <= URL_MAX and url.isprintable() and " " not in url
        if not shaped or site_origins.origin_of(url) is None:
            # Not repeated back: a webhook's address may carry its token.
            raise FieldError(field, f"Enter a full http:// or https:// address for {field}.")
        return url

    return check


def _moderation(value: Any) -> ModerationMode | None:
    if value is None:
        return None
    try:
        return ModerationMode(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        modes = ", ".join(mode.value for mode in ModerationMode)
        raise FieldError("moderation", f"moderation must be one of {modes}.") from None


def _whole(field: str, high: int) -> Any:
    def check(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise FieldError(field, f"{field} must be a whole number from 0 to {high}.")
        return value

    return check


def _secret(value: Any) -> str | None:
    if value is None or value == "":
        return None
    secret = value if isinstance(value, str) else ""
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or not secret.isprintable() or " " in secret:
        raise FieldError(
            "webhook_secret",
            f"The webhook secret has {SECRET_MIN} to {SECRET_MAX} characters without spaces "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))').",
        )
    return secret


def _recipients(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise FieldError("digest_to", "Send the digest's recipients as a list of addresses.")
    addresses: list[str] = []
    for entry in value:
        try:
            # Deliverability is for the mail server to find out; no DNS on an admin's save.
            address = validate_email(str(entry).strip(), check_deliverability=False).normalized
        except EmailNotValidError as error:
            # The error names the problem, never the address: it may end up in a log.
            raise FieldError("digest_to", f"A recipient is not a valid address: {error}") from None
        # One mail to Desk@ and desk@: in practice one mailbox.
        if address.casefold() not in {known.casefold() for known in addresses}:
            addresses.append(address)
    if len(addresses) > RECIPIENTS_MAX:
        raise FieldError("digest_to", f"The digest goes to at most {RECIPIENTS_MAX} addresses.")
    return addresses or None


_CHECKS: dict[str, Any] = {
    "name": _name,
    "origins": _origins,
    "public_url": _url("public_url"),
    "moderation": _moderation,
    "link_limit": _whole("link_limit", LINK_LIMIT_MAX),
    "close_after_days": _whole("close_after_days", DAYS_MAX),
    "retention_days": _whole("retention_days", DAYS_MAX),
    "webhook_url": _url("webhook_url"),
    "webhook_secret": _secret,
    "digest_to": _recipients,
}


# Grants


def moderator_named(username: str) -> int:
    """A moderator's id by name (active or not), for the command line."""
    moderator_id = db.session.scalar(select(Moderator.id).where(Moderator.username == username))
    if moderator_id is None:
        raise ModeratorNotFound(f"There is no moderator called {username!r}.")
    return int(moderator_id)


def grants_of(moderator_id: int) -> list[dict[str, Any]]:
    """The sites a moderator works on, with their role on each."""
    _moderator(db.session(), moderator_id)
    return grants_by_moderator().get(moderator_id, [])


def grants_by_moderator() -> dict[int, list[dict[str, Any]]]:
    """Every moderator's grants, for the moderators' page."""
    rows = db.session.execute(
        select(SiteGrant.moderator_id, Site.slug, Site.name, SiteGrant.role)
        .join(Site, Site.id == SiteGrant.site_id)
        .order_by(Site.slug != DEFAULT_SITE_SLUG, Site.slug)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for moderator_id, slug, name, role in rows:
        found.setdefault(moderator_id, []).append({"site": slug, "name": name, "role": role.value})
    return found


def grant(
    moderator_id: int, slug: str, role: SiteRole | str, admin_id: int | None
) -> list[dict[str, Any]]:
    """Let a moderator work on a site, as moderator or as its site admin (or change the
    role they have there)."""
    try:
        role = SiteRole(role)
    except ValueError:
        raise FieldError("role", "role must be moderator or site_admin.") from None
    with write_transaction() as session:
        moderator = _moderator(session, moderator_id)
        if moderator.is_admin:
            raise DomainError(
                f"{moderator.username} is an admin and manages every site already; "
                "grants are for moderators."
            )
        site = _site(session, slug)
        grants.grant(session, moderator.id, site.id, role)
        _record_grant(session, AuditAction.SITE_GRANT, admin_id, site.slug, moderator, role)
    return grants_of(moderator_id)


def revoke(moderator_id: int, slug: str, admin_id: int | None) -> list[dict[str, Any]]:
    """Take a site away from a moderator; they keep their other sites."""
    with write_transaction() as session:
        moderator = _moderator(session, moderator_id)
        site = _site(session, slug)
        existing = session.get(SiteGrant, (moderator.id, site.id))
        if existing is None:
            raise FieldError("site", f"{moderator.username} has no grant on site {slug!r}.")
        session.delete(existing)
        grants.forget()
        _record_grant(session, AuditAction.SITE_REVOKE, admin_id, site.slug, moderator, None)
    return grants_of(moderator_id)


def _moderator(session: Session, moderator_id: int) -> Moderator:
    moderator = session.get(Moderator, moderator_id)
    if moderator is None:
        raise ModeratorNotFound(f"There is no moderator {moderator_id}.")
    return moderator


def _record_grant(
    session: Session,
    action: AuditAction,
    admin_id: int | None,
    slug: str,
    moderator: Moderator,
    role: SiteRole | None,
) -> None:
    data: dict[str, Any] = {"moderator": moderator.username}
    if role is not None:
        data["role"] = role.value
    _record(session, action, admin_id, slug, data)
