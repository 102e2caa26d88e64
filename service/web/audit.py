"""The audit log page: every decision, who made it, when, from and to which status."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask_login import login_required

from service import auth, moderation
from service.errors import FieldError

blp = Blueprint("audit", __name__, url_prefix="/moderation")


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


@blp.route("/events")
def events() -> str:
    comment_id = request.args.get("comment_id", "")
    moderator = request.args.get("moderator") or None
    filters = {
        "comment_id": int(comment_id) if comment_id.isdigit() else None,
        "moderator": moderator,
        "cursor": request.args.get("cursor") or None,
    }
    try:
        page = moderation.events_page(**filters, limit=100)
    except FieldError as error:
        flash(error.message, "error")
        page = moderation.events_page(filters["comment_id"], moderator, None, 100)
    return render_template(
        "moderation/events.html",
        events=page["events"],
        next_cursor=page["next_cursor"],
        filters=filters,
        moderators=[m.username for m in auth.list_moderators()],
    )
