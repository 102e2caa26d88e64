"""The moderation queue: browse, decide one or many, undo. Every action is a plain POST form
(redirect back, flash message); decisions.js calls the same endpoints and gets JSON."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from service.comments import articles
from service.errors import DomainError, FieldError
from service.http.schemas.common import NOTE_MAX, messages_of
from service.http.schemas.moderation import STATUS_FILTERS
from service.http.schemas.people import ArticleChangesSchema
from service.http.web import people, refuse_nul_characters
from service.http.web.auth import safe_next
from service.models import AuditAction, CommentStatus, ModerationMode
from service.moderation import decisions, queue

blp = Blueprint("queue", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)

PAST_TENSE: dict[str, str] = {
    AuditAction.APPROVE: "approved",
    AuditAction.REJECT: "rejected",
    AuditAction.SPAM: "marked as spam",
    AuditAction.DELETE: "deleted",
    AuditAction.RESTORE: "restored",
    AuditAction.UNDO: "put back",
}


@blp.before_request
@login_required
def require_login() -> None:
    """Every page and action here needs a signed-in, active moderator."""


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _note() -> str | None:
    return (request.form.get("note") or "").strip()[:NOTE_MAX] or None


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("queue.index"))


def _summary(action: str, outcomes: list[decisions.Outcome]) -> tuple[str, str]:
    done = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if o.error is not None]
    noun = "comment" if len(done) == 1 else "comments"
    message = f"{len(done)} {noun} {PAST_TENSE[action]}."
    if refused:
        message += " Not changed: " + " ".join(o.error["message"] for o in refused if o.error)
    return message, ("undo" if done else "error")


def _respond(action: str, result: decisions.BatchResult) -> Response:
    message, category = _summary(action, result.outcomes)
    if action == AuditAction.UNDO and category == "undo":
        category = "info"  # an undo is not itself undone from the flash
    if _wants_json():
        return jsonify(
            message=message,
            batch=result.batch if category == "undo" else None,
            results=[o.__dict__ for o in result.outcomes],
        )
    if category == "undo":
        session["undo_batch"] = result.batch
    flash(message, category)
    return redirect(_back())


@blp.route("/")
def index() -> str:
    status = request.args.get("status", "pending")
    if status not in STATUS_FILTERS:
        status = "pending"
    filters = queue.QueueFilter(
        status=status,
        article=request.args.get("article") or None,
        q=(request.args.get("q") or "").strip()[:200] or None,
        cursor=request.args.get("cursor") or None,
        limit=current_app.config["QUEUE_PAGE_SIZE"],
    )
    try:
        page = queue.queue_page(filters)
    except FieldError as error:
        flash(error.message, "error")
        filters = queue.QueueFilter(status=status, article=filters.article, q=filters.q)
        page = queue.queue_page(filters)
    comments = page["comments"]
    grouped = request.args.get("group") == "article"
    if grouped:
        # Within the page, by article (a stable sort keeps each article's oldest first).
        comments = sorted(comments, key=lambda c: c["article"])
    return render_template(
        "moderation/queue.html",
        comments=comments,
        grouped=grouped,
        pending_by_article=articles.pending_by_key({c["article"] for c in comments})
        if grouped
        else {},
        next_cursor=page["next_cursor"],
        filters=filters,
        counts=queue.status_counts(),
        statuses=[s.value for s in CommentStatus] + ["all"],
        status_label=status.capitalize(),
        waves=queue.waves() if status == "pending" and not filters.cursor else [],
        site_url=current_app.config["SITE_URL"],
        article=_article_settings(filters.article),
        busy_articles=_busy_articles(status, filters),
        modes=[mode.value for mode in ModerationMode],
        durations=people.DURATIONS,
    )


def _article_settings(key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    try:
        return articles.settings(key)
    except DomainError:
        return None


def _busy_articles(status: str, filters: queue.QueueFilter) -> list[dict[str, Any]]:
    """The queue grouped by article: those with pending comments, most first."""
    if status != "pending" or filters.article or filters.cursor:
        return []
    return [a for a in articles.with_pending(limit=12) if a["pending_count"]]


@blp.route(
    "/comments/<int:comment_id>/<any(approve, reject, spam, delete, restore):action>",
    methods=["POST"],
)
def decide(comment_id: int, action: str) -> Response:
    seen = request.form.get(f"seen-{comment_id}") or request.form.get("expected_status")
    result = decisions.decide_many(
        [comment_id],
        action,
        current_user.id,
        _note(),
        expected={comment_id: seen} if seen else None,
    )
    return _respond(action, result)


@blp.route("/bulk", methods=["POST"])
def bulk() -> Response | tuple[Response, int]:
    action = request.form.get("action", "")
    # Short ASCII digits only: "²".isdigit() is true but int("²") fails, and so does a number
    # of thousands of digits; anything longer than an id can be is no comment anyway.
    ids = [
        int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 12
    ]
    if action not in decisions.ACTIONS or not ids:
        message = "Select at least one comment, then choose an action."
        if _wants_json():
            return jsonify(message=message, results=[]), 400
        flash(message, "error")
        return redirect(_back())
    expected = {i: request.form[f"seen-{i}"] for i in ids if request.form.get(f"seen-{i}")}
    return _respond(action, decisions.decide_many(ids, action, current_user.id, _note(), expected))


@blp.route("/waves", methods=["POST"])
def wave_action() -> Response:
    action = request.form.get("action", "")
    fingerprint = request.form.get("fingerprint", "")
    if action not in {AuditAction.APPROVE, AuditAction.REJECT, AuditAction.SPAM} or not fingerprint:
        flash("Choose what to do with the whole wave.", "error")
        return redirect(_back())
    return _respond(action, decisions.decide_wave(fingerprint, action, current_user.id, _note()))


@blp.route("/articles/lock", methods=["POST"])
def lock_article() -> Response:
    key = request.form.get("article", "")
    locked = request.form.get("locked") == "1"
    try:
        articles.set_locked(key, locked, current_user.id, _note())
        flash(f"Comments on {key} are {'closed' if locked else 'open again'}.", "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_back())


@blp.route("/articles/settings", methods=["POST"])
def article_settings() -> Response:
    """Close date and moderation mode (and, for admins, title and URL) of one article."""
    key = request.form.get("article", "")
    form = {name: request.form.get(name, "").strip() or None for name in articles.SETTINGS}
    if form["closes_at"]:
        form["closes_at"] += "+00:00"  # the form's datetime-local field is in UTC
    if not current_user.is_admin:
        form = {k: v for k, v in form.items() if k not in articles.ADMIN_SETTINGS}
    try:
        changes = ArticleChangesSchema().load(form)
        articles.update_settings(key, changes, current_user.id, current_user.is_admin)
        flash(f"Settings of {key} saved.", "info")
    except ValidationError as error:
        flash(messages_of(error), "error")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_back())


@blp.route("/undo", methods=["POST"])
def undo() -> Response | tuple[Response, int]:
    batch = request.form.get("batch", "")
    try:
        result = decisions.undo(batch, current_user.id)
    except DomainError as error:
        if _wants_json():
            return jsonify(message=error.message, results=[]), error.status
        flash(error.message, "error")
        return redirect(_back())
    return _respond(AuditAction.UNDO, result)
