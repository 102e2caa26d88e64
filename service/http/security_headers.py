"""Browser security headers: which answer gets which, decided here for every answer.

A WSGI middleware rather than an `after_request` hook, because repeat feed reads are answered
in front of Flask (service/feed/repeat_reads.py) and must not miss `nosniff` either.

Why not flask-talisman: its last release is from 2023, it overwrites the session cookie
settings (service/http/web/sessions.py owns those), believes `X-Forwarded-Proto` from any
client for HSTS whatever TRUSTED_PROXIES says, sends the deprecated `X-XSS-Protection`, and
sets per-view policies only by decorating every view. The rules here fit in one table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

# Everything under these paths answers a signed-in moderator, an admin or a commenter about
# their own comments: addresses, queues, exports. Error pages under them count too.
PRIVATE_PREFIXES = ("/moderation", "/my-comments", "/api/v1/moderation")

# Scripts and styles only from the service's own files (service/static): an injected
# `<script>` or `style=` does nothing. `data:` images for the pages' empty favicon.
PRIVATE_CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

EVERYWHERE = (
    ("X-Content-Type-Options", "nosniff"),
    # The browser default, said out loud: other sites learn our origin, never a path.
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
PRIVATE = (
    ("X-Content-Type-Options", "nosniff"),
    # Nothing to other sites at all (the queue's URL may hold a searched address); the
    # same origin still gets the full Referer, which the CSRF check wants over HTTPS.
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", PRIVATE_CSP),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
)
# Only over HTTPS (as the request came, after ProxyFix with TRUSTED_PROXIES): over plain
# HTTP a browser ignores it, and a local `flask serve` must stay reachable over HTTP.
HSTS = ("Strict-Transport-Security", "max-age=31536000")


_UNDER_PRIVATE = tuple(prefix + "/" for prefix in PRIVATE_PREFIXES)


def is_private(path: str) -> bool:
    return path in PRIVATE_PREFIXES or path.startswith(_UNDER_PRIVATE)


def _worked_out(private: bool, https: bool) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    headers = (*(PRIVATE if private else EVERYWHERE), *((HSTS,) if https else ()))
    return headers, frozenset(name.lower() for name, _ in headers)


# (private, https) -> the headers and their lower-case names, worked out once: this runs on
# every request, the fast feed path's included.
_SETS = {
    (private, https): _worked_out(private, https)
    for private in (False, True)
    for https in (False, True)
}


class SecurityHeaders:
    """Adds the headers for the request's path and scheme to each answer, replacing any of
    the same name a view set (a private answer is `no-store` whatever the view thought)."""

    def __init__(self, downstream: WSGIApplication) -> None:
        self.downstream = downstream

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        private = is_private(environ.get("PATH_INFO", ""))
        ours, names = _SETS[private, environ.get("wsgi.url_scheme") == "https"]

        def start(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            kept = [(name, value) for name, value in headers if name.lower() not in names]
            return start_response(status, [*kept, *ours], exc_info)

        return self.downstream(environ, start)


def init_app(app: Flask) -> None:
    """Wraps the app's WSGI callable, the fast feed path included; ProxyFix (if any) goes
    outside it, so the scheme seen here is the client's."""
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
