"""The audit log page: every decision, who made it, when, from and to which status."""

from __future__ import annotations

from typing import TypedDict

from flask import Blueprint, flash, render_template, request
from flask_login import login_required

from service.errors import FieldError
from service.http.web import refuse_nul_characters
from service.models import MAX_ID
from service.moderation import accounts, audit_trail

blp = Blueprint("audit", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


class _EventFilters(TypedDict):
    comment_id: int | None
    moderator: str | None
    cursor: str | None


def _comment_id(text: str) -> int | None:
    """The comment filter as an id; anything else ("abc", "²", a number no id can reach) is
    reported and left out, never handed to the database."""
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) < 12 and 0 < int(text) <= MAX_ID:
        return int(text)
    flash("Enter a comment's number to see its history.", "error")
    return None


@blp.route("/events")
def events() -> str:
    moderator = request.args.get("moderator") or None
    filters: _EventFilters = {
        "comment_id": _comment_id(request.args.get("comment_id", "").strip()),
        "moderator": moderator,
        "cursor": request.args.get("cursor") or None,
    }
    try:
        page = audit_trail.events_page(**filters, limit=100)
    except FieldError as error:
        flash(error.message, "error")
        page = audit_trail.events_page(filters["comment_id"], moderator, None, 100)
    return render_template(
        "moderation/events.html",
        events=page["events"],
        next_cursor=page["next_cursor"],
        filters=filters,
        moderators=[m.username for m in accounts.list_moderators()],
    )
