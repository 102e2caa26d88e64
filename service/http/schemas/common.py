"""Limits, validators and the comment fields every schema shares."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from marshmallow import (
    ValidationError,
    fields,
    validate,
)

from service.comments import characters
from service.models import MAX_ID, NOTE_MAX

NAME_MAX = 80
BODY_MAX = 10_000
WEBSITE_MAX = 2048
EMAIL_MAX = 254

# Bidirectional overrides and isolates can make a name display as something else entirely.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BODY_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def printable(value: str) -> None:
    if characters.has_unstorable(value):
        raise ValidationError("This value contains control characters; please remove them.")


def messages_of(error: ValidationError) -> str:
    """A validation failure as one sentence or more, for a flash message or a terminal; each
    said once (a list field has one message per bad item, nested by position)."""
    said: list[str] = []

    def collect(messages: Any) -> None:
        if isinstance(messages, dict | list):
            for value in messages.values() if isinstance(messages, dict) else messages:
                collect(value)
        elif str(messages) not in said:
            said.append(str(messages))

    collect(error.messages)
    return " ".join(said)


def printable_text(value: str) -> None:
    """Free text of several lines (a note): newlines and tabs are fine, other controls not."""
    if characters.has_unstorable(value, _BODY_ALLOWED_CONTROLS):
        raise ValidationError("This text contains control characters; please remove them.")


def _documented(options: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """Field options with the limits a custom field checks itself, as OpenAPI properties: for
    clients, and so the fuzz test (tests/http/test_fuzz.py) sends what could pass."""
    return options | {"metadata": properties | options.get("metadata", {})}


class CommentName(fields.String):
    default_error_messages = {
        "required": "Please enter your name.",
        "null": "Please enter your name.",
        "invalid": "Please enter your name as text.",
        "empty": "Please enter your name.",
        "too_long": f"Please keep your name to {NAME_MAX} characters or fewer.",
        "control": "Your name contains invisible control characters; please remove them.",
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**_documented(options, minLength=1, maxLength=NAME_MAX))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        if not name:
            raise self.make_error("empty")
        if len(name) > NAME_MAX:
            raise self.make_error("too_long")
        if characters.has_unstorable(name) or _BIDI_CONTROLS.search(name):
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

    def __init__(self, **options: Any) -> None:
        super().__init__(**_documented(options, format="email", maxLength=EMAIL_MAX))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        address = super()._deserialize(value, attr, data, **kwargs).strip()
        if not address:
            raise self.make_error("empty")
        if len(address) > EMAIL_MAX or characters.has_unstorable(address):
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

    def __init__(self, **options: Any) -> None:
        super().__init__(**_documented(options, minLength=1, maxLength=BODY_MAX))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        body = super()._deserialize(value, attr, data, **kwargs)
        if not body.strip():
            raise self.make_error("empty")
        if len(body) > BODY_MAX:
            raise self.make_error("too_long", max=BODY_MAX, length=len(body))
        if characters.has_unstorable(body, _BODY_ALLOWED_CONTROLS):
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

    def __init__(self, **options: Any) -> None:
        super().__init__(**_documented(options, maxLength=WEBSITE_MAX))

    # An empty website loads as None, where marshmallow types every String as a str.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> str | None:
        url = super()._deserialize(value, attr, data, **kwargs).strip()
        if not url:
            return None
        if len(url) > WEBSITE_MAX:
            raise self.make_error("too_long")
        # The URL validator lets control characters through in the path (NUL breaks PostgreSQL).
        if characters.has_unstorable(url):
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

    def __init__(self, **options: Any) -> None:
        super().__init__(**_documented(options, minimum=1, maximum=MAX_ID))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str):
            # ASCII digits only ("²".isdigit() is true but int("²") fails), and no more of
            # them than an id has (int() refuses thousands of digits).
            value = value.strip()
            if not (value.isascii() and value.isdigit() and len(value) < 12):
                raise self.make_error("invalid")
        elif isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise self.make_error("invalid")
        return number


def optional_note(**options: Any) -> fields.String:
    """A moderator's optional free-text note (on a decision, an edit, a lifted ban)."""
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=NOTE_MAX), printable_text],
        **options,
    )
