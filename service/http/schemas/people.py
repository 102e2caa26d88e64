"""Bans, commenters and their notes, article settings, privacy requests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from service.http.schemas.common import (
    EMAIL_MAX,
    WEBSITE_MAX,
    optional_note,
    printable,
    printable_text,
)
from service.http.schemas.moderation import BulkOutcomeSchema, site_slug
from service.models import MAX_ID, NOTE_MAX, BanKind, ModerationMode

HASH_FIELD: dict[str, Any] = {
    "validate": validate.Regexp(r"^[0-9a-f]{64}$", error="Not a commenter's hash.")
}
# A moment near year 1 or 9999 in another zone has no UTC form to store (OverflowError, a 500).
STORABLE_MOMENT = validate.Range(
    min=datetime(1970, 1, 1, tzinfo=UTC),
    max=datetime(9999, 1, 1, tzinfo=UTC),
    error="Enter a date between the years 1970 and 9998.",
)


class BanArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(
        load_default="active",
        validate=validate.OneOf(["active", "all"], error="state must be active or all."),
    )
    q = fields.String(load_default=None, validate=[validate.Length(max=200), printable])
    email_hash = fields.String(load_default=None, **HASH_FIELD)
    site = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=64), printable],
        metadata={"description": "Only the bans that hold on this site (by its slug)."},
    )
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
        validate=[validate.Length(min=1, max=255), printable],
        metadata={"description": "The commenter's or client's hash, or the domain."},
    )
    email = fields.String(
        load_default=None,
        validate=[validate.Length(min=3, max=EMAIL_MAX), printable],
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
    reason = fields.String(
        required=True, validate=[validate.Length(min=1, max=NOTE_MAX), printable_text]
    )
    until = fields.AwareDateTime(
        load_default=None,
        format="iso",
        validate=STORABLE_MOMENT,
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
    site = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=64), printable],
        metadata={
            "description": "The site (slug) the ban holds on; by default the comment's "
            "site, else the default site."
        },
    )
    all_sites = fields.Boolean(
        load_default=False, metadata={"description": "Admins: ban on every site."}
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
    site = fields.String(
        allow_none=True, metadata={"description": "The site it holds on; null: every site."}
    )
    every_site = fields.Boolean()
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

    note = optional_note()


class CommenterCommentSchema(Schema):
    id = fields.Integer()
    site = fields.String()
    article = fields.String()
    status = fields.String()
    name = fields.String()
    body_html = fields.String()
    created_at = fields.DateTime()


class CommenterNoteSchema(Schema):
    id = fields.Integer()
    site = fields.String()
    body = fields.String()
    moderator = fields.String(allow_none=True)
    created_at = fields.DateTime()


class NewCommenterNoteSchema(Schema):
    body = fields.String(
        required=True, validate=[validate.Length(min=1, max=NOTE_MAX), printable_text]
    )
    site = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=64), printable],
        metadata={"description": "The site the note is for; by default their latest one."},
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
    site = fields.String(metadata={"description": "The slug of the article's site."})
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

    q = fields.String(load_default=None, validate=[validate.Length(max=200), printable])
    site = site_slug("A site's slug: that site's articles only.")
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ArticleListSchema(Schema):
    articles = fields.List(
        fields.Nested(ArticleSettingsSchema), metadata={"description": "Most pending first."}
    )


class ArticleChangesSchema(Schema):
    """Only the settings sent are changed; null clears one."""

    title = fields.String(allow_none=True, validate=[validate.Length(max=2000), printable])
    url = fields.Url(
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=WEBSITE_MAX),
        error_messages={"invalid": "Enter the page's full http or https address."},
    )
    closes_at = fields.AwareDateTime(
        allow_none=True,
        format="iso",
        validate=STORABLE_MOMENT,
        metadata={"description": "No new comments after this."},
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


class PersonSchema(Schema):
    """Whose data: the address a commenter asked about (sent in the body, never a URL)."""

    email = fields.String(
        required=True,
        validate=[
            validate.Length(min=3, max=EMAIL_MAX, error="Send the commenter's email address."),
            printable,
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


_COVERED = {"description": "The sites (slugs) the request covered."}


class PersonalDataSchema(Schema):
    exported_at = fields.String()
    sites = fields.List(fields.String(), metadata=_COVERED)
    comments = fields.List(fields.Dict())


class ErasureSchema(Schema):
    mode = fields.String()
    comments = fields.Integer(metadata={"description": "How many comments were erased."})
    sites = fields.List(fields.String(), metadata=_COVERED)
