"""The sites this deployment serves, as each worker keeps them: read on every request (which
site is this?), changed rarely (an admin's edit), so held in memory and kept current by the
"sites" version in state_versions, like the bans and the rules.

A site's setting left empty is the environment's. For its policy (moderation mode, link
limit, closing age, retention) that holds for every site: the environment is the
deployment's default. For what says where the site is and who hears of it (origins, public
URL, webhook, digest recipients) it holds for the default site only, which is how an
installation from before sites keeps working unchanged; another site has only its own, so
that a new site never answers to, links to or mails the first one's people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service import origins as site_origins
from service.errors import SiteNotFound
from service.extensions import db
from service.models import DEFAULT_SITE_SLUG, Site
from service.ops import state_versions, telemetry

VERSION_NAME = "sites"


@dataclass(frozen=True)
class SiteSettings:
    """One site with the environment's values filled in where it leaves a setting empty."""

    id: int
    slug: str
    name: str
    origins: tuple[str, ...]
    public_url: str
    moderation: str
    link_limit: int
    close_after_days: int
    retention_days: int
    webhook_url: str
    webhook_secret: str
    digest_to: tuple[str, ...]

    @property
    def is_default(self) -> bool:
        return self.slug == DEFAULT_SITE_SLUG


def is_unset(value: Any) -> bool:
    """Whether a site's setting is left to the environment (None, or an empty list or text)."""
    return value is None or value == [] or value == ""


def resolve(site: Site, config: Mapping[str, Any]) -> SiteSettings:
    """The site's settings as they apply (see the module's docstring for which fall back)."""

    def own(value: Any, setting: str) -> Any:
        return config[setting] if value is None else value

    def own_or_default_sites(value: Any, setting: str, empty: Any) -> Any:
        if not is_unset(value):
            return value
        return config[setting] if site.slug == DEFAULT_SITE_SLUG else empty

    return SiteSettings(
        id=site.id,
        slug=site.slug,
        name=site.name,
        origins=tuple(own_or_default_sites(site.origins, "ALLOWED_ORIGINS", ())),
        public_url=own_or_default_sites(site.public_url, "SITE_URL", ""),
        moderation=str(own(site.moderation, "MODERATION")),
        link_limit=int(own(site.link_limit, "LINK_LIMIT")),
        close_after_days=int(own(site.close_after_days, "CLOSE_AFTER_DAYS")),
        retention_days=int(own(site.retention_days, "RETENTION_DAYS")),
        webhook_url=own_or_default_sites(site.webhook_url, "NOTIFY_WEBHOOK_URL", ""),
        webhook_secret=own_or_default_sites(site.webhook_secret, "NOTIFY_WEBHOOK_SECRET", ""),
        digest_to=tuple(own_or_default_sites(site.digest_to, "NOTIFY_EMAIL_TO", ())),
    )


@dataclass(frozen=True)
class Sites:
    """Every site, by id and by slug, and the sites each origin belongs to."""

    by_id: Mapping[int, SiteSettings]
    by_slug: Mapping[str, SiteSettings]
    by_origin: Mapping[str, SiteSettings]

    def for_request(self, slug: str | None, page: str | None) -> SiteSettings | None:
        """The site a request is for: the one its path names (None if there is no such
        site), else the one whose origins hold its Origin or Referer, else the default."""
        if slug is not None:
            return self.by_slug.get(slug)
        origin = site_origins.origin_of(page) if page else None
        found = self.by_origin.get(origin) if origin else None
        return found or self.by_slug[DEFAULT_SITE_SLUG]


def _stored_sites() -> Sites:
    config = current_app.config
    rows = db.session.scalars(select(Site).order_by(Site.id)).all()
    resolved = [resolve(row, config) for row in rows]
    by_origin: dict[str, SiteSettings] = {}
    # Other sites before the default one: an origin the default site has (often from the
    # environment) and a site was given explicitly belongs to that site.
    for site in sorted(resolved, key=lambda s: (s.is_default, s.id)):
        for origin in site.origins:
            if (key := site_origins.origin_of(origin)) is not None:
                by_origin.setdefault(key, site)
    if DEFAULT_SITE_SLUG not in {site.slug for site in resolved}:
        raise RuntimeError(
            "The database has no default site: run `flask db upgrade` (it creates it)."
        )
    return Sites(
        by_id={site.id: site for site in resolved},
        by_slug={site.slug: site for site in resolved},
        by_origin=by_origin,
    )


def _copy() -> state_versions.VersionedCopy[Sites]:
    return state_versions.copy_of(VERSION_NAME, _stored_sites)


def all_sites() -> tuple[SiteSettings, ...]:
    return tuple(_copy().current().by_id.values())


def default() -> SiteSettings:
    return _copy().current().by_slug[DEFAULT_SITE_SLUG]


def by_slug(slug: str) -> SiteSettings:
    site = _copy().current().by_slug.get(slug)
    if site is None:
        raise SiteNotFound(f"There is no site {slug!r}.")
    return site


def by_id(site_id: int) -> SiteSettings:
    site = _copy().current().by_id.get(site_id)
    if site is None:
        raise SiteNotFound(f"There is no site {site_id}.")
    return site


def for_request(slug: str | None, page: str | None) -> SiteSettings:
    """Sites.for_request, refusing a path's unknown site with SiteNotFound (404)."""
    site = _copy().current().for_request(slug, page)
    if site is None:
        raise SiteNotFound(f"There is no site {slug!r}.")
    return site


def loaded_in(app: Flask) -> Sites | None:
    """This worker's sites as last loaded (None before the first request loaded them): for
    the repeat-read path in front of Flask, which has no database session."""
    copy: state_versions.VersionedCopy[Sites] | None = app.extensions.get(
        state_versions.extension_key(VERSION_NAME)
    )
    return None if copy is None else copy.last_loaded()


def some_site_has_origins(app: Flask) -> bool:
    """Whether any site's pages may call the API (for the start-up warning): the
    environment's ALLOWED_ORIGINS, or a site given its own."""
    if app.config["ALLOWED_ORIGINS"]:
        return True
    try:
        with app.app_context():
            return any(db.session.scalars(select(Site.origins)))
    except SQLAlchemyError:
        # No schema yet (before the first `flask db upgrade`): no site has origins either.
        return False


def changed(session: Session) -> None:
    """Call in the transaction that adds, edits or removes a site."""
    state_versions.bump(session, _copy())


def current() -> SiteSettings:
    """The site this request (or command) is for: the HTTP layer sets it from the path, the
    Origin or the Referer, commands from --site; the default site otherwise."""
    site: SiteSettings | None = g.get("commentdesk_site")
    return site if site is not None else default()


def set_current(site: SiteSettings) -> None:
    g.commentdesk_site = site
    telemetry.label_site(site.slug)
