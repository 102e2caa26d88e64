"""Moderation JSON API, for moderators' tools and scripts (bearer API token)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from service.audit import AuditAction
from service.comments import articles
from service.http.openapi import Blueprint
from service.http.schemas.moderation import (
    ArticleSiteArgsSchema,
    ArticleStateSchema,
    BulkActionSchema,
    BulkResultSchema,
    DecidedCommentSchema,
    DecisionSchema,
    EventArgsSchema,
    EventPageSchema,
    ModerationCommentSchema,
    ModeratorEditSchema,
    QueueArgsSchema,
    QueuePageSchema,
    UndoSchema,
)
from service.http.schemas.people import (
    ArticleChangesSchema,
    ArticleListArgsSchema,
    ArticleListSchema,
    ArticleSettingsSchema,
    BanArgsSchema,
    BanPageSchema,
    BanResultSchema,
    BanSchema,
    CommenterNoteSchema,
    CommenterSchema,
    ErasureRequestSchema,
    ErasureSchema,
    NewBanSchema,
    NewCommenterNoteSchema,
    NoteSchema,
    PersonalDataSchema,
    PersonSchema,
)
from service.moderation import accounts, audit_trail, bans, commenters, decisions, editorial
from service.moderation import queue as moderation_queue
from service.privacy import personal_data

blp = Blueprint(
    "moderation_api",
    __name__,
    url_prefix="/api/v1/moderation",
    description="The moderation queue and decisions; send Authorization: Bearer <token>.",
)
SECURITY: dict[str, list[dict[str, list[str]]]] = {"security": [{"bearerAuth": []}]}


@blp.before_request
def require_token() -> None:
    credentials = request.authorization
    moderator = None
    if credentials is not None and credentials.type == "bearer" and credentials.token:
        moderator = accounts.moderator_for_token(credentials.token)
    if moderator is None:
        raise Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "commentdesk"}))
    g.moderator = moderator


@blp.route("/comments")
@blp.arguments(QueueArgsSchema, location="query")
@blp.response(200, QueuePageSchema)
@blp.doc(**SECURITY)
def queue(args: dict[str, Any]) -> Any:
    """Comments by status (pending by default), oldest first, with emails and reasons."""
    return moderation_queue.queue_page(moderation_queue.QueueFilter(**args), g.moderator.id)


# Decisions and pins share one URL shape, and OpenAPI allows one POST per path: one view
# documents both.
_PINS = (AuditAction.PIN, AuditAction.UNPIN)
_POSTED_ACTIONS = [a for a in decisions.ACTIONS if a != AuditAction.DELETE] + list(_PINS)


@blp.route(
    f"/comments/<int:comment_id>/<any({', '.join(_POSTED_ACTIONS)}):action>", methods=["POST"]
)
@blp.arguments(DecisionSchema, location="json", required=False)
@blp.response(200, DecidedCommentSchema)
@blp.doc(**SECURITY)
def decide(args: dict[str, Any], comment_id: int, action: str) -> Any:
    """Approve, reject, mark as spam or restore one comment (409 if it cannot move so); its
    `batch` can be passed to /undo. Or pin an approved top-level comment to the top of its
    thread, or unpin it (no batch: unpin undoes a pin)."""
    if action in _PINS:
        return editorial.set_pinned(comment_id, action == AuditAction.PIN, g.moderator.id)
    return _decided(comment_id, action, args)


def _decided(comment_id: int, action: str, args: dict[str, Any]) -> dict[str, Any]:
    decided = decisions.decide(
        comment_id, action, g.moderator.id, args["note"], args["expected_status"]
    )
    return decided.comment | {"batch": decided.batch}


@blp.route("/comments/<int:comment_id>")
class ModeratedComment(MethodView):
    @blp.arguments(ModeratorEditSchema)
    @blp.response(200, ModerationCommentSchema)
    @blp.doc(**SECURITY)
    def patch(self, args: dict[str, Any], comment_id: int) -> Any:
        """Edit a comment's text (the original stays in the audit log); readers see that a
        moderator edited it."""
        return editorial.edit(comment_id, args["body"], g.moderator.id, args["note"])

    @blp.arguments(DecisionSchema, location="json", required=False)
    @blp.response(200, DecidedCommentSchema)
    @blp.doc(**SECURITY)
    def delete(self, args: dict[str, Any], comment_id: int) -> Any:
        """Remove a comment from the thread (it can be restored, or the delete undone with
        its `batch`)."""
        return _decided(comment_id, AuditAction.DELETE, args)


@blp.route("/actions", methods=["POST"])
@blp.arguments(BulkActionSchema)
@blp.response(200, BulkResultSchema)
@blp.doc(**SECURITY)
def bulk(args: dict[str, Any]) -> Any:
    """One action on many comments; each id reports its own outcome."""
    expected = (
        dict.fromkeys(args["ids"], args["expected_status"]) if args["expected_status"] else None
    )
    result = decisions.decide_many(
        args["ids"], args["action"], g.moderator.id, args["note"], expected
    )
    return {"batch": result.batch, "results": result.outcomes}


@blp.route(
    "/articles/<article:article>/<any(lock, unlock):action>",
    methods=["POST"],
    merge_slashes=False,
)
@blp.arguments(ArticleSiteArgsSchema, location="query")
@blp.arguments(DecisionSchema, location="json", required=False)
@blp.response(200, ArticleStateSchema)
@blp.doc(**SECURITY)
def lock_article(where: dict[str, Any], args: dict[str, Any], article: str, action: str) -> Any:
    """Close an article to new comments, or reopen it (409 if it already is)."""
    locked = articles.set_locked(
        article, action == "lock", g.moderator.id, args["note"], where["site"]
    )
    return {"article": locked.key, "locked": locked.locked}


@blp.route("/undo", methods=["POST"])
@blp.arguments(UndoSchema)
@blp.response(200, BulkResultSchema)
@blp.doc(**SECURITY)
def undo(args: dict[str, Any]) -> Any:
    """Put back what one of your earlier actions (its `batch`) changed."""
    result = decisions.undo(args["batch"], g.moderator.id)
    return {"batch": result.batch, "results": result.outcomes}


@blp.route("/events")
@blp.arguments(EventArgsSchema, location="query")
@blp.response(200, EventPageSchema)
@blp.doc(**SECURITY)
def events(args: dict[str, Any]) -> Any:
    """The audit trail, newest first; filter by comment or moderator."""
    return audit_trail.events_page(g.moderator.id, **args)


@blp.route("/bans")
class Bans(MethodView):
    @blp.arguments(BanArgsSchema, location="query")
    @blp.response(200, BanPageSchema)
    @blp.doc(**SECURITY)
    def get(self, args: dict[str, Any]) -> Any:
        """Bans and suspensions on your sites (and those on every site), newest first: those
        in force, or all; searchable."""
        return bans.bans_page(g.moderator, **args)

    @blp.arguments(NewBanSchema)
    @blp.response(201, BanResultSchema)
    @blp.doc(**SECURITY)
    def post(self, args: dict[str, Any]) -> Any:
        """Ban or suspend a commenter, an email domain or a client on a site (the one named,
        else the comment's, else the default site) or, for admins, on every site; with
        `spam`, also move every comment of theirs there to spam (a spam-ban)."""
        result = bans.ban(
            bans.Target(args["kind"], args["value"], args["email"], args["comment_id"]),
            args["reason"],
            g.moderator,
            until=args["until"] or bans.until_after(args["days"]),
            spam=args["spam"],
            site=args["site"],
            all_sites=args["all_sites"],
        )
        return {"ban": result.ban, "batch": result.batch, "results": result.outcomes}


@blp.route("/bans/<int:ban_id>/lift", methods=["POST"])
@blp.arguments(NoteSchema, location="json", required=False)
@blp.response(200, BanSchema)
@blp.doc(**SECURITY)
def lift_ban(args: dict[str, Any], ban_id: int) -> Any:
    """End a ban or suspension now (409 if it has already ended; only admins lift a ban on
    every site)."""
    return bans.lift(ban_id, g.moderator, args["note"])


@blp.route("/commenters/<email_hash>")
@blp.response(200, CommenterSchema)
@blp.doc(**SECURITY)
def commenter(email_hash: str) -> Any:
    """One commenter (by email hash) on your sites: comments across articles, first/last
    seen, notes, bans (404 if they have no comment there)."""
    return commenters.profile(email_hash, g.moderator)


@blp.route("/commenters/<email_hash>/notes", methods=["POST"])
@blp.arguments(NewCommenterNoteSchema)
@blp.response(201, CommenterNoteSchema)
@blp.doc(**SECURITY)
def add_commenter_note(args: dict[str, Any], email_hash: str) -> Any:
    """Add a moderators' note about a commenter, on a site (the one named, else that of
    their latest comment you can see); audited."""
    return commenters.add_note(email_hash, args["body"], g.moderator, args["site"])


@blp.route("/articles")
@blp.arguments(ArticleListArgsSchema, location="query")
@blp.response(200, ArticleListSchema)
@blp.doc(**SECURITY)
def article_list(args: dict[str, Any]) -> Any:
    """Articles with their settings and pending counts, most pending first."""
    return {"articles": articles.with_pending(**args, moderator_id=g.moderator.id)}


@blp.route("/articles/<article:article>", merge_slashes=False)
class ArticleSettings(MethodView):
    @blp.arguments(ArticleSiteArgsSchema, location="query")
    @blp.response(200, ArticleSettingsSchema)
    @blp.doc(**SECURITY)
    def get(self, where: dict[str, Any], article: str) -> Any:
        """One article's settings and counts."""
        return articles.settings(article, g.moderator.id, where["site"])

    @blp.arguments(ArticleSiteArgsSchema, location="query")
    @blp.arguments(ArticleChangesSchema)
    @blp.response(200, ArticleSettingsSchema)
    @blp.doc(**SECURITY)
    def patch(self, where: dict[str, Any], changes: dict[str, Any], article: str) -> Any:
        """Change the close date or moderation mode (and, for the site's admins, title and
        URL)."""
        return articles.update_settings(article, changes, g.moderator.id, where["site"])


@blp.route("/privacy/export", methods=["POST"])
@blp.arguments(PersonSchema)
@blp.response(200, PersonalDataSchema)
@blp.doc(**SECURITY)
def privacy_export(args: dict[str, Any]) -> Any:
    """Every comment stored under an address, with its state: on every site for admins, on
    their sites for site admins (`sites` names them). The address goes in the body so it
    stays out of access logs."""
    return personal_data.export_person(args["email"], personal_data.sites_for(g.moderator))


@blp.route("/privacy/erase", methods=["POST"])
@blp.arguments(ErasureRequestSchema)
@blp.response(200, ErasureSchema)
@blp.doc(**SECURITY)
def privacy_erase(args: dict[str, Any]) -> Any:
    """Erase a commenter's address, IP data and name from all their comments: on every site
    for admins, on their sites for site admins (`sites` names them)."""
    erasure = personal_data.erase_person(
        args["email"],
        personal_data.ErasureMode(args["mode"]),
        personal_data.sites_for(g.moderator),
        g.moderator.id,
    )
    return {"mode": erasure.mode.value, "comments": erasure.comments, "sites": erasure.sites}
