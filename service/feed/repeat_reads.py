"""Repeat reads of a public feed, answered in front of Flask from this worker's memory.

A revalidation whose ETag is still current gets its `304`, and a page already rendered for
the article's current feed version is sent as it is. Anything else (a first read, an article
whose state this worker has not looked up within FEED_STATE_SECONDS, any other request) goes
to the Flask app untouched, and the app fills the caches this reads.

Why in front of Flask: behind a CDN or a busy widget most feed requests are these, and
Flask's request cycle (contexts, URL matching, a dozen hooks) costs several times the answer
itself; bench/run.py measures both against a bare Flask app. The answers are the app's own:
same headers, same CORS rules, and each is counted and logged like any other request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from flask import Flask
from flask_cors.core import get_cors_headers
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import parse_etags, quote_etag

from service.comments import articles
from service.feed.caches import LockedCache
from service.ops import observability
from service.sites import registry

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    # flask-cors names the type of its computed options privately.
    from flask_cors.core import _ComputedCorsOptions

    from service.feed.thread import ArticleState
    from service.sites.registry import SiteSettings

# The feed's URL rules (service/http/api/public.py), as the router matches them: the site's
# slug is one segment, the article key may hold slashes and starts right after "articles/".
FEED_PATH = re.compile(r"/api/v1/(?:sites/(?P<site>[^/]+)/)?articles/(?P<article>.+)/comments")
FEED_ENDPOINT = "public.ArticleComments"
FEED_RULE = "/api/v1/articles/<article:article>/comments"
SITE_FEED_ENDPOINT = "public.SiteArticleComments"
SITE_FEED_RULE = "/api/v1/sites/<site>/articles/<article:article>/comments"


def page_key(article: str, state: ArticleState, query: bytes) -> tuple[int, str, str, bytes]:
    """A rendered page's key: the raw query string, so a repeat read needs no argument
    parsing to find its page, and the feed version, so an entry is never stale."""
    return state.site_id, article, state.etag, query


class RepeatFeedReads:
    """WSGI middleware over the app's own `wsgi_app`, reading the app's article-state cache
    and its rendered `pages`, answering with the CORS options `cors` gives for the request's
    site (see public.init_app)."""

    def __init__(
        self,
        app: Flask,
        downstream: WSGIApplication,
        pages: LockedCache,
        cors: Callable[[Flask, SiteSettings], _ComputedCorsOptions],
    ) -> None:
        self.app = app
        self.downstream = downstream
        self.pages = pages
        self.cors = cors

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        answer = self._answer(environ) if environ.get("REQUEST_METHOD") == "GET" else None
        if answer is None:
            return self.downstream(environ, start_response)
        status, headers, body, site, by_site_path = answer
        rid = observability.request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        headers.append((observability.REQUEST_ID_HEADER, rid))
        start_response(status, headers)
        observability.record_request(
            self.app,
            observability.AnsweredRequest(
                endpoint=SITE_FEED_ENDPOINT if by_site_path else FEED_ENDPOINT,
                method="GET",
                path=SITE_FEED_RULE if by_site_path else FEED_RULE,
                status=int(status[:3]),
                elapsed=time.perf_counter() - started,
                request_id=rid,
                remote_addr=environ.get("REMOTE_ADDR"),
                site=site,
            ),
        )
        return [body]

    def _answer(
        self, environ: WSGIEnvironment
    ) -> tuple[str, list[tuple[str, str]], bytes, str, bool] | None:
        """Status, headers and body of the answer, the site's slug (for the metrics and the
        access log) and whether the path named the site; None for anything the app must
        answer."""
        match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        # PEP 3333 hands over the path's bytes as latin-1; the router reads them as UTF-8.
        article = match["article"].encode("latin-1").decode("utf-8", "replace")
        sites = registry.loaded_in(self.app)
        if sites is None:
            return None
        slug = match["site"] and match["site"].encode("latin-1").decode("utf-8", "replace")
        # The app's own rule (public_sites.pick); an unknown slug is the app's to refuse.
        site = sites.for_request(slug, environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER"))
        if site is None:
            return None
        # Only states the app has looked up (and so validated the key of) are in here.
        key = (site.id, article)
        state: ArticleState | None = self.app.extensions[articles.STATE_CACHE].get(key)
        if state is None:
            return None
        headers = self._headers(environ, state, site)
        by_site_path = slug is not None
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(state.etag):
            return "304 NOT MODIFIED", headers, b"", site.slug, by_site_path
        query = environ.get("QUERY_STRING", "").encode("latin-1")
        body = self.pages.get(page_key(article, state, query))
        if body is None:
            return None
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        return "200 OK", headers, body, site.slug, by_site_path

    def _headers(
        self, environ: WSGIEnvironment, state: ArticleState, site: SiteSettings
    ) -> list[tuple[str, str]]:
        headers = [
            ("ETag", quote_etag(state.etag)),
            ("Cache-Control", f"public, max-age={self.app.config['FEED_MAX_AGE']}"),
            # The CORS headers depend on the Origin, so shared caches must key on it.
            ("Vary", "Origin"),
        ]
        if "HTTP_ORIGIN" in environ:
            options = self.cors(self.app, site)
            cors = get_cors_headers(options, EnvironHeaders(environ), "GET")
            # Typed loosely (str | int | None): on a GET every value is a string; the one int,
            # max-age, is for preflights.
            headers += cast("Iterable[tuple[str, str]]", cors.items(multi=True))
        return headers
