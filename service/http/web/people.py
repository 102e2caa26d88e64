"""Moderator pages about people rather than comments: the commenter panel (history, notes),
the list of bans, and banning or spam-banning a comment's author from the queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service.errors import CommenterNotFound, SiteNotFound
from service.http.schemas.people_forms import (
    EVERY_SITE_CHOICE,
    BanAuthorForm,
    BansForm,
    CommenterNoteForm,
    LiftForm,
    NewBanForm,
)
from service.http.web import refuse_nul_characters
from service.http.web.forms import back, form_input, map_refusals, query_input, returns_to
from service.moderation import bans, commenters, shared_clients
from service.sites import scope

blp = Blueprint("people", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)
map_refusals(blp)

# What the duration menus offer, in days ("" is permanent).
DURATIONS = [("", "for good"), ("1", "for 1 day"), ("7", "for 7 days"), ("30", "for 30 days")]
_BANS_FORM = BansForm(exclude=("limit", "email_hash"))


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


def _ban_message(result: bans.BanResult) -> str:
    ban = result.ban
    how = f"until {ban['until']:%d %b %Y, %H:%M} UTC" if ban["until"] else "for good"
    message = f"Banned {ban['label']} {how}."
    if result.batch is not None:
        moved = sum(o.error is None for o in result.outcomes)
        message += f" {moved} comment{'s' if moved != 1 else ''} moved to spam."
    return message


def _ban(form: dict[str, Any]) -> Response:
    """A ban as the API's NewBanSchema loads it, as the API makes it."""
    result = bans.ban(
        bans.Target(form["kind"], form["value"], form["email"], form["comment_id"]),
        form["reason"],
        current_user,
        until=form["until"] or bans.until_after(form["days"]),
        spam=form["spam"],
        site=form["site"],
        all_sites=form["all_sites"],
    )
    flash(_ban_message(result), "info")
    return redirect(back())


@blp.route("/commenters/<email_hash>")
def commenter(email_hash: str) -> str:
    try:
        person = commenters.profile(email_hash, current_user)
    except CommenterNotFound:
        raise NotFound() from None
    return render_template(
        "moderation/commenter.html",
        person=person,
        durations=DURATIONS,
        shared_clients=shared_clients.commenters_sharing_client([person["comments"][0]["id"]]),
    )


@blp.route("/commenters/<email_hash>/notes", methods=["POST"])
@returns_to("people.commenter", "email_hash")
def add_note(email_hash: str) -> Response:
    body = form_input(CommenterNoteForm())["body"]
    try:
        commenters.add_note(email_hash, body, current_user)
    except CommenterNotFound:
        raise NotFound() from None
    flash("Note added.", "info")
    return redirect(back())


@blp.route("/comments/<int:comment_id>/ban", methods=["POST"])
def ban_author(comment_id: int) -> Response:
    """Ban (or spam-ban) the author or the client of a comment, from the queue or the panel."""
    return _ban(form_input(BanAuthorForm(), comment_id=comment_id))


@blp.route("/bans")
def list_bans() -> str:
    args = query_input(_BANS_FORM)
    try:
        page = bans.bans_page(
            current_user, state=args["state"], q=args["q"], site=args["site"], cursor=args["cursor"]
        )
    except SiteNotFound:
        raise NotFound() from None
    return render_template(
        "moderation/bans.html",
        bans=page["bans"],
        next_cursor=page["next_cursor"],
        state=args["state"],
        q=args["q"],
        site=args["site"],
        sites=scope.sites_of(current_user.id),
        every_site=EVERY_SITE_CHOICE,
        durations=DURATIONS,
    )


@blp.route("/bans", methods=["POST"])
@returns_to("people.list_bans")
def add_ban() -> Response:
    """A ban typed in: an address (hashed at once), a domain, or a hash from another page."""
    return _ban(form_input(NewBanForm()))


@blp.route("/bans/<int:ban_id>/lift", methods=["POST"])
@returns_to("people.list_bans")
def lift_ban(ban_id: int) -> Response:
    lifted = bans.lift(ban_id, current_user, form_input(LiftForm())["note"])
    flash(f"Lifted the ban on {lifted['label']}.", "info")
    return redirect(back())
