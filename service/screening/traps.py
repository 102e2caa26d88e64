"""Form traps for bots: a hidden field people never fill, and a signed time the form was shown."""

from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from service.screening.policy import FormTrap

HONEYPOT_FIELD = "hp"
# Past this age a token proves nothing either way (a tab left open overnight is fine).
TOKEN_MAX_AGE_SECONDS = 24 * 3600


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="commentdesk.form-shown")


def issue_form_token() -> str:
    return _signer().sign(b"form").decode()


def inspect(honeypot: str | None, token: str | None) -> FormTrap:
    filled = bool(honeypot and honeypot.strip())
    if not token:
        # A plain API client sends no token: not suspicious by itself.
        return FormTrap(honeypot_filled=filled)
    try:
        _, shown_at = _signer().unsign(token, max_age=TOKEN_MAX_AGE_SECONDS, return_timestamp=True)
    except SignatureExpired:
        return FormTrap(honeypot_filled=filled, token="valid")
    except BadSignature:
        return FormTrap(honeypot_filled=filled, token="invalid")
    elapsed = max(0.0, time.time() - shown_at.timestamp())
    return FormTrap(honeypot_filled=filled, token="valid", seconds_to_submit=elapsed)
