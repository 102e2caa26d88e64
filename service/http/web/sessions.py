"""Moderators' sessions: the cookie (Secure and `__Host-` over HTTPS), and the rules that end
a session (signed out on the server, idle too long, signed in too long ago)."""

from __future__ import annotations

import time

from flask import Flask, Request, current_app, flash, has_request_context, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from service.models import Moderator
from service.moderation import accounts

SESSIONLESS_PREFIXES = ("/api/", "/articles/", "/comments.atom", "/widget.js")
# The prefix makes browsers keep the cookie only if it is Secure, for this host alone and the
# whole site (no Domain, Path=/): an HTTP page or a sibling subdomain cannot plant a session.
HOST_PREFIX = "__Host-"
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"
# A busy moderator's cookie is rewritten at most this often just to say they are still there.
SEEN_AT_GRANULARITY = 60


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # The API and the readers' pages (thread snippet, Atom, widget) never use the cookie
        # session: don't decode one, and don't make their cached answers vary by cookie.
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        # A Secure cookie is always the prefixed one, so the name follows the same rule and
        # never changes between requests of one deployment: `__Host-session` wherever the
        # service is reached over HTTPS (or SESSION_COOKIE_SECURE says it is), `session` on a
        # plain-HTTP development run, where browsers would refuse the prefixed cookie.
        secure_request = has_request_context() and request.is_secure
        return bool(app.config["SESSION_COOKIE_SECURE"]) or secure_request

    def get_cookie_name(self, app: Flask) -> str:
        name = super().get_cookie_name(app)
        return HOST_PREFIX + name if self.get_cookie_secure(app) else name

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None if self.get_cookie_secure(app) else super().get_cookie_domain(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/" if self.get_cookie_secure(app) else super().get_cookie_path(app)


def begin() -> None:
    """Start the clocks of a session that has just signed in."""
    session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()


def load_moderator(session_id: str) -> Moderator | None:
    """Flask-Login's user loader: the moderator of a live session, or None (signed out)."""
    if _expired():
        for key in (SIGNED_IN_AT, SEEN_AT, "_user_id", "_fresh", "_id"):
            session.pop(key, None)
        flash("Your session has ended; please sign in again.", "info")
        return None
    moderator = accounts.moderator_for_session(session_id)
    if moderator is not None:
        _seen()
    return moderator


def _expired() -> bool:
    config, now = current_app.config, time.time()
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, float) or not isinstance(seen_at, float):
        return True  # from before sessions had clocks
    idle, lifetime = config["SESSION_IDLE_SECONDS"], config["SESSION_MAX_SECONDS"]
    return bool(idle and now - seen_at > idle) or bool(lifetime and now - signed_in_at > lifetime)


def _seen() -> None:
    now = time.time()
    idle = current_app.config["SESSION_IDLE_SECONDS"]
    step = min(SEEN_AT_GRANULARITY, idle / 10) if idle else SEEN_AT_GRANULARITY
    if now - session[SEEN_AT] >= step:
        session[SEEN_AT] = now
