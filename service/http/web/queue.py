"""The moderation queue: browse, decide one or many, undo. Every action is a plain POST form
(redirect back, flash message); moderation.js calls the same endpoints and gets JSON, its
refusals in the API's error shapes (service/http/web/forms.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, session
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.audit import PAST_TENSE, AuditAction
from service.comments import articles
from service.http.schemas.forms import (
    ArticleSettingsForm,
    ArticleSiteForm,
    BulkForm,
    DecisionForm,
    LockForm,
    QueueForm,
    QueueViewForm,
    UndoForm,
    WaveForm,
)
from service.http.web import people, refuse_nul_characters
from service.http.web.forms import back, form_input, map_refusals, query_input, wants_json
from service.models import (
    CommentStatus,
    ModerationMode,
    QueueView,
)
from service.moderation import accounts, decisions, queue, shared_clients, waves
from service.sites import scope

blp = Blueprint("queue", __name__, url_prefix="/moderation")
blp.before_request(refuse_nul_characters)
map_refusals(blp)


@blp.before_request
@login_required
def require_login() -> None:
    """Every page and action here needs a signed-in, active moderator."""


def _summary(action: str, outcomes: list[decisions.Outcome]) -> tuple[str, str]:
    done = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if o.error is not None]
    noun = "comment" if len(done) == 1 else "comments"
    message = f"{len(done)} {noun} {PAST_TENSE[AuditAction(action)]}."
    if refused:
        message += " Not changed: " + " ".join(o.error["message"] for o in refused if o.error)
    return message, ("undo" if done else "error")


def _respond(action: str, result: decisions.BatchResult) -> Response:
    message, category = _summary(action, result.outcomes)
    if action == AuditAction.UNDO and category == "undo":
        category = "info"  # an undo is not itself undone from the flash
    if wants_json():
        return jsonify(
            message=message,
            batch=result.batch if category == "undo" else None,
            results=[o.__dict__ for o in result.outcomes],
        )
    if category == "undo":
        session["undo_batch"] = result.batch
    flash(message, category)
    return redirect(back())


_QUEUE_FORM = QueueForm(exclude=("limit",))


@blp.route("/")
def index() -> str:
    args = query_input(_QUEUE_FORM)
    status = args["status"]
    filters = queue.QueueFilter(
        status=status,
        article=args["article"],
        q=args["q"],
        site=args["site"],
        cursor=args["cursor"],
        limit=current_app.config["QUEUE_PAGE_SIZE"],
    )
    me = current_user.id
    page = queue.queue_page(filters, me)
    comments = page["comments"]
    grouped = args["group"] == "article"
    if grouped:
        # Within the page, by article (a stable sort keeps each article's oldest first).
        comments = sorted(comments, key=lambda c: (c["site"], c["article"]))
    return render_template(
        "moderation/queue.html",
        comments=comments,
        grouped=grouped,
        pending_by_article=articles.pending_by_key(
            {(c["site"], c["article"]) for c in comments}, me
        )
        if grouped
        else {},
        next_cursor=page["next_cursor"],
        filters=filters,
        sites=scope.sites_of(me),
        counts=queue.status_counts(me, filters.site),
        statuses=[s.value for s in CommentStatus] + ["all"],
        status_label=status.capitalize(),
        waves=waves.waves(waves.Filters(filters.article, filters.q, filters.site), me)
        if status == "pending" and not filters.cursor
        else [],
        article=_article_settings(filters),
        busy_articles=_busy_articles(status, filters),
        modes=[mode.value for mode in ModerationMode],
        durations=people.DURATIONS,
        shared_clients=shared_clients.commenters_sharing_client(c["id"] for c in comments),
        compact=current_user.queue_view == QueueView.COMPACT,
    )


def _article_settings(filters: queue.QueueFilter) -> dict[str, Any] | None:
    """The filtered article's settings; for a key nobody has commented on yet, the defaults,
    so that a moderator can prepare the article before it is published."""
    if not filters.article:
        return None
    return articles.settings_or_new(filters.article, current_user.id, filters.site)


def _busy_articles(status: str, filters: queue.QueueFilter) -> list[dict[str, Any]]:
    """The queue grouped by article: those with pending comments, most first."""
    if status != "pending" or filters.article or filters.cursor:
        return []
    found = articles.with_pending(limit=12, moderator_id=current_user.id, site=filters.site)
    return [a for a in found if a["pending_count"]]


@blp.route(
    "/comments/<int:comment_id>/<any(approve, reject, spam, delete, restore):action>",
    methods=["POST"],
)
def decide(comment_id: int, action: str) -> Response:
    form = form_input(DecisionForm())
    seen = form["expected"].get(comment_id) or form["expected_status"]
    result = decisions.decide_many(
        [comment_id],
        action,
        current_user.id,
        form["note"],
        expected={comment_id: seen} if seen else None,
    )
    return _respond(action, result)


@blp.route("/bulk", methods=["POST"])
def bulk() -> Response:
    form = form_input(BulkForm())
    result = decisions.decide_many(
        form["ids"], form["action"], current_user.id, form["note"], form["expected"]
    )
    return _respond(form["action"], result)


@blp.route("/waves", methods=["POST"])
def wave_action() -> Response:
    form = form_input(WaveForm())
    result = decisions.decide_wave(
        form["fingerprint"],
        form["action"],
        current_user.id,
        form["note"],
        waves.Filters(form["article"], form["q"], form["site"]),
    )
    return _respond(form["action"], result)


@blp.route("/articles/lock", methods=["POST"])
def lock_article() -> Response:
    form = form_input(LockForm())
    articles.set_locked(
        form["article"], form["locked"], current_user.id, form["note"], form["site"]
    )
    flash(
        f"Comments on {form['article']} are {'closed' if form['locked'] else 'open again'}.", "info"
    )
    return redirect(back())


@blp.route("/articles/settings", methods=["POST"])
def article_settings() -> Response:
    """Close date and moderation mode (and, for the site's admins, title and URL) of one
    article."""
    site = form_input(ArticleSiteForm())["site"]
    editable = articles.page_editable(current_user.id, site)
    hidden = () if editable else tuple(articles.ADMIN_SETTINGS)
    changes = form_input(ArticleSettingsForm(exclude=hidden))
    key = changes.pop("article")
    changes.pop("site")
    articles.update_settings(key, changes, current_user.id, site)
    flash(f"Settings of {key} saved.", "info")
    return redirect(back())


@blp.route("/undo", methods=["POST"])
def undo() -> Response:
    return _respond(
        AuditAction.UNDO, decisions.undo(form_input(UndoForm())["batch"], current_user.id)
    )


@blp.route("/view", methods=["POST"])
def queue_view() -> Response:
    """Switch between the full and the compact queue; the choice is the moderator's own, kept
    on the server so it follows them to every browser."""
    view = form_input(QueueViewForm())["view"]
    accounts.set_queue_view(current_user.id, view)
    return redirect(back())
