"""Queue actions on one comment's text and place: a moderator's edit, pin and unpin. Plain
form posts (redirect back, flash message), outside the queue's scripted bulk form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from service.errors import DomainError
from service.http.schemas.common import messages_of
from service.http.schemas.moderation import ModeratorEditSchema
from service.http.web import refuse_nul_characters
from service.http.web.auth import safe_next
from service.moderation import editorial

blp = Blueprint("editorial", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("queue.index"))


@blp.route("/comments/<int:comment_id>/edit", methods=["POST"])
def edit(comment_id: int) -> Response:
    try:
        change = ModeratorEditSchema().load(
            {"body": request.form.get("body", ""), "note": request.form.get("why") or None}
        )
        editorial.edit(comment_id, change["body"], current_user.id, change["note"])
        flash(f"Comment {comment_id} edited; the original is in its history.", "info")
    except ValidationError as error:
        flash(messages_of(error), "error")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_back())


@blp.route("/comments/<int:comment_id>/<any(pin, unpin):action>", methods=["POST"])
def pin(comment_id: int, action: str) -> Response:
    try:
        editorial.set_pinned(comment_id, action == "pin", current_user.id)
        flash(f"Comment {comment_id} {action}ned.", "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_back())
