"""The web forms about people and settings rather than comments: bans and notes from the
queue and the panels, and the admin pages (moderators, tokens, privacy requests, the spam
policy). See forms.py for how a form reuses the API's fields."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from service import cursors
from service.http.schemas.common import printable
from service.http.schemas.forms import declared, decodes_with, trimmed, worded
from service.http.schemas.people import (
    BanArgsSchema,
    NewBanSchema,
    NewCommenterNoteSchema,
    NoteSchema,
    PersonSchema,
)
from service.models import DEFAULT_SITE_SLUG, RuleKind
from service.privacy.personal_data import ErasureMode
from service.screening import rules

# Bans and notes

_CHOOSE_KIND = "Choose what to ban: an address, a domain or a client hash."
# The site menu's choice for a ban on every site (admins).
EVERY_SITE_CHOICE = "*"


class BanAuthorForm(NewBanSchema):
    """Ban the author (or client, or domain) of a comment, from the queue or the panel."""

    kind = worded(
        declared(NewBanSchema, "kind", fields.Enum),
        required=_CHOOSE_KIND,
        unknown=_CHOOSE_KIND,
    )
    reason = worded(
        declared(NewBanSchema, "reason", fields.String),
        required="Say why, for the other moderators and the audit log.",
    )
    days = worded(
        declared(NewBanSchema, "days", fields.Integer),
        invalid="Choose how many days the ban lasts, or for good.",
    )

    @pre_load
    def site_or_every_site(self, data: Any, **_: Any) -> Any:
        data = trimmed(data, "site")
        if isinstance(data, dict) and data.get("site") == EVERY_SITE_CHOICE:
            data = {key: value for key, value in data.items() if key != "site"}
            data["all_sites"] = True
        return data


class NewBanForm(BanAuthorForm):
    """A ban typed in: an address (hashed at once), a domain, or a hash from another page."""

    target = fields.String(
        required=True,
        load_only=True,
        validate=[validate.Length(min=1, max=255), printable],
        error_messages={"required": "Enter whom to ban: an address, a domain or a hash."},
    )

    @pre_load
    def target_is_value_or_email(self, data: Any, **_: Any) -> Any:
        data = trimmed(data, "target", "note")
        if isinstance(data, dict) and isinstance(data.get("target"), str):
            is_address = data.get("kind") == "email" and "@" in data["target"]
            data["email" if is_address else "value"] = data["target"]
        return data


class CommenterNoteForm(NewCommenterNoteSchema):
    """A moderator's note about a commenter."""

    body = worded(
        declared(NewCommenterNoteSchema, "body", fields.String), required="Write the note first."
    )

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "body")


class LiftForm(NoteSchema):
    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "note")


class BansForm(BanArgsSchema):
    """The bans page's filters."""

    cursor = fields.String(load_default=None, validate=decodes_with(cursors.decode_id))

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "q", "site")


# Admin pages


class NewModeratorForm(Schema):
    """Name and password are checked by the accounts use case, which says what is wrong."""

    username = fields.String(load_default="")
    password = fields.String(load_default="")
    role = fields.String(
        load_default="moderator",
        validate=validate.OneOf(["moderator", "admin"], error="Choose moderator or admin."),
    )


class ActiveForm(Schema):
    active = fields.Boolean(load_default=False)


class PasswordForm(Schema):
    password = fields.String(load_default="")


class TokenForm(Schema):
    username = fields.String(load_default="")
    label = fields.String(
        load_default="",
        validate=[
            validate.Length(max=80, error="Keep the label to 80 characters or fewer."),
            printable,
        ],
    )

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "label")


_ENTER_EMAIL = "Enter the commenter's email address."


class PersonForm(PersonSchema):
    email = worded(declared(PersonSchema, "email", fields.String), required=_ENTER_EMAIL)

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "email")


def _erasure_mode(message: str) -> fields.Enum[ErasureMode]:
    return fields.Enum(
        ErasureMode,
        by_value=True,
        required=True,
        error_messages={"required": message, "unknown": message},
    )


class ErasureForm(PersonForm):
    mode = _erasure_mode("Choose whether to keep the comments' text or delete it.")


class OwnErasureForm(Schema):
    """A commenter erasing their own data from the emailed link's page."""

    mode = _erasure_mode("Choose whether to keep your comments' text (anonymously) or delete it.")


_LAST = "Simulate over a whole number of recent comments, 1 to 10,000."


def _setting(name: str) -> fields.Float:
    message = f"{name.replace('_', ' ')} must be a number."
    return fields.Float(
        load_default=None,
        error_messages={"invalid": message, "special": message, "too_large": message},
    )


# The spam policy's lists (one entry a line, checked by the rules use case), its settings
# (ranges checked there too), and how many recent comments a simulation replays.
RulesForm = Schema.from_dict(
    {kind.value: fields.String(load_default="") for kind in RuleKind}
    | {name: _setting(name) for name in rules.EDITABLE_SETTINGS}
    | {
        "do": fields.String(load_default="simulate"),
        "last": fields.Integer(
            load_default=1000,
            validate=validate.Range(min=1, max=10_000, error=_LAST),
            error_messages={"invalid": _LAST, "too_large": _LAST},
        ),
    },
    name="RulesForm",
)

# Which site's lists and link limit the rules page shows and saves: the default site's when
# the address names none.
RulesSiteArgs = Schema.from_dict(
    {"site": fields.String(load_default=DEFAULT_SITE_SLUG)}, name="RulesSiteArgs"
)
