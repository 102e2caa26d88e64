"""The audit log page: every decision, who made it, when, from and to which status."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from service.http.schemas.forms import EventsForm
from service.http.web import refuse_nul_characters
from service.http.web.forms import query_input
from service.moderation import audit_trail

blp = Blueprint("audit", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)
# The page's size is its own (100 events), not the link's.
_EVENTS_FORM = EventsForm(exclude=("limit",))


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


@blp.route("/events")
def events() -> str:
    filters = query_input(_EVENTS_FORM)
    page = audit_trail.events_page(current_user.id, **filters, limit=100)
    return render_template(
        "moderation/events.html",
        events=page["events"],
        next_cursor=page["next_cursor"],
        filters=filters,
        moderators=audit_trail.moderator_names(current_user.id),
    )
