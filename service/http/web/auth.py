"""Moderators sign in and out of the web queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from service.extensions import limiter
from service.http.web import refuse_nul_characters
from service.moderation import accounts

blp = Blueprint("auth", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)

# One answer for an unknown name and a wrong password, so nobody can probe for accounts.
BAD_LOGIN = "That username and password do not match an active account."


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def _login_limit() -> str:
    limit: str = current_app.config["LOGIN_RATE_LIMIT"]
    return limit


def _account_key() -> str:
    # Read raw: the rate limiter keys the attempt before the view (and its form) runs.
    return "login-account:" + request.form.get("username", "").strip().casefold()[:80]


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
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("queue.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        moderator = accounts.authenticate(form.username.data or "", form.password.data or "")
        if moderator is not None:
            login_user(moderator)
            # Read raw: safe_next is the whole rule for where a sign-in may lead.
            return redirect(safe_next(request.args.get("next"), url_for("queue.index")))
        error = BAD_LOGIN
    elif request.method == "POST":
        error = "Enter your username and password."
    status = 401 if error else 200
    return render_template("moderation/login.html", form=form, error=error), status


@blp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
