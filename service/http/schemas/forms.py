"""What the web forms and page links send, for the queue, the audit log and the readers'
include (people_forms.py has the others): the API's schemas where a form carries the same
thing, worded for a person at a form rather than a client's programmer, and the few web-only
forms. service/http/web/forms.py loads request input through them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError, fields, pre_load, validate
from marshmallow.fields import Field

from service import cursors
from service.audit import AuditAction
from service.comments import articles
from service.errors import FieldError
from service.http.schemas.common import CommentId, optional_note, printable
from service.http.schemas.moderation import (
    ArticleSiteArgsSchema,
    BulkActionSchema,
    DecisionSchema,
    EventArgsSchema,
    ModeratorEditSchema,
    QueueArgsSchema,
    UndoSchema,
    site_slug,
)
from service.http.schemas.people import (
    ArticleChangesSchema,
    NoteSchema,
)
from service.models import (
    CommentStatus,
    QueueView,
)

F = TypeVar("F", bound=Field[Any])

SELECT_COMMENTS = "Select at least one comment, then choose an action."


def worded(field: F, **messages: str) -> F:
    """The API's field with its rules as they are, and other words for some of its refusals
    (a moderator at a form, not a client's programmer, reads them)."""
    twin = copy.deepcopy(field)
    twin.error_messages = {**twin.error_messages, **messages}
    return twin


def declared(schema: type[Schema], name: str, kind: type[F]) -> F:
    """One of `schema`'s own fields, to reuse its rules."""
    field = schema._declared_fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{schema.__name__}.{name} is a {type(field).__name__}")
    return field


def decodes_with(decode: Callable[[str], object]) -> Callable[[str], None]:
    """A page link's cursor is checked when the link is read, so a bad one is flashed and
    the page starts again from the first one rather than failing in the use case."""

    def check(cursor: str) -> None:
        try:
            decode(cursor)
        except FieldError as error:
            raise ValidationError(error.message) from None

    return check


def trimmed(data: Any, *names: str) -> Any:
    """Typed text whose surrounding spaces mean nothing (a search, an address), trimmed;
    a field left blank is then left out, as an empty one is."""
    if not isinstance(data, dict):
        return data
    cleaned = dict(data)
    for name in names:
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip()
            if not cleaned[name]:
                del cleaned[name]
    return cleaned


def _seen_statuses(data: Any) -> Any:
    """The queue's rows carry `seen-<id>`: the status the moderator saw; gathered here into
    `expected`, so a decision on a comment a colleague moved meanwhile is refused."""
    if not isinstance(data, dict):
        return data
    seen = {key[5:]: value for key, value in data.items() if key.startswith("seen-")}
    return {key: value for key, value in data.items() if not key.startswith("seen-")} | (
        {"expected": seen} if seen else {}
    )


def _expected() -> fields.Dict:
    return fields.Dict(
        keys=CommentId(error_messages={"invalid": "That is not a comment of the queue."}),
        values=fields.String(
            validate=validate.OneOf(
                [s.value for s in CommentStatus], error="That is not a comment's status."
            )
        ),
        load_default=dict,
    )


# The readers' pages


class SnippetArgsSchema(Schema):
    """The thread include's link: a comment to reply to, the article page to answer on
    (checked against the site's origins where it is used)."""

    reply_to = CommentId(load_default=None)
    return_to = fields.String(load_default=None, validate=validate.Length(max=2048))


# The moderation queue


class QueueForm(QueueArgsSchema):
    """The queue's filters (its page size is the site's, not the link's)."""

    cursor = fields.String(load_default=None, validate=decodes_with(cursors.decode))
    group = fields.String(
        load_default=None,
        validate=validate.OneOf(["article"], error="The queue groups by article only."),
    )

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "q", "site")


class DecisionForm(DecisionSchema):
    """One comment's decision from its row: a note, and the status the row showed."""

    expected = _expected()

    @pre_load
    def gather(self, data: Any, **_: Any) -> Any:
        return _seen_statuses(trimmed(data, "note"))


class BulkForm(BulkActionSchema):
    """The queue's checkboxes (`ids`), the action button pressed, the note, the seen statuses."""

    action = worded(
        declared(BulkActionSchema, "action", fields.String),
        required="Choose an action for the selected comments.",
    )
    ids = worded(
        fields.List(
            CommentId(error_messages={"invalid": "Select comments of the queue, by their box."}),
            required=True,
            validate=declared(BulkActionSchema, "ids", fields.List).validators,
        ),
        required=SELECT_COMMENTS,
    )
    expected = _expected()

    @pre_load
    def gather(self, data: Any, **_: Any) -> Any:
        return _seen_statuses(trimmed(data, "note"))


class WaveForm(NoteSchema):
    """Decide a whole wave of near-identical pending comments."""

    action = fields.String(
        required=True,
        validate=validate.OneOf(
            [AuditAction.APPROVE, AuditAction.REJECT, AuditAction.SPAM],
            error="Choose what to do with the whole wave.",
        ),
        error_messages={"required": "Choose what to do with the whole wave."},
    )
    fingerprint = fields.String(
        required=True,
        validate=[validate.Length(max=64), printable],
        error_messages={"required": "Choose what to do with the whole wave."},
    )
    # The queue's filters the wave was shown under: only the comments it listed are decided.
    article = fields.String(load_default=None, validate=[validate.Length(max=255), printable])
    q = fields.String(load_default=None, validate=[validate.Length(max=200), printable])
    site = site_slug("The article's site (its slug); the default site if not given.")

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "note", "article", "q", "site")


class UndoForm(UndoSchema):
    batch = worded(
        declared(UndoSchema, "batch", fields.String),
        required="There is nothing to undo (it may have been undone already).",
    )


class QueueViewForm(Schema):
    """The queue's view switch: in full, or compact (one line a comment until opened)."""

    view = fields.Enum(
        QueueView,
        by_value=True,
        required=True,
        error_messages={
            "required": "Choose the full or the compact view.",
            "unknown": "Choose the full or the compact view.",
        },
    )


def _article() -> fields.String:
    """An article named by a queue form (its lock button, its settings)."""
    return fields.String(
        required=True,
        validate=[validate.Length(min=1, max=255), printable],
        error_messages={"required": "Choose an article first."},
    )


class ArticleSiteForm(ArticleSiteArgsSchema):
    """The site of the article a queue form names (the default site if none)."""

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "site")


class LockForm(NoteSchema):
    article = _article()
    site = site_slug("The article's site (its slug); the default site if not given.")
    locked = fields.Boolean(load_default=False)

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "note", "site")


class ArticleSettingsForm(ArticleChangesSchema):
    """Every setting is on the form: one left blank is cleared. The close date comes from a
    datetime-local field, in UTC."""

    article = _article()
    site = site_slug("The article's site (its slug); the default site if not given.")

    @pre_load
    def blank_clears(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        settings = {name: None for name in articles.SETTINGS if name in self.load_fields}
        given = trimmed(data, "site", *articles.SETTINGS)
        if isinstance(given.get("closes_at"), str):
            given["closes_at"] += "+00:00"
        return settings | given


class EditForm(ModeratorEditSchema):
    """A moderator's edit of a comment's text; the form calls the note "why"."""

    note = optional_note(data_key="why")


# The audit log


class EventsForm(EventArgsSchema):
    """The audit log's filters."""

    comment_id = CommentId(
        load_default=None,
        error_messages={"invalid": "Enter a comment's number to see its history."},
    )
    cursor = fields.String(load_default=None, validate=decodes_with(cursors.decode_id))

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return trimmed(data, "comment_id")
