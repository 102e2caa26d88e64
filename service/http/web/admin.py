"""Admin pages: moderator accounts and API tokens."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.errors import DomainError
from service.http.web import refuse_nul_characters
from service.moderation import accounts
from service.privacy import personal_data

blp = Blueprint("admin", __name__, url_prefix="/moderation/admin")
blp.before_request(refuse_nul_characters)


@blp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@blp.route("/moderators")
def moderators() -> str:
    return render_template("moderation/moderators.html", moderators=accounts.list_moderators())


@blp.route("/moderators", methods=["POST"])
def create_moderator() -> Response:
    try:
        moderator = accounts.create_moderator(
            request.form.get("username", ""),
            request.form.get("password", ""),
            admin=request.form.get("role") == "admin",
        )
        flash(f"Created {moderator.role.value} {moderator.username}.", "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("admin.moderators"))


@blp.route("/moderators/<int:moderator_id>/active", methods=["POST"])
def set_active(moderator_id: int) -> Response:
    active = request.form.get("active") == "1"
    if moderator_id == current_user.id and not active:
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("admin.moderators"))
    try:
        moderator = accounts.set_active(moderator_id, active)
        flash(f"{moderator.username} is {'enabled' if active else 'disabled'}.", "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("admin.moderators"))


@blp.route("/moderators/<int:moderator_id>/password", methods=["POST"])
def reset_password(moderator_id: int) -> Response:
    try:
        moderator = accounts.reset_password(moderator_id, request.form.get("password", ""))
        flash(f"New password set for {moderator.username}; their sessions have ended.", "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("admin.moderators"))


@blp.route("/tokens")
def tokens() -> str:
    return render_template(
        "moderation/tokens.html",
        tokens=accounts.list_tokens(),
        moderators=accounts.list_moderators(),
        new_token=None,
    )


@blp.route("/tokens", methods=["POST"])
def create_token() -> str | Response:
    try:
        token = accounts.create_api_token(
            request.form.get("username", ""), request.form.get("label", "").strip()[:80]
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.tokens"))
    # Rendered, not redirected: the token is shown this once and never stored in clear.
    return render_template(
        "moderation/tokens.html",
        tokens=accounts.list_tokens(),
        moderators=accounts.list_moderators(),
        new_token=token,
    )


@blp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> Response:
    accounts.revoke_token(token_id)
    flash("Token revoked.", "info")
    return redirect(url_for("admin.tokens"))


@blp.route("/privacy")
def privacy() -> str:
    return render_template("moderation/privacy.html")


def _requested_email() -> str | None:
    email = request.form.get("email", "").strip()
    if not 3 <= len(email) <= 254:
        flash("Enter the commenter's email address.", "error")
        return None
    return email


@blp.route("/privacy/export", methods=["POST"])
def privacy_export() -> Response:
    email = _requested_email()
    if email is None:
        return redirect(url_for("admin.privacy"))
    document = json.dumps(personal_data.export_person(email), ensure_ascii=False, indent=2)
    # The file name carries no address: downloads folders get synced and shared.
    return Response(
        document,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="commenter-data.json"'},
    )


@blp.route("/privacy/erase", methods=["POST"])
def privacy_erase() -> Response:
    email = _requested_email()
    mode = request.form.get("mode", "")
    if email is None:
        return redirect(url_for("admin.privacy"))
    if mode not in {m.value for m in personal_data.ErasureMode}:
        flash("Choose whether to keep the comments' text or delete it.", "error")
        return redirect(url_for("admin.privacy"))
    erasure = personal_data.erase_person(email, personal_data.ErasureMode(mode), current_user.id)
    flash(f"Erased the commenter's data from {erasure.comments} comments ({mode}).", "info")
    return redirect(url_for("admin.privacy"))
