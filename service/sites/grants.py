"""Which sites a moderator may work on. Admins manage every site and need no grant; a
moderator works on the sites they are granted, as moderator or as that site's admin.

Everything outside a moderator's sites answers as if it did not exist (404), so that one
site's moderators cannot learn what another site has."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import Moderator, SiteGrant, SiteRole


def site_ids(moderator: Moderator) -> frozenset[int] | None:
    """The ids of the sites the moderator may see; None for an admin (every site)."""
    if moderator.is_admin:
        return None
    rows = db.session.scalars(
        select(SiteGrant.site_id).where(SiteGrant.moderator_id == moderator.id)
    )
    return frozenset(rows)


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
