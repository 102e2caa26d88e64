"""Sites and moderators' grants, for admins' scripts (bearer API token). To anyone else these
addresses do not exist (404), like every other site's things."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from werkzeug.exceptions import NotFound

from service.http.api.moderation import SECURITY, require_token
from service.http.openapi import Blueprint
from service.http.schemas.sites import (
    GrantListSchema,
    NewGrantSchema,
    NewSiteSchema,
    RemovedSiteSchema,
    RemoveSiteArgsSchema,
    SiteChangesSchema,
    SiteListSchema,
    SiteSchema,
)
from service.moderation import site_admin

blp = Blueprint(
    "sites_api",
    __name__,
    url_prefix="/api/v1/moderation",
    description="Sites and the moderators granted each (admins; Authorization: Bearer <token>).",
)


blp.before_request(require_token)


def _admin_id() -> int:
    """The signed-in admin's id; anyone else is told there is nothing here. Asked in each
    view, after the body is read: a body no endpoint could read is refused as such (400,
    415, 422 say nothing about sites), the same for everyone."""
    if not g.moderator.is_admin:
        raise NotFound()
    admin_id: int = g.moderator.id
    return admin_id


@blp.route("/sites")
class Sites(MethodView):
    @blp.response(200, SiteListSchema)
    @blp.doc(**SECURITY)
    def get(self) -> Any:
        """Every site with its own settings and the ones that apply (the environment's
        where it sets none)."""
        _admin_id()
        return {"sites": site_admin.list_sites()}

    @blp.arguments(NewSiteSchema)
    @blp.response(201, SiteSchema)
    @blp.doc(**SECURITY)
    def post(self, args: dict[str, Any]) -> Any:
        """Add a site; a setting left out is the environment's."""
        admin_id = _admin_id()
        slug = args.pop("slug")
        return site_admin.add(slug, args, admin_id)


@blp.route("/sites/<slug>")
class OneSite(MethodView):
    @blp.response(200, SiteSchema)
    @blp.doc(**SECURITY)
    def get(self, slug: str) -> Any:
        """One site."""
        _admin_id()
        return site_admin.get(slug)

    @blp.arguments(SiteChangesSchema)
    @blp.response(200, SiteSchema)
    @blp.doc(**SECURITY)
    def patch(self, changes: dict[str, Any], slug: str) -> Any:
        """Change some settings; null sets one back to the environment's. The slug stays."""
        return site_admin.change(slug, changes, _admin_id())

    @blp.arguments(RemoveSiteArgsSchema, location="query")
    @blp.response(200, RemovedSiteSchema)
    @blp.doc(**SECURITY)
    def delete(self, args: dict[str, Any], slug: str) -> Any:
        """Remove a site (never the default one). A site with articles needs
        `?delete_comments=true`, which deletes its comments, articles, rules and bans."""
        return site_admin.remove(slug, args["delete_comments"], _admin_id())


@blp.route("/moderators/<int:moderator_id>/sites")
@blp.response(200, GrantListSchema)
@blp.doc(**SECURITY)
def grants(moderator_id: int) -> Any:
    """The sites a moderator works on, with their role on each (admins work on all)."""
    _admin_id()
    return {"grants": site_admin.grants_of(moderator_id)}


@blp.route("/moderators/<int:moderator_id>/sites/<slug>")
class Grant(MethodView):
    @blp.arguments(NewGrantSchema, location="json", required=False)
    @blp.response(200, GrantListSchema)
    @blp.doc(**SECURITY)
    def put(self, args: dict[str, Any], moderator_id: int, slug: str) -> Any:
        """Grant a moderator a site, as moderator or site_admin (or change their role)."""
        admin_id = _admin_id()
        return {"grants": site_admin.grant(moderator_id, slug, args["role"], admin_id)}

    @blp.response(200, GrantListSchema)
    @blp.doc(**SECURITY)
    def delete(self, moderator_id: int, slug: str) -> Any:
        """Take a site away from a moderator."""
        return {"grants": site_admin.revoke(moderator_id, slug, _admin_id())}
