"""Moderation JSON API, for moderators' tools and scripts (bearer API token)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from service import articles, auth, moderation, personal_data
from service.openapi import Blueprint
from service.schemas import (
    ArticleStateSchema,
    BulkActionSchema,
    BulkResultSchema,
    DecisionSchema,
    ErasureRequestSchema,
    ErasureSchema,
    EventArgsSchema,
    EventPageSchema,
    ModerationCommentSchema,
    PersonalDataSchema,
    PersonSchema,
    QueueArgsSchema,
    QueuePageSchema,
    UndoSchema,
)

blp = Blueprint(
    "moderation_api",
    __name__,
    url_prefix="/api/v1/moderation",
    description="The moderation queue and decisions; send Authorization: Bearer <token>.",
)
SECURITY = {"security": [{"bearerAuth": []}]}


@blp.before_request
def require_token() -> None:
    credentials = request.authorization
    moderator = None
    if credentials is not None and credentials.type == "bearer" and credentials.token:
        moderator = auth.moderator_for_token(credentials.token)
    if moderator is None:
        raise Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "commentdesk"}))
    g.moderator = moderator


@blp.route("/comments")
@blp.arguments(QueueArgsSchema, location="query")
@blp.response(200, QueuePageSchema)
@blp.doc(**SECURITY)
def queue(args: dict[str, Any]) -> Any:
    """Comments by status (pending by default), oldest first, with emails and reasons."""
    return moderation.queue_page(moderation.QueueFilter(**args))


@blp.route(
    "/comments/<int:comment_id>/<any(approve, reject, spam, restore):action>", methods=["POST"]
)
@blp.arguments(DecisionSchema, location="json", required=False)
@blp.response(200, ModerationCommentSchema)
@blp.doc(**SECURITY)
def decide(args: dict[str, Any], comment_id: int, action: str) -> Any:
    """Approve, reject, mark as spam or restore one comment (409 if it cannot move so)."""
    return moderation.decide(
        comment_id, action, g.moderator.id, args["note"], args["expected_status"]
    ).comment


@blp.route("/comments/<int:comment_id>")
class ModeratedComment(MethodView):
    @blp.arguments(DecisionSchema, location="json", required=False)
    @blp.response(200, ModerationCommentSchema)
    @blp.doc(**SECURITY)
    def delete(self, args: dict[str, Any], comment_id: int) -> Any:
        """Remove a comment from the thread (it can be restored)."""
        return moderation.decide(
            comment_id, "delete", g.moderator.id, args["note"], args["expected_status"]
        ).comment


@blp.route("/actions", methods=["POST"])
@blp.arguments(BulkActionSchema)
@blp.response(200, BulkResultSchema)
@blp.doc(**SECURITY)
def bulk(args: dict[str, Any]) -> Any:
    """One action on many comments; each id reports its own outcome."""
    expected = (
        dict.fromkeys(args["ids"], args["expected_status"]) if args["expected_status"] else None
    )
    result = moderation.decide_many(
        args["ids"], args["action"], g.moderator.id, args["note"], expected
    )
    return {"batch": result.batch, "results": result.outcomes}


@blp.route(
    "/articles/<article:article>/<any(lock, unlock):action>",
    methods=["POST"],
    merge_slashes=False,
)
@blp.arguments(DecisionSchema, location="json", required=False)
@blp.response(200, ArticleStateSchema)
@blp.doc(**SECURITY)
def lock_article(args: dict[str, Any], article: str, action: str) -> Any:
    """Close an article to new comments, or reopen it (409 if it already is)."""
    locked = articles.set_locked(article, action == "lock", g.moderator.id, args["note"])
    return {"article": locked.key, "locked": locked.locked}


@blp.route("/undo", methods=["POST"])
@blp.arguments(UndoSchema)
@blp.response(200, BulkResultSchema)
@blp.doc(**SECURITY)
def undo(args: dict[str, Any]) -> Any:
    """Put back what one of your earlier actions (its `batch`) changed."""
    result = moderation.undo(args["batch"], g.moderator.id)
    return {"batch": result.batch, "results": result.outcomes}


@blp.route("/events")
@blp.arguments(EventArgsSchema, location="query")
@blp.response(200, EventPageSchema)
@blp.doc(**SECURITY)
def events(args: dict[str, Any]) -> Any:
    """The audit trail, newest first; filter by comment or moderator."""
    return moderation.events_page(**args)


def _require_admin() -> None:
    if not g.moderator.is_admin:
        raise Forbidden("Only admins can export or erase a commenter's data.")


@blp.route("/privacy/export", methods=["POST"])
@blp.arguments(PersonSchema)
@blp.response(200, PersonalDataSchema)
@blp.doc(**SECURITY)
def privacy_export(args: dict[str, Any]) -> Any:
    """Every comment stored under an address, with its state (admins; the address goes in
    the body so it stays out of access logs)."""
    _require_admin()
    return personal_data.export_person(args["email"])


@blp.route("/privacy/erase", methods=["POST"])
@blp.arguments(ErasureRequestSchema)
@blp.response(200, ErasureSchema)
@blp.doc(**SECURITY)
def privacy_erase(args: dict[str, Any]) -> Any:
    """Erase a commenter's address, IP data and name from all their comments (admins)."""
    _require_admin()
    erasure = personal_data.erase_person(
        args["email"], personal_data.ErasureMode(args["mode"]), g.moderator.id
    )
    return {"mode": erasure.mode.value, "comments": erasure.comments}
