"""Session cookie that is marked Secure whenever the request came over HTTPS."""

from flask import Flask, Request, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        # The API never uses the cookie session (tokens or nothing): don't decode one.
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
