"""How the web pages read what browsers send, and the one error mapping for their refusals:
form and link input is loaded through a marshmallow schema (service/http/schemas/forms.py);
a refusal, the schema's or a use case's DomainError, is flashed and the moderator sent back
to the form's page, or, for the queue's scripts, answered in the API's JSON error shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, flash, redirect, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import default_exceptions
from werkzeug.wrappers import Response

from service.errors import DomainError
from service.http.errors import domain_error_response, validation_response
from service.http.schemas.common import messages_of
from service.http.web.auth import safe_next

View = TypeVar("View", bound=Callable[..., Any])

# The page each view's form lives on, as (endpoint, names of the view's URL values it needs).
_PAGES: dict[object, tuple[str, tuple[str, ...]]] = {}


def returns_to(endpoint: str, *carried: str) -> Callable[[View], View]:
    """Name the page a form post goes back to, done or refused (the queue when not named);
    `carried` are the view's URL values that page's address needs too."""

    def declare(view: View) -> View:
        _PAGES[view] = (endpoint, carried)
        return view

    return declare


def back() -> str:
    """Where the current form post goes back to: the page it names in `next` (the queue's
    forms send the filtered page they were on) when that is one of ours, else its own page."""
    endpoint, carried = _PAGES.get(
        current_app.view_functions.get(request.endpoint or ""), ("queue.index", ())
    )
    view_args = request.view_args or {}
    fallback = url_for(endpoint, **{name: view_args[name] for name in carried})
    # Read raw: where to go back to is needed even when the rest of the form is refused.
    return safe_next(request.form.get("next"), fallback)


def wants_json() -> bool:
    """The queue's script (moderation.js) asks for JSON; a plain form post gets a page."""
    return request.accept_mimetypes.best == "application/json"


def _submitted(values: MultiDict[str, str], schema: Schema) -> dict[str, Any]:
    """Form or query values as the schema reads them: a list field gets every value sent,
    other fields the first; a field sent empty counts as not sent, as in the API."""
    lists = {
        field.data_key or name
        for name, field in schema.load_fields.items()
        if isinstance(field, fields.List)
    }
    data: dict[str, Any] = {}
    for key in values:
        if key in lists:
            if chosen := [value for value in values.getlist(key) if value != ""]:
                data[key] = chosen
        elif (value := values.get(key, "")) != "":
            data[key] = value
    return data


def form_input(schema: Schema, **from_address: Any) -> dict[str, Any]:
    """The posted form loaded through `schema` (with values from the URL, such as a comment's
    id, where the API's schema has them as fields); a refusal raises ValidationError, which
    the blueprint's error mapping answers."""
    loaded: dict[str, Any] = schema.load(
        _submitted(request.form, schema) | from_address, unknown=EXCLUDE
    )
    return loaded


def typed_form(schema: Schema) -> dict[str, Any]:
    """The posted form as typed, for a page that shows it again to be corrected."""
    return _submitted(request.form, schema)


def query_input(schema: Schema, say: bool = True) -> dict[str, Any]:
    """A page's link values loaded through `schema`: the page is shown anyway, so a bad
    filter or page link is flashed (unless `say` is off: a readers' page has no session to
    flash in) and left out, the schema's default standing in."""
    data = _submitted(request.args, schema)
    try:
        loaded: dict[str, Any] = schema.load(data, unknown=EXCLUDE)
    except ValidationError as error:
        if say:
            flash(messages_of(error), "error")
        refused = error.messages if isinstance(error.messages, dict) else {}
        # A refusal of the values together (not of one field) leaves only the defaults.
        kept = {k: v for k, v in data.items() if k not in refused and "_schema" not in refused}
        loaded = schema.load(kept, unknown=EXCLUDE)
    return loaded


def _domain_refusal(error: DomainError) -> Response:
    if wants_json():
        return domain_error_response(error)
    if request.method == "GET":
        # A page cannot go back to itself: its refusal is the error page of its status
        # (answered here: an abort() raised inside an error handler would be a 500).
        page = current_app.handle_http_exception(default_exceptions[error.status]())
        return current_app.make_response(page)
    flash(error.message, "error")
    return redirect(back())


def _input_refusal(error: ValidationError) -> Response:
    if wants_json():
        messages = error.messages
        return validation_response(
            messages if isinstance(messages, dict) else {"_request": messages}
        )
    flash(messages_of(error), "error")
    return redirect(back())


def map_refusals(blp: Blueprint) -> None:
    """The web error mapping of a blueprint whose views are form posts that go back to a page:
    a refused form or a use case's refusal is flashed there (JSON for the queue's scripts)."""
    blp.register_error_handler(DomainError, _domain_refusal)
    blp.register_error_handler(ValidationError, _input_refusal)
