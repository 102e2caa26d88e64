"""The rate limiter (Flask-Limiter), unbound; create_app binds it."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    # Only posts (comments, sign-ins) and commenters' edits carry limits; skipping the check
    # for everything else keeps it off the public feed's hot path.
    return request.method not in ("POST", "PATCH")
