"""Moderators sign in and out of the web queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from service.errors import TooSoon
from service.http.web import refuse_nul_characters, sessions
from service.moderation import accounts, sign_ins

blp = Blueprint("auth", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)

# One answer for an unknown name and a wrong password, so nobody can probe for accounts.
BAD_LOGIN = "That username and password do not match an active account."


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: a login form must not become an open redirect. Browsers read a
    backslash as a slash (`/\\evil.example` is `//evil.example`) and drop tabs and newlines, so
    neither may appear at all."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return fallback


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("queue.index"))
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            moderator = sign_ins.sign_in(
                form.username.data or "", form.password.data or "", request.remote_addr
            )
        except TooSoon as refusal:
            error, status = refusal.message, 429
            headers["Retry-After"] = str(refusal.retry_after)
        else:
            if moderator is not None:
                login_user(moderator)
                sessions.begin()
                # Read raw: safe_next is the whole rule for where a sign-in may lead.
                return redirect(safe_next(request.args.get("next"), url_for("queue.index")))
            error, status = BAD_LOGIN, 401
    elif request.method == "POST":
        error, status = "Enter your username and password.", 401
    page = render_template("moderation/login.html", form=form, error=error)
    return page, status, headers


@blp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    # Ended on the server, so a copy of the cookie (another browser, a stolen one) dies too.
    accounts.end_sessions(current_user.id)
    logout_user()
    flash("You are signed out, in every browser.", "info")
    return redirect(url_for("auth.login"))
