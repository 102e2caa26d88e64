"""Admin pages: moderator accounts and API tokens (privacy requests: privacy.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.errors import NotAllowed
from service.http.schemas.people_forms import (
    ActiveForm,
    NewModeratorForm,
    PasswordForm,
    TokenForm,
)
from service.http.web import refuse_nul_characters
from service.http.web.forms import back, form_input, map_refusals, returns_to
from service.moderation import accounts, site_admin

blp = Blueprint("admin", __name__, url_prefix="/moderation/admin")
blp.before_request(refuse_nul_characters)
map_refusals(blp)


@blp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@blp.route("/moderators")
def moderators() -> str:
    return render_template(
        "moderation/moderators.html",
        moderators=accounts.list_moderators(),
        grants=site_admin.grants_by_moderator(),
        sites=site_admin.list_sites(),
    )


@blp.route("/moderators", methods=["POST"])
@returns_to("admin.moderators")
def create_moderator() -> Response:
    form = form_input(NewModeratorForm())
    moderator = accounts.create_moderator(
        form["username"], form["password"], admin=form["role"] == "admin"
    )
    flash(f"Created {moderator.role.value} {moderator.username}.", "info")
    return redirect(back())


@blp.route("/moderators/<int:moderator_id>/active", methods=["POST"])
@returns_to("admin.moderators")
def set_active(moderator_id: int) -> Response:
    active = form_input(ActiveForm())["active"]
    if moderator_id == current_user.id and not active:
        raise NotAllowed("You cannot disable your own account.")
    moderator = accounts.set_active(moderator_id, active)
    flash(f"{moderator.username} is {'enabled' if active else 'disabled'}.", "info")
    return redirect(back())


@blp.route("/moderators/<int:moderator_id>/password", methods=["POST"])
@returns_to("admin.moderators")
def reset_password(moderator_id: int) -> Response:
    moderator = accounts.reset_password(moderator_id, form_input(PasswordForm())["password"])
    flash(f"New password set for {moderator.username}; their sessions have ended.", "info")
    return redirect(back())


@blp.route("/moderators/<int:moderator_id>/sessions/end", methods=["POST"])
@returns_to("admin.moderators")
def end_sessions(moderator_id: int) -> Response:
    """Sign out everywhere: a lost laptop, a shared computer, a cookie that may have leaked."""
    moderator = accounts.end_sessions(moderator_id)
    flash(f"{moderator.username} is signed out in every browser.", "info")
    return redirect(back())


@blp.route("/tokens")
def tokens() -> str:
    return render_template(
        "moderation/tokens.html",
        tokens=accounts.list_tokens(),
        moderators=accounts.list_moderators(),
        new_token=None,
    )


@blp.route("/tokens", methods=["POST"])
@returns_to("admin.tokens")
def create_token() -> str:
    form = form_input(TokenForm())
    token = accounts.create_api_token(form["username"], form["label"])
    # Rendered, not redirected: the token is shown this once and never stored in clear.
    return render_template(
        "moderation/tokens.html",
        tokens=accounts.list_tokens(),
        moderators=accounts.list_moderators(),
        new_token=token,
    )


@blp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@returns_to("admin.tokens")
def revoke_token(token_id: int) -> Response:
    accounts.revoke_token(token_id)
    flash("Token revoked.", "info")
    return redirect(back())
