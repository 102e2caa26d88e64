"""Which sites a moderator may work on. Admins manage every site and need no grant; a
moderator works on the sites they are granted, as moderator or as that site's admin.

Everything outside a moderator's sites answers as if it did not exist (404), so that one
site's moderators cannot learn what another site has."""

from __future__ import annotations

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import Moderator, SiteGrant, SiteRole


def _roles(moderator: Moderator) -> dict[int, SiteRole]:
    """The moderator's role on each granted site, read once per request (a queue page asks
    several times) and forgotten when grants change (`forget`)."""
    cache: dict[int, dict[int, SiteRole]] = g.setdefault("commentdesk_site_roles", {})
    if moderator.id not in cache:
        rows = db.session.execute(
            select(SiteGrant.site_id, SiteGrant.role).where(SiteGrant.moderator_id == moderator.id)
        )
        cache[moderator.id] = {site_id: role for site_id, role in rows}
    return cache[moderator.id]


def forget() -> None:
    """Call after changing grants: this request reads them again."""
    g.pop("commentdesk_site_roles", None)


def site_ids(moderator: Moderator, role: SiteRole | None = None) -> frozenset[int] | None:
    """The ids of the sites the moderator may see (with `role`: those they hold that role
    on); None for an admin (every site)."""
    if moderator.is_admin:
        return None
    roles = _roles(moderator)
    return frozenset(site for site, held in roles.items() if role is None or held == role)


def role_on(moderator: Moderator, site_id: int) -> SiteRole | None:
    """The moderator's role on the site: SITE_ADMIN for admins, None without a grant."""
    if moderator.is_admin:
        return SiteRole.SITE_ADMIN
    return _roles(moderator).get(site_id)


def grant(session: Session, moderator_id: int, site_id: int, role: SiteRole) -> None:
    """Give (or change) a moderator's role on a site, in the caller's transaction."""
    forget()
    existing = session.get(SiteGrant, (moderator_id, site_id))
    if existing is None:
        session.add(SiteGrant(moderator_id=moderator_id, site_id=site_id, role=role))
    else:
        existing.role = role
