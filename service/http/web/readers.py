"""What readers get without JavaScript: the server-side include of an article's thread with
the plain comment form (service/http/form_pages.py renders the form and the pages that answer
it), and the Atom feeds of approved comments."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.http import quote_etag

from service import origins
from service.comments import articles
from service.comments.rendering import LINK_REL
from service.feed import atom, thread
from service.http import form_pages
from service.http.form_pages import return_page, service_url
from service.http.public_sites import SITE_SEGMENT, path_prefix, pick
from service.http.schemas.forms import SnippetArgsSchema
from service.http.web.forms import query_input
from service.models import utcnow
from service.sites import registry

blp = Blueprint("readers", __name__)
# The site is picked like the API's: by the path's /sites/<site>, else the Origin or Referer.
blp.url_value_preprocessor(pick)

# The server-rendered thread shows this many comments at most (the widget pages through all).
SNIPPET_COMMENTS = 500
ATOM_ENTRIES = 50
_SNIPPET_ARGS = SnippetArgsSchema()
# Without /sites/<site> in the path, the page's site is the Origin's or the Referer's (an
# include in an iframe sends only the Referer): shared caches must keep one copy per site.
_VARY = "Origin, Referer"


def _cached(etag: str, make: Callable[[], str | bytes], mimetype: str) -> Response:
    """A public page by ETag: 304 when the client has it, else made now."""
    headers = {
        "ETag": quote_etag(etag),
        "Cache-Control": f"public, max-age={current_app.config['FEED_MAX_AGE']}",
        "Vary": _VARY,
    }
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(make(), mimetype=mimetype, headers=headers)


@blp.get("/articles/<article:article>/comments.html")
@blp.get(f"{SITE_SEGMENT}/articles/<article:article>/comments.html")
def thread_snippet(article: str) -> Response:
    """The approved thread and the comment form as an HTML fragment, for a server-side
    include (`?return_to=` names the article page; `?reply_to=` a comment to reply to)."""
    state = thread.article_state(article)
    # From the cached state: the include costs no query of its own. A submission is still
    # checked against the article's row, so a form shown a moment after a lock is refused.
    open_for_comments = articles.accepts_comments(state, utcnow())

    def render() -> str:
        comments = thread.page(article, state, SNIPPET_COMMENTS, None, "oldest")["comments"]
        by_id = {comment["id"]: comment for comment in comments}
        # A reply to a comment not shown, or a page not on the site, is simply left out.
        args = query_input(_SNIPPET_ARGS, say=False)
        parent = by_id.get(args["reply_to"] or 0)
        return_to = return_page(args["return_to"]) or return_page(
            origins.article_page(registry.current().public_url, article)
        )
        return form_pages.render(
            "comments/thread.html",
            count=state.count,
            nodes=thread.threaded(comments),
            service_url=service_url(),
            link_rel=LINK_REL,
            form=form_pages.form(article, return_to, parent=parent) if open_for_comments else None,
        )

    # Closing an article leaves the thread as it was: the tag says whether the form shows.
    closed = "" if open_for_comments else ".closed"
    return _cached(f"{state.etag}{closed}.html", render, "text/html")


def _own_url(path: str) -> str:
    """This service's address of one of the current site's public pages."""
    return f"{service_url()}{path_prefix(registry.current())}{path}"


def _atom(title: str, self_url: str, page_url: str | None, key: str | None) -> bytes:
    site_url = registry.current().public_url

    def comment_url(article: str, comment_id: int) -> str:
        page = origins.article_page(site_url, article)
        base = page or _own_url(f"/articles/{quote(article)}/comments.html")
        return f"{base}#comment-{comment_id}"

    info = atom.FeedInfo(
        title=title,
        self_url=self_url,
        page_url=page_url,
        comment_url=comment_url,
        # Configured names only (a feed's entry ids must not follow a Host header).
        tag_authority=urlsplit(service_url() or site_url).hostname or "localhost",
    )
    return atom.document(info, thread.recent(key, ATOM_ENTRIES))


@blp.get("/articles/<article:article>/comments.atom")
@blp.get(f"{SITE_SEGMENT}/articles/<article:article>/comments.atom")
def article_atom(article: str) -> Response:
    """The newest approved comments of one article, as an Atom feed."""
    state = thread.article_state(article)
    self_url = _own_url(f"/articles/{quote(article)}/comments.atom")
    page = origins.article_page(registry.current().public_url, article)
    return _cached(
        f"{state.etag}.atom",
        lambda: _atom(f"Comments on {_title_of(article)}", self_url, page, article),
        "application/atom+xml",
    )


def _title_of(key: str) -> str:
    """The article's title (from the widget or an import) where known, else its key; asked
    only when the feed is rebuilt."""
    return articles.title(key) or key


@blp.get("/comments.atom")
@blp.get(f"{SITE_SEGMENT}/comments.atom")
def site_atom() -> Response:
    """The newest approved comments of the whole site, as an Atom feed."""
    site = registry.current()
    response = Response(
        _atom(
            "Recent comments" if site.is_default else f"Recent comments on {site.name}",
            _own_url("/comments.atom"),
            site.public_url or None,
            None,
        ),
        mimetype="application/atom+xml",
    )
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['FEED_MAX_AGE']}"
    response.headers["Vary"] = _VARY
    return response
