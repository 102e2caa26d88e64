"""Form traps for bots: a hidden field people never fill, and a signed time the form was shown."""

from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from service.screening.policy import FormTrap

HONEYPOT_FIELD = "hp"
# Past this age a token no longer shows the form was shown (a tab left open overnight is
# fine; one left for days gets the comment held, not refused).
TOKEN_MAX_AGE_SECONDS = 24 * 3600


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="commentdesk.form-shown")


def issue_form_token() -> str:
    return _signer().sign(b"form").decode()


class _SignerAt(TimestampSigner):
    def __init__(self, shown_at: float) -> None:
        super().__init__(current_app.config["SECRET_KEY"], salt="commentdesk.form-shown")
        self.shown_at = int(shown_at)

    def get_timestamp(self) -> int:
        return self.shown_at


def form_token_shown_at(shown_at: float) -> str:
    """A token for a form shown at `shown_at` (a Unix time): for the tests and tools that
    post as a person would, some seconds after the form appeared."""
    return _SignerAt(shown_at).sign(b"form").decode()


def inspect(honeypot: str | None, token: str | None) -> FormTrap:
    filled = bool(honeypot and honeypot.strip())
    if not token:
        # A bot posting plain JSON, or a site's own backend (FORM_TOKEN_REQUIRED=false).
        return FormTrap(honeypot_filled=filled)
    try:
        _, shown_at = _signer().unsign(token, max_age=TOKEN_MAX_AGE_SECONDS, return_timestamp=True)
    except SignatureExpired:
        return FormTrap(honeypot_filled=filled, token="expired")
    except BadSignature:
        return FormTrap(honeypot_filled=filled, token="invalid")
    elapsed = max(0.0, time.time() - shown_at.timestamp())
    return FormTrap(honeypot_filled=filled, token="valid", seconds_to_submit=elapsed)
