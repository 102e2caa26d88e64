"""What readers and commenters send and get: submissions, edits, the feed, counts."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from service.http.schemas.common import (
    WEBSITE_MAX,
    CommentBody,
    CommentEmail,
    CommentId,
    CommentName,
    Website,
    printable,
)

# The most comments one feed page may ask for (`limit`).
FEED_LIMIT_MAX = 200
# Sent empty by HTML forms when left blank.
_OPTIONAL_SUBMISSION_FIELDS = (
    "website",
    "parent_id",
    "return_to",
    "hp",
    "form_token",
    "article_title",
    "article_url",
)


class SubmissionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    error_messages = {
        "type": "Send the comment as a JSON object (or a form) with name, email and body."
    }

    name = CommentName(required=True)
    email = CommentEmail(required=True)
    body = CommentBody(required=True)
    website = Website(load_default=None, allow_none=True)
    parent_id = CommentId(load_default=None, allow_none=True)
    return_to = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "No-JS form only: the article page (on one of the site's origins) "
            "to answer on: 303 back to it at #comment-{id}, or an error page linking to it."
        },
    )
    hp = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Honeypot: a hidden form field that people leave empty."},
    )
    form_token = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "From GET /api/v1/form-token when the form was shown."},
    )
    my_comments_link = fields.Boolean(
        load_default=False,
        metadata={
            "description": 'The commenter ticked "Email me a link to manage my comments": '
            "the link goes to the address at most once a day, never for a submission caught "
            "as spam or by a bot trap, and only when the service sends mail."
        },
    )
    article_title = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000, error="The page title is too long."),
        metadata={"description": "The page's title (kept only from the site's own pages)."},
    )
    article_url = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=WEBSITE_MAX, error="The page address is too long."),
        metadata={"description": "The page's canonical URL, on one of the site's origins."},
    )

    @pre_load
    def blank_optionals_are_absent(self, data: Any, **_: Any) -> Any:
        # HTML forms send every field, empty or not; an empty optional field means "none".
        if not hasattr(data, "items"):
            return data
        cleaned = {key: value for key, value in data.items()}
        for key in _OPTIONAL_SUBMISSION_FIELDS:
            if cleaned.get(key) == "":
                cleaned[key] = None
        return cleaned


class PublicCommentSchema(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    parent_removed = fields.Boolean(
        metadata={"description": "The parent is no longer public: show a placeholder."}
    )
    name = fields.String()
    website = fields.String(allow_none=True)
    avatar = fields.String(metadata={"description": "Path of the commenter's identicon (SVG)."})
    body_html = fields.String(metadata={"description": "Sanitized HTML, safe to insert."})
    created_at = fields.DateTime()
    moderator_edited = fields.Boolean(
        metadata={"description": 'A moderator edited the text: show "edited by a moderator".'}
    )
    pinned = fields.Boolean(
        metadata={"description": "Pinned by a moderator: the feed lists it first."}
    )
    edited = fields.Boolean(metadata={"description": "The commenter edited it after posting."})


class SubmittedCommentSchema(PublicCommentSchema):
    status = fields.String(metadata={"description": "pending or approved"})
    edit_token = fields.String(
        allow_none=True,
        metadata={"description": "Lets the author edit or withdraw the comment for a while."},
    )


class EditSchema(Schema):
    """A commenter's change to their comment: any of body, name, website (null removes it)."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "type": "Send the change as a JSON object with body, name and/or website.",
        "unknown": "Only body, name and website can be changed.",
    }

    body = CommentBody()
    name = CommentName()
    website = Website(allow_none=True)

    @validates_schema
    def something_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send body, name or website to change.", "_request")


class WithdrawnSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "Always deleted."})


class FeedArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(
        load_default=None,
        validate=validate.Range(
            min=1, max=FEED_LIMIT_MAX, error=f"limit must be between 1 and {FEED_LIMIT_MAX}."
        ),
        error_messages={"invalid": "limit must be a whole number."},
    )
    cursor = fields.String(load_default=None)
    order = fields.String(
        load_default="oldest",
        validate=validate.OneOf(["oldest", "newest"], error="order must be oldest or newest."),
    )


class FeedSchema(Schema):
    article = fields.String()
    count = fields.Integer(metadata={"description": "All approved comments of the article."})
    comments = fields.List(fields.Nested(PublicCommentSchema))
    next_cursor = fields.String(allow_none=True)


class FormTokenSchema(Schema):
    token = fields.String(metadata={"description": "Send back as form_token with the comment."})
    honeypot_field = fields.String(metadata={"description": "Render this field hidden, empty."})
    edit_window_minutes = fields.Integer(
        metadata={"description": "How long after posting the author may edit or withdraw."}
    )


class CountsArgsSchema(Schema):
    article = fields.List(
        fields.String(validate=[validate.Length(min=1, max=255), printable]),
        required=True,
        validate=validate.Length(min=1, max=100, error="Ask for 1 to 100 articles at once."),
        error_messages={"required": "Name at least one article: ?article=key."},
    )


class CountsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
