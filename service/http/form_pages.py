"""The no-JavaScript comment form as HTML: the form under an article's thread, and the page
that answers a form post which cannot be taken. Used by the readers' include and by the
public API (which answers the form's posts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request

from service import origins
from service.http.public_sites import path_prefix
from service.http.schemas.common import BODY_MAX, EMAIL_MAX, NAME_MAX, WEBSITE_MAX
from service.screening import traps
from service.sites import registry

FORM_FIELDS = ("name", "email", "website", "body", "my_comments_link")
FIELD_LABELS = {
    "name": "Name",
    "email": "Email",
    "website": "Website",
    "body": "Comment",
    "parent_id": "Reply",
    "article": "Article",
}
_LIMITS = {"name": NAME_MAX, "email": EMAIL_MAX, "website": WEBSITE_MAX, "body": BODY_MAX}


def service_url() -> str:
    """This service's own base URL (PUBLIC_URL), for the links and form of the snippet, which
    is shown on another site; without it, "" and the links are paths. Never the request's
    Host header: these answers are cached publicly, and a forged Host would poison the copy
    every reader gets."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def render(template: str, **context: Any) -> str:
    # Without the app's context processors: they would load the moderator's session, and a
    # page that read the session varies by cookie, which no shared cache should have to.
    return current_app.jinja_env.get_template(template).render(**context)


def return_page(candidate: str | None) -> str | None:
    """`candidate` when it is a page of the request's site (public_sites.pick), else None."""
    return origins.page_on_site(candidate, registry.current().origins)


def form(
    article: str,
    return_to: str | None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    parent: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What the form template needs: where to post (the request's site's path), what to
    refill, what went wrong."""
    site = path_prefix(registry.current())
    return {
        "action": f"{service_url()}/api/v1{site}/articles/{quote(article)}/comments",
        "return_to": return_to,
        "filled": values or {},
        "errors": errors or {},
        "parent": parent,
        "form_token": traps.issue_form_token(),
        "honeypot_field": traps.HONEYPOT_FIELD,
        "limits": _LIMITS,
    }


def form_answer(
    status: int,
    message: str,
    article: str,
    return_to: str,
    errors: Mapping[str, list[str]] | None = None,
    refill: bool = True,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page a no-JavaScript form post gets instead of JSON when it cannot be taken:
    what went wrong, the form as the reader filled it in (their own input, to their own
    browser: never cached, never logged), and the link back to the article."""
    errors = errors or {}
    values = {field: request.form.get(field, "") for field in FORM_FIELDS}
    parent_id = request.form.get("parent_id", "")
    parent = {"id": parent_id, "name": "a comment"} if parent_id.isdigit() else None
    page = render(
        "comments/answer.html",
        title="Your comment could not be posted",
        message=message,
        problems=[
            (FIELD_LABELS.get(field, "Your comment"), text)
            for field, texts in errors.items()
            for text in texts
        ],
        form=form(article, return_to, values, errors, parent) if refill else None,
        return_to=return_to,
    )
    response = Response(page, status=status, mimetype="text/html", headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    return response
