"""What the admins' sites page and the moderators' grants send (service/http/web/sites.py).
A site's form carries every setting: one left blank is the environment's, lists are one entry
a line; the secret is never shown, so a blank one is kept unless "remove" is ticked. The
settings' rules are the use case's (service/moderation/site_admin.py), as for the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from service.http.schemas.common import printable, printable_text
from service.http.schemas.sites import NewGrantSchema
from service.models import SiteRole
from service.moderation import site_admin

_TEXT: list[Callable[[Any], Any]] = [validate.Length(max=100_000), printable]
# One entry a line.
_LINES: list[Callable[[Any], Any]] = [validate.Length(max=100_000), printable_text]


def _whole(label: str) -> fields.Integer:
    message = f"{label} must be a whole number (or left blank for the environment's)."
    return fields.Integer(
        load_default=None,
        error_messages={"invalid": message, "too_large": message},
    )


def _lines(value: str | None) -> list[str] | None:
    entries = [line.strip() for line in (value or "").splitlines() if line.strip()]
    return entries or None


class SiteSettingsForm(Schema):
    name = fields.String(load_default="", validate=_TEXT)
    origins = fields.String(load_default=None, validate=_LINES)
    public_url = fields.String(load_default=None, validate=_TEXT)
    moderation = fields.String(load_default=None, validate=_TEXT)
    link_limit = _whole("The link limit")
    close_after_days = _whole("Close after days")
    retention_days = _whole("Retention days")
    webhook_url = fields.String(load_default=None, validate=_TEXT)
    webhook_secret = fields.String(load_default=None, validate=_TEXT)
    remove_webhook_secret = fields.Boolean(load_default=False)
    digest_to = fields.String(load_default=None, validate=_LINES)

    @post_load
    def as_settings(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The form's fields as the use case's settings (every one, blank ones as None)."""
        settings = {name: data.get(name) for name in site_admin.SETTINGS}
        settings["origins"] = _lines(data["origins"])
        settings["digest_to"] = _lines(data["digest_to"])
        if data["remove_webhook_secret"]:
            settings["webhook_secret"] = None
        elif not data["webhook_secret"]:
            del settings["webhook_secret"]
        return settings


class NewSiteForm(SiteSettingsForm):
    slug = fields.String(load_default="", validate=_TEXT)

    @post_load
    def as_settings(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        settings: dict[str, Any] = super().as_settings(data, **kwargs)
        return settings | {"slug": data["slug"]}


class RemoveSiteForm(Schema):
    confirm = fields.String(load_default="", validate=_TEXT)
    delete_comments = fields.Boolean(load_default=False)


_CHOOSE_ROLE = "Choose moderator or site admin."


class GrantForm(NewGrantSchema):
    site = fields.String(
        required=True,
        validate=_TEXT,
        error_messages={"required": "Choose a site to grant."},
    )
    role = fields.Enum(
        SiteRole,
        by_value=True,
        load_default=SiteRole.MODERATOR,
        error_messages={"unknown": _CHOOSE_ROLE},
    )
