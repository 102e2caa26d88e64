"""The part of the moderation data a moderator works on: the comments, articles and audit
events of their sites. grants.site_ids is the rule; this module applies it to queries, to the
`site` a moderator names, and to single rows. Whatever lies outside answers exactly as if it
did not exist, so that a moderator cannot tell another site's comment from no comment.

A moderator_id of None is an operator at the command line, who works on every site."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from service.errors import SiteNotFound
from service.extensions import db
from service.models import Moderator, SiteRole
from service.sites import grants, registry

# Every site (an admin's, or an operator's).
Sites = frozenset[int] | None


def of(moderator: Moderator | None) -> Sites:
    """The ids of the sites the moderator may see; None for every site (an admin's, or an
    operator's: no moderator)."""
    return None if moderator is None else grants.site_ids(moderator)


def visible(moderator_id: int | None) -> Sites:
    """`of` the moderator with this id (no such moderator: no site)."""
    if moderator_id is None:
        return None
    moderator = db.session.get(Moderator, moderator_id)
    return frozenset() if moderator is None else of(moderator)


def sees(sites: Sites, site_id: int) -> bool:
    return sites is None or site_id in sites


def within(sites: Sites, site_column: Any) -> ColumnElement[bool]:
    """The condition that a row's site (`site_column`) is one of `sites`."""
    return true() if sites is None else site_column.in_(sites)


def named(sites: Sites, slug: str) -> registry.SiteSettings:
    site = registry.by_slug(slug)
    # A site the moderator may not see is refused as one that does not exist.
    if not sees(sites, site.id):
        raise SiteNotFound(f"There is no site {slug!r}.")
    return site


def listing(moderator_id: int | None, slug: str | None) -> Sites:
    """The sites a listing (the queue, its counts, waves, articles) covers: the one `slug`
    names, or all the moderator's; SiteNotFound for a site they may not see."""
    sites = visible(moderator_id)
    return sites if slug is None else frozenset({named(sites, slug).id})


def article_site(moderator_id: int | None, slug: str | None) -> registry.SiteSettings:
    """The site an article key is addressed in: the one named, else the request's (the
    default site, unless a command's --site says otherwise), else the moderator's only
    site; SiteNotFound if it is not one of the moderator's."""
    site = implied_site(moderator_id, slug)
    if site is None:
        raise SiteNotFound("Name the article's site (site=…): it is not one of yours.")
    return site


def implied_site(moderator_id: int | None, slug: str | None) -> registry.SiteSettings | None:
    """article_site, or None when no site is named and none is implied (a moderator of
    several sites, the default one not among them)."""
    sites = visible(moderator_id)
    if slug is not None:
        return named(sites, slug)
    site = registry.current()
    if sees(sites, site.id):
        return site
    # A moderator of one site other than the default one means theirs.
    if sites is not None and len(sites) == 1:
        return registry.by_id(next(iter(sites)))
    return None


def is_site_admin(moderator_id: int | None, site_id: int) -> bool:
    """Whether the moderator may do on this site what an admin does (an article's title and
    URL); an operator at the command line may."""
    if moderator_id is None:
        return True
    moderator = db.session.get(Moderator, moderator_id)
    return moderator is not None and grants.role_on(moderator, site_id) == SiteRole.SITE_ADMIN


def sites_of(moderator_id: int | None) -> list[registry.SiteSettings]:
    """The sites the moderator works on, in the order they were made."""
    sites = visible(moderator_id)
    return [site for site in registry.all_sites() if sees(sites, site.id)]
