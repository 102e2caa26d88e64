"""Session cookie that is marked Secure whenever the request came over HTTPS."""

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

SESSIONLESS_PREFIXES = ("/api/", "/articles/", "/comments.atom", "/widget.js")


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # The API and the readers' pages (thread snippet, Atom, widget) never use the cookie
        # session: don't decode one, and don't make their cached answers vary by cookie.
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
