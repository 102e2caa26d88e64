"""marshmallow schemas: what the API accepts (load) and what it shows (dump)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from service.models import MAX_ID, CommentStatus

NAME_MAX = 80
BODY_MAX = 10_000
WEBSITE_MAX = 2048
EMAIL_MAX = 254
NOTE_MAX = 2000

# Bidirectional overrides and isolates can make a name display as something else entirely.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BODY_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def _has_control_characters(text: str, allowed: set[str] = frozenset()) -> bool:
    # Lone surrogates ("Cs", e.g. JSON "\ud800") count too: they cannot be encoded for storage.
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


def _printable(value: str) -> None:
    if _has_control_characters(value):
        raise ValidationError("This value contains control characters; please remove them.")


class CommentName(fields.String):
    default_error_messages = {
        "required": "Please enter your name.",
        "null": "Please enter your name.",
        "invalid": "Please enter your name as text.",
        "empty": "Please enter your name.",
        "too_long": f"Please keep your name to {NAME_MAX} characters or fewer.",
        "control": "Your name contains invisible control characters; please remove them.",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        if not name:
            raise self.make_error("empty")
        if len(name) > NAME_MAX:
            raise self.make_error("too_long")
        if _has_control_characters(name) or _BIDI_CONTROLS.search(name):
            raise self.make_error("control")
        return name


class CommentEmail(fields.String):
    default_error_messages = {
        "required": "Please enter your email address.",
        "null": "Please enter your email address.",
        "invalid": "Please enter your email address as text.",
        "empty": "Please enter your email address.",
        "bad_address": "That email address is not valid: {reason}",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        address = super()._deserialize(value, attr, data, **kwargs).strip()
        if not address:
            raise self.make_error("empty")
        if len(address) > EMAIL_MAX or _has_control_characters(address):
            raise self.make_error(
                "bad_address", reason="it is too long or has invisible characters."
            )
        try:
            checked = validate_email(
                address,
                check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            )
        except EmailNotValidError as error:
            raise self.make_error("bad_address", reason=str(error)) from None
        return checked.normalized


class CommentBody(fields.String):
    default_error_messages = {
        "required": "Please write a comment.",
        "null": "Please write a comment.",
        "invalid": "Please write your comment as text.",
        "empty": "Please write a comment.",
        "too_long": "Please keep your comment to {max:,} characters or fewer (it has {length:,}).",
        "control": "Your comment contains control characters that cannot be stored; "
        "please remove them.",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        body = super()._deserialize(value, attr, data, **kwargs)
        if not body.strip():
            raise self.make_error("empty")
        if len(body) > BODY_MAX:
            raise self.make_error("too_long", max=BODY_MAX, length=len(body))
        if _has_control_characters(body, _BODY_ALLOWED_CONTROLS):
            raise self.make_error("control")
        # Stored as typed: only the Windows line endings a form sends are unified.
        return body.replace("\r\n", "\n")


class Website(fields.String):
    default_error_messages = {
        "invalid": "Please enter your website as text.",
        "bad_url": "Please enter a web address starting with http:// or https://.",
        "too_long": f"Please keep the web address to {WEBSITE_MAX} characters or fewer.",
    }
    _url = validate.URL(schemes={"http", "https"}, require_tld=False)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | None:
        url = super()._deserialize(value, attr, data, **kwargs).strip()
        if not url:
            return None
        if len(url) > WEBSITE_MAX:
            raise self.make_error("too_long")
        # The URL validator lets control characters through in the path (NUL breaks PostgreSQL).
        if _has_control_characters(url):
            raise self.make_error("bad_url")
        # People type "example.com"; a scheme-less address with no colon can only mean the web.
        if "://" not in url and ":" not in url.split("/", 1)[0]:
            url = "https://" + url
        try:
            self._url(url)
        except ValidationError:
            raise self.make_error("bad_url") from None
        return url


class CommentId(fields.Integer):
    """A comment id as JSON sends it (a whole number) or a form does (digits); 1.5 or "1e3"
    is a mistake to report, not a number to round."""

    default_error_messages = {
        "invalid": "The comment you are replying to could not be found.",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
        ):
            raise self.make_error("invalid")
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise self.make_error("invalid")
        return number


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
    return_url = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "No-JS form only: the page to send the reader back to."},
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

    @pre_load
    def blank_optionals_are_absent(self, data: Any, **_: Any) -> Any:
        # HTML forms send every field, empty or not; an empty optional field means "none".
        if not hasattr(data, "items"):
            return data
        cleaned = {key: value for key, value in data.items()}
        for key in ("website", "parent_id", "return_url", "hp", "form_token"):
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


class SubmittedCommentSchema(PublicCommentSchema):
    status = fields.String(metadata={"description": "pending or approved"})
    edit_token = fields.String(
        allow_none=True,
        metadata={"description": "Lets the author edit or withdraw the comment for a while."},
    )


class FeedArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=200, error="limit must be between 1 and 200."),
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


class CountsArgsSchema(Schema):
    article = fields.List(
        fields.String(validate=[validate.Length(min=1, max=255), _printable]),
        required=True,
        validate=validate.Length(min=1, max=100, error="Ask for 1 to 100 articles at once."),
        error_messages={"required": "Name at least one article: ?article=key."},
    )


class CountsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class Reason(Schema):
    code = fields.String()
    message = fields.String()


class ModerationCommentSchema(Schema):
    id = fields.Integer()
    article = fields.String()
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
    article = fields.String(load_default=None, validate=[validate.Length(max=255), _printable])
    q = fields.String(load_default=None, validate=[validate.Length(max=200), _printable])
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class QueuePageSchema(Schema):
    comments = fields.List(fields.Nested(ModerationCommentSchema))
    next_cursor = fields.String(allow_none=True)


class DecisionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))
    expected_status = fields.String(
        load_default=None,
        validate=validate.OneOf([s.value for s in CommentStatus]),
        metadata={"description": "The status you saw; 409 if the comment has moved since."},
    )


BULK_ACTIONS = ["approve", "reject", "spam", "restore", "delete"]


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
    batch = fields.String(required=True, validate=[validate.Length(min=1, max=32), _printable])


class EventArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    comment_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID, error="comment_id must be a comment's id."),
    )
    moderator = fields.String(load_default=None, validate=[validate.Length(max=80), _printable])
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
    created_at = fields.DateTime()


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(allow_none=True)


class PersonSchema(Schema):
    """Whose data: the address a commenter asked about (sent in the body, never a URL)."""

    email = fields.String(
        required=True,
        validate=[
            validate.Length(min=3, max=EMAIL_MAX, error="Send the commenter's email address."),
            _printable,
        ],
    )


class ErasureRequestSchema(PersonSchema):
    mode = fields.String(
        required=True,
        validate=validate.OneOf(
            ["anonymise", "delete"],
            error="mode must be anonymise (keep the text) or delete (remove it too).",
        ),
    )


class PersonalDataSchema(Schema):
    exported_at = fields.String()
    comments = fields.List(fields.Dict())


class ErasureSchema(Schema):
    mode = fields.String()
    comments = fields.Integer(metadata={"description": "How many comments were erased."})
