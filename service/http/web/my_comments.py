"""The commenter's own page, opened from the emailed link (service/privacy/my_comments.py): their
comments with status, and withdraw / download / erase. No account: the sealed link, kept in
the session after the first visit, is the credential, and it expires with the link."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, session, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from service.audit import AuditActor
from service.errors import DomainError, LinkInvalid
from service.http.schemas.common import messages_of
from service.http.schemas.people_forms import OwnErasureForm
from service.http.web import refuse_nul_characters
from service.http.web.forms import form_input
from service.privacy import my_comments, personal_data

blp = Blueprint("my_comments", __name__, url_prefix="/my-comments")
blp.before_request(refuse_nul_characters)
SESSION_KEY = "my_comments_link"


@blp.errorhandler(DomainError)
def refused(error: DomainError) -> tuple[str, int]:
    """A link that was forged, has expired or was never opened, or a comment that is not
    theirs: the page says so, with the status the use case gave."""
    return render_template("my_comments/refused.html", message=error.message), error.status


@blp.errorhandler(ValidationError)
def refused_input(error: ValidationError) -> Response:
    flash(messages_of(error), "error")
    return redirect(url_for("my_comments.index"))


def _holder() -> my_comments.LinkHolder:
    """Whom the link this browser opened was for; DomainError if none or expired."""
    token = session.get(SESSION_KEY)
    if not token:
        raise LinkInvalid("Open the link from the email to see your comments.")
    return my_comments.holder_of(token)


@blp.route("/<token>")
def open_link(token: str) -> Response:
    my_comments.holder_of(token)
    session[SESSION_KEY] = token
    # Off the URL bar and out of later Referer headers.
    return redirect(url_for("my_comments.index"))


@blp.route("/")
def index() -> str:
    holder = _holder()
    return render_template(
        "my_comments/index.html", comments=my_comments.my_comments(holder), site=holder.site
    )


@blp.route("/<int:comment_id>/withdraw", methods=["POST"])
def withdraw(comment_id: int) -> Response:
    my_comments.withdraw(_holder(), comment_id)
    flash("Your comment is withdrawn: nobody sees it any more.", "info")
    return redirect(url_for("my_comments.index"))


@blp.route("/download", methods=["POST"])
def download() -> Response:
    holder = _holder()
    document = personal_data.export_person(holder.email, holder.sites)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-comments.json"'},
    )


@blp.route("/erase", methods=["POST"])
def erase() -> str:
    mode: personal_data.ErasureMode = form_input(OwnErasureForm())["mode"]
    holder = _holder()
    erasure = personal_data.erase_person(
        holder.email, mode, holder.sites, actor=AuditActor.COMMENTER
    )
    session.pop(SESSION_KEY, None)
    return render_template(
        "my_comments/erased.html", comments=erasure.comments, mode=mode.value, site=holder.site
    )
