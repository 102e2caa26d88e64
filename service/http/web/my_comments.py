"""The commenter's own page, opened from the emailed link (service/privacy/my_comments.py): their
comments with status, and withdraw / download / erase. No account: the sealed link, kept in
the session after the first visit, is the credential, and it expires with the link."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from service.errors import DomainError, LinkInvalid
from service.http.web import refuse_nul_characters
from service.models import AuditActor
from service.privacy import my_comments, personal_data

blp = Blueprint("my_comments", __name__, url_prefix="/my-comments")
blp.before_request(refuse_nul_characters)
SESSION_KEY = "my_comments_link"


def _refusal(error: DomainError) -> tuple[str, int]:
    return render_template("my_comments/refused.html", message=error.message), error.status


def _address() -> str:
    """The address of the link this browser opened; DomainError if none or expired."""
    token = session.get(SESSION_KEY)
    if not token:
        raise LinkInvalid("Open the link from the email to see your comments.")
    return my_comments.address_from(token)


@blp.route("/<token>")
def open_link(token: str) -> Response | tuple[str, int]:
    try:
        my_comments.address_from(token)
    except DomainError as error:
        return _refusal(error)
    session[SESSION_KEY] = token
    # Off the URL bar and out of later Referer headers.
    return redirect(url_for("my_comments.index"))


@blp.route("/")
def index() -> str | tuple[str, int]:
    try:
        email = _address()
    except DomainError as error:
        return _refusal(error)
    return render_template("my_comments/index.html", comments=my_comments.my_comments(email))


@blp.route("/<int:comment_id>/withdraw", methods=["POST"])
def withdraw(comment_id: int) -> Response | tuple[str, int]:
    try:
        my_comments.withdraw(_address(), comment_id)
    except DomainError as error:
        return _refusal(error)
    flash("Your comment is withdrawn: nobody sees it any more.", "info")
    return redirect(url_for("my_comments.index"))


@blp.route("/download", methods=["POST"])
def download() -> Response | tuple[str, int]:
    try:
        document = personal_data.export_person(_address())
    except DomainError as error:
        return _refusal(error)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-comments.json"'},
    )


@blp.route("/erase", methods=["POST"])
def erase() -> str | Response | tuple[str, int]:
    mode = request.form.get("mode", "")
    if mode not in {m.value for m in personal_data.ErasureMode}:
        flash("Choose whether to keep your comments' text (anonymously) or delete it.", "error")
        return redirect(url_for("my_comments.index"))
    try:
        erasure = personal_data.erase_person(
            _address(), personal_data.ErasureMode(mode), actor=AuditActor.COMMENTER
        )
    except DomainError as error:
        return _refusal(error)
    session.pop(SESSION_KEY, None)
    return render_template("my_comments/erased.html", comments=erasure.comments, mode=mode)
