"""marshmallow schemas: what the API accepts (load) and what it shows (dump)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
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

from service.models import MAX_ID, BanKind, CommentStatus, ModerationMode

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


def messages_of(error: ValidationError) -> str:
    """A validation failure as one sentence or more, for a flash message or a terminal."""
    messages = error.normalized_messages()
    return " ".join(
        str(message)
        for field_messages in messages.values()
        for message in (field_messages if isinstance(field_messages, list) else [field_messages])
    )


def _printable_text(value: str) -> None:
    """Free text of several lines (a note): newlines and tabs are fine, other controls not."""
    if _has_control_characters(value, _BODY_ALLOWED_CONTROLS):
        raise ValidationError("This text contains control characters; please remove them.")


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
    return_to = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "No-JS form only: the article page (on one of ALLOWED_ORIGINS) "
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
        for key in (
            "website",
            "parent_id",
            "return_to",
            "hp",
            "form_token",
            "article_title",
            "article_url",
        ):
            if cleaned.get(key) == "":
                cleaned[key] = None
        return cleaned


_OPTIONAL_SUBMISSION_FIELDS = (
    "website",
    "parent_id",
    "return_url",
    "hp",
    "form_token",
    "article_title",
    "article_url",
)


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
    edit_window_minutes = fields.Integer(
        metadata={"description": "How long after posting the author may edit or withdraw."}
    )


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


BAN_KINDS = [kind.value for kind in BanKind]
HASH_FIELD = {"validate": validate.Regexp(r"^[0-9a-f]{64}$", error="Not a commenter's hash.")}


class BanArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(
        load_default="active",
        validate=validate.OneOf(["active", "all"], error="state must be active or all."),
    )
    q = fields.String(load_default=None, validate=[validate.Length(max=200), _printable])
    email_hash = fields.String(load_default=None, **HASH_FIELD)
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NewBanSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.Enum(
        BanKind,
        by_value=True,
        required=True,
        metadata={"description": "email (a commenter), domain (an email domain) or ip."},
    )
    value = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=255), _printable],
        metadata={"description": "The commenter's or client's hash, or the domain."},
    )
    email = fields.String(
        load_default=None,
        validate=[validate.Length(min=3, max=EMAIL_MAX), _printable],
        metadata={
            "description": "An address to ban (kind email) or whose domain to ban; "
            "it is hashed at once and never stored."
        },
    )
    comment_id = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID, error="comment_id must be a comment's id."),
        metadata={"description": "Ban the author (or client, or domain) of this comment."},
    )
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=NOTE_MAX)])
    until = fields.AwareDateTime(
        load_default=None,
        format="iso",
        metadata={"description": "End of a suspension; leave out for a permanent ban."},
    )
    days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=3650, error="days must be between 1 and 3650."),
        metadata={"description": "A suspension of so many days (instead of until)."},
    )
    spam = fields.Boolean(
        load_default=False,
        metadata={"description": "Spam-ban: also move all their comments to spam."},
    )

    @validates_schema
    def one_target_one_end(self, data: dict[str, Any], **_: Any) -> None:
        named = [key for key in ("value", "email", "comment_id") if data.get(key) is not None]
        if len(named) != 1:
            raise ValidationError("Send exactly one of value, email or comment_id.", "value")
        if data.get("until") is not None and data.get("days") is not None:
            raise ValidationError("Send until or days, not both.", "until")


class BanSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    value = fields.String(metadata={"description": "The keyed hash, or the domain."})
    label = fields.String(metadata={"description": "A short form for lists (hash prefix)."})
    reason = fields.String()
    until = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "banned, suspended, expired or lifted"})
    created_at = fields.DateTime()
    moderator = fields.String(allow_none=True)
    lifted_at = fields.DateTime(allow_none=True)
    lifted_by = fields.String(allow_none=True)


class BanPageSchema(Schema):
    bans = fields.List(fields.Nested(BanSchema))
    next_cursor = fields.String(allow_none=True)


class BanResultSchema(Schema):
    ban = fields.Nested(BanSchema)
    batch = fields.String(
        allow_none=True, metadata={"description": "A spam-ban's batch (for /undo)."}
    )
    results = fields.List(fields.Nested(BulkOutcomeSchema))


class NoteSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))


class CommenterCommentSchema(Schema):
    id = fields.Integer()
    article = fields.String()
    status = fields.String()
    name = fields.String()
    body_html = fields.String()
    created_at = fields.DateTime()


class CommenterNoteSchema(Schema):
    id = fields.Integer()
    body = fields.String()
    moderator = fields.String(allow_none=True)
    created_at = fields.DateTime()


class NewCommenterNoteSchema(Schema):
    body = fields.String(
        required=True, validate=[validate.Length(min=1, max=NOTE_MAX), _printable_text]
    )


class CommenterSchema(Schema):
    email_hash = fields.String()
    name = fields.String(metadata={"description": "The name on their latest comment."})
    email = fields.String(allow_none=True)
    first_seen = fields.DateTime()
    last_seen = fields.DateTime()
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    comments = fields.List(
        fields.Nested(CommenterCommentSchema), metadata={"description": "Newest first."}
    )
    notes = fields.List(fields.Nested(CommenterNoteSchema))
    bans = fields.List(fields.Nested(BanSchema))


class ArticleSettingsSchema(Schema):
    article = fields.String(metadata={"description": "The site's key for the article."})
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "Its canonical URL."})
    locked = fields.Boolean()
    closes_at = fields.DateTime(allow_none=True)
    moderation = fields.String(
        allow_none=True, metadata={"description": "pre, off or trusted; null: the site's mode."}
    )
    approved_count = fields.Integer()
    pending_count = fields.Integer()
    created_at = fields.DateTime()


class ArticleListArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default=None, validate=[validate.Length(max=200), _printable])
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ArticleListSchema(Schema):
    articles = fields.List(
        fields.Nested(ArticleSettingsSchema), metadata={"description": "Most pending first."}
    )


class ArticleChangesSchema(Schema):
    """Only the settings sent are changed; null clears one."""

    title = fields.String(allow_none=True, validate=[validate.Length(max=2000), _printable])
    url = fields.Url(
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=WEBSITE_MAX),
        error_messages={"invalid": "Enter the page's full http or https address."},
    )
    closes_at = fields.AwareDateTime(
        allow_none=True, format="iso", metadata={"description": "No new comments after this."}
    )
    moderation = fields.String(
        allow_none=True,
        validate=validate.OneOf(
            [mode.value for mode in ModerationMode], error="moderation must be one of {choices}."
        ),
    )

    @validates_schema
    def something_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send at least one of title, url, closes_at, moderation.")


class ModeratorEditSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    body = CommentBody(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))


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
