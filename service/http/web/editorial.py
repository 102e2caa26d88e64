"""Queue actions on one comment's text and place: a moderator's edit, pin and unpin. Plain
form posts (redirect back, flash message), outside the queue's scripted bulk form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.http.schemas.forms import EditForm
from service.http.web import refuse_nul_characters
from service.http.web.forms import back, form_input, map_refusals
from service.moderation import editorial

blp = Blueprint("editorial", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)
map_refusals(blp)


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


@blp.route("/comments/<int:comment_id>/edit", methods=["POST"])
def edit(comment_id: int) -> Response:
    change = form_input(EditForm())
    editorial.edit(comment_id, change["body"], current_user.id, change["note"])
    flash(f"Comment {comment_id} edited; the original is in its history.", "info")
    return redirect(back())


@blp.route("/comments/<int:comment_id>/<any(pin, unpin):action>", methods=["POST"])
def pin(comment_id: int, action: str) -> Response:
    editorial.set_pinned(comment_id, action == "pin", current_user.id)
    flash(f"Comment {comment_id} {action}ned.", "info")
    return redirect(back())
