"""Admins' pages for the sites this deployment serves, and for the sites each moderator is
granted (the forms on the moderators' page post here). To anyone else they do not exist."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.errors import FieldError
from service.http.schemas.sites_forms import (
    GrantForm,
    NewSiteForm,
    RemoveSiteForm,
    SiteSettingsForm,
)
from service.http.web import refuse_nul_characters
from service.http.web.forms import back, form_input, map_refusals, returns_to
from service.models import ModerationMode
from service.moderation import site_admin

blp = Blueprint("sites", __name__, url_prefix="/moderation/sites")
blp.before_request(refuse_nul_characters)
map_refusals(blp)

MODES = [mode.value for mode in ModerationMode]


@blp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(404)


@blp.route("/")
def index() -> str:
    return render_template("moderation/sites.html", sites=site_admin.list_sites(), modes=MODES)


@blp.route("/", methods=["POST"])
@returns_to("sites.index")
def add() -> Response:
    settings = form_input(NewSiteForm())
    site = site_admin.add(settings.pop("slug"), settings, current_user.id)
    flash(f"Added site {site['slug']} ({site['name']}).", "info")
    return redirect(url_for("sites.edit", slug=site["slug"]))


@blp.route("/<slug>")
def edit(slug: str) -> str:
    return render_template("moderation/site.html", site=site_admin.get(slug), modes=MODES)


@blp.route("/<slug>", methods=["POST"])
@returns_to("sites.edit", "slug")
def change(slug: str) -> Response:
    site_admin.change(slug, form_input(SiteSettingsForm()), current_user.id)
    flash(f"Saved site {slug}.", "info")
    return redirect(back())


@blp.route("/<slug>/remove", methods=["POST"])
@returns_to("sites.edit", "slug")
def remove(slug: str) -> Response:
    form = form_input(RemoveSiteForm())
    if form["confirm"] != slug:
        raise FieldError("confirm", f"Type the site's slug ({slug}) to confirm its removal.")
    removed = site_admin.remove(slug, form["delete_comments"], current_user.id)
    flash(
        f"Removed site {slug} with {removed['comments']} comment(s) "
        f"on {removed['articles']} article(s).",
        "info",
    )
    return redirect(url_for("sites.index"))


@blp.route("/moderators/<int:moderator_id>/grant", methods=["POST"])
@returns_to("admin.moderators")
def grant(moderator_id: int) -> Response:
    form = form_input(GrantForm())
    site_admin.grant(moderator_id, form["site"], form["role"], current_user.id)
    flash(f"Granted site {form['site']} ({form['role'].value.replace('_', ' ')}).", "info")
    return redirect(back())


@blp.route("/moderators/<int:moderator_id>/<slug>/revoke", methods=["POST"])
@returns_to("admin.moderators")
def revoke(moderator_id: int, slug: str) -> Response:
    site_admin.revoke(moderator_id, slug, current_user.id)
    flash(f"Revoked site {slug}.", "info")
    return redirect(back())
