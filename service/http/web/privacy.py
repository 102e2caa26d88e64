"""Privacy requests from the moderation pages: download or erase what is stored about an
address. Admins answer for every site, site admins for the sites they are site admin of; the
page says which (service/privacy/personal_data.py holds the rule)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, g, redirect, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.errors import NotAllowed
from service.http.schemas.people_forms import ErasureForm, PersonForm
from service.http.web import refuse_nul_characters
from service.http.web.forms import back, form_input, map_refusals, returns_to
from service.models import Moderator
from service.privacy import personal_data

blp = Blueprint("privacy", __name__, url_prefix="/moderation/admin/privacy")
blp.before_request(refuse_nul_characters)
map_refusals(blp)


@blp.app_template_global()
def answers_privacy_requests(moderator: Moderator) -> bool:
    """For the menu: whether the moderator may open these pages."""
    try:
        personal_data.sites_for(moderator)
    except NotAllowed:
        return False
    return True


@blp.before_request
@login_required
def require_site_admin() -> None:
    try:
        g.privacy_sites = personal_data.sites_for(current_user)
    except NotAllowed:
        abort(403)


@blp.route("")
def page() -> str:
    sites = g.privacy_sites
    covered = None if sites is None else personal_data.site_slugs(sites)
    return render_template("moderation/privacy.html", covered=covered)


@blp.route("/export", methods=["POST"])
@returns_to("privacy.page")
def export() -> Response:
    email = form_input(PersonForm())["email"]
    document = personal_data.export_person(email, g.privacy_sites)
    # The file name carries no address: downloads folders get synced and shared.
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="commenter-data.json"'},
    )


@blp.route("/erase", methods=["POST"])
@returns_to("privacy.page")
def erase() -> Response:
    form = form_input(ErasureForm())
    mode: personal_data.ErasureMode = form["mode"]
    erasure = personal_data.erase_person(form["email"], mode, g.privacy_sites, current_user.id)
    flash(
        f"Erased the commenter's data from {erasure.comments} comments ({mode.value}) on "
        f"{_sites_named(erasure.sites, g.privacy_sites is None)}.",
        "info",
    )
    return redirect(back())


def _sites_named(slugs: list[str], every_site: bool) -> str:
    return "every site" if every_site else "your sites: " + ", ".join(slugs)
