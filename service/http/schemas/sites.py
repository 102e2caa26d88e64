"""Sites and moderators' grants, as admins manage them: the shapes sent and shown. The rules
a value must follow (a slug's letters, an origin's form, ranges) are the use case's
(service/moderation/site_admin.py), so the API, the web page and `flask sites` refuse alike; these
schemas check only types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from service.http.schemas.common import printable
from service.models import SiteRole

_TEXT: list[Callable[[Any], Any]] = [validate.Length(max=4096), printable]
_RESET = "null resets it to the environment's."


def _text(description: str, **options: Any) -> fields.String:
    return fields.String(
        allow_none=True, validate=_TEXT, metadata={"description": description}, **options
    )


def _whole(description: str) -> fields.Integer:
    return fields.Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=2**31 - 1),
        metadata={"description": description},
    )


def _list(description: str) -> fields.List[Any]:
    return fields.List(
        fields.String(validate=_TEXT),
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": description},
    )


class SiteChangesSchema(Schema):
    """Only the settings sent change; a setting sent as null is the environment's again."""

    name = fields.String(validate=_TEXT, metadata={"description": "1 to 120 characters."})
    origins = _list(
        "The site's pages, as origins (https://blog.example.com): CORS and the form's "
        f"return_to. Each belongs to one site. {_RESET}"
    )
    public_url = _text(f"The site's base URL; article keys appended give pages. {_RESET}")
    moderation = _text(f"pre, off or trusted. {_RESET}")
    link_limit = _whole(f"Links a comment may carry before it is held, 0 to 100. {_RESET}")
    close_after_days = _whole(f"Articles close so many days after their first comment. {_RESET}")
    retention_days = _whole(f"Days to keep commenters' client data. {_RESET}")
    webhook_url = _text(f"Where held comments are announced (needs a secret). {_RESET}")
    webhook_secret = _text(
        "Signs each webhook (16 characters or more); never shown back.", load_only=True
    )
    digest_to = _list(f"Who gets the digest of held comments. {_RESET}")


class NewSiteSchema(SiteChangesSchema):
    slug = fields.String(
        required=True,
        validate=_TEXT,
        metadata={"description": "Lower-case letters, digits and hyphens; never changes."},
    )
    name = fields.String(required=True, validate=_TEXT)


class AppliedSettingsSchema(Schema):
    """The settings as they apply, the environment's filling in what the site leaves empty."""

    origins = fields.List(fields.String())
    public_url = fields.String()
    moderation = fields.String()
    link_limit = fields.Integer()
    close_after_days = fields.Integer()
    retention_days = fields.Integer()
    webhook_url = fields.String()
    webhook_secret_set = fields.Boolean()
    digest_to = fields.List(fields.String())


class SiteSchema(Schema):
    slug = fields.String()
    name = fields.String()
    is_default = fields.Boolean(metadata={"description": "Today's API paths serve it."})
    created_at = fields.DateTime()
    origins = fields.List(fields.String(), metadata={"description": "Empty: the environment's."})
    public_url = fields.String(allow_none=True)
    moderation = fields.String(allow_none=True)
    link_limit = fields.Integer(allow_none=True)
    close_after_days = fields.Integer(allow_none=True)
    retention_days = fields.Integer(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    webhook_secret_set = fields.Boolean(metadata={"description": "The secret is never shown."})
    digest_to = fields.List(fields.String(), allow_none=True)
    applied = fields.Nested(AppliedSettingsSchema)
    from_environment = fields.List(
        fields.String(), metadata={"description": "The settings the environment fills in."}
    )
    articles = fields.Integer()
    comments = fields.Integer()


class SiteListSchema(Schema):
    sites = fields.List(fields.Nested(SiteSchema), metadata={"description": "Default first."})


class RemoveSiteArgsSchema(Schema):
    delete_comments = fields.Boolean(
        load_default=False,
        metadata={"description": "Needed to remove a site with articles: deletes them too."},
    )


class RemovedSiteSchema(Schema):
    articles = fields.Integer(metadata={"description": "Articles deleted with the site."})
    comments = fields.Integer(metadata={"description": "Comments deleted with the site."})


class GrantSchema(Schema):
    site = fields.String()
    name = fields.String()
    role = fields.String(metadata={"description": "moderator or site_admin"})


class GrantListSchema(Schema):
    grants = fields.List(fields.Nested(GrantSchema))


class NewGrantSchema(Schema):
    role = fields.Enum(
        SiteRole,
        by_value=True,
        load_default=SiteRole.MODERATOR,
        error_messages={"unknown": "role must be moderator or site_admin."},
        metadata={"description": "moderator (the default) or site_admin."},
    )
