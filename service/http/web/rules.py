"""Admin page for the spam policy's lists and limits, one site at a time (the default site's
unless the address names another), with the simulator before saving."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service.errors import DomainError, SiteNotFound
from service.http.errors import http_exception_response
from service.http.schemas.common import messages_of
from service.http.schemas.people_forms import RulesForm, RulesSiteArgs
from service.http.web.forms import form_input, query_input, typed_form
from service.models import RuleKind
from service.screening import rules
from service.sites import registry

blp = Blueprint("rules", __name__, url_prefix="/moderation/admin")

LIST_LABELS = {
    RuleKind.HOLD_WORD: "Hold words (held for a moderator)",
    RuleKind.DENY_WORD: "Deny words (rejected)",
    RuleKind.DENY_DOMAIN: "Denied link domains (spam)",
}


@blp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@blp.before_request
def pick_site() -> None:
    registry.set_current(registry.by_slug(query_input(RulesSiteArgs(), say=False)["site"]))


def _here() -> str:
    """This page's address for the site it shows (the default site's has no site named)."""
    site = registry.current()
    return url_for("rules.show", site=None if site.is_default else site.slug)


def _lists(form: Mapping[str, Any]) -> dict[RuleKind, list[str]]:
    return {kind: str(form.get(kind.value, "")).splitlines() for kind in RuleKind}


def _page(
    lists: dict[RuleKind, list[str]], settings: Mapping[str, float | str], **extra: object
) -> str:
    return render_template(
        "moderation/rules.html",
        lists=lists,
        labels=LIST_LABELS,
        settings=settings,
        configured=rules.configured_rules(),
        site=registry.current(),
        sites=registry.all_sites(),
        action=_here(),
        **extra,
    )


@blp.errorhandler(SiteNotFound)
def no_such_site(_error: SiteNotFound) -> Any:
    return http_exception_response(NotFound())


@blp.errorhandler(DomainError)
@blp.errorhandler(ValidationError)
def refused(error: DomainError | ValidationError) -> str:
    """A refusal is flashed above the page as typed, to be corrected (nothing is saved)."""
    flash(error.message if isinstance(error, DomainError) else messages_of(error), "error")
    typed = typed_form(RulesForm())
    return _page(_lists(typed), {name: typed.get(name, "") for name in rules.EDITABLE_SETTINGS})


@blp.route("/rules")
def show() -> str:
    current = rules.current_rules()
    settings = {name: getattr(current, name) for name in rules.EDITABLE_SETTINGS}
    return _page(rules.admin_lists(), settings)


@blp.route("/rules", methods=["POST"])
def change() -> str | Response:
    form = form_input(RulesForm())
    lists = _lists(form)
    settings = {name: form[name] for name in rules.EDITABLE_SETTINGS if form[name] is not None}
    if form["do"] == "save":
        rules.save(lists, settings)
        flash("Rules saved; they apply to the next comment.", "info")
        return redirect(_here())
    simulation = rules.simulate(rules.proposed(lists, settings), last=form["last"])
    return _page(lists, settings, simulation=simulation, last=form["last"])
