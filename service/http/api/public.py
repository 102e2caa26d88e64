"""Public API: submit comments, read an article's thread, counts, avatars (CORS-enabled)."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, current_app, redirect, request
from flask.views import MethodView
from flask_cors.core import set_cors_headers
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import quote_etag

from service.comments import submissions, views
from service.errors import DomainError, FieldError
from service.extensions import client_key, limiter
from service.feed import caches, thread
from service.feed.repeat_reads import RepeatFeedReads, page_key
from service.http import form_pages, public_sites
from service.http.errors import (
    domain_error_headers,
    domain_error_response,
    error_headers,
    flatten_locations,
    http_exception_response,
)
from service.http.openapi import Blueprint, form_body_doc
from service.http.public_sites import EDIT_TOKEN_HEADER, SITE_PARAMETER, SITE_SEGMENT
from service.http.schemas.public import (
    CountsArgsSchema,
    CountsSchema,
    EditSchema,
    FeedArgsSchema,
    FeedSchema,
    FormTokenSchema,
    SubmissionSchema,
    SubmittedCommentSchema,
    WithdrawnSchema,
)
from service.privacy import vault
from service.screening import traps
from service.sites import registry

blp = Blueprint(
    "public", __name__, url_prefix="/api/v1", description="What readers and commenters use."
)

_AVATAR_SEED = re.compile(r"[0-9a-f]{20}")
_FEED_SCHEMA = FeedSchema()
RENDERED_FEEDS = "commentdesk.rendered_feeds"
cors_log = logging.getLogger("commentdesk.cors")
# The no-JavaScript form's posts are answered with pages; these are its endpoints.
_SUBMIT_ENDPOINTS = {"public.ArticleComments", "public.SiteArticleComments"}


def init_app(app: Flask) -> None:
    """CORS for each site's origins, the rendered-feed cache, and the repeat-read fast path
    in front of the app (install it before any proxy middleware, which must see requests
    first)."""
    if not (app.testing or app.config["ZERO_CONFIG"]) and not registry.some_site_has_origins(app):
        cors_log.warning(
            "No site has origins (ALLOWED_ORIGINS is not set, and no site was given any): no "
            "site's pages can call the comment API from a browser (the widget will not load) "
            "and form posts cannot be sent back to the article. Set ALLOWED_ORIGINS to your "
            "site's origins, e.g. ALLOWED_ORIGINS=https://blog.example.com"
        )
    public_sites.init_app(app)
    pages = app.extensions[RENDERED_FEEDS] = caches.rendered_pages(app.config["FEED_CACHE_PAGES"])
    app.wsgi_app = RepeatFeedReads(  # type: ignore[method-assign]
        app, app.wsgi_app, pages=pages, cors=public_sites.cors_options
    )


blp.url_value_preprocessor(public_sites.pick)


@blp.after_request
def allow_site_origins(response: Response) -> Response:
    # Browsers send Origin on every cross-origin call; without one there is nothing to allow.
    if "Origin" in request.headers:
        options = public_sites.cors_options(current_app, registry.current())
        set_cors_headers(response, options)
    # CORS headers depend on the Origin; shared caches must not mix answers across origins
    # (flask-cors only says so when several origins are configured).
    response.vary.add("Origin")
    return response


def _submit_limit() -> str:
    limit: str = current_app.config["SUBMIT_RATE_LIMIT"]
    return limit


def _too_many_message() -> str:
    return "You are sending comments too quickly. Please wait a little and try again."


def _feed_headers(state: thread.ArticleState) -> dict[str, str]:
    return {
        "ETag": quote_etag(state.etag),
        "Cache-Control": f"public, max-age={current_app.config['FEED_MAX_AGE']}",
    }


@blp.route("/articles/<article:article>/comments", merge_slashes=False)
@blp.route(
    f"{SITE_SEGMENT}/articles/<article:article>/comments",
    endpoint="SiteArticleComments",
    merge_slashes=False,
    parameters=[SITE_PARAMETER],
)
class ArticleComments(MethodView):
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, FeedSchema)
    def get(self, args: dict[str, Any], article: str) -> Any:
        """The approved comments of an article, oldest first, with each reply's parent id."""
        # Repeat reads are answered by RepeatFeedReads before they get here, once this
        # worker has looked up the article's state and rendered the page.
        state = thread.article_state(article)
        limit = args["limit"] or current_app.config["FEED_PAGE_SIZE"]
        body = current_app.extensions[RENDERED_FEEDS].get_or_make(
            page_key(article, state, request.query_string),
            lambda: _FEED_SCHEMA.dumps(
                thread.page(article, state, limit, args["cursor"], args["order"])
            ).encode(),
        )
        response = Response(body, mimetype="application/json", headers=_feed_headers(state))
        return response.make_conditional(request)

    @limiter.limit(_submit_limit, key_func=client_key, error_message=_too_many_message)
    @blp.arguments(SubmissionSchema, location="json_or_form")
    @blp.response(201, SubmittedCommentSchema)
    @blp.alt_response(200, schema=SubmittedCommentSchema, description="Already submitted.")
    @blp.alt_response(303, description="Form posts: back to the article page.")
    @blp.doc(**form_body_doc("Submission"))
    def post(self, data: dict[str, Any], article: str) -> Any:
        """Submit a comment (JSON, or a form post from the no-JavaScript form)."""
        result = submissions.submit(
            submissions.NewComment(
                article_key=article,
                name=data["name"],
                email=data["email"],
                body=data["body"],
                website=data["website"],
                parent_id=data["parent_id"],
                honeypot=data["hp"],
                form_token=data["form_token"],
                wants_link=data["my_comments_link"],
                **_page_info(data["article_title"], data["article_url"]),
            ),
            submissions.ClientInfo(ip=request.remote_addr, user_agent=request.user_agent.string),
        )
        comment = result.comment
        if page := _form_post_page():
            return redirect(f"{page.split('#')[0]}#comment-{comment.id}", code=303)
        # The token may be None (a repeat from elsewhere): the answer says so as null.
        view = views.commenter_view(comment) | {"edit_token": result.edit_token}
        return view, 201 if result.created else 200


def _page_info(title: str | None, url: str | None) -> dict[str, str | None]:
    """The page's title and URL as the widget reported them, only when the request came from
    one of the site's own pages and the URL is on one of them too; otherwise ignored (a
    comment is never refused for them). The URL is never fetched."""
    if not form_pages.return_page(request.headers.get("Origin") or request.referrer):
        return {"page_title": None, "page_url": None}
    return {"page_title": title, "page_url": form_pages.return_page(url)}


_EDIT_TOKEN_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": EDIT_TOKEN_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "The edit_token the submission returned.",
        }
    ]
}


def _edit_errors_doc(view: Any) -> Any:
    for status, why in (
        (403, "`invalid_edit_token`, or `edit_window_closed` once the edit window has passed."),
        (404, "No such comment."),
        (409, "The comment was removed, rejected or marked as spam: it cannot be changed."),
    ):
        view = blp.alt_response(status, description=why)(view)
    return view


@blp.route("/comments/<int:comment_id>")
class OwnComment(MethodView):
    # Each edit runs the policy (classifier, Akismet) again: limited like submissions.
    @limiter.limit(_submit_limit, key_func=client_key, error_message=_too_many_message)
    @blp.arguments(EditSchema)
    @blp.response(200, SubmittedCommentSchema)
    @_edit_errors_doc
    @blp.doc(**_EDIT_TOKEN_DOC)
    def patch(self, changes: dict[str, Any], comment_id: int) -> Any:
        """The commenter edits their comment within the edit window (it may go back to
        moderation: see `status`)."""
        comment = submissions.edit_comment(
            comment_id,
            request.headers.get(EDIT_TOKEN_HEADER),
            changes,
            submissions.ClientInfo(ip=request.remote_addr, user_agent=request.user_agent.string),
        )
        return views.commenter_view(comment)

    @blp.response(200, WithdrawnSchema)
    @_edit_errors_doc
    @blp.doc(**_EDIT_TOKEN_DOC)
    def delete(self, comment_id: int) -> Any:
        """The commenter withdraws their comment within the edit window."""
        comment = submissions.withdraw_comment(comment_id, request.headers.get(EDIT_TOKEN_HEADER))
        return {"id": comment.id, "status": comment.status.value}


def _form_post_page() -> str | None:
    """For a post from the no-JavaScript form, the article page to answer it on: its
    `return_to` (or else the Referer) when that is a page on one of the site's origins.
    Anything else (JSON, no page of ours) is answered as an API call."""
    if request.is_json or request.endpoint not in _SUBMIT_ENDPOINTS or request.method != "POST":
        return None
    named = request.form.get("return_to")
    return form_pages.return_page(named) or form_pages.return_page(request.referrer)


# Statuses a form post is answered with a readable page for (a 413's form cannot be read).
_FORM_ANSWERS = {
    403: "Comments on this article are closed.",
    422: "Please correct what is marked below and send your comment again.",
    429: _too_many_message(),
}


def _form_answer(status: int, message: str, errors: Any = None, headers: Any = None) -> Any:
    if status not in _FORM_ANSWERS or not (page := _form_post_page()):
        return None
    return form_pages.form_answer(
        status,
        message,
        (request.view_args or {})["article"],
        page,
        errors=errors,
        refill=status != 403,
        headers=headers,
    )


@blp.errorhandler(HTTPException)
def answer_form_posts_http_errors(error: HTTPException) -> Any:
    """Invalid fields (422 from the schema) and rate limits (429), as a page for form posts."""
    status = error.code or 500
    messages = (getattr(error, "data", None) or {}).get("messages")
    errors = flatten_locations(messages) if status == 422 and messages else None
    headers = dict(error_headers(error)) if status == 429 else None
    answer = _form_answer(status, _FORM_ANSWERS.get(status, ""), errors, headers)
    return answer or http_exception_response(error)


@blp.errorhandler(DomainError)
def answer_form_posts_refusals(error: DomainError) -> Any:
    """The use case refused (closed article, too soon, a parent gone), as a page for form
    posts."""
    errors = {error.field: [error.message]} if isinstance(error, FieldError) else None
    headers = domain_error_headers(error)
    message = _FORM_ANSWERS[422] if errors else error.message
    return _form_answer(error.status, message, errors, headers) or domain_error_response(error)


@blp.route("/form-token")
@blp.response(200, FormTokenSchema)
def form_token() -> Any:
    """A signed note of when the comment form was shown (send it back as `form_token`), and
    what else the form needs to know."""
    return (
        {
            "token": traps.issue_form_token(),
            "honeypot_field": traps.HONEYPOT_FIELD,
            "edit_window_minutes": current_app.config["EDIT_WINDOW_MINUTES"],
        },
        {"Cache-Control": "no-store"},
    )


@blp.route("/counts")
@blp.route(f"{SITE_SEGMENT}/counts", endpoint="site_counts", parameters=[SITE_PARAMETER])
@blp.arguments(CountsArgsSchema, location="query")
@blp.response(200, CountsSchema)
def counts(args: dict[str, Any]) -> Any:
    """Approved-comment counts for several articles (for listing pages)."""
    return {"counts": thread.counts(args["article"])}


@blp.route("/avatars/<seed>.svg")
@blp.response(200, content_type="image/svg+xml", description="An identicon.")
def avatar(seed: str) -> Response:
    """The identicon for a commenter; drawn from a keyed hash, never from the address."""
    if not _AVATAR_SEED.fullmatch(seed):
        raise NotFound()
    return Response(
        vault.identicon_svg(seed),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
