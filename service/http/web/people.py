"""Moderator pages about people rather than comments: the commenter panel (history, notes),
the list of bans, and banning or spam-banning a comment's author from the queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service.errors import CommenterNotFound, DomainError
from service.http.web import refuse_nul_characters
from service.http.web.auth import safe_next
from service.models import BanKind
from service.moderation import bans, commenters

blp = Blueprint("people", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)

# What the duration menus offer, in days ("" is permanent).
DURATIONS = [("", "for good"), ("1", "for 1 day"), ("7", "for 7 days"), ("30", "for 30 days")]
KIND_NAMES = {"email": "this commenter", "ip": "this client (IP)", "domain": "their email domain"}


@blp.before_request
@login_required
def require_login() -> None:
    """Signed-in moderators only."""


def _back(fallback: str) -> str:
    return safe_next(request.form.get("next"), fallback)


def _days() -> int | None:
    text = request.form.get("days", "")
    return int(text) if text in {value for value, _ in DURATIONS if value} else None


def _ban_message(result: bans.BanResult) -> str:
    ban = result.ban
    how = f"until {ban['until']:%d %b %Y, %H:%M} UTC" if ban["until"] else "for good"
    message = f"Banned {ban['label']} {how}."
    if result.batch is not None:
        moved = sum(o.error is None for o in result.outcomes)
        message += f" {moved} comment{'s' if moved != 1 else ''} moved to spam."
    return message


@blp.route("/commenters/<email_hash>")
def commenter(email_hash: str) -> str:
    try:
        person = commenters.profile(email_hash)
    except CommenterNotFound:
        raise NotFound() from None
    return render_template("moderation/commenter.html", person=person, durations=DURATIONS)


@blp.route("/commenters/<email_hash>/notes", methods=["POST"])
def add_note(email_hash: str) -> Response:
    try:
        commenters.add_note(email_hash, request.form.get("body", ""), current_user.id)
        flash("Note added.", "info")
    except CommenterNotFound:
        raise NotFound() from None
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("people.commenter", email_hash=email_hash))


@blp.route("/comments/<int:comment_id>/ban", methods=["POST"])
def ban_author(comment_id: int) -> Response:
    """Ban (or spam-ban) the author or the client of a comment, from the queue or the panel."""
    kind = request.form.get("kind", "email")
    try:
        result = bans.ban(
            bans.Target(
                BanKind(kind) if kind in KIND_NAMES else BanKind.EMAIL, comment_id=comment_id
            ),
            request.form.get("reason", "")[:2000],
            current_user.id,
            until=bans.until_after(_days()),
            spam=request.form.get("spam") == "1",
        )
        flash(_ban_message(result), "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_back(url_for("queue.index")))


@blp.route("/bans")
def list_bans() -> str:
    state = "all" if request.args.get("state") == "all" else "active"
    q = (request.args.get("q") or "").strip()[:200] or None
    page = bans.bans_page(state=state, q=q, cursor=request.args.get("cursor") or None)
    return render_template(
        "moderation/bans.html",
        bans=page["bans"],
        next_cursor=page["next_cursor"],
        state=state,
        q=q,
        durations=DURATIONS,
    )


@blp.route("/bans", methods=["POST"])
def add_ban() -> Response:
    """A ban typed in: an address (hashed at once), a domain, or a hash from another page."""
    kind = request.form.get("kind", "")
    target = request.form.get("target", "").strip()[:255]
    try:
        if kind not in KIND_NAMES:
            raise DomainError("Choose what to ban: an address, a domain or a client hash.")
        is_address = kind == "email" and "@" in target
        result = bans.ban(
            bans.Target(
                BanKind(kind),
                value=None if is_address else target,
                email=target if is_address else None,
            ),
            request.form.get("reason", "")[:2000],
            current_user.id,
            until=bans.until_after(_days()),
        )
        flash(_ban_message(result), "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("people.list_bans"))


@blp.route("/bans/<int:ban_id>/lift", methods=["POST"])
def lift_ban(ban_id: int) -> Response:
    try:
        lifted = bans.lift(ban_id, current_user.id, request.form.get("note", "")[:2000] or None)
        flash(f"Lifted the ban on {lifted['label']}.", "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_back(url_for("people.list_bans")))
