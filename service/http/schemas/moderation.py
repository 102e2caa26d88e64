"""The moderation queue, decisions and bulk actions, the audit log, moderator edits."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    fields,
    validate,
)

from service.audit import AuditAction
from service.http.schemas.common import CommentBody, optional_note, printable
from service.models import (
    MAX_ID,
    CommentStatus,
)


class Reason(Schema):
    code = fields.String()
    message = fields.String()


def site_slug(description: str) -> fields.String:
    return fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=64), printable],
        metadata={"description": description},
    )


class ModerationCommentSchema(Schema):
    id = fields.Integer()
    site = fields.String(metadata={"description": "The slug of the comment's site."})
    article = fields.String()
    article_title = fields.String(allow_none=True, metadata={"description": "When known."})
    article_url = fields.String(
        allow_none=True, metadata={"description": "The article's page, when known."}
    )
    parent_id = fields.Integer(allow_none=True)
    status = fields.Enum(CommentStatus, by_value=True)
    name = fields.String()
    email = fields.String(allow_none=True)
    email_hash = fields.String()
    website = fields.String(allow_none=True)
    body = fields.String()
    body_html = fields.String()
    reasons = fields.List(fields.Nested(Reason))
    ip_hash = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    moderator_edited_at = fields.DateTime(allow_none=True)
    pinned = fields.Boolean()
    parent = fields.Dict(allow_none=True, metadata={"description": "The comment replied to."})
    history = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "This address's comments so far, by status."},
    )


STATUS_FILTERS = [s.value for s in CommentStatus] + ["all"]


class QueueArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(
        load_default="pending",
        validate=validate.OneOf(STATUS_FILTERS, error="status must be one of {choices}."),
    )
    article = fields.String(load_default=None, validate=[validate.Length(max=255), printable])
    q = fields.String(load_default=None, validate=[validate.Length(max=200), printable])
    site = site_slug("A site's slug: that site's comments only.")
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ArticleSiteArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    site = site_slug("The article's site (its slug); the default site if not given.")


class DecidedCommentSchema(ModerationCommentSchema):
    batch = fields.String(
        metadata={"description": "The decision's batch: pass it to /undo to put it back."}
    )


class QueuePageSchema(Schema):
    comments = fields.List(fields.Nested(ModerationCommentSchema))
    next_cursor = fields.String(allow_none=True)


class DecisionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    note = optional_note()
    expected_status = fields.String(
        load_default=None,
        validate=validate.OneOf([s.value for s in CommentStatus]),
        metadata={"description": "The status you saw; 409 if the comment has moved since."},
    )


BULK_ACTIONS = [
    AuditAction.APPROVE,
    AuditAction.REJECT,
    AuditAction.SPAM,
    AuditAction.RESTORE,
    AuditAction.DELETE,
]


class BulkActionSchema(DecisionSchema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(BULK_ACTIONS, error="action must be one of {choices}."),
    )
    ids = fields.List(
        fields.Integer(strict=True),
        required=True,
        validate=validate.Length(min=1, max=500, error="Send between 1 and 500 ids."),
    )


class BulkOutcomeSchema(Schema):
    id = fields.Integer()
    status = fields.String(allow_none=True)
    error = fields.Dict(allow_none=True)


class BulkResultSchema(Schema):
    batch = fields.String(metadata={"description": "Pass to /undo to put this action back."})
    results = fields.List(fields.Nested(BulkOutcomeSchema))


class ArticleStateSchema(Schema):
    article = fields.String()
    locked = fields.Boolean()


class UndoSchema(Schema):
    batch = fields.String(required=True, validate=[validate.Length(min=1, max=32), printable])


class EventArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    comment_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID, error="comment_id must be a comment's id."),
    )
    moderator = fields.String(load_default=None, validate=[validate.Length(max=80), printable])
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class EventSchema(Schema):
    id = fields.Integer()
    comment_id = fields.Integer(allow_none=True)
    article = fields.String(allow_none=True, metadata={"description": "The article's key."})
    moderator = fields.String(allow_none=True)
    actor = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    ban_id = fields.Integer(allow_none=True, metadata={"description": "For ban events."})
    commenter_hash = fields.String(
        allow_none=True, metadata={"description": "For notes and bans about a commenter."}
    )
    data = fields.Dict(
        allow_none=True,
        metadata={"description": "Details: a ban's target and end; an edit's original text."},
    )
    created_at = fields.DateTime()


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(allow_none=True)


class ModeratorEditSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    body = CommentBody(required=True)
    note = optional_note()
