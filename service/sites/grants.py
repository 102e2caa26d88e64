"""Which sites a moderator may work on. Admins manage every site and need no grant; a
moderator works on the sites they are granted, as moderator or as that site's admin.

Everything outside a moderator's sites answers as if it did not exist (404), so that one
site's moderators cannot learn what another site has."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import SiteNotFound
from service.extensions import db
from service.models import Moderator, SiteGrant, SiteRole
from service.sites import registry
from service.sites.registry import SiteSettings


def site_ids(moderator: Moderator, role: SiteRole | None = None) -> frozenset[int] | None:
    """The ids of the sites the moderator may see (with `role`: those they hold that role
    on); None for an admin (every site)."""
    if moderator.is_admin:
        return None
    stmt = select(SiteGrant.site_id).where(SiteGrant.moderator_id == moderator.id)
    if role is not None:
        stmt = stmt.where(SiteGrant.role == role)
    return frozenset(db.session.scalars(stmt))


def visible_sites(moderator: Moderator) -> list[SiteSettings]:
    """The sites the moderator may see, for menus (every site for an admin)."""
    sites = site_ids(moderator)
    return [site for site in registry.all_sites() if sites is None or site.id in sites]


def visible_site(sites: frozenset[int] | None, slug: str) -> int:
    """The id of the site `slug` if it is one of `sites` (site_ids: None is every site);
    SiteNotFound for any other, as for one that does not exist."""
    site = registry.by_slug(slug)
    if sites is not None and site.id not in sites:
        raise SiteNotFound(f"There is no site {slug!r}.")
    return site.id


def role_on(moderator: Moderator, site_id: int) -> SiteRole | None:
    """The moderator's role on the site: SITE_ADMIN for admins, None without a grant."""
    if moderator.is_admin:
        return SiteRole.SITE_ADMIN
    role: SiteRole | None = db.session.scalar(
        select(SiteGrant.role).where(
            SiteGrant.moderator_id == moderator.id, SiteGrant.site_id == site_id
        )
    )
    return role


def may_see(moderator: Moderator, site_id: int) -> bool:
    return role_on(moderator, site_id) is not None


def grant(session: Session, moderator_id: int, site_id: int, role: SiteRole) -> None:
    """Give (or change) a moderator's role on a site, in the caller's transaction."""
    existing = session.get(SiteGrant, (moderator_id, site_id))
    if existing is None:
        session.add(SiteGrant(moderator_id=moderator_id, site_id=site_id, role=role))
    else:
        existing.role = role
